/* Callbacks: bpf_loop sums 0..n-1 into a context on the stack, stopping
 * early when asked; bpf_for_each_map_elem sums the values of an array. */
#include "iovm_bpf.h"

struct ctx { __u64 sum; __u32 stop_at; };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} vals SEC(".maps");

static long step(__u32 i, struct ctx *c)
{
	if (i == c->stop_at)
		return 1; /* stop */
	c->sum += i;
	return 0;
}

SEC("socket")
int loop(__u32 *n)
{
	struct ctx c = {.sum = 0, .stop_at = n[1]};
	long iters = bpf_loop(n[0], step, &c, 0);
	return c.sum * 1000 + iters;
}

static long add_elem(void *map, __u32 *key, __u64 *val, __u64 *acc)
{
	*acc += *val * (*key + 1);
	*val += 1;
	return 0;
}

SEC("socket")
int foreach(void *ctx)
{
	__u64 acc = 0;
	long n = bpf_for_each_map_elem(&vals, add_elem, &acc, 0);
	return acc * 100 + n;
}
