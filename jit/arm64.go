package jit

// The arm64 backend. This file has no build constraint: the backend
// generates code on any host (iovm jit --disasm, encoder tests); only
// enter_arm64.s runs it.
//
// Registers: eBPF r0..r10 live in x0..x10; x11 holds the host address of
// r10 (the current frame), x12 the budget counter, x13 &Memory.Regions[0],
// x14 the state pointer, x22 the host base of the current access group
// (Grouper; 0 when its check failed or after an entry), x23..x27 the cached
// bounds of the speculated regions (Spec). x15..x17 and x19..x21 are
// scratch. The code never touches sp, x18 (the platform register on
// darwin), x28 (Go's g, which the signal handler trusts), x29 or x30 (the
// return address into the trampoline): the Go runtime may inspect them
// when a signal lands in native code, and native code needs no stack.
//
// Semantics the hardware gives for free: UDIV and SDIV by zero give 0 and
// SDIV of MIN by -1 gives MIN, exactly eBPF's quotients; remainders are
// computed as dst - (dst/src)*src with MSUB, which then gives the dividend
// for a zero divisor and 0 for MIN % -1, as eBPF wants. Register shifts
// take their count modulo the width, as eBPF masks it. W-register writes
// zero the upper half, which is eBPF's 32-bit rule.
//
// Atomics use the LSE instructions (LDADDAL, LDSETAL, ..., SWPAL, CASAL)
// when the CPU has them (golang.org/x/sys/cpu, checked when a program is
// compiled), and LDAXR/STLXR loops followed by DMB ISH otherwise.
//
// Code written to memory becomes executable only after the data cache is
// cleaned and the instruction cache invalidated over it (flushICache, run
// by allocExec through flushCode).

import (
	"fmt"
	"runtime"

	"github.com/iovm/iovm/isa"
	a64 "github.com/iovm/iovm/jit/arm64"
	"golang.org/x/sys/cpu"
)

func init() { registerBackend("arm64", func() Backend { return &arm64Backend{} }) }

// arm64LSE selects LSE atomics for code compiled from now on. On arm64 it
// is the CPU's feature; elsewhere (code generated for display) LSE.
// Tests switch it to exercise both paths.
var arm64LSE = runtime.GOARCH != "arm64" || cpu.ARM64.HasATOMICS

// arm64FarSlots is the program size in slots above which conditional
// branches to labels not yet bound (or bound too far) take the long form
// B.!cond +8; B target. B.cond, CBZ and CBNZ reach ±1 MiB; a slot takes
// well under 512 bytes of code with its stubs (a blinded, swapped, grouped
// and speculated store is about 300), so smaller programs always fit; if
// one did not, Finish would fail rather than emit a wrong branch. A
// variable so that tests can force the long form.
var arm64FarSlots = 1 << 20 / 512

const (
	xFP    = a64.R11 // host address of eBPF r10
	xCnt   = a64.R12 // budget counter
	xMem   = a64.R13 // &Memory.Regions[0]
	xState = a64.R14 // *state
	xGroup = a64.R22 // host address of base+0 of the current access group, or 0
	// Cached bounds of the speculated regions (Spec), set by the entry
	// stub: the region of r1 at entry (id<<32, data, lengths readable and
	// writable: 0 without the permission) and the stack's RW length.
	xSpecBase  = a64.R23
	xSpecData  = a64.R24
	xSpecLenR  = a64.R25
	xSpecLenW  = a64.R26
	xStackLenW = a64.R27
	t0         = a64.R15
	t1         = a64.R16
	t2         = a64.R17
	t3         = a64.R19
	t4         = a64.R20
	t5         = a64.R21
)

type arm64Backend struct {
	a     a64.Assembler
	cfg   *Config
	lse   bool
	far   bool // conditional branches may need more than their ±1 MiB
	later []func()
	exit  Label // common exit path
}

func (b *arm64Backend) Arch() string { return "arm64" }

func (b *arm64Backend) Begin(cfg *Config) {
	b.a.Reset()
	b.cfg = cfg
	b.lse = arm64LSE
	b.far = cfg.Slots > arm64FarSlots
	b.later = b.later[:0]
	b.exit = b.NewLabel()
}

func (b *arm64Backend) NewLabel() Label { return Label(b.a.NewLabel()) }

func (b *arm64Backend) Bind(l Label) { b.a.Bind(a64.Label(l)) }

func (b *arm64Backend) Offset() int { return b.a.PC() }

func al(l Label) a64.Label { return a64.Label(l) }

// r returns the host register of eBPF register n.
func r(n uint8) a64.Reg { return a64.Reg(n) }

func sz(w Width) a64.Size {
	if w == W64 {
		return a64.X
	}
	return a64.W
}

