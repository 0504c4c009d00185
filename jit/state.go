package jit

import (
	"unsafe"

	"github.com/iovm/iovm/vm"
)

// state is the block native code and the Go loop share during a run. Its
// layout is fixed (offsets st*); native code reads and writes it only at
// entry and at exits, and at local calls (frame stack).
type state struct {
	regs   [11]uint64 // r0..r10 (r10: eBPF frame pointer of the current frame)
	hostFP uint64     // host address of r10 in the stack region
	mem    uint64     // &vm.Memory.Regions[0]
	count  uint64     // budget counter left before the next exit to Go
	resume uint64     // native address to enter at
	reason uint64     // Exit* reason of the last exit
	pc     uint64     // pc of the last exit
	aux    uint64     // helper id (ExitHelper), reason (ExitInvalid)
	depth  uint64     // local call depth (0 in the entry frame)
	frames uint64     // &frameBuf[0]
	entryR uint64     // region id of r1 at entry (the input or the context), for Spec

	frameBuf  []frameRec // Go-only from here on
	stackBase uint64     // host address of the stack region
	remaining uint64     // budget left (MaxUint64: unlimited)
	insns     uint64     // instructions charged so far
	extra     uint64     // added to the next entry's counter (a block larger than the quantum)
	cbErr     *vm.Error  // the fault of a callback, which ends the run
	cb        caller     // Memory.Caller of the run
}

// frameRec is the saved caller state of one local call.
type frameRec struct {
	r6, r7, r8, r9 uint64
	r10            uint64
	hostFP         uint64
	ret            uint64 // native return address
	_              uint64
}

// Offsets in state and frameRec, for backends.
const (
	stRegs    = 0
	stHostFP  = 88
	stMem     = 96
	stCount   = 104
	stResume  = 112
	stReason  = 120
	stPC      = 128
	stAux     = 136
	stDepth   = 144
	stFrames  = 152
	stEntryR  = 160
	frR6      = 0
	frR10     = 32
	frHostFP  = 40
	frRet     = 48
	frameSize = 64
)

// Compile-time checks of the layout.
var _ = [1]struct{}{}[unsafe.Offsetof(state{}.hostFP)-stHostFP]
var _ = [1]struct{}{}[unsafe.Offsetof(state{}.mem)-stMem]
var _ = [1]struct{}{}[unsafe.Offsetof(state{}.count)-stCount]
var _ = [1]struct{}{}[unsafe.Offsetof(state{}.resume)-stResume]
var _ = [1]struct{}{}[unsafe.Offsetof(state{}.reason)-stReason]
var _ = [1]struct{}{}[unsafe.Offsetof(state{}.pc)-stPC]
var _ = [1]struct{}{}[unsafe.Offsetof(state{}.aux)-stAux]
var _ = [1]struct{}{}[unsafe.Offsetof(state{}.depth)-stDepth]
var _ = [1]struct{}{}[unsafe.Offsetof(state{}.frames)-stFrames]
var _ = [1]struct{}{}[unsafe.Offsetof(state{}.entryR)-stEntryR]
var _ = [1]struct{}{}[unsafe.Sizeof(frameRec{})-frameSize]
var _ = [1]struct{}{}[unsafe.Offsetof(frameRec{}.ret)-frRet]
