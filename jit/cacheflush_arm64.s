#include "textflag.h"

// func flushICache(start, end uintptr)
//
// Makes newly written code in [start, end) visible to instruction fetch:
// clean the data cache lines to the point of unification, invalidate the
// instruction cache lines, with the barriers in between (Arm ARM B2.4.4).
// Line sizes come from CTR_EL0, which Linux, FreeBSD and macOS let EL0 read;
// CTR_EL0.IDC/DIC say when either step is unnecessary.
TEXT ·flushICache(SB), NOSPLIT|NOFRAME, $0-16
	MOVD start+0(FP), R0
	MOVD end+8(FP), R1
	WORD $0xd53b0022 // MRS X2, CTR_EL0
	MOVD $4, R4
	// IDC (bit 28): no data cache clean needed for coherence.
	TBNZ $28, R2, dsync
	UBFX $16, R2, $4, R3
	LSL  R3, R4, R3 // D-cache line size in bytes
	SUB  $1, R3, R6
	BIC  R6, R0, R7

dloop:
	CMP  R1, R7
	BHS  dsync
	WORD $0xd50b7b27 // DC CVAU, X7
	ADD  R3, R7, R7
	B    dloop

dsync:
	WORD $0xd5033b9f // DSB ISH
	// DIC (bit 29): no instruction cache invalidation needed.
	TBNZ $29, R2, isync
	AND  $15, R2, R5
	LSL  R5, R4, R5 // I-cache line size in bytes
	SUB  $1, R5, R6
	BIC  R6, R0, R7

iloop:
	CMP  R1, R7
	BHS  idone
	WORD $0xd50b7527 // IC IVAU, X7
	ADD  R5, R7, R7
	B    iloop

idone:
	WORD $0xd5033b9f // DSB ISH

isync:
	WORD $0xd5033fdf // ISB
	RET
