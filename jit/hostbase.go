package jit

import (
	"github.com/iovm/iovm/isa"
	"github.com/iovm/iovm/verifier"
	"github.com/iovm/iovm/vm"
)

// Host base folding: clang addresses the input as "mov rA, r1; add rA,
// rI; ldxb rX, [rA+k]". Where r1 (or a copy, see entryR1) still holds
// its value from the run's entry, r1 + delta is a per-run constant, the host base (cHost in
// state.cache), so a proven access there is one host access
// [host + rI + k], and the mov and add emit nothing when rA is dead after
// the access (see findFolds).

// hostBaser is implemented by backends that take folded accesses
// (Access.Fold).
type hostBaser interface {
	foldsHostBase() bool
}

// fold is a folded access: the instructions at mov and add compute base =
// r1 + index, with r1 the register holding r1's value at entry, and the
// access at pc (a plain load or store, or the first instruction of a
// combined load) reads or writes base+off.
type fold struct {
	mov, add, pc    int
	base, index, r1 uint8
}

// Where the value of r1 at the run's entry is (entryR1): bits 0..9 for
// the registers r0..r9, then one per 8-byte slot of the frame at r10-8,
// r10-16, ... (clang spills r1 across loops).
const (
	r1Slots    = 16
	r1SlotBit0 = 10
	r1Regs     = 1<<10 - 1
	r1All      = 1<<(r1SlotBit0+r1Slots) - 1
)

// r1Slot returns the bit of the slot of an 8-byte access at r10+off, or 0.
func r1Slot(off int16, size int) uint32 {
	if size != 8 || off >= 0 || off%8 != 0 || int(off) < -8*r1Slots {
		return 0
	}
	return 1 << (r1SlotBit0 + int(-off)/8 - 1)
}

// r1Overlap returns the bits of the slots a size-byte access at r10+off
// overlaps.
func r1Overlap(off int16, size int) uint32 {
	var m uint32
	for k := 0; k < r1Slots; k++ {
		lo := -8 * (k + 1)
		if int(off) < lo+8 && int(off)+size > lo {
			m |= 1 << (r1SlotBit0 + k)
		}
	}
	return m
}

// entryR1 returns, for each pc, the registers and frame slots (see
// r1Slots) that surely hold r1's value from the run's entry there: a
// forward must-dataflow over the control-flow graph. Moves copy it, 8-byte
// spills to and reloads from r10-8k copy it through a slot; any other
// write of a register loses it there (calls and legacy packet loads
// clobber r0..r5), and a store loses every slot it may overlap: one
// through r10 those at its offsets, one the verifier did not prove in the
// input, context or a map value (outside), and calls (a helper or callee
// may write through a pointer), every slot. A callee starts, and its
// caller resumes, with nothing. Unreached pcs report every bit (no run
// executes them).
func entryR1(p isa.Program, target func(pc int) (int, bool), outside func(pc int) bool) []uint32 {
	n := len(p)
	st := make([]uint32, n+1)
	seen := make([]bool, n+1)
	var work []int
	flow := func(t int, v uint32) {
		if t < 0 || t >= n {
			return
		}
		if seen[t] && st[t]&v == st[t] {
			return
		}
		if seen[t] {
			v &= st[t]
		}
		st[t], seen[t] = v, true // bits only go: each pc changes at most 27 times
		work = append(work, t)
	}
	flow(0, 1<<isa.R1)
	for len(work) > 0 {
		pc := work[len(work)-1]
		work = work[:len(work)-1]
		v := st[pc]
		ins := p[pc]
		d, s := ins.Dst&15, ins.Src&15
		dbit := uint32(1) << d & r1Regs
		next := pc + ins.Slots()
		switch cls := ins.Class(); {
		case cls == isa.ClassALU64 && ins.ALUOp() == isa.ALUMov && ins.Source() == isa.SrcX && ins.Offset == 0:
			held := s < isa.R10 && v>>s&1 != 0
			v &^= dbit
			if held {
				v |= dbit
			}
		case cls == isa.ClassLDX:
			k := r1Slot(ins.Offset, ins.Size().Bytes())
			held := s == isa.R10 && ins.Mode() == isa.ModeMEM && k != 0 && v&k != 0
			v &^= dbit
			if held {
				v |= dbit
			}
		case writesDst(ins):
			v &^= dbit
		case cls == isa.ClassST || cls == isa.ClassSTX:
			atomic := cls == isa.ClassSTX && ins.Mode() == isa.ModeATOMIC
			switch {
			case d == isa.R10:
				k := r1Slot(ins.Offset, ins.Size().Bytes())
				v &^= r1Overlap(ins.Offset, ins.Size().Bytes())
				if cls == isa.ClassSTX && !atomic && ins.Mode() == isa.ModeMEM && k != 0 && s < isa.R10 && v>>s&1 != 0 {
					v |= k
				}
			case !outside(pc):
				v &= r1Regs
			}
			if atomic {
				v &^= 1 | uint32(1)<<s&r1Regs // fetches write src, cmpxchg r0
			}
		case cls == isa.ClassLD: // legacy packet loads
			v &^= 1<<6 - 1
		case ins.Opcode == isa.OpCall || ins.Opcode == isa.OpCallX:
			v &= r1Regs &^ (1<<6 - 1)
			if ins.Src == isa.CallLocal && ins.Opcode == isa.OpCall {
				v = 0
				if t, ok := target(pc); ok {
					flow(t, 0)
				}
			}
		case ins.Opcode == isa.OpExit:
			continue
		case cls.IsJump():
			if t, ok := target(pc); ok {
				flow(t, v)
			}
			if ins.JumpOp() == isa.JumpJA {
				continue
			}
		}
		flow(next, v)
	}
	for pc := range st[:n] {
		if !seen[pc] {
			st[pc] = r1All
		}
	}
	return st[:n]
}

