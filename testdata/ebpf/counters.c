/* Counters shared by concurrent runs: atomic adds on an array and on hash
 * values created from Go, and a per-CPU array. */
#include "iovm_bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} arr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} byflow SEC(".maps");

SEC("socket")
int count(__u32 *flow)
{
	__u32 k = *flow & 3;
	__u64 *a = bpf_map_lookup_elem(&arr, &k);
	if (a)
		__sync_fetch_and_add(a, 1);
	__u64 *h = bpf_map_lookup_elem(&byflow, flow);
	if (!h)
		return 1;
	__sync_fetch_and_add(h, 2);
	return 0;
}
