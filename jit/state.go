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
	// cache holds per-entry values derived from the region table (see
	// fillCache), which the amd64 entry stub copies into its frame or
	// loads into the registers that pin them.
	cache [cacheLen]uint64

	frameBuf  []frameRec // Go-only from here on
	cacheKey  cacheKey   // what cache was computed from, if cacheOK
	cacheOK   bool
	entryR1   uint64    // r1 at the run's entry (for cHost)
	stackBase uint64    // host address of the stack region
	remaining uint64    // budget left (MaxUint64: unlimited)
	insns     uint64    // instructions charged so far
	extra     uint64    // added to the next entry's counter (a block larger than the quantum)
	cbErr     *vm.Error // the fault of a callback, which ends the run
	cb        caller    // Memory.Caller of the run
	clean     bool      // st is as runner.setup left it (see there)
	// entryLen: the lengths of the input and the context when the run
	// began, against which the verifier's proofs hold (see holds).
	entryLen [2]int
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
	stCache   = 168
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
var _ = [1]struct{}{}[unsafe.Offsetof(state{}.cache)-stCache]
var _ = [1]struct{}{}[unsafe.Sizeof(frameRec{})-frameSize]
var _ = [1]struct{}{}[unsafe.Offsetof(frameRec{}.ret)-frRet]

// Layout of state.cache, in words. Deltas turn an address proven to lie
// in region id into a host address with one add: host = addr + delta.
// The Spec blocks hold, for the region of r1 at entry and for the stack,
// what a speculated check compares with: off = addr - id<<32 is in bounds
// for an access of 1<<k bytes in direction d iff off < lim[d][k] (unsigned).
// Host bases (hostbase.go) are r1 at the run's entry plus the delta of the
// input or context: host = addr + delta = host base + (addr - r1).
const (
	cDelta    = 0 // cDelta+id-1: data - id<<32 of regions 1 (stack), 2 (input), 3 (context)
	cPerm     = 3 // cPerm+id-2: Perm of regions 2 (input) and 3 (context)
	cSpec     = 5 // cSpec+(sp-1)*cSpecLen: the cache of Spec sp
	cSpecLen  = csLim + 3*limSizes
	cHost     = cSpec + 2*cSpecLen // cHost+id-2: r1 at entry + delta of regions 2 (input), 3 (context)
	cVDelta   = cHost + 2          // cVDelta+sp-1: data - id<<32 of the region of Spec sp (Versioned accesses)
	cacheLen  = cVDelta + 2
	csBase    = 0 // id<<32
	csData    = 1 // host address of the region's data
	csLenR    = 2 // length if readable, else 0 (capped at 4 GiB: offsets are 32 bits)
	csLenW    = 3 // length if writable, else 0
	csLenRW   = 4 // length if readable and writable, else 0
	csLim     = 5 // csLim+d*limSizes+k, d = limR, limW, limRW: max(len-(1<<k)+1, 0), 0 without the permission
	limSizes  = 7 // sizes 1 to 64 (group spans are rounded up)
	limR      = 0
	limW      = 1
	limRW     = 2
	maxOffset = 1 << 32
)

// limDir is the limit direction (limR, limW, limRW) of accesses that
// read, write or both.
func limDir(read, write bool) int {
	switch {
	case read && write:
		return limRW
	case write:
		return limW
	}
	return limR
}

// cacheKey is what state.cache is computed from.
type cacheKey struct {
	entryR uint64
	r1     uint64
	data   [3]uintptr // regions 1 to 3 (not pointers: the key must not keep an input alive)
	n      [3]int
	perm   [3]vm.Perm
}

// fillCache computes st.cache from the region table of m, unless it did
// for the same regions last time (a state stays with its Memory across
// runs). It runs before every entry of code that reads the cache: helpers
// run between entries and may change the table.
func fillCache(st *state, m *vm.Memory) {
	k := &st.cacheKey
	same := st.cacheOK && k.entryR == st.entryR && k.r1 == st.entryR1
	for i := range 3 {
		r := &m.Regions[i+1]
		d := uintptr(unsafe.Pointer(unsafe.SliceData(r.Data)))
		same = same && k.data[i] == d && k.n[i] == len(r.Data) && k.perm[i] == r.Perm
		k.data[i], k.n[i], k.perm[i] = d, len(r.Data), r.Perm
	}
	if same {
		return
	}
	k.entryR, k.r1 = st.entryR, st.entryR1
	st.cacheOK = true
	c := &st.cache
	for id := 1; id <= 3; id++ {
		r := &m.Regions[id]
		c[cDelta+id-1] = uint64(uintptr(unsafe.Pointer(unsafe.SliceData(r.Data)))) - uint64(id)<<32
		if id >= 2 {
			c[cPerm+id-2] = uint64(r.Perm)
			c[cHost+id-2] = st.entryR1 + c[cDelta+id-1]
		}
	}
	for sp, id := range [2]uint64{st.entryR, vm.RegionStack} {
		r := &m.Regions[id]
		s := c[cSpec+sp*cSpecLen : cSpec+(sp+1)*cSpecLen]
		s[csBase] = id << 32
		s[csData] = uint64(uintptr(unsafe.Pointer(unsafe.SliceData(r.Data))))
		n := min(uint64(len(r.Data)), maxOffset)
		var lr, lw uint64
		if r.Perm&vm.PermRead != 0 {
			lr = n
		}
		if r.Perm&vm.PermWrite != 0 {
			lw = n
		}
		s[csLenR], s[csLenW], s[csLenRW] = lr, lw, min(lr, lw)
		c[cVDelta+sp] = s[csData] - s[csBase]
		for d := range 3 {
			for k := range limSizes {
				s[csLim+d*limSizes+k] = lim(s[csLenR+d], 1<<k)
			}
		}
	}
}

// lim returns the bound of the offsets of size-byte accesses within n bytes:
// off < lim iff off+size <= n.
func lim(n, size uint64) uint64 {
	if n < size {
		return 0
	}
	return n - size + 1
}
