package jit

import (
	"fmt"
	"math/bits"
	"sort"

	"github.com/iovm/iovm/isa"
	x "github.com/iovm/iovm/jit/amd64"
	"github.com/iovm/iovm/vm"
)

// The amd64 backend.
//
// Registers: eBPF r0..r9 live in rbx, rdi, rsi, r8, r9, r10, r11, r12, r13,
// r14; r15 is the budget counter; rax, rcx and rdx are scratch (division,
// shifts by cl, cmpxchg, address translation). eBPF r10 is not in a
// register: the native frame (the trampoline's locals, above the return
// address at [rsp]) holds it with the host address of the current frame and
// the region table pointer:
//
//	[rsp+8]  state pointer (stored by the trampoline)
//	[rsp+16] &Memory.Regions[0]
//	[rsp+24] host address of r10
//	[rsp+32] eBPF value of r10
//	[rsp+40] aux of an exit
//	[rsp+48] resume address of an exit
//	[rsp+56] host base of the current access group (Grouper), 0 if its check failed
//	[rsp+128] state.cache (see fillCache): region deltas and permissions,
//	          bounds of the speculated regions (Spec), copied at entry
//
// Pinning: the host registers of eBPF registers the program never uses
// (usedRegs) hold the cache words its code reads most, loops weighted
// (repin), instead of the frame: a proven access adds the pinned delta in
// its address, a speculated check compares with pinned limits. Entry stubs
// load them from state.cache at every entry (Go may have changed the
// region table meanwhile), nothing else writes them, and local calls
// neither save nor restore them. A folded access (Access.Fold)
// addresses [host base + index + off] with the host base of its region,
// pinned or loaded from the frame.
//
// rsp and rbp are never changed (the Go runtime's unwinder and profiler may
// look at them when a signal lands in native code); nothing is pushed.
func init() { registerBackend("amd64", func() Backend { return &amd64Backend{} }) }

var amd64Regs = [10]x.Reg{x.RBX, x.RDI, x.RSI, x.R8, x.R9, x.R10, x.R11, x.R12, x.R13, x.R14}

const (
	aCnt = x.R15

	fState  = 8
	fMem    = 16
	fHostFP = 24
	fR10    = 32
	fAux    = 40
	fResume = 48
	fGroup  = 56  // host address of base+MinOff of the current access group, or 0
	fCache  = 128 // state.cache; the trampoline's frame must hold it
)

// amd64Frame is the size of the trampoline's locals (enter_amd64.s), which
// native code sees at [rsp+8] up.
const amd64Frame = 608

var _ [amd64Frame + 8 - fCache - 8*cacheLen]struct{} // the cache fits

// limWord returns the cache word of the limit of Spec sp for accesses of
// n bytes (rounded up to a power of two, at most 1<<(limSizes-1)) in
// direction dir (limR, limW, limRW).
func limWord(sp Spec, dir, n int) int {
	return specWord(sp, csLim+dir*limSizes+bits.Len(uint(n-1)))
}

// specWord returns the cache word of field f (cs*) of the cache of Spec sp.
func specWord(sp Spec, f int) int { return cSpec + int(sp-1)*cSpecLen + f }

// word returns where the code reads word i of state.cache: its pinned
// register, or else (r is 0) its frame slot, which the entry stub then
// copies. It counts the read for repin.
func (b *amd64Backend) word(i int) (r x.Reg, m x.Mem) {
	b.reads = append(b.reads, wordRead{b.a.Len(), i})
	if r = b.pin[i]; r != 0 {
		return r, x.Mem{}
	}
	b.used[i] = true
	return 0, fm(fCache + 8*int32(i))
}

// cacheOp emits op dst, word i of the cache (64 bits).
func (b *amd64Backend) cacheOp(op x.ALU, dst x.Reg, i int) {
	if r, m := b.word(i); r != 0 {
		b.a.ALURR(op, true, dst, r)
	} else {
		b.a.ALURM(op, true, dst, m)
	}
}

// wordRead is a read of cache word i at code offset off.
type wordRead struct{ off, i int }

type fixup struct {
	pos int
	l   Label
}

type amd64Backend struct {
	a      x.Asm
	cfg    *Config
	labels []int
	fixups []fixup
	later  []func()
	exit   Label // common exit path
	// The first entry of a run enters at startL, the first-entry stub
	// (emitted last, like entry), which goes on to pc0.
	startL Label
	pc0    Label
	// raxBase: rax holds the saved base of the current group (after
	// GroupCheckJump or a GroupedFast member), so the next member need
	// not reload it. Every method that may write rax clears it; the
	// lowering guarantees no jump lands inside a group's span.
	raxBase bool
	entry   Label          // the entry stub proper, emitted last
	used    [cacheLen]bool // words of state.cache the code reads from the frame
	// free: the host registers of eBPF registers the program never uses
	// (setFree); pin[i], if not 0, is the one holding cache word i. Begin
	// keeps both for the lowering after repin.
	free  []x.Reg
	pin   [cacheLen]x.Reg
	reads []wordRead // reads of cache words in this lowering
	// groups records, per group check, where it stores the saved base;
	// Finish turns the stores of groups no member reloads into NOPs.
	groups []*groupRec
	group  *groupRec // the current group
}

// groupRec is the code of one group's check: its stores of the saved
// base ([start, end) in the code), and whether a member reloads it.
type groupRec struct {
	stores [][2]int
	reload bool
	minOff int16 // the saved base is the host address of base+minOff
}

