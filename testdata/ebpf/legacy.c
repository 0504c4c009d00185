/* A legacy "maps" section (struct bpf_map_def) and a per-CPU array. */
#include "iovm_bpf.h"

struct bpf_map_def SEC("maps") hits = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 2,
};

struct bpf_map_def SEC("maps") percpu = {
	.type = BPF_MAP_TYPE_PERCPU_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 1,
};

SEC("socket")
int legacy(void *ctx)
{
	__u32 k = 1, z = 0;
	__u64 *v = bpf_map_lookup_elem(&hits, &k);
	if (!v)
		return -1;
	*v += 1;
	__u64 *p = bpf_map_lookup_elem(&percpu, &z);
	if (!p)
		return -1;
	*p += bpf_get_smp_processor_id() + 1;
	return *v;
}
