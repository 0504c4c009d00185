package jit

import (
	"github.com/iovm/iovm/isa"
	"github.com/iovm/iovm/vm"
)

// Host base folding: clang addresses the input as "mov rA, r1; add rA,
// rI; ldxb rX, [rA+k]". Where r1 still holds its value from the run's
// entry, r1 + delta is a per-run constant, the host base (cHost in
// state.cache), so a proven access there is one host access
// [host + rI + k], and the mov and add emit nothing when rA is dead after
// the access (see findFolds).

// hostBaser is implemented by backends that take folded accesses
// (Access.Fold).
type hostBaser interface {
	foldsHostBase() bool
}

// fold is a folded access: the instructions at mov and add compute base =
// r1 + index, and the access at pc (a plain load or store, or the first
// instruction of a combined load) reads or writes base+off.
type fold struct {
	mov, add, pc int
	base, index  uint8
}

// entryR1 returns, for each pc, whether r1 surely holds its value from
// the run's entry there: a forward must-dataflow over the control-flow
// graph in which an instruction that may write r1 (explicitly, or as a
// call or a legacy packet load may) kills it, and a local call's callee
// starts without it. Unreached pcs report true (no run executes them).
func entryR1(p isa.Program, target func(pc int) (int, bool)) []bool {
	n := len(p)
	const (
		unseen = iota
		holds
		lost
	)
	st := make([]uint8, n+1)
	var work []int
	flow := func(t int, v uint8) {
		if t < 0 || t >= n || st[t] == lost || st[t] == v {
			return
		}
		st[t] = v // unseen -> holds or lost, holds -> lost: at most twice
		work = append(work, t)
	}
	flow(0, holds)
	for len(work) > 0 {
		pc := work[len(work)-1]
		work = work[:len(work)-1]
		v := st[pc]
		ins := p[pc]
		if kills := writesR1(ins); kills {
			v = lost
		}
		next := pc + ins.Slots()
		switch {
		case ins.Opcode == isa.OpExit:
			continue
		case ins.Opcode == isa.OpCall && ins.Src == isa.CallLocal:
			if t, ok := target(pc); ok {
				flow(t, lost) // r1 is the caller's argument
			}
		case ins.Class().IsJump() && ins.Opcode != isa.OpCall && ins.Opcode != isa.OpCallX:
			if t, ok := target(pc); ok {
				flow(t, v)
			}
			if ins.JumpOp() == isa.JumpJA {
				continue
			}
		}
		flow(next, v)
	}
	out := make([]bool, n)
	for pc := range out {
		out[pc] = st[pc] != lost
	}
	return out
}

// writesR1 reports whether ins may write r1 (calls and legacy packet
// loads clobber r1..r5; atomics with a fetch write their source).
func writesR1(ins isa.Instruction) bool {
	switch {
	case writesDst(ins):
		return ins.Dst == isa.R1
	case ins.Class() == isa.ClassSTX && ins.Mode() == isa.ModeATOMIC:
		return ins.Src == isa.R1
	case ins.Class() == isa.ClassLD:
		return true
	case ins.Opcode == isa.OpCall || ins.Opcode == isa.OpCallX:
		return true
	}
	return false
}

// findFolds finds the accesses to fold: "mov rA, r1; add rA, rI" or
// "mov rA, rI; add rA, r1" (64-bit, rA not r1, rI or r10, rI not r10)
// directly followed, in the same basic block, by an access through rA
// that is Proven or WriteChecked in the input or the context, or by a
// combined load through rA (Proven) made only of the instructions of its
// range; where r1 holds its entry value, rA is dead after the access (or
// the load writes it) and a store does not store rA. Outside group spans
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
	var holds []bool
	var live []uint16
	movX := uint8(isa.ClassALU64) | uint8(isa.ALUMov) | uint8(isa.SrcX)
	addX := uint8(isa.ClassALU64) | uint8(isa.ALUAdd) | uint8(isa.SrcX)
	for pc := 0; pc+2 < n; pc++ {
		mov, add := p[pc], p[pc+1]
		if mov.Opcode != movX || add.Opcode != addX || mov.Offset != 0 || p.IsContinuation(pc) ||
			block[pc+1] > 0 || block[pc+2] > 0 || add.Dst != mov.Dst {
			continue
		}
		a := mov.Dst
		var index uint8
		switch {
		case mov.Src == isa.R1:
			index = add.Src
		case add.Src == isa.R1:
			index = mov.Src
		default:
			continue
		}
		if a == isa.R1 || a == index || a >= isa.R10 || index >= isa.R10 {
			continue
		}
		if l.inCombo[pc] || l.inCombo[pc+1] || l.inSpan(pc) || l.inSpan(pc+1) || l.inSpan(pc+2) {
			continue
		}
		if holds == nil {
			holds = entryR1(p, l.target)
			live = l.lives(block)
		}
		if !holds[pc] {
			continue
		}
		q := pc + 2
		ins := p[q]
		var acc Access
		var written bool // the access writes rA
		end := q         // the pc after which rA must be dead
		if cb := l.combos[q]; cb != nil {
			if cb.first != q || cb.inGroup || cb.nested || cb.base != a || cb.a.Mode != Proven {
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
		l.folds[pc] = &fold{mov: pc, add: pc + 1, pc: q, base: a, index: index}
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