// saveGroup stores rax as the group's saved base.
func (b *amd64Backend) saveGroup(rec *groupRec) {
	start := b.a.Len()
	b.a.Store(fm(fGroup), x.RAX, 8)
	rec.stores = append(rec.stores, [2]int{start, b.a.Len()})
}

func (b *amd64Backend) Arch() string { return "amd64" }

func (b *amd64Backend) Begin(cfg *Config) {
	*b = amd64Backend{cfg: cfg, free: b.free, pin: b.pin}
	b.exit = b.NewLabel()
	b.entry = b.NewLabel()
	b.startL, b.pc0 = b.NewLabel(), b.NewLabel()
}

func (b *amd64Backend) NewLabel() Label {
	b.labels = append(b.labels, -1)
	return Label(len(b.labels) - 1)
}

func (b *amd64Backend) Bind(l Label) { b.labels[l] = b.a.Len() }

func (b *amd64Backend) Offset() int { return b.a.Len() }

// loopAlign is the boundary of loop headers: AMD and Intel cores fetch and
// predict in 32-byte blocks, so where a loop starts changes its speed
// (bench/ programs moved by up to 10% when unrelated code shifted them by
// a few bytes); aligned, they no longer depend on the code before them.
const loopAlign = 32

// AlignLoop implements Aligner with multi-byte NOPs (code is mapped at a
// page boundary, so offsets align as addresses do).
func (b *amd64Backend) AlignLoop() {
	if pad := -b.a.Len() & (loopAlign - 1); pad > 0 {
		at := b.a.Len()
		b.a.B = append(b.a.B, make([]byte, pad)...)
		x.NopFill(b.a.B[at:])
	}
}

func (b *amd64Backend) fix(pos int, l Label) { b.fixups = append(b.fixups, fixup{pos, l}) }

func (b *amd64Backend) jmp(l Label) { b.fix(b.a.Jmp(), l) }

func (b *amd64Backend) jcc(c x.Cond, l Label) { b.fix(b.a.Jcc(c), l) }

func fm(off int32) x.Mem { return x.M(x.RSP, off) }

func (b *amd64Backend) Finish() ([]byte, error) {
	for i := 0; i < len(b.later); i++ {
		b.later[i]()
	}
	b.emitExit()
	b.emitEntry(false)
	b.emitEntry(true)
	for _, g := range b.groups {
		if !g.reload {
			for _, s := range g.stores {
				x.NopFill(b.a.B[s[0]:s[1]])
			}
		}
	}
	for _, f := range b.fixups {
		t := b.labels[f.l]
		if t < 0 {
			return nil, fmt.Errorf("jit: amd64: unbound label %d", f.l)
		}
		x.PatchRel32(b.a.B, f.pos, t)
	}
	return b.a.B, nil
}

func (b *amd64Backend) usesCache() bool {
	for i, u := range b.used {
		if u || b.pin[i] != 0 {
			return true
		}
	}
	return false
}

// setFree implements pinner.
func (b *amd64Backend) setFree(free uint16) {
	b.free, b.pin = nil, [cacheLen]x.Reg{}
	for r := range amd64Regs {
		if free&(1<<r) != 0 {
			b.free = append(b.free, amd64Regs[r])
		}
	}
}

// repin implements pinner: it gives the free registers to the cache words
// read most (weighted).
func (b *amd64Backend) repin(weigh func(off int) uint64) bool {
	if len(b.free) == 0 || len(b.reads) == 0 {
		return false
	}
	var weight [cacheLen]uint64
	for _, r := range b.reads {
		weight[r.i] += weigh(r.off)
	}
	order := make([]int, 0, cacheLen)
	for i, w := range weight {
		if w > 0 {
			order = append(order, i)
		}
	}
	sort.SliceStable(order, func(i, j int) bool { return weight[order[i]] > weight[order[j]] })
	b.pin = [cacheLen]x.Reg{}
	for k, i := range order[:min(len(order), len(b.free))] {
		b.pin[i] = b.free[k]
	}
	return true
}

// pinned returns the cache word host register r holds, if any.
func (b *amd64Backend) pinned(r x.Reg) (int, bool) {
	for i, p := range b.pin {
		if p == r && r != 0 {
			return i, true
		}
	}
	return 0, false
}

// dead reports whether host register r is that of an eBPF register the
// program never uses: entries need not load it, exits and local calls
// need not save it (unless pinned, it holds nothing).
func (b *amd64Backend) dead(r x.Reg) bool {
	for _, f := range b.free {
		if f == r {
			return true
		}
	}
	return false
}

// Entry jumps to the entry stub, emitted by Finish when the cache words
// the code reads are known.
func (b *amd64Backend) Entry() {
	b.raxBase = false
	b.jmp(b.entry)
	b.Bind(b.pc0)
}

// StartStub implements Starter.
func (b *amd64Backend) StartStub() int { return b.labels[b.startL] }

