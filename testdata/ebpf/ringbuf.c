/* Ring buffer events read from Go, and a queue and a stack. The input is
 * struct req; each run emits an event with reserve/submit (or discards
 * it for odd ids), one with ringbuf_output, and pushes the id on the queue
 * and the stack. */
#include "iovm_bpf.h"

struct req { __u32 id; __u32 len; };
struct event { __u32 id; __u32 kind; __u64 seq; char msg[16]; };

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 8);
	__type(value, __u32);
} fifo SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 8);
	__type(value, __u32);
} lifo SEC(".maps");

__u64 seq;

SEC("socket")
int emit(struct req *r)
{
	__u32 id = r->id;
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return -1;
	e->id = id;
	e->kind = 1;
	e->seq = ++seq;
	__builtin_memcpy(e->msg, "reserved", 9);
	if (id & 1)
		bpf_ringbuf_discard(e, 0);
	else
		bpf_ringbuf_submit(e, 0);
	struct event o = {.id = id, .kind = 2, .seq = ++seq};
	__builtin_memcpy(o.msg, "output", 7);
	if (bpf_ringbuf_output(&events, &o, sizeof(o), 0))
		return -2;
	bpf_map_push_elem(&fifo, &id, 0);
	bpf_map_push_elem(&lifo, &id, 0);
	return bpf_ringbuf_query(&events, 0); /* bytes not yet consumed */
}

SEC("socket")
int drain(void *ctx)
{
	__u32 a = 0, b = 0;
	if (bpf_map_peek_elem(&fifo, &a))
		return -1;
	if (bpf_map_pop_elem(&fifo, &a) || bpf_map_pop_elem(&lifo, &b))
		return -1;
	return a * 100 + b; /* oldest from the queue, newest from the stack */
}
