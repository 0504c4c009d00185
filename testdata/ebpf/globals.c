/* Global variables (.data, .bss, .rodata and a named .data sub-section),
 * constants, static functions in .text and in the program's section,
 * bpf_printk (trace_printk) and bpf_snprintf. The input is struct args. */
#include "iovm_bpf.h"

struct args { __u32 a, b; };

__u64 calls = 100;                 /* .data */
__u64 total;                       /* .bss */
const volatile __u32 scale = 3;    /* .rodata */
static const __u32 table[4] = {10, 20, 30, 40}; /* .rodata */
__u32 tagged SEC(".data.tagged") = 7;           /* named sub-section */
char out[32];                      /* .bss: snprintf result */

static __noinline __u32 weight(__u32 x)
{
	return table[x & 3] * scale;
}

static __noinline __u64 add(__u64 a, __u64 b) SEC("globals");
static __noinline __u64 add(__u64 a, __u64 b) { return a + b; }

SEC("globals")
int sum(struct args *in)
{
	calls++;
	total = add(total, weight(in->a) + in->b);
	tagged += 1;
	bpf_printk("sum a=%u b=%d total=%llu", in->a, (int)in->b, total);
	__u64 data[2] = {total, calls};
	bpf_snprintf(out, sizeof(out), "t=%llu c=%llu", data, sizeof(data));
	return total;
}

SEC("globals/ro")
int write_rodata(void *ctx)
{
	/* Writes a const variable through a laundered pointer: faults. */
	volatile __u32 *p = (volatile __u32 *)&scale;
	asm volatile("" : "+r"(p));
	*p = 9;
	return 0;
}

char _license[] SEC("license") = "GPL";