// emitEntry emits an entry stub: the frame and the registers from the
// state, then a jump to state.resume. The first entry of a run (start)
// needs only r1, r2 and r10 from the state (the other registers are 0)
// and goes on to pc 0.
func (b *amd64Backend) emitEntry(start bool) {
	a := &b.a
	if start {
		b.Bind(b.startL)
	} else {
		b.Bind(b.entry)
	}
	a.Load(x.RAX, fm(fState), 8, false)
	a.Load(x.RCX, x.M(x.RAX, stMem), 8, false)
	a.Store(fm(fMem), x.RCX, 8)
	a.Load(x.RCX, x.M(x.RAX, stHostFP), 8, false)
	a.Store(fm(fHostFP), x.RCX, 8)
	a.Load(x.RCX, x.M(x.RAX, stRegs+80), 8, false)
	a.Store(fm(fR10), x.RCX, 8)
	a.StoreImm(fm(fGroup), 0, 8) // a group entered mid-way checks each access
	// Only the words used: rep movsq of them all costs more than a
	// trivial run.
	for i, u := range b.used {
		if u {
			a.Load(x.RCX, x.M(x.RAX, int32(stCache+8*i)), 8, false)
			a.Store(fm(fCache+8*int32(i)), x.RCX, 8)
		}
	}
	for i, r := range amd64Regs {
		if w, ok := b.pinned(r); ok {
			a.Load(r, x.M(x.RAX, int32(stCache+8*w)), 8, false)
			continue
		}
		if b.dead(r) {
			continue
		}
		if start && i != 1 && i != 2 {
			a.ALURR(x.XOR, false, r, r)
			continue
		}
		a.Load(r, x.M(x.RAX, int32(stRegs+8*i)), 8, false)
	}
	a.Load(aCnt, x.M(x.RAX, stCount), 8, false)
	if start {
		b.jmp(b.pc0)
		return
	}
	a.JmpM(x.M(x.RAX, stResume))
}

// emitExit emits the common exit path: rcx = pc, rdx = reason, rax =
// resume address, [rsp+40] = aux.
func (b *amd64Backend) emitExit() {
	a := &b.a
	b.Bind(b.exit)
	a.Store(fm(fResume), x.RAX, 8)
	a.Load(x.RAX, fm(fState), 8, false)
	a.Store(x.M(x.RAX, stPC), x.RCX, 8)
	a.Store(x.M(x.RAX, stReason), x.RDX, 8)
	a.Load(x.RCX, fm(fResume), 8, false)
	a.Store(x.M(x.RAX, stResume), x.RCX, 8)
	a.Load(x.RCX, fm(fAux), 8, false)
	a.Store(x.M(x.RAX, stAux), x.RCX, 8)
	for i, r := range amd64Regs {
		if !b.dead(r) {
			a.Store(x.M(x.RAX, int32(stRegs+8*i)), r, 8)
		}
	}
	a.Load(x.RCX, fm(fR10), 8, false)
	a.Store(x.M(x.RAX, stRegs+80), x.RCX, 8)
	a.Load(x.RCX, fm(fHostFP), 8, false)
	a.Store(x.M(x.RAX, stHostFP), x.RCX, 8)
	a.Store(x.M(x.RAX, stCount), aCnt, 8)
	a.Ret()
}

func (b *amd64Backend) ExitToGo(reason int, pc int, aux Operand, resume Label) {
	b.raxBase = false
	a := &b.a
	if reason == ExitDone {
		// The end of the run needs only r0 and the counter.
		a.Load(x.RAX, fm(fState), 8, false)
		a.Store(x.M(x.RAX, stRegs), reg(0), 8)
		a.Store(x.M(x.RAX, stCount), aCnt, 8)
		a.StoreImm(x.M(x.RAX, stReason), ExitDone, 8)
		a.Ret()
		return
	}
	if aux.IsImm {
		a.StoreImm(fm(fAux), int32(aux.Imm), 8)
	} else {
		r := b.read(aux.Reg, x.RCX)
		a.Store(fm(fAux), r, 8)
	}
	a.MovRI32(x.RCX, uint32(pc))
	a.MovRI32(x.RDX, uint32(reason))
	if resume != NoLabel {
		b.fix(a.LeaRIP(x.RAX), resume)
	}
	b.jmp(b.exit)
}

func (b *amd64Backend) Charge(pc, n int, restart Label) {
	stub := b.NewLabel()
	b.a.ALURI(x.SUB, true, aCnt, int32(n))
	b.jcc(x.CondB, stub)
	b.later = append(b.later, func() {
		b.Bind(stub)
		b.a.ALURI(x.ADD, true, aCnt, int32(n))
		b.ExitToGo(ExitBudget, pc, Imm(0), restart)
	})
}

// ChargeOr implements unroller.
func (b *amd64Backend) ChargeOr(n int, fail Label) {
	b.a.ALURI(x.SUB, true, aCnt, int32(n))
	b.jcc(x.CondB, fail)
}

// GuardCount implements unroller.
func (b *amd64Backend) GuardCount(w Width, iv uint8, add int32, op isa.JumpOp, src Operand, fail Label) {
	a := &b.a
	w64 := w == W64
	b.clobbered(x.RAX)
	a.MovRR(w64, x.RAX, b.read(iv, x.RAX))
	a.ALURI(x.ADD, w64, x.RAX, add)
	b.jcc(x.CondB, fail) // a carry: the sum wrapped
	if r, imm, isImm := b.operand(src, w, x.RDX); isImm {
		a.ALURI(x.CMP, w64, x.RAX, imm)
	} else {
		a.ALURR(x.CMP, w64, x.RAX, r)
	}
	n, _ := op.Negate() // JLT or JLE
	b.jcc(amd64Conds[n], fail)
}

func (b *amd64Backend) Refund(n int) {
	b.a.ALURI(x.ADD, true, aCnt, int32(n))
}

// clobbered notes that r is written (see raxBase).
func (b *amd64Backend) clobbered(r x.Reg) {
	if r == x.RAX {
		b.raxBase = false
	}
}

