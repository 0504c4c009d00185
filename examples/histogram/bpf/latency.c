/* Event filter of examples/histogram: each run gets one I/O completion
 * event as its context, keeps the events of the kind (and, if set, the
 * process) chosen in the global settings, and adds their latency in
 * microseconds to a log2 histogram in the array map "hist", as bpftrace's
 * hist() does: slot 0 counts the value 0, slot k >= 1 the values in
 * [2^(k-1), 2^k). Totals are kept in the global struct "totals" (.bss), read
 * from Go.
 *
 * Rebuilt by `make testdata` (scripts/testdata.sh) into bpf/latency.o. */
#include "../../../testdata/ebpf/iovm_bpf.h"

#define SLOTS 64

struct event {
	__u64 ts_ns;
	__u32 pid;
	__u32 kind; /* 0 read, 1 write, 2 fsync */
	__u64 latency_ns;
};

/* What to keep: set from Go in .rodata before the program is loaded
 * (read-only for the program). */
const volatile struct {
	__u32 kind;
	__u32 pid; /* 0: every process */
} settings = {.kind = 0};

/* Totals, updated atomically so that concurrent runs may share them. */
struct {
	__u64 seen;
	__u64 kept;
	__u64 sum_us;
	__u64 max_us;
} totals;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} hist SEC(".maps");

/* log2 of a non-zero v, without loops (as bcc's log2l). */
static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r, shift;
	r = (v > 0xFFFFFFFF) << 5;
	v >>= r;
	shift = (v > 0xFFFF) << 4;
	v >>= shift;
	r |= shift;
	shift = (v > 0xFF) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xF) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (v >> 1);
	return r;
}

SEC("tracepoint/io_done")
int io_latency(struct event *e)
{
	__sync_fetch_and_add(&totals.seen, 1);
	if (e->kind != settings.kind)
		return 0;
	if (settings.pid && e->pid != settings.pid)
		return 0;

	__u64 us = e->latency_ns / 1000;
	__u32 slot = us ? log2_u64(us) + 1 : 0;
	if (slot >= SLOTS)
		slot = SLOTS - 1;
	__u64 *count = bpf_map_lookup_elem(&hist, &slot);
	if (count)
		__sync_fetch_and_add(count, 1);

	__sync_fetch_and_add(&totals.kept, 1);
	__sync_fetch_and_add(&totals.sum_us, us);
	__u64 max = totals.max_us;
	while (us > max) { /* atomic max */
		__u64 old = __sync_val_compare_and_swap(&totals.max_us, max, us);
		if (old == max)
			break;
		max = old;
	}
	return 1;
}

char _license[] SEC("license") = "GPL";