func (b *arm64Backend) Finish() ([]byte, error) {
	for i := 0; i < len(b.later); i++ {
		b.later[i]()
	}
	b.emitExit()
	code, err := b.a.Finish()
	if err != nil {
		return nil, fmt.Errorf("jit: arm64: %w", err)
	}
	return code, nil
}

// Entry loads the machine state from the state block (x14, set by the
// trampoline) and jumps to state.resume.
func (b *arm64Backend) Entry() {
	a := &b.a
	for i := 0; i < 10; i += 2 {
		a.LDP(r(uint8(i)), r(uint8(i+1)), xState, int32(stRegs+8*i))
	}
	a.LDP(a64.R10, xFP, xState, stRegs+80) // r10, hostFP
	a.LDP(xMem, xCnt, xState, stMem)       // mem, count
	a.MOVZ(a64.X, xGroup, 0, 0)            // a group entered mid-way checks each access
	// Spec caches. Lengths are capped at 4 GiB: offsets are 32 bits.
	a.MOVZ(a64.X, t4, 1, 32)
	a.LDR(8, t0, xState, stEntryR)
	a.LSLImm(a64.X, xSpecBase, t0, 32)
	a.ADDShift(a64.X, t1, xMem, t0, a64.LSL, 5)
	a.LDR(8, xSpecData, t1, 0)
	a.LDR(8, t2, t1, 8)
	a.CMP(a64.X, t2, t4)
	a.CSEL(a64.X, t2, t4, t2, a64.HI)
	a.LDR(1, t3, t1, 24)
	a.TSTImm(a64.W, t3, 1)
	a.CSEL(a64.X, xSpecLenR, t2, a64.ZR, a64.NE)
	a.TSTImm(a64.W, t3, 2)
	a.CSEL(a64.X, xSpecLenW, t2, a64.ZR, a64.NE)
	a.LDR(8, t2, xMem, 32+8) // the stack: Regions[1]
	a.CMP(a64.X, t2, t4)
	a.CSEL(a64.X, t2, t4, t2, a64.HI)
	a.LDR(1, t3, xMem, 32+24)
	a.ANDImm(a64.W, t3, t3, 3)
	a.CMPImm(a64.W, t3, 3)
	a.CSEL(a64.X, xStackLenW, t2, a64.ZR, a64.EQ)
	a.LDR(8, t0, xState, stResume)
	a.BR(t0)
}

// emitExit emits the common exit path: t0 = pc, t1 = reason, t2 = aux,
// t3 = resume address. It stores the machine state and returns to the
// trampoline.
func (b *arm64Backend) emitExit() {
	a := &b.a
	b.Bind(b.exit)
	a.STP(t3, t1, xState, stResume) // resume, reason
	a.STP(t0, t2, xState, stPC)     // pc, aux
	for i := 0; i < 10; i += 2 {
		a.STP(r(uint8(i)), r(uint8(i+1)), xState, int32(stRegs+8*i))
	}
	a.STP(a64.R10, xFP, xState, stRegs+80)
	a.STR(8, xCnt, xState, stCount)
	a.RET()
}

func (b *arm64Backend) ExitToGo(reason int, pc int, aux Operand, resume Label) {
	a := &b.a
	if aux.IsImm {
		a.MOVConst(a64.X, t2, uint64(aux.Imm))
	} else {
		a.MOV(a64.X, t2, r(aux.Reg))
	}
	a.MOVConst(a64.X, t0, uint64(pc))
	a.MOVConst(a64.X, t1, uint64(reason))
	switch {
	case resume == NoLabel:
		a.MOVZ(a64.X, t3, 0, 0)
	case b.near(resume):
		a.ADR(t3, al(resume))
	default:
		a.ADRFar(t3, t4, al(resume))
	}
	a.B(al(b.exit))
}

func (b *arm64Backend) Charge(pc, n int, restart Label) {
	a := &b.a
	stub := b.NewLabel()
	if a64.ImmAddSub(uint64(n)) {
		a.SUBSImm(a64.X, xCnt, xCnt, uint32(n))
	} else {
		a.MOVConst(a64.X, t0, uint64(n))
		a.SUBS(a64.X, xCnt, xCnt, t0)
	}
	b.bcond(a64.LO, stub) // borrow: fewer than n left
	b.later = append(b.later, func() {
		b.Bind(stub)
		if a64.ImmAddSub(uint64(n)) {
			a.ADDImm(a64.X, xCnt, xCnt, uint32(n))
		} else {
			a.MOVConst(a64.X, t0, uint64(n))
			a.ADD(a64.X, xCnt, xCnt, t0)
		}
		b.ExitToGo(ExitBudget, pc, Imm(0), restart)
	})
}

func (b *arm64Backend) Refund(n int) {
	a := &b.a
	if a64.ImmAddSub(uint64(n)) {
		a.ADDImm(a64.X, xCnt, xCnt, uint32(n))
	} else {
		a.MOVConst(a64.X, t0, uint64(n))
		a.ADD(a64.X, xCnt, xCnt, t0)
	}
}

