#include "textflag.h"

// func enter(code uintptr, st *state)
//
// Calls native code at code with the state pointer in R14. Native code
// keeps SP, R18, R26..R29 and the link register R30 intact, uses no stack,
// clobbers the other general registers, and returns with RET.
TEXT ·enter(SB), NOSPLIT, $16-16
	MOVD st+8(FP), R14
	MOVD code+0(FP), R16
	CALL (R16)
	RET
