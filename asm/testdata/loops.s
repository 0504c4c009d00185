	.text
	.file	"loops.c"
	.globl	sum                             # -- Begin function sum
	.p2align	3
	.type	sum,@function
sum:                                    # @sum
# %bb.0:
	w0 = 0
	if w2 s< 1 goto LBB0_4
# %bb.1:
	w5 = 0
	r3 = 0
	r2 = w2
LBB0_2:                                 # =>This Inner Loop Header: Depth=1
	r4 = r3
	w0 = *(u32 *)(r1 + 0)
	w0 += w5
	r3 += 1
	if r3 >= r2 goto LBB0_4
# %bb.3:                                #   in Loop: Header=BB0_2 Depth=1
	r1 += 4
	w5 = w0
	if r4 < 63 goto LBB0_2
LBB0_4:
	exit
.Lfunc_end0:
	.size	sum, .Lfunc_end0-sum
                                        # -- End function
	.globl	collatz                         # -- Begin function collatz
	.p2align	3
	.type	collatz,@function
collatz:                                # @collatz
# %bb.0:
	r0 = 0
	if r1 == 1 goto LBB1_6
# %bb.1:
	r0 = 0
	r2 = r1
	goto LBB1_2
LBB1_4:                                 #   in Loop: Header=BB1_2 Depth=1
	r0 = r3
	r0 += 1
	if r2 == 1 goto LBB1_6
# %bb.5:                                #   in Loop: Header=BB1_2 Depth=1
	r1 = r2
	if r3 < 999 goto LBB1_2
LBB1_6:
	exit
LBB1_2:                                 # =>This Inner Loop Header: Depth=1
	r3 = r0
	r2 >>= 1
	r4 = r1
	r4 &= 1
	if r4 == 0 goto LBB1_4
# %bb.3:                                #   in Loop: Header=BB1_2 Depth=1
	r1 *= 3
	r1 += 1
	r2 = r1
	goto LBB1_4
.Lfunc_end1:
	.size	collatz, .Lfunc_end1-collatz
                                        # -- End function
	.globl	matrix                          # -- Begin function matrix
	.p2align	3
	.type	matrix,@function
matrix:                                 # @matrix
# %bb.0:
	w3 = 0
	r2 = 0
LBB2_1:                                 # =>This Loop Header: Depth=1
                                        #     Child Loop BB2_2 Depth 2
	r4 = r1
	r5 = 0
LBB2_2:                                 #   Parent Loop BB2_1 Depth=1
                                        # =>  This Inner Loop Header: Depth=2
	w6 = w5
	w6 ^= w2
	w0 = *(u32 *)(r4 + 0)
	w0 *= w6
	r5 += 1
	w0 /= w5
	w6 = w0
	w6 /= 7
	w6 *= 7
	w0 -= w6
	w0 += w3
	r4 += 4
	w3 = w0
	if r5 == 8 goto LBB2_4
	goto LBB2_2
LBB2_4:                                 #   in Loop: Header=BB2_1 Depth=1
	r1 += 32
	r2 += 1
	w3 = w0
	if r2 == 8 goto LBB2_3
	goto LBB2_1
LBB2_3:
	exit
.Lfunc_end2:
	.size	matrix, .Lfunc_end2-matrix
                                        # -- End function
	.globl	find                            # -- Begin function find
	.p2align	3
	.type	find,@function
find:                                   # @find
# %bb.0:
	r0 = -1
	if r2 s< 1 goto LBB3_4
# %bb.1:
	r4 = 0
	w3 &= 255
LBB3_2:                                 # =>This Inner Loop Header: Depth=1
	r5 = r1
	r5 += r4
	w5 = *(u8 *)(r5 + 0)
	r0 = r4
	if w5 == w3 goto LBB3_4
# %bb.3:                                #   in Loop: Header=BB3_2 Depth=1
	r4 += 1
	r0 = -1
	if r4 s< r2 goto LBB3_2
LBB3_4:
	exit
.Lfunc_end3:
	.size	find, .Lfunc_end3-find
                                        # -- End function
	.addrsig
