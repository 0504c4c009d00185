	.text
	.file	"bswap.c"
	.globl	swaps                           # -- Begin function swaps
	.p2align	3
	.type	swaps,@function
swaps:                                  # @swaps
# %bb.0:
	r2 = *(u64 *)(r1 + 0)
	r2 = be16 r2
	r3 = *(u64 *)(r1 + 24)
	r3 += r2
	r3 = be64 r3
	*(u64 *)(r1 + 24) = r3
	r3 = *(u64 *)(r1 + 8)
	r3 = be32 r3
	w3 += w2
	r0 = *(u64 *)(r1 + 16)
	r0 = be64 r0
	r0 += r3
	exit
.Lfunc_end0:
	.size	swaps, .Lfunc_end0-swaps
                                        # -- End function
	.globl	mixed                           # -- Begin function mixed
	.p2align	3
	.type	mixed,@function
mixed:                                  # @mixed
# %bb.0:
	w0 = w1
	w3 = *(u8 *)(r2 + 2)
	w3 <<= 24
	w1 = *(u8 *)(r2 + 3)
	w1 <<= 16
	w1 |= w3
	w3 = *(u8 *)(r2 + 4)
	w3 <<= 8
	w1 |= w3
	w4 = *(u8 *)(r2 + 0)
	w4 <<= 8
	w3 = *(u8 *)(r2 + 1)
	w4 |= w3
	w3 = *(u8 *)(r2 + 5)
	w1 |= w3
	w6 = w0
	r7 = r6
	r7 = be32 r7
	w5 = 1
	w3 = 1
	if w1 > w7 goto LBB1_2
# %bb.1:
	w3 = 0
LBB1_2:
	r6 = be16 r6
	if w4 == w6 goto LBB1_4
# %bb.3:
	w5 = 0
LBB1_4:
	w0 s>>= 3
	w0 += w5
	w1 = *(u8 *)(r2 + 6)
	w1 <<= 24
	w1 s>>= 24
	w0 += w1
	w0 += w3
	exit
.Lfunc_end1:
	.size	mixed, .Lfunc_end1-mixed
                                        # -- End function
	.addrsig
