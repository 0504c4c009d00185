	.text
	.file	"atomics.c"
	.globl	atomics64                       # -- Begin function atomics64
	.p2align	3
	.type	atomics64,@function
atomics64:                              # @atomics64
# %bb.0:
	r3 = r2
	lock *(u64 *)(r1 + 0) += r3
	r4 = 1
	r4 = atomic_fetch_add((u64 *)(r1 + 0), r4)
	r3 = r2
	r3 = atomic_fetch_or((u64 *)(r1 + 0), r3)
	r2 ^= -1
	r2 = atomic_fetch_and((u64 *)(r1 + 0), r2)
	r5 = r4
	r5 = atomic_fetch_xor((u64 *)(r1 + 0), r5)
	r1 = c64 ll
	r6 = r3
	r6 = xchg_64(r1 + 0, r6)
	r0 = r2
	r0 = cmpxchg_64(r1 + 0, r0, r5)
	r7 = 4
	lock *(u64 *)(r1 + 0) |= r7
	r7 = r6
	lock *(u64 *)(r1 + 0) ^= r7
	r7 = r0
	lock *(u64 *)(r1 + 0) &= r7
	r3 += r4
	r3 += r2
	r3 += r5
	r3 += r6
	r3 += r0
	r0 = r3
	exit
.Lfunc_end0:
	.size	atomics64, .Lfunc_end0-atomics64
                                        # -- End function
	.globl	atomics32                       # -- Begin function atomics32
	.p2align	3
	.type	atomics32,@function
atomics32:                              # @atomics32
# %bb.0:
	w3 = w2
	lock *(u32 *)(r1 + 0) += w3
	w4 = 1
	w4 = atomic_fetch_add((u32 *)(r1 + 0), w4)
	w3 = w2
	w3 = atomic_fetch_or((u32 *)(r1 + 0), w3)
	w2 ^= -1
	w2 = atomic_fetch_and((u32 *)(r1 + 0), w2)
	w5 = w4
	w5 = atomic_fetch_xor((u32 *)(r1 + 0), w5)
	w1 = 4
	w1 = -w1
	r6 = c32 ll
	w7 = w3
	w7 = xchg32_32(r6 + 0, w7)
	w0 = w2
	w0 = cmpxchg32_32(r6 + 0, w0, w5)
	lock *(u32 *)(r6 + 0) += w1
	w3 ^= w4
	w3 ^= w2
	w3 ^= w5
	w3 ^= w7
	w3 ^= w0
	w0 = w3
	exit
.Lfunc_end1:
	.size	atomics32, .Lfunc_end1-atomics32
                                        # -- End function
	.type	c64,@object                     # @c64
	.section	.bss,"aw",@nobits
	.globl	c64
	.p2align	3
c64:
	.quad	0                               # 0x0
	.size	c64, 8

	.type	c32,@object                     # @c32
	.globl	c32
	.p2align	2
c32:
	.long	0                               # 0x0
	.size	c32, 4

	.addrsig
	.addrsig_sym c64
	.addrsig_sym c32
