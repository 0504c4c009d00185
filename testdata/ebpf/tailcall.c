/* Tail calls between programs through a program array: entry dispatches
 * on the first input byte to stage programs, which record their passage in
 * the input and chain on; "loop" tail-calls itself until the limit. */
#include "iovm_bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} jump SEC(".maps");

__u64 loops;

SEC("socket")
int entry(__u8 *in)
{
	in[1] = 'e';
	bpf_tail_call(in, &jump, in[0]);
	return 99; /* no program at that index */
}

SEC("socket")
int stage1(__u8 *in)
{
	in[2] = '1';
	bpf_tail_call(in, &jump, 2);
	return 98;
}

SEC("socket")
int stage2(__u8 *in)
{
	in[3] = '2';
	return 42;
}

SEC("socket")
int self(__u8 *in)
{
	loops++;
	bpf_tail_call(in, &jump, 3);
	return 7; /* reached when the chain limit stops the tail call */
}
