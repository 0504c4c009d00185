/* LRU hash: each run inserts the key in the input (a __u32) with the run
 * count as value; the map holds 4 entries, so old keys get evicted. A hash
 * of the same size refuses the fifth key. Returns the update results. */
#include "iovm_bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} recent SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} full SEC(".maps");

__u64 runs;

SEC("socket")
int lru_insert(__u32 *key)
{
	__u64 n = ++runs;
	__u64 *v = bpf_map_lookup_elem(&recent, key);
	if (v)
		*v += 1000; /* touch: most recently used now */
	else
		bpf_map_update_elem(&recent, key, &n, BPF_NOEXIST);
	long r = bpf_map_update_elem(&full, key, &n, BPF_ANY);
	return r; /* 0, or -E2BIG when full is full */
}