// imm puts immediate operand o in scratch (width w), unblinding it at run
// time when it is blinded; it may use t5 as well.
func (b *arm64Backend) imm(o Operand, w Width, scratch a64.Reg) a64.Reg {
	a := &b.a
	if o.Blind != 0 {
		a.MOVConst(a64.X, scratch, uint64(o.Imm^o.Blind))
		a.MOVConst(a64.X, t5, uint64(o.Blind))
		a.EOR(sz(w), scratch, scratch, t5)
		return scratch
	}
	a.MOVConst(sz(w), scratch, uint64(o.Imm))
	return scratch
}

// src returns a register holding operand o.
func (b *arm64Backend) src(o Operand, w Width, scratch a64.Reg) a64.Reg {
	if o.IsImm {
		if o.Imm == 0 && o.Blind == 0 {
			return a64.ZR
		}
		return b.imm(o, w, scratch)
	}
	return r(o.Reg)
}

// immVal returns the immediate of o as the operation sees it (low 32 bits
// for W32).
func immVal(o Operand, w Width) uint64 {
	if w == W32 {
		return uint64(uint32(o.Imm))
	}
	return uint64(o.Imm)
}

func negVal(v uint64, w Width) uint64 {
	if w == W32 {
		return uint64(uint32(-v))
	}
	return -v
}

func (b *arm64Backend) Mov(w Width, dst uint8, src Operand) {
	a := &b.a
	d := r(dst)
	if src.IsImm {
		b.imm(src, w, d)
		return
	}
	if w == W64 && src.Reg == dst {
		return
	}
	a.MOV(sz(w), d, r(src.Reg))
}

func (b *arm64Backend) MovSX(w Width, dst, src uint8, nbits int) {
	a := &b.a
	switch nbits {
	case 8:
		a.SXTB(sz(w), r(dst), r(src))
	case 16:
		a.SXTH(sz(w), r(dst), r(src))
	default:
		if w == W32 {
			a.MOV(a64.W, r(dst), r(src))
		} else {
			a.SXTW(r(dst), r(src))
		}
	}
}

func (b *arm64Backend) ALU(op isa.ALUOp, w Width, dst uint8, src Operand) {
	a := &b.a
	d := r(dst)
	s := sz(w)
	plainImm := src.IsImm && src.Blind == 0
	switch op {
	case isa.ALUNeg:
		a.NEG(s, d, d)
	case isa.ALUAdd, isa.ALUSub:
		if plainImm {
			v := immVal(src, w)
			add, sub := a.ADDImm, a.SUBImm
			if op == isa.ALUSub {
				add, sub = sub, add
			}
			switch {
			case a64.ImmAddSub(v):
				add(s, d, d, uint32(v))
				return
			case a64.ImmAddSub(negVal(v, w)):
				sub(s, d, d, uint32(negVal(v, w)))
				return
			}
		}
		m := b.src(src, w, t0)
		if op == isa.ALUAdd {
			a.ADD(s, d, d, m)
		} else {
			a.SUB(s, d, d, m)
		}
	case isa.ALUMul:
		a.MUL(s, d, d, b.src(src, w, t0))
	case isa.ALUOr, isa.ALUAnd, isa.ALUXor:
		if plainImm {
			v := immVal(src, w)
			if _, _, _, ok := a64.EncodeBitmask(v, w == W64); ok {
				switch op {
				case isa.ALUOr:
					a.ORRImm(s, d, d, v)
				case isa.ALUAnd:
					a.ANDImm(s, d, d, v)
				default:
					a.EORImm(s, d, d, v)
				}
				return
			}
		}
		m := b.src(src, w, t0)
		switch op {
		case isa.ALUOr:
			a.ORR(s, d, d, m)
		case isa.ALUAnd:
			a.AND(s, d, d, m)
		default:
			a.EOR(s, d, d, m)
		}
	case isa.ALULsh, isa.ALURsh, isa.ALUArsh:
		if src.IsImm {
			// The lowering masked the count; a count of 0 still
			// zero-extends a W32 result (UBFM/SBFM W do).
			n := uint8(src.Imm)
			switch op {
			case isa.ALULsh:
				a.LSLImm(s, d, d, n)
			case isa.ALURsh:
				a.LSRImm(s, d, d, n)
			default:
				a.ASRImm(s, d, d, n)
			}
			return
		}
		// The register forms take the count modulo the width.
		m := r(src.Reg)
		switch op {
		case isa.ALULsh:
			a.LSLV(s, d, d, m)
		case isa.ALURsh:
			a.LSRV(s, d, d, m)
		default:
			a.ASRV(s, d, d, m)
		}
	default:
		panic(fmt.Sprintf("jit: arm64: ALU op %#x", op))
	}
}

