	.text
	.file	"calls.c"
	.globl	entry                           # -- Begin function entry
	.p2align	3
	.type	entry,@function
entry:                                  # @entry
# %bb.0:
	r6 = r1
	w1 = 0
	*(u8 *)(r10 - 4) = w1
	w1 = 1680162168
	*(u32 *)(r10 - 8) = w1
	*(u64 *)(r10 - 16) = r6
	r2 = r10
	r2 += -16
	r1 = 0
	call 1
	r7 = r0
	r1 = r10
	r1 += -8
	w2 = 5
	w3 = w7
	call 6
	r1 = r6
	call poly
	r8 = r0
	w1 = w6
	call fib
	w8 += w0
	r1 = r7
	call square
	w8 += w0
	w0 = w8
	exit
.Lfunc_end0:
	.size	entry, .Lfunc_end0-entry
                                        # -- End function
	.p2align	3                               # -- Begin function poly
	.type	poly,@function
poly:                                   # @poly
# %bb.0:
	r6 = r1
	call square
	r6 *= 5
	r0 *= 3
	r6 += r0
	r6 += 7
	r0 = r6
	exit
.Lfunc_end1:
	.size	poly, .Lfunc_end1-poly
                                        # -- End function
	.p2align	3                               # -- Begin function fib
	.type	fib,@function
fib:                                    # @fib
# %bb.0:
	w0 = 0
	if w1 s< 1 goto LBB2_4
# %bb.1:
	w2 = 1
	w4 = 0
	w3 = 0
LBB2_2:                                 # =>This Inner Loop Header: Depth=1
	w5 = w3
	w3 += 1
	w0 = w2
	if w3 s>= w1 goto LBB2_4
# %bb.3:                                #   in Loop: Header=BB2_2 Depth=1
	w6 = w4
	w6 += w2
	w0 = w2
	w4 = w2
	w2 = w6
	if w5 < 89 goto LBB2_2
LBB2_4:
	exit
.Lfunc_end2:
	.size	fib, .Lfunc_end2-fib
                                        # -- End function
	.p2align	3                               # -- Begin function square
	.type	square,@function
square:                                 # @square
# %bb.0:
	r0 = r1
	r0 *= r0
	exit
.Lfunc_end3:
	.size	square, .Lfunc_end3-square
                                        # -- End function
	.type	.L__const.entry.fmt,@object     # @__const.entry.fmt
	.section	.rodata.str1.1,"aMS",@progbits,1
.L__const.entry.fmt:
	.asciz	"x=%d"
	.size	.L__const.entry.fmt, 5

	.addrsig