// reg returns the host register of eBPF register r (not r10).
func reg(r uint8) x.Reg { return amd64Regs[r] }

// read returns a host register holding eBPF register r, loading r10 into
// scratch.
func (b *amd64Backend) read(r uint8, scratch x.Reg) x.Reg {
	if r == isa.R10 {
		b.clobbered(scratch)
		b.a.Load(scratch, fm(fR10), 8, false)
		return scratch
	}
	return reg(r)
}

// imm materializes an immediate operand into scratch, blinded if asked.
func (b *amd64Backend) imm(o Operand, scratch x.Reg) x.Reg {
	b.clobbered(scratch)
	if o.Blind != 0 {
		k := int64(int32(o.Blind))
		b.a.MovRI64(scratch, uint64(o.Imm^k))
		b.a.ALURI(x.XOR, true, scratch, int32(k))
		return scratch
	}
	b.a.MovRI64(scratch, uint64(o.Imm))
	return scratch
}

// operand returns a register holding o (any width), or ok=false with the
// immediate usable as an imm32 of the instruction.
func (b *amd64Backend) operand(o Operand, w Width, scratch x.Reg) (r x.Reg, imm int32, isImm bool) {
	if !o.IsImm {
		return b.read(o.Reg, scratch), 0, false
	}
	fits := w == W32 || o.Imm == int64(int32(o.Imm))
	if o.Blind == 0 && fits {
		return 0, int32(o.Imm), true
	}
	return b.imm(o, scratch), 0, false
}

func (b *amd64Backend) Mov(w Width, dst uint8, src Operand) {
	a := &b.a
	d := reg(dst)
	if src.IsImm {
		if src.Blind != 0 {
			k := int64(int32(src.Blind))
			if w == W32 {
				a.MovRI32(d, uint32(src.Imm^k))
				a.ALURI(x.XOR, false, d, int32(k))
			} else {
				a.MovRI64(d, uint64(src.Imm^k))
				a.ALURI(x.XOR, true, d, int32(k))
			}
			return
		}
		if w == W32 {
			a.MovRI64(d, uint64(uint32(src.Imm))) // xor for 0: flags are dead between instructions
		} else {
			a.MovRI64(d, uint64(src.Imm))
		}
		return
	}
	if src.Reg == isa.R10 {
		a.Load(d, fm(fR10), int(w)/8, false)
		return
	}
	s := reg(src.Reg)
	if w == W64 && s == d {
		return
	}
	a.MovRR(w == W64, d, s)
}

// MovAdd implements movAdder with lea.
func (b *amd64Backend) MovAdd(d, s uint8, src Operand) {
	if src.IsImm {
		b.a.Lea(reg(d), x.M(reg(s), int32(src.Imm)))
		return
	}
	b.a.Lea(reg(d), x.MI(reg(s), reg(src.Reg), 1, 0))
}

func (b *amd64Backend) MovSX(w Width, dst, src uint8, nbits int) {
	b.raxBase = false
	s := b.read(src, x.RAX)
	b.a.Movsx(w == W64, reg(dst), s, nbits)
}

func (b *amd64Backend) ALU(op isa.ALUOp, w Width, dst uint8, src Operand) {
	a := &b.a
	d := reg(dst)
	w64 := w == W64
	switch op {
	case isa.ALUNeg:
		a.Unary(x.NEG, w64, d)
	case isa.ALUAdd, isa.ALUSub, isa.ALUOr, isa.ALUAnd, isa.ALUXor:
		xop := map[isa.ALUOp]x.ALU{isa.ALUAdd: x.ADD, isa.ALUSub: x.SUB, isa.ALUOr: x.OR, isa.ALUAnd: x.AND, isa.ALUXor: x.XOR}[op]
		r, imm, isImm := b.operand(src, w, x.RAX)
		if isImm {
			a.ALURI(xop, w64, d, imm)
		} else {
			a.ALURR(xop, w64, d, r)
		}
	case isa.ALUMul:
		r, imm, isImm := b.operand(src, w, x.RAX)
		if isImm {
			a.IMulRRI(w64, d, d, imm)
		} else {
			a.IMulRR(w64, d, r)
		}
	case isa.ALULsh, isa.ALURsh, isa.ALUArsh:
		sh := map[isa.ALUOp]x.Shift{isa.ALULsh: x.SHL, isa.ALURsh: x.SHR, isa.ALUArsh: x.SAR}[op]
		if src.IsImm {
			if src.Imm == 0 {
				if !w64 {
					a.MovRR(false, d, d)
				}
				return
			}
			a.ShiftRI(sh, w64, d, uint8(src.Imm))
			return
		}
		s := b.read(src.Reg, x.RCX)
		if s != x.RCX {
			a.MovRR(false, x.RCX, s)
		}
		a.ShiftRCL(sh, w64, d)
		if !w64 {
			a.MovRR(false, d, d) // a count of 0 may leave the upper half
		}
	default:
		panic(fmt.Sprintf("jit: amd64: ALU op %#x", op))
	}
}