// DivMod needs no branches: see the file comment.
func (b *arm64Backend) DivMod(w Width, mod, signed bool, dst uint8, src Operand, nonZero bool) {
	a := &b.a
	d := r(dst)
	s := sz(w)
	m := b.src(src, w, t0)
	div := a.UDIV
	if signed {
		div = a.SDIV
	}
	if !mod {
		div(s, d, d, m)
		return
	}
	div(s, t1, d, m)
	a.MSUB(s, d, t1, m, d)
}

func (b *arm64Backend) End(dst uint8, nbits int, swap bool) {
	a := &b.a
	d := r(dst)
	switch {
	case swap && nbits == 16:
		a.REV16(a64.W, d, d)
		a.UXTH(d, d)
	case swap && nbits == 32:
		a.REV(a64.W, d, d)
	case swap:
		a.REV(a64.X, d, d)
	case nbits == 16:
		a.UXTH(d, d)
	case nbits == 32:
		a.MOV(a64.W, d, d)
	}
}

func (b *arm64Backend) LoadImm64(dst uint8, v uint64, key int64) {
	a := &b.a
	d := r(dst)
	if key == 0 {
		a.MOVConst(a64.X, d, v)
		return
	}
	a.MOVConst(a64.X, d, v^uint64(key))
	a.MOVConst(a64.X, t5, uint64(key))
	a.EOR(a64.X, d, d, t5)
}

// hostAddr is where an access goes: [base + off] (Frame accesses) or
// [base + uxtw(index)] (region accesses).
type hostAddr struct {
	base  a64.Reg
	index a64.Reg // ZR when absent
	off   int32   // with index == ZR
}

// addOff emits dst = src + off for a small signed off.
func (b *arm64Backend) addOff(dst, src a64.Reg, off int64) {
	a := &b.a
	switch {
	case off == 0:
		if dst != src {
			a.MOV(a64.X, dst, src)
		}
	case off > 0 && a64.ImmAddSub(uint64(off)):
		a.ADDImm(a64.X, dst, src, uint32(off))
	case off < 0 && a64.ImmAddSub(uint64(-off)):
		a.SUBImm(a64.X, dst, src, uint32(-off))
	default:
		a.MOVConst(a64.X, t4, uint64(off))
		a.ADD(a64.X, dst, src, t4)
	}
}

// addr emits the translation of access ac (t0..t3, and t4 for large
// offsets) and returns where the access goes. Checked accesses jump to
// ac.Fault when the region id is out of the table, the access is out of
// the region's bounds (an unmapped region has length 0) or the region
// lacks the permission; atomics also when misaligned.
// effAddr returns a register holding base+off: base itself when off is 0,
// else t0.
func (b *arm64Backend) effAddr(base a64.Reg, off int64) a64.Reg {
	if off == 0 {
		return base
	}
	b.addOff(t0, base, off)
	return t0
}

func (b *arm64Backend) addr(ac Access, atomic bool) hostAddr {
	a := &b.a
	if ac.Mode == Frame {
		return hostAddr{base: xFP, index: a64.ZR, off: int32(ac.Off)}
	}
	ea := b.effAddr(r(ac.Base), int64(ac.Off)) // the eBPF address
	if (ac.Mode == Proven || ac.Mode == WriteChecked) && ac.Region != 0 && !atomic {
		// The region is known: its entry in the table, no lookup.
		if ac.Mode == WriteChecked {
			a.LDR(1, t3, xMem, 32*uint32(ac.Region)+24) // perm
			a.TSTImm(a64.W, t3, 2)                      // vm.PermWrite
			b.bcond(a64.EQ, ac.Fault)
		}
		a.LDR(8, t2, xMem, 32*uint32(ac.Region)) // data pointer
		return hostAddr{base: t2, index: ea}
	}
	a.LSRImm(a64.X, t1, ea, 32) // t1 = region id
	if ac.Mode == Checked {
		a.CMPImm(a64.X, t1, 63)
		b.bcond(a64.HI, ac.Fault)
	}
	a.ADDShift(a64.X, t1, xMem, t1, a64.LSL, 5) // t1 = &Regions[id]
	if atomic {
		a.TSTImm(a64.W, ea, uint64(ac.Size-1))
		b.bcond(a64.NE, ac.Fault)
	}
	if ac.Mode == Checked {
		a.MOV(a64.W, t2, ea)
		a.ADDImm(a64.X, t2, t2, uint32(ac.Size)) // end of the access
		a.LDR(8, t3, t1, 8)                      // len
		a.CMP(a64.X, t2, t3)
		b.bcond(a64.HI, ac.Fault)
		need := uint64(0)
		if atomic || !ac.Write {
			need |= 1 // vm.PermRead
		}
		if atomic || ac.Write {
			need |= 2 // vm.PermWrite
		}
		a.LDR(1, t3, t1, 24) // perm
		if need == 3 {
			a.ANDImm(a64.W, t3, t3, 3)
			a.CMPImm(a64.W, t3, 3)
			b.bcond(a64.NE, ac.Fault)
		} else {
			a.TSTImm(a64.W, t3, need)
			b.bcond(a64.EQ, ac.Fault)
		}
	}
	a.LDR(8, t2, t1, 0) // data pointer
	return hostAddr{base: t2, index: ea}
}