// findFolds finds the accesses to fold: "mov rA, rB; add rA, rI" or
// "mov rA, rI; add rA, rB" (64-bit; rA not rB, rI or r10, rI not r10),
// where rB holds r1's entry value (entryR1), directly followed in the same
// basic block by an access through rA that is Proven or WriteChecked in
// the input or the context, or by a combined load through rA (Proven)
// made only of the instructions of its range; rA dead after the access
// (or written by the load), a store not storing rA; outside group spans
// and other combinations. The folds exist only with the verifier's
// facts, so never in the code that runs callbacks (callbackProgram),
// whose entries may be anywhere; native code with facts is entered only
// at block leaders, and mov is the only one of the three that may be one.
func (l *lowerer) findFolds(block []int) {
	l.folds = map[int]*fold{}
	hb, ok := l.be.(hostBaser)
	if !ok || !hb.foldsHostBase() || l.facts == nil || !l.facts.Analyzed {
		return
	}
	p := l.p
	n := len(p)
	var holds []uint32
	var live []uint16
	movX := uint8(isa.ClassALU64) | uint8(isa.ALUMov) | uint8(isa.SrcX)
	addX := uint8(isa.ClassALU64) | uint8(isa.ALUAdd) | uint8(isa.SrcX)
	for pc := 0; pc+2 < n; pc++ {
		mov, add := p[pc], p[pc+1]
		if mov.Opcode != movX || add.Opcode != addX || mov.Offset != 0 || p.IsContinuation(pc) ||
			block[pc+1] > 0 || block[pc+2] > 0 || add.Dst != mov.Dst {
			continue
		}
		if holds == nil {
			holds = entryR1(p, l.target, l.outside)
			live = l.lives(block)
		}
		a := mov.Dst
		var index, r1 uint8
		switch {
		case mov.Src < isa.R10 && holds[pc]>>mov.Src&1 != 0:
			r1, index = mov.Src, add.Src
		case add.Src < isa.R10 && holds[pc+1]>>add.Src&1 != 0:
			r1, index = add.Src, mov.Src
		default:
			continue
		}
		if a == r1 || a == index || a >= isa.R10 || index >= isa.R10 {
			continue
		}
		if l.inCombo[pc] || l.inCombo[pc+1] || l.inSpan(pc) || l.inSpan(pc+1) || l.inSpan(pc+2) {
			continue
		}
		q := pc + 2
		ins := p[q]
		var acc Access
		var written bool // the access writes rA
		end := q         // the pc after which rA must be dead
		if cb := l.combos[q]; cb != nil {
			if cb.first != q || cb.inGroup || cb.nested || cb.base != a || cb.a.Mode != Proven || len(cb.parts) > 1 {
				continue
			}
			whole := len(cb.pcs) == cb.last-cb.first+1
			for _, r := range cb.pcs {
				whole = whole && l.combos[r] == cb
			}
			if !whole {
				continue
			}
			acc, written, end = cb.a, cb.dst == a, cb.last
		} else if l.inCombo[q] {
			continue
		} else {
			switch {
			case ins.Class() == isa.ClassLDX && ins.Src == a && (ins.Mode() == isa.ModeMEM || ins.Mode() == isa.ModeMEMSX):
				acc = l.access(q, a, ins.Offset, ins.Size().Bytes(), false, false)
				written = ins.Dst == a
			case ins.Class() == isa.ClassST && ins.Dst == a && ins.Mode() == isa.ModeMEM:
				acc = l.access(q, a, ins.Offset, ins.Size().Bytes(), true, false)
			case ins.Class() == isa.ClassSTX && ins.Dst == a && ins.Mode() == isa.ModeMEM && ins.Src != a:
				acc = l.access(q, a, ins.Offset, ins.Size().Bytes(), true, false)
			default:
				continue
			}
		}
		if acc.Mode != Proven && acc.Mode != WriteChecked || acc.Region < vm.RegionInput {
			continue
		}
		if !written && live[end]&regBit(a) != 0 {
			continue
		}
		l.folds[pc] = &fold{mov: pc, add: pc + 1, pc: q, base: a, index: index, r1: r1}
		l.folds[pc+1] = l.folds[pc]
		l.folds[q] = l.folds[pc]
		pc++
	}
}

// inSpan reports whether pc lies in a group's span (which has a slow copy).
func (l *lowerer) inSpan(pc int) bool {
	_, in := l.slowPC[pc]
	return in
}

// lives returns the liveness of the program (computed once).
func (l *lowerer) lives(block []int) []uint16 {
	if l.live == nil {
		l.live = l.liveness(block)
	}
	return l.live
}

// folded returns a, the access at f.pc, folded.
func (f *fold) folded(a Access) Access {
	a.Fold, a.Index = true, f.index
	return a
}

// emitFolded emits the access at pc, whose Access is a, folded.
func (l *lowerer) emitFolded(pc int, f *fold, a Access) {
	ins := l.p[pc]
	a = f.folded(a)
	switch ins.Class() {
	case isa.ClassLDX:
		l.be.Load(a, ins.Dst, ins.Mode() == isa.ModeMEMSX)
	case isa.ClassST:
		l.be.Store(a, l.blind(Imm(ins.Imm)))
	default:
		l.be.Store(a, Reg(ins.Src))
	}
}

// outside reports whether the store at pc surely writes the input, the
// context or a map value (not the stack).
func (l *lowerer) outside(pc int) bool {
	f := l.fact(pc)
	return f.InBounds && (f.Region == verifier.RegionInput || f.Region == verifier.RegionContext || f.Region == verifier.RegionMapValue)
}