func (b *amd64Backend) DivMod(w Width, mod, signed bool, dst uint8, src Operand, nonZero bool) {
	b.raxBase = false
	a := &b.a
	d := reg(dst)
	w64 := w == W64
	var s x.Reg
	if src.IsImm {
		s = b.imm(src, x.RCX)
		nonZero = true
		if signed && (w64 && src.Imm != -1 || !w64 && int32(src.Imm) != -1) {
			// A constant divisor other than 0 and -1 cannot overflow.
			a.MovRR(w64, x.RAX, d)
			a.CQO(w64)
			a.Unary(x.IDIV, w64, s)
			b.divResult(w64, mod, d)
			return
		}
	} else {
		s = b.read(src.Reg, x.RCX)
	}
	done := b.NewLabel()
	zero := b.NewLabel()
	if !nonZero {
		a.TestRR(w64, s, s)
		b.jcc(x.CondE, zero)
	}
	if signed {
		normal := b.NewLabel()
		a.ALURI(x.CMP, w64, s, -1)
		b.jcc(x.CondNE, normal)
		if mod {
			a.ALURR(x.XOR, false, d, d)
		} else {
			a.Unary(x.NEG, w64, d)
		}
		b.jmp(done)
		b.Bind(normal)
		a.MovRR(w64, x.RAX, d)
		a.CQO(w64)
		a.Unary(x.IDIV, w64, s)
	} else {
		a.MovRR(w64, x.RAX, d)
		a.ALURR(x.XOR, false, x.RDX, x.RDX)
		a.Unary(x.DIV, w64, s)
	}
	b.divResult(w64, mod, d)
	if !nonZero {
		b.jmp(done)
		b.Bind(zero)
		switch {
		case !mod:
			a.ALURR(x.XOR, false, d, d)
		case !w64:
			a.MovRR(false, d, d)
		}
	}
	b.Bind(done)
}

func (b *amd64Backend) divResult(w64, mod bool, d x.Reg) {
	if mod {
		b.a.MovRR(w64, d, x.RDX)
	} else {
		b.a.MovRR(w64, d, x.RAX)
	}
}

func (b *amd64Backend) End(dst uint8, nbits int, swap bool) {
	a := &b.a
	d := reg(dst)
	switch {
	case swap && nbits == 16:
		a.Rol16(d)
		a.Movzx(d, d, 16)
	case swap && nbits == 32:
		a.Bswap(false, d)
	case swap:
		a.Bswap(true, d)
	case nbits == 16:
		a.Movzx(d, d, 16)
	case nbits == 32:
		a.MovRR(false, d, d)
	}
}

func (b *amd64Backend) LoadImm64(dst uint8, v uint64, key int64) {
	b.raxBase = false
	d := reg(dst)
	if key == 0 {
		b.a.MovRI64(d, v)
		return
	}
	b.a.MovRI64(d, v^uint64(key))
	b.a.MovRI64(x.RAX, uint64(key))
	b.a.ALURR(x.XOR, true, d, x.RAX)
}

// addr emits the translation of access a and returns the host memory
// operand. It uses rax and rdx.
func (b *amd64Backend) addr(ac Access, atomic bool) x.Mem {
	b.raxBase = false
	a := &b.a
	if ac.Mode == Versioned {
		return b.versioned(ac)
	}
	if ac.Mode == Frame {
		a.Load(x.RAX, fm(fHostFP), 8, false)
		return x.M(x.RAX, int32(ac.Off))
	}
	if ac.Fold && !atomic {
		// host = the host base of the region (r1 at entry + delta) + index.
		b.permCheck(ac)
		h, m := b.word(cHost + int(ac.Region) - vm.RegionInput)
		if h == 0 {
			a.Load(x.RAX, m, 8, false)
			h = x.RAX
		}
		return x.MI(h, reg(ac.Index), 1, int32(ac.Off))
	}
	if (ac.Mode == Proven || ac.Mode == WriteChecked) && ac.Region != 0 && !atomic {
		// host = addr + delta of the region (the verifier proved the id
		// and the bounds).
		b.permCheck(ac)
		base := b.read(ac.Base, x.RDX)
		d, m := b.word(cDelta + int(ac.Region) - vm.RegionStack)
		if d == 0 {
			a.Load(x.RAX, m, 8, false)
			d = x.RAX
		}
		return x.MI(d, base, 1, int32(ac.Off))
	}
	if ac.Mode == Checked && ac.Spec != SpecNone && !atomic {
		// The guessed region first: off = addr - id<<32 is below the
		// cached limit for this size and direction (one unsigned compare
		// catches both ends); else the full check.
		slow, join := b.NewLabel(), b.NewLabel()
		base := b.read(ac.Base, x.RAX)
		a.Lea(x.RAX, x.M(base, int32(ac.Off)))
		b.cacheOp(x.SUB, x.RAX, specWord(ac.Spec, csBase))
		dir := limDir(!ac.Write, ac.Write)
		b.cacheOp(x.CMP, x.RAX, limWord(ac.Spec, dir, ac.Size))
		b.jcc(x.CondAE, slow)
		b.cacheOp(x.ADD, x.RAX, specWord(ac.Spec, csData))
		b.Bind(join)
		b.later = append(b.later, func() {
			b.Bind(slow)
			full := ac
			full.Spec = SpecNone
			m := b.addr(full, false)
			a.Lea(x.RAX, m)
			b.jmp(join)
		})
		return x.M(x.RAX, 0)
	}
	base := b.read(ac.Base, x.RAX)
	a.Lea(x.RAX, x.M(base, int32(ac.Off)))
	a.MovRR(true, x.RDX, x.RAX)
	a.ShiftRI(x.SHR, true, x.RDX, 32)
	if ac.Mode == Checked {
		a.ALURI(x.CMP, false, x.RDX, 63)
		b.jcc(x.CondA, ac.Fault)
	}
	a.ShiftRI(x.SHL, false, x.RDX, 5)
	a.ALURM(x.ADD, true, x.RDX, fm(fMem))
	a.MovRR(false, x.RAX, x.RAX)
	if atomic {
		a.TestRI(false, x.RAX, int32(ac.Size-1))
		b.jcc(x.CondNE, ac.Fault)
	}
	if ac.Mode == Proven {
		a.ALURM(x.ADD, true, x.RAX, x.M(x.RDX, 0))
		return x.M(x.RAX, 0)
	}
	a.ALURI(x.ADD, true, x.RAX, int32(ac.Size))
	a.ALURM(x.CMP, true, x.RAX, x.M(x.RDX, 8))
	b.jcc(x.CondA, ac.Fault)
	if atomic || !ac.Write {
		a.TestMI8(x.M(x.RDX, 24), 1)
		b.jcc(x.CondE, ac.Fault)
	}
	if atomic || ac.Write {
		a.TestMI8(x.M(x.RDX, 24), 2)
		b.jcc(x.CondE, ac.Fault)
	}
	a.ALURM(x.ADD, true, x.RAX, x.M(x.RDX, 0))
	return x.M(x.RAX, -int32(ac.Size))
}