// specRange emits the test that [ea+off, ea+off+n) lies in the
// speculated region sp, leaving the offset in the region in t0 and the
// region's data pointer in the returned register; it branches to miss
// otherwise. Uses t0..t2.
func (b *arm64Backend) specRange(sp Spec, base a64.Reg, off int64, n int, read, write bool, miss Label) a64.Reg {
	a := &b.a
	ea := b.effAddr(base, off)
	var data a64.Reg
	if sp == SpecStack {
		a.MOVZ(a64.X, t1, 1, 32)
		a.SUBS(a64.X, t0, ea, t1)
	} else {
		a.SUBS(a64.X, t0, ea, xSpecBase)
	}
	b.bcond(a64.LO, miss)
	b.addOff(t1, t0, int64(n))
	if sp == SpecStack {
		a.CMP(a64.X, t1, xStackLenW)
		b.bcond(a64.HI, miss)
		a.SUBExtUXTW(t2, xFP, a64.R10) // the stack's data: host r10 - offset of r10
		data = t2
	} else {
		if read {
			a.CMP(a64.X, t1, xSpecLenR)
			b.bcond(a64.HI, miss)
		}
		if write {
			a.CMP(a64.X, t1, xSpecLenW)
			b.bcond(a64.HI, miss)
		}
		data = xSpecData
	}
	return data
}

// specAccess emits the fast path of a Checked access with a speculated
// region; on a miss, slow is where the full form (emitted by the caller
// out of line) goes.
func (b *arm64Backend) specAccess(ac Access, slow Label) hostAddr {
	data := b.specRange(ac.Spec, r(ac.Base), int64(ac.Off), ac.Size, !ac.Write, ac.Write, slow)
	return hostAddr{base: data, index: t0}
}

// GroupCheck implements Grouper: one check of the union of the members'
// ranges, leaving host(base+0) in xGroup, or 0 when it fails (members then
// check themselves, so faults stay exact).
func (b *arm64Backend) GroupCheck(g Group) {
	a := &b.a
	fail, done := b.NewLabel(), b.NewLabel()
	if g.Spec != SpecNone {
		// The guessed region first, else the full check.
		full := b.NewLabel()
		data := b.specRange(g.Spec, r(g.Base), int64(g.MinOff), g.Span, g.Read, g.Write, full)
		if g.MinOff == 0 {
			a.ADD(a64.X, xGroup, data, t0)
		} else {
			a.ADD(a64.X, t2, data, t0)
			b.addOff(xGroup, t2, -int64(g.MinOff))
		}
		b.Bind(done)
		b.later = append(b.later, func() {
			b.Bind(full)
			g.Spec = SpecNone
			b.GroupCheck(g)
			a.B(al(done))
		})
		return
	}
	ea := b.effAddr(r(g.Base), int64(g.MinOff))
	a.LSRImm(a64.X, t1, ea, 32)
	a.CMPImm(a64.X, t1, 63)
	b.bcond(a64.HI, fail)
	a.ADDShift(a64.X, t1, xMem, t1, a64.LSL, 5)
	a.MOV(a64.W, t2, ea)
	b.addOff(t2, t2, int64(g.Span))
	a.LDR(8, t3, t1, 8)
	a.CMP(a64.X, t2, t3)
	b.bcond(a64.HI, fail)
	need := uint64(0)
	if g.Read {
		need |= 1
	}
	if g.Write {
		need |= 2
	}
	if need != 0 {
		a.LDR(1, t3, t1, 24)
		a.ANDImm(a64.W, t3, t3, need)
		a.CMPImm(a64.W, t3, uint32(need))
		b.bcond(a64.NE, fail)
	}
	a.LDR(8, t2, t1, 0)
	if g.MinOff == 0 {
		a.ADDExtUXTW(xGroup, t2, ea)
	} else {
		a.ADDExtUXTW(t2, t2, ea)
		b.addOff(xGroup, t2, -int64(g.MinOff))
	}
	b.Bind(done)
	b.later = append(b.later, func() {
		b.Bind(fail)
		a.MOVZ(a64.X, xGroup, 0, 0)
		a.B(al(done))
	})
}

// grouped emits the fast path of a grouped access: through the group's
// saved base, or to slow (the access's own check, out of line) when the
// group's check failed.
func (b *arm64Backend) grouped(ac Access, slow Label) hostAddr {
	b.cbz(false, a64.X, xGroup, slow)
	return hostAddr{base: xGroup, index: a64.ZR, off: int32(ac.Off)}
}

