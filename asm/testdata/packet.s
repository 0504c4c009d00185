	.text
	.file	"packet.c"
	.section	xdp,"ax",@progbits
	.globl	parse                           # -- Begin function parse
	.p2align	3
	.type	parse,@function
parse:                                  # @parse
# %bb.0:
	w0 = 1
	w2 = *(u32 *)(r1 + 4)
	w1 = *(u32 *)(r1 + 0)
	r3 = r1
	r3 += 14
	if r3 > r2 goto LBB0_14
# %bb.1:
	w4 = *(u16 *)(r1 + 12)
	w0 = 2
	if w4 != 8 goto LBB0_14
# %bb.2:
	r4 = r1
	r4 += 34
	w0 = 1
	if r4 > r2 goto LBB0_14
# %bb.3:
	w3 = *(u8 *)(r3 + 0)
	w3 <<= 2
	w3 &= 60
	w0 = 1
	if w3 < 20 goto LBB0_14
# %bb.4:
	w4 = *(u8 *)(r1 + 23)
	if w4 != 17 goto LBB0_9
# %bb.5:
	r1 += r3
	r3 = r1
	r3 += 22
	w0 = 1
	if r3 > r2 goto LBB0_14
# %bb.6:
	r1 += 14
	w2 = *(u16 *)(r1 + 2)
	if w2 != 13568 goto LBB0_8
# %bb.7:
	r1 = counters ll
	r2 = *(u64 *)(r1 + 0)
	r2 += 1
	*(u64 *)(r1 + 0) = r2
	w0 = 3
	goto LBB0_14
LBB0_9:
	w2 = *(u32 *)(r1 + 26)
	w2 &= 255
	if w2 != 10 goto LBB0_11
# %bb.10:
	r2 = counters ll
	r3 = *(u64 *)(r2 + 16)
	r3 += 1
	*(u64 *)(r2 + 16) = r3
LBB0_11:
	w1 = *(u8 *)(r1 + 22)
	w0 = 1
	if w1 > 1 goto LBB0_13
# %bb.12:
	w0 = 0
LBB0_13:
	w0 <<= 1
	goto LBB0_14
LBB0_8:
	w1 = *(u16 *)(r1 + 4)
	r1 = be16 r1
	r2 = counters ll
	r3 = *(u64 *)(r2 + 8)
	r3 += r1
	*(u64 *)(r2 + 8) = r3
	w0 = 2
LBB0_14:
	exit
.Lfunc_end0:
	.size	parse, .Lfunc_end0-parse
                                        # -- End function
	.section	socket,"ax",@progbits
	.globl	legacy                          # -- Begin function legacy
	.p2align	3
	.type	legacy,@function
legacy:                                 # @legacy
# %bb.0:
	r6 = r1
	w7 = 0
	r0 = *(u32 *)skb[26]
	r8 = r0
	r0 = *(u16 *)skb[16]
	r9 = r0
	r0 = *(u8 *)skb[23]
	if r0 != 6 goto LBB1_5
# %bb.1:
	if r9 < 41 goto LBB1_5
# %bb.2:
	if r8 == 0 goto LBB1_5
# %bb.3:
	r0 = *(u8 *)skb[14]
	r7 = r0
	w7 <<= 2
	r7 &= 60
	r7 += 16
	r0 = *(u16 *)skb[r7]
	w7 = 1
	if r0 == 80 goto LBB1_5
# %bb.4:
	w7 = 0
LBB1_5:
	w0 = w7
	exit
.Lfunc_end1:
	.size	legacy, .Lfunc_end1-legacy
                                        # -- End function
	.type	counters,@object                # @counters
	.section	.bss,"aw",@nobits
	.globl	counters
	.p2align	3
counters:
	.zero	32
	.size	counters, 32

	.addrsig