// permCheck emits the permission check of a WriteChecked access.
func (b *amd64Backend) permCheck(ac Access) {
	if ac.Mode != WriteChecked {
		return
	}
	if r, m := b.word(cPerm + int(ac.Region) - vm.RegionInput); r != 0 {
		b.a.TestRI(false, r, int32(vm.PermWrite))
	} else {
		b.a.TestMI8(m, uint8(vm.PermWrite))
	}
	b.jcc(x.CondE, ac.Fault)
}

// foldsHostBase implements hostBaser: only with registers to pin the host
// base in. From the frame, a fold only trades the lea for a load, off the
// critical path; parse (every register used) measured no gain, and a loss
// when its loop's code moved by those 4 bytes.
func (b *amd64Backend) foldsHostBase() bool { return len(b.free) > 0 }

// GroupCheck implements Grouper.
func (b *amd64Backend) GroupCheck(g Group) {
	b.raxBase = false
	fail, done := b.NewLabel(), b.NewLabel()
	b.GroupCheckJump(g, fail)
	b.group.reload = true // Grouped members test the saved base
	b.Bind(done)
	b.later = append(b.later, func() {
		b.Bind(fail)
		b.a.StoreImm(fm(fGroup), 0, 8)
		b.jmp(done)
	})
}

// GroupCheckJump implements GroupJumper.
func (b *amd64Backend) GroupCheckJump(g Group, fail Label) {
	b.group = &groupRec{minOff: g.MinOff}
	b.groups = append(b.groups, b.group)
	b.groupCheck(g, fail, b.group)
}

// groupCheck emits the check of g, saving the base for rec.
func (b *amd64Backend) groupCheck(g Group, fail Label, rec *groupRec) {
	a := &b.a
	dir := limDir(g.Read, g.Write)
	if g.Spec != SpecNone {
		// The guessed region first (see addr), else the full check below.
		full, done := b.NewLabel(), b.NewLabel()
		base := b.read(g.Base, x.RAX)
		a.Lea(x.RAX, x.M(base, int32(g.MinOff)))
		b.cacheOp(x.SUB, x.RAX, specWord(g.Spec, csBase))
		if g.Span <= 1<<(limSizes-1) {
			// The limit of the power of two at least Span: near the
			// region's end this may send a valid group to the full check.
			b.cacheOp(x.CMP, x.RAX, limWord(g.Spec, dir, g.Span))
			b.jcc(x.CondAE, full)
		} else {
			b.jcc(x.CondB, full)
			a.Lea(x.RDX, x.M(x.RAX, int32(g.Span)))
			b.cacheOp(x.CMP, x.RDX, specWord(g.Spec, csLenR+dir))
			b.jcc(x.CondA, full)
		}
		b.cacheOp(x.ADD, x.RAX, specWord(g.Spec, csData))
		b.saveGroup(rec)
		b.Bind(done)
		b.later = append(b.later, func() {
			b.Bind(full)
			g.Spec = SpecNone
			b.groupCheck(g, fail, rec)
			b.jmp(done)
		})
		b.raxBase = true // on both paths to done
		return
	}
	base := b.read(g.Base, x.RAX)
	a.Lea(x.RAX, x.M(base, int32(g.MinOff)))
	a.MovRR(true, x.RDX, x.RAX)
	a.ShiftRI(x.SHR, true, x.RDX, 32)
	a.ALURI(x.CMP, false, x.RDX, 63)
	b.jcc(x.CondA, fail)
	a.ShiftRI(x.SHL, false, x.RDX, 5)
	a.ALURM(x.ADD, true, x.RDX, fm(fMem))
	a.MovRR(false, x.RAX, x.RAX)
	a.ALURI(x.ADD, true, x.RAX, int32(g.Span))
	a.ALURM(x.CMP, true, x.RAX, x.M(x.RDX, 8))
	b.jcc(x.CondA, fail)
	if g.Read {
		a.TestMI8(x.M(x.RDX, 24), 1)
		b.jcc(x.CondE, fail)
	}
	if g.Write {
		a.TestMI8(x.M(x.RDX, 24), 2)
		b.jcc(x.CondE, fail)
	}
	a.ALURM(x.ADD, true, x.RAX, x.M(x.RDX, 0))
	a.Lea(x.RAX, x.M(x.RAX, -int32(g.Span)))
	b.saveGroup(rec)
	b.raxBase = true
}