// flat turns h into a single base register (for exclusives and LSE).
func (b *arm64Backend) flat(h hostAddr) a64.Reg {
	if h.index == a64.ZR {
		b.addOff(t2, h.base, int64(h.off))
		return t2
	}
	b.a.ADDExtUXTW(t2, h.base, h.index)
	return t2
}

// mem emits one load or store of width bytes at h (kind: 0 store, 1 load,
// 2 sign-extending load).
func (b *arm64Backend) mem(kind int, width a64.Width, rt a64.Reg, h hostAddr) {
	a := &b.a
	if h.index != a64.ZR {
		switch kind {
		case 0:
			a.STRRegUXTW(width, rt, h.base, h.index)
		case 1:
			a.LDRRegUXTW(width, rt, h.base, h.index)
		default:
			a.LDRSXRegUXTW(width, rt, h.base, h.index)
		}
		return
	}
	off := h.off
	base := h.base
	if off < -256 || off > 255 && !a64.ImmLoadStore(width, int64(off)) {
		b.addOff(t2, base, int64(off))
		base, off = t2, 0
	}
	if off >= 0 && a64.ImmLoadStore(width, int64(off)) {
		switch kind {
		case 0:
			a.STR(width, rt, base, uint32(off))
		case 1:
			a.LDR(width, rt, base, uint32(off))
		default:
			a.LDRSX(width, rt, base, uint32(off))
		}
		return
	}
	switch kind {
	case 0:
		a.STUR(width, rt, base, off)
	case 1:
		a.LDUR(width, rt, base, off)
	default:
		a.LDURSX(width, rt, base, off)
	}
}

func (b *arm64Backend) Load(ac Access, dst uint8, signed bool) {
	a := &b.a
	var h hostAddr
	if ac.Mode == Grouped {
		slow, back := b.NewLabel(), b.NewLabel()
		h = b.grouped(ac, slow)
		defer b.Bind(back)
		b.later = append(b.later, func() {
			b.Bind(slow)
			ac.Mode = Checked
			b.Load(ac, dst, signed)
			a.B(al(back))
		})
	} else if ac.Mode == Checked && ac.Spec != SpecNone {
		slow, back := b.NewLabel(), b.NewLabel()
		h = b.specAccess(ac, slow)
		defer b.Bind(back)
		b.later = append(b.later, func() {
			b.Bind(slow)
			ac.Spec = SpecNone
			b.Load(ac, dst, signed)
			a.B(al(back))
		})
	} else {
		h = b.addr(ac, false)
	}
	d := r(dst)
	width := a64.Width(ac.Size)
	if !ac.Swap || ac.Size == 1 {
		switch {
		case signed && ac.Size < 8:
			b.mem(2, width, d, h)
		default:
			b.mem(1, width, d, h)
		}
		return
	}
	b.mem(1, width, d, h)
	switch ac.Size {
	case 2:
		// The load zero-extended d; rev16 keeps the high half zero.
		a.REV16(a64.W, d, d)
		if signed {
			a.SXTH(a64.X, d, d)
		}
	case 4:
		a.REV(a64.W, d, d)
		if signed {
			a.SXTW(d, d)
		}
	default:
		a.REV(a64.X, d, d)
	}
}

func (b *arm64Backend) Store(ac Access, src Operand) {
	a := &b.a
	// The value first, in t5 when it needs work: addr uses t0..t4.
	var v a64.Reg
	switch {
	case src.IsImm && src.Blind == 0:
		c := uint64(src.Imm)
		if ac.Swap {
			c = swapN(c, ac.Size)
		}
		if ac.Size < 8 {
			c &= 1<<(8*uint(ac.Size)) - 1
		}
		v = a64.ZR
		if c != 0 {
			a.MOVConst(a64.X, t5, c)
			v = t5
		}
	case src.IsImm:
		b.imm(src, W64, t4) // uses t5 for the key
		b.swapReg(ac, t5, t4)
		v = t5
	case ac.Swap && ac.Size > 1:
		b.swapReg(ac, t5, r(src.Reg))
		v = t5
	default:
		v = r(src.Reg)
	}
	var h hostAddr
	if ac.Mode == Grouped {
		slow, back := b.NewLabel(), b.NewLabel()
		h = b.grouped(ac, slow)
		defer b.Bind(back)
		b.later = append(b.later, func() {
			b.Bind(slow)
			ac.Mode = Checked
			b.Store(ac, src)
			a.B(al(back))
		})
	} else if ac.Mode == Checked && ac.Spec != SpecNone {
		slow, back := b.NewLabel(), b.NewLabel()
		h = b.specAccess(ac, slow)
		defer b.Bind(back)
		b.later = append(b.later, func() {
			b.Bind(slow)
			ac.Spec = SpecNone
			b.Store(ac, src)
			a.B(al(back))
		})
	} else {
		h = b.addr(ac, false)
	}
	b.mem(0, a64.Width(ac.Size), v, h)
}

