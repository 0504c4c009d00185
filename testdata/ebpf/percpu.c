/* Per-CPU maps (array, hash, LRU hash; sizes given with __uint(key_size)
 * and __uint(value_size)) and the CPU, time and random helpers. Each run
 * adds 1 to the counters of the run's CPU and records the time. */
#include "iovm_bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, 4);
	__uint(value_size, 8);
} pa SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} ph SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} plru SEC(".maps");

__u64 last_ns, boot_ns;
__u32 rnd;

SEC("socket")
int percpu(__u32 *key)
{
	__u32 zero = 0, cpu = bpf_get_smp_processor_id();
	__u64 *v = bpf_map_lookup_elem(&pa, &zero);
	if (v)
		*v += 1;
	v = bpf_map_lookup_elem(&ph, key);
	if (v) {
		*v += 1;
	} else {
		__u64 one = 1;
		bpf_map_update_elem(&ph, key, &one, BPF_ANY);
	}
	__u64 c = cpu;
	bpf_map_update_elem(&plru, key, &c, BPF_ANY);
	last_ns = bpf_ktime_get_ns();
	boot_ns = bpf_ktime_get_boot_ns();
	rnd = bpf_get_prandom_u32();
	return cpu;
}
