#include "textflag.h"

// func enter(code uintptr, st *state)
//
// Calls native code at code with the state pointer in the first word of
// this frame's locals, which native code sees at 8(SP) after the CALL. The
// 608 bytes of locals are native code's scratch frame (fCache+8*cacheLen
// in amd64.go, rounded up); it pushes nothing else, clobbers every general
// register but SP and BP, and returns with RET.
TEXT ·enter(SB), NOSPLIT, $608-16
	MOVQ st+8(FP), AX
	MOVQ AX, 0(SP)
	MOVQ code+0(FP), AX
	CALL AX
	RET