// swapReg puts the byte-swapped low ac.Size bytes of s in d, when the
// program's order needs it; else copies s to d.
func (b *arm64Backend) swapReg(ac Access, d, s a64.Reg) {
	a := &b.a
	if !ac.Swap {
		if d != s {
			a.MOV(a64.X, d, s)
		}
		return
	}
	switch ac.Size {
	case 2:
		a.REV16(a64.W, d, s)
	case 4:
		a.REV(a64.W, d, s)
	case 8:
		a.REV(a64.X, d, s)
	default:
		if d != s {
			a.MOV(a64.X, d, s)
		}
	}
}

func (b *arm64Backend) Atomic(ac Access, op isa.AtomicOp, src uint8) {
	a := &b.a
	h := b.addr(ac, true)
	p := b.flat(h)
	if ac.Mode != Frame {
		// The eBPF address is aligned, but the region's memory may not
		// be (an embedder's subslice): exclusives and LSE atomics would
		// raise an alignment fault there, so Go does those.
		slow, back := b.NewLabel(), b.NewLabel()
		a.TSTImm(a64.X, p, uint64(ac.Size-1))
		b.bcond(a64.NE, slow)
		defer b.Bind(back)
		b.later = append(b.later, func() {
			b.Bind(slow)
			b.ExitToGo(ExitAtomic, ac.PC, Imm(0), back)
		})
	}
	s := a64.W
	if ac.Size == 8 {
		s = a64.X
	}
	v := r(src)
	fetch := op&isa.AtomicFetch != 0
	if b.lse {
		switch op {
		case isa.AtomicCmpXchg:
			// CASAL compares r0 with memory, stores v if equal, and
			// loads the old value into r0 (zero-extended for W).
			a.CASAL(s, a64.R0, v, p)
			return
		case isa.AtomicXchg:
			a.SWPAL(s, v, v, p)
			return
		}
		rt := t3 // the old value, discarded
		if fetch {
			rt = v
		}
		switch op &^ isa.AtomicFetch {
		case isa.AtomicAdd:
			a.LDADDAL(s, v, rt, p)
		case isa.AtomicOr:
			a.LDSETAL(s, v, rt, p)
		case isa.AtomicXor:
			a.LDEORAL(s, v, rt, p)
		case isa.AtomicAnd:
			a.MVN(a64.X, t4, v)
			a.LDCLRAL(s, t4, rt, p)
		default:
			panic(fmt.Sprintf("jit: arm64: atomic op %#x", op))
		}
		return
	}
	// Exclusive load/store loops: acquire-release accesses and a full
	// barrier after, as the kernel's arm64 atomics without LSE.
	loop := a.NewLabel()
	a.Bind(loop)
	a.LDAXR(s, t3, p)
	if op == isa.AtomicCmpXchg {
		done := a.NewLabel()
		a.CMP(s, t3, a64.R0)
		a.Bcond(a64.NE, done)
		a.STLXR(s, t1, v, p)
		a.CBNZ(a64.W, t1, loop)
		a.Bind(done)
		a.DMBISH()
		a.MOV(a64.X, a64.R0, t3)
		return
	}
	nv := t4
	switch op &^ isa.AtomicFetch {
	case isa.AtomicAdd:
		a.ADD(s, t4, t3, v)
	case isa.AtomicOr:
		a.ORR(s, t4, t3, v)
	case isa.AtomicXor:
		a.EOR(s, t4, t3, v)
	case isa.AtomicAnd:
		a.AND(s, t4, t3, v)
	case isa.AtomicXchg &^ isa.AtomicFetch:
		nv = v
	default:
		panic(fmt.Sprintf("jit: arm64: atomic op %#x", op))
	}
	a.STLXR(s, t1, nv, p)
	a.CBNZ(a64.W, t1, loop)
	a.DMBISH()
	if fetch {
		a.MOV(a64.X, v, t3)
	}
}

// near reports whether a conditional branch from here to l surely fits.
func (b *arm64Backend) near(l Label) bool {
	if !b.far {
		return true
	}
	at, ok := b.a.Bound(al(l))
	return ok && b.a.PC()-at < 1<<20-64
}

// bcond emits B.cond to l, in the long form when it might not reach.
func (b *arm64Backend) bcond(c a64.Cond, l Label) {
	if b.near(l) {
		b.a.Bcond(c, al(l))
		return
	}
	skip := b.a.NewLabel()
	b.a.Bcond(c.Invert(), skip)
	b.a.B(al(l))
	b.a.Bind(skip)
}

// cbz emits CBZ (or CBNZ) to l, in the long form when it might not reach.
func (b *arm64Backend) cbz(nz bool, s a64.Size, rt a64.Reg, l Label) {
	a := &b.a
	if b.near(l) {
		if nz {
			a.CBNZ(s, rt, al(l))
		} else {
			a.CBZ(s, rt, al(l))
		}
		return
	}
	skip := a.NewLabel()
	if nz {
		a.CBZ(s, rt, skip)
	} else {
		a.CBNZ(s, rt, skip)
	}
	a.B(al(l))
	a.Bind(skip)
}