// grouped emits the fast path of a grouped access: the group's saved
// base, or a jump to slow when the group's check failed (Grouped only).
func (b *amd64Backend) grouped(ac Access, slow Label) x.Mem {
	if ac.Mode != GroupedFast || !b.raxBase {
		b.a.Load(x.RAX, fm(fGroup), 8, false)
		b.group.reload = true
	}
	b.raxBase = ac.Mode == GroupedFast
	if ac.Mode == Grouped {
		b.a.TestRR(true, x.RAX, x.RAX)
		b.jcc(x.CondE, slow)
	}
	return x.M(x.RAX, int32(ac.Off)-int32(b.group.minOff))
}

// memOperand returns the memory operand of a load or store ac. A Grouped
// access also gets its slow path, redo of ac as Checked, out of line; done
// binds where that path rejoins and goes after the instruction using the
// operand.
func (b *amd64Backend) memOperand(ac Access, redo func(Access)) (m x.Mem, done func()) {
	switch ac.Mode {
	case Grouped:
		slow, back := b.NewLabel(), b.NewLabel()
		m = b.grouped(ac, slow)
		b.later = append(b.later, func() {
			b.Bind(slow)
			ac.Mode = Checked
			redo(ac)
			b.jmp(back)
		})
		return m, func() { b.Bind(back) }
	case GroupedFast:
		return b.grouped(ac, NoLabel), func() {}
	}
	return b.addr(ac, false), func() {}
}

func (b *amd64Backend) Load(ac Access, dst uint8, signed bool) {
	a := &b.a
	m, done := b.memOperand(ac, func(c Access) { b.Load(c, dst, signed) })
	defer done()
	d := reg(dst)
	if !ac.Swap || ac.Size == 1 {
		a.Load(d, m, ac.Size, signed)
		return
	}
	a.Load(d, m, ac.Size, false)
	switch ac.Size {
	case 2:
		// The load zero-extended d; rol of its low 16 bits keeps that.
		a.Rol16(d)
		if signed {
			a.Movsx(true, d, d, 16)
		}
	case 4:
		a.Bswap(false, d)
		if signed {
			a.Movsx(true, d, d, 32)
		}
	default:
		a.Bswap(true, d)
	}
}

func (b *amd64Backend) Store(ac Access, src Operand) {
	a := &b.a
	// The value first, in rcx when it needs work (addr uses rax, rdx).
	var v x.Reg
	useImm := false
	var immv int32
	switch {
	case src.IsImm && src.Blind == 0:
		c := uint64(src.Imm)
		if ac.Swap {
			c = swapN(c, ac.Size)
		}
		if ac.Size < 8 || int64(c) == int64(int32(c)) {
			useImm, immv = true, int32(c)
		} else {
			a.MovRI64(x.RCX, c)
			v = x.RCX
		}
	case src.IsImm:
		v = b.imm(src, x.RCX)
	default:
		v = b.read(src.Reg, x.RCX)
	}
	if !useImm && ac.Swap && ac.Size > 1 {
		if v != x.RCX {
			a.MovRR(true, x.RCX, v)
			v = x.RCX
		}
		if src.IsImm && src.Blind == 0 {
			// already swapped above
		} else {
			switch ac.Size {
			case 2:
				a.Rol16(x.RCX)
			case 4:
				a.Bswap(false, x.RCX)
			default:
				a.Bswap(true, x.RCX)
			}
		}
	}
	m, done := b.memOperand(ac, func(c Access) { b.Store(c, src) })
	defer done()
	if useImm {
		a.StoreImm(m, immv, ac.Size)
		return
	}
	a.Store(m, v, ac.Size)
}

func (b *amd64Backend) Atomic(ac Access, op isa.AtomicOp, src uint8) {
	b.raxBase = false
	a := &b.a
	m := b.addr(ac, true)
	a.Lea(x.RDX, m)
	m = x.M(x.RDX, 0)
	w64 := ac.Size == 8
	s := b.read(src, x.RCX)
	switch op {
	case isa.AtomicAdd, isa.AtomicOr, isa.AtomicAnd, isa.AtomicXor:
		xop := map[isa.AtomicOp]x.ALU{isa.AtomicAdd: x.ADD, isa.AtomicOr: x.OR, isa.AtomicAnd: x.AND, isa.AtomicXor: x.XOR}[op]
		a.LockALUMR(xop, w64, m, s)
	case isa.AtomicAdd | isa.AtomicFetch:
		if s != x.RCX {
			a.MovRR(true, x.RCX, s)
		}
		a.LockXadd(w64, m, x.RCX)
		a.MovRR(true, reg(src), x.RCX)
	case isa.AtomicOr | isa.AtomicFetch, isa.AtomicAnd | isa.AtomicFetch, isa.AtomicXor | isa.AtomicFetch:
		xop := map[isa.AtomicOp]x.ALU{isa.AtomicOr: x.OR, isa.AtomicAnd: x.AND, isa.AtomicXor: x.XOR}[op&^isa.AtomicFetch]
		a.Load(x.RAX, m, ac.Size, false)
		loop := b.NewLabel()
		b.Bind(loop)
		a.MovRR(true, x.RCX, x.RAX)
		a.ALURR(xop, w64, x.RCX, s)
		a.LockCmpxchg(w64, m, x.RCX)
		b.jcc(x.CondNE, loop)
		a.MovRR(true, reg(src), x.RAX)
	case isa.AtomicXchg:
		if s != x.RCX {
			a.MovRR(true, x.RCX, s)
		}
		a.Xchg(w64, m, x.RCX)
		a.MovRR(true, reg(src), x.RCX)
	case isa.AtomicCmpXchg:
		a.MovRR(true, x.RAX, reg(0))
		a.LockCmpxchg(w64, m, s)
		a.MovRR(w64, reg(0), x.RAX)
	default:
		panic(fmt.Sprintf("jit: amd64: atomic op %#x", op))
	}
}