func (b *arm64Backend) Jump(target Label) { b.a.B(al(target)) }

var arm64Conds = map[isa.JumpOp]a64.Cond{
	isa.JumpJEQ: a64.EQ, isa.JumpJNE: a64.NE, isa.JumpJGT: a64.HI, isa.JumpJGE: a64.HS,
	isa.JumpJLT: a64.LO, isa.JumpJLE: a64.LS, isa.JumpJSGT: a64.GT, isa.JumpJSGE: a64.GE,
	isa.JumpJSLT: a64.LT, isa.JumpJSLE: a64.LE, isa.JumpJSET: a64.NE,
}

func (b *arm64Backend) Branch(op isa.JumpOp, w Width, dst uint8, src Operand, target Label) {
	a := &b.a
	s := sz(w)
	d := r(dst)
	plainImm := src.IsImm && src.Blind == 0
	if op == isa.JumpJSET {
		v := immVal(src, w)
		if plainImm {
			if _, _, _, ok := a64.EncodeBitmask(v, w == W64); ok {
				a.TSTImm(s, d, v)
				b.bcond(a64.NE, target)
				return
			}
			if v == 0 { // never taken
				return
			}
		}
		a.TST(s, d, b.src(src, w, t0))
		b.bcond(a64.NE, target)
		return
	}
	cond := arm64Conds[op]
	if plainImm {
		v := immVal(src, w)
		switch {
		case v == 0 && op == isa.JumpJEQ:
			b.cbz(false, s, d, target)
			return
		case v == 0 && op == isa.JumpJNE:
			b.cbz(true, s, d, target)
			return
		case a64.ImmAddSub(v):
			a.CMPImm(s, d, uint32(v))
		case a64.ImmAddSub(negVal(v, w)):
			// Same flags as CMP for every v but 0 and MIN, which
			// are not here.
			a.CMNImm(s, d, uint32(negVal(v, w)))
		default:
			a.CMP(s, d, b.src(src, w, t0))
		}
	} else {
		a.CMP(s, d, b.src(src, w, t0))
	}
	b.bcond(cond, target)
}

func (b *arm64Backend) CallLocal(pc int, target Label) {
	a := &b.a
	over := b.NewLabel()
	if b.cfg.MaxCallDepth < 2 {
		a.B(al(over))
	} else {
		a.LDR(8, t0, xState, stDepth)
		a.CMPImm(a64.X, t0, uint32(b.cfg.MaxCallDepth-2))
		b.bcond(a64.HI, over)
		a.ADDImm(a64.X, t1, t0, 1)
		a.STR(8, t1, xState, stDepth)
		a.LDR(8, t1, xState, stFrames)
		a.ADDShift(a64.X, t1, t1, t0, a64.LSL, 6) // &frameBuf[depth]
		a.STP(a64.R6, a64.R7, t1, frR6)
		a.STP(a64.R8, a64.R9, t1, frR6+16)
		a.STP(a64.R10, xFP, t1, frR10) // r10, hostFP
		ret := a.NewLabel()
		a.ADR(t2, ret)
		a.STR(8, t2, t1, frRet)
		b.addOff(a64.R10, a64.R10, -int64(b.cfg.StackSize))
		b.addOff(xFP, xFP, -int64(b.cfg.StackSize))
		a.B(al(target))
		a.Bind(ret)
	}
	b.later = append(b.later, func() {
		b.Bind(over)
		b.ExitToGo(ExitDepth, pc, Imm(0), NoLabel)
	})
}

func (b *arm64Backend) Return(pc int) {
	if !b.cfg.LocalCalls {
		b.ExitToGo(ExitDone, pc, Imm(0), NoLabel)
		return
	}
	a := &b.a
	done := a.NewLabel()
	a.LDR(8, t0, xState, stDepth)
	a.CBZ(a64.X, t0, done)
	a.SUBImm(a64.X, t0, t0, 1)
	a.STR(8, t0, xState, stDepth)
	a.LDR(8, t1, xState, stFrames)
	a.ADDShift(a64.X, t1, t1, t0, a64.LSL, 6)
	a.LDP(a64.R6, a64.R7, t1, frR6)
	a.LDP(a64.R8, a64.R9, t1, frR6+16)
	a.LDP(a64.R10, xFP, t1, frR10)
	a.LDR(8, t2, t1, frRet)
	a.BR(t2)
	a.Bind(done)
	b.ExitToGo(ExitDone, pc, Imm(0), NoLabel)
}

// CombinesLoads implements LoadCombiner: combinations of Proven and Frame
// byte loads (grouped ones need a GroupJumper).
func (b *arm64Backend) CombinesLoads() bool { return true }