func (b *amd64Backend) Jump(target Label) {
	b.raxBase = false
	b.jmp(target)
}

var amd64Conds = map[isa.JumpOp]x.Cond{
	isa.JumpJEQ: x.CondE, isa.JumpJNE: x.CondNE, isa.JumpJGT: x.CondA, isa.JumpJGE: x.CondAE,
	isa.JumpJLT: x.CondB, isa.JumpJLE: x.CondBE, isa.JumpJSGT: x.CondG, isa.JumpJSGE: x.CondGE,
	isa.JumpJSLT: x.CondL, isa.JumpJSLE: x.CondLE, isa.JumpJSET: x.CondNE,
}

func (b *amd64Backend) Branch(op isa.JumpOp, w Width, dst uint8, src Operand, target Label) {
	a := &b.a
	w64 := w == W64
	d := b.read(dst, x.RDX)
	r, imm, isImm := b.operand(src, w, x.RAX)
	if isImm && imm == 0 && op != isa.JumpJSET {
		// Flags of test d, d equal those of cmp d, 0 for every condition.
		a.TestRR(w64, d, d)
	} else if op == isa.JumpJSET {
		if isImm {
			a.TestRI(w64, d, imm)
		} else {
			a.TestRR(w64, d, r)
		}
	} else if isImm {
		a.ALURI(x.CMP, w64, d, imm)
	} else {
		a.ALURR(x.CMP, w64, d, r)
	}
	b.jcc(amd64Conds[op], target)
}

func (b *amd64Backend) CallLocal(pc int, target Label) {
	b.raxBase = false
	a := &b.a
	over := b.NewLabel()
	if b.cfg.MaxCallDepth < 2 {
		b.jmp(over)
	} else {
		a.Load(x.RAX, fm(fState), 8, false)
		a.Load(x.RCX, x.M(x.RAX, stDepth), 8, false)
		a.ALURI(x.CMP, true, x.RCX, int32(b.cfg.MaxCallDepth-2))
		b.jcc(x.CondA, over)
		a.Lea(x.RDX, x.M(x.RCX, 1))
		a.Store(x.M(x.RAX, stDepth), x.RDX, 8)
		a.ShiftRI(x.SHL, true, x.RCX, 6)
		a.ALURM(x.ADD, true, x.RCX, x.M(x.RAX, stFrames))
		for i := 0; i < 4; i++ {
			if !b.dead(reg(uint8(6 + i))) {
				a.Store(x.M(x.RCX, int32(frR6+8*i)), reg(uint8(6+i)), 8)
			}
		}
		ret := b.NewLabel()
		b.fix(a.LeaRIP(x.RDX), ret)
		a.Store(x.M(x.RCX, frRet), x.RDX, 8)
		for _, f := range [2][2]int32{{fR10, frR10}, {fHostFP, frHostFP}} {
			a.Load(x.RDX, fm(f[0]), 8, false)
			a.Store(x.M(x.RCX, f[1]), x.RDX, 8)
			a.ALURI(x.SUB, true, x.RDX, int32(b.cfg.StackSize))
			a.Store(fm(f[0]), x.RDX, 8)
		}
		b.jmp(target)
		b.Bind(ret)
	}
	b.later = append(b.later, func() {
		b.Bind(over)
		b.ExitToGo(ExitDepth, pc, Imm(0), NoLabel)
	})
}

func (b *amd64Backend) Return(pc int) {
	b.raxBase = false
	if !b.cfg.LocalCalls {
		b.ExitToGo(ExitDone, pc, Imm(0), NoLabel)
		return
	}
	a := &b.a
	done := b.NewLabel()
	a.Load(x.RAX, fm(fState), 8, false)
	a.Load(x.RCX, x.M(x.RAX, stDepth), 8, false)
	a.TestRR(true, x.RCX, x.RCX)
	b.jcc(x.CondE, done)
	a.ALURI(x.SUB, true, x.RCX, 1)
	a.Store(x.M(x.RAX, stDepth), x.RCX, 8)
	a.ShiftRI(x.SHL, true, x.RCX, 6)
	a.ALURM(x.ADD, true, x.RCX, x.M(x.RAX, stFrames))
	for i := 0; i < 4; i++ {
		if !b.dead(reg(uint8(6 + i))) { // a pinned value may have changed since the call
			a.Load(reg(uint8(6+i)), x.M(x.RCX, int32(frR6+8*i)), 8, false)
		}
	}
	for _, f := range [2][2]int32{{fR10, frR10}, {fHostFP, frHostFP}} {
		a.Load(x.RDX, x.M(x.RCX, f[1]), 8, false)
		a.Store(fm(f[0]), x.RDX, 8)
	}
	a.JmpM(x.M(x.RCX, frRet))
	b.Bind(done)
	b.ExitToGo(ExitDone, pc, Imm(0), NoLabel)
}

// CombinesLoads implements LoadCombiner.
func (b *amd64Backend) CombinesLoads() bool { return true }
