package jit

import "github.com/iovm/iovm/isa"

// Block layout: tail duplication. Native code follows eBPF pc order, and
// clang often enters a loop body by a ja to a block above it that ends in
// a conditional jump back (sieve's init loop: two taken jumps per
// element). A ja into a small block is replaced by a copy of that block,
// whose last jump and fall-through go to the original targets, so the
// loop takes one jump per iteration. Only inside loops, where the ja and
// its target have the same depth: elsewhere a copy saves a jump once and
// moves code (sieve measured slower with copies at its loops' entries).
//
// The copy is the same block of the same chain (chain.go): the ja's edge
// adjustment is emitted before it, a head's copy charges what the
// original charges (and a failed charge resumes at the original), its
// taken edge gets its own tramp with the original's adjustment and its
// fall-through jumps to the original's (fallLabel). Copied blocks have no
// resume points: no calls, helper or Go exits (faults and budget exits
// carry their pc and share the original's stubs), no group (span, check or
// slow copy) and no combined load, so pcOff, callOff, helperNext and
// localRet keep naming the original, where Go resumes.

// maxDup is the largest block (in slots) copied at a ja.
const maxDup = 12

// findDups fills l.dups: for each ja, outside groups' spans, whose target
// block may be copied.
func (l *lowerer) findDups(c *code) {
	l.dups = map[int]int{}
	n := len(l.p)
	depth := loopDepth(l.p, c.block)
	lead := 0
	for pc := 0; pc < n; pc++ {
		if l.p.IsContinuation(pc) {
			continue
		}
		if c.block[pc] > 0 {
			lead = pc
		}
		ins := l.p[pc]
		if !ins.Class().IsJump() || ins.JumpOp() != isa.JumpJA {
			continue
		}
		t, ok := l.target(pc)
		if !ok || t == lead || depth[t] == 0 || depth[t] != depth[lead] || c.block[t] == 0 || l.inGroup(pc) || !l.copyable(c, t) {
			continue
		}
		l.dups[pc] = t
	}
}

// inGroup reports whether pc is in a group (member, check or span) or a
// combined load.
func (l *lowerer) inGroup(pc int) bool {
	return l.inSpan(pc) || l.groups[pc] != nil || l.leader[pc] != nil || l.inCombo[pc] || l.combos[pc] != nil
}

// copyable reports whether the block at t may be copied: small, no
// resume points, no groups or combined loads, and it ends in a jump with
// a valid target (a conditional one: with a fall-through) or falls
// through.
func (l *lowerer) copyable(c *code, t int) bool {
	n := len(l.p)
	q, slots := t, 0
	for k := c.block[t]; k > 0; k-- {
		ins := l.p[q]
		slots += ins.Slots()
		if slots > maxDup || l.inGroup(q) {
			return false
		}
		switch ins.Class() {
		case isa.ClassJMP, isa.ClassJMP32:
			if ins.Opcode == isa.OpCall || ins.Opcode == isa.OpCallX || ins.Opcode == isa.OpExit {
				return false
			}
			if _, ok := l.target(q); !ok {
				return false
			}
			if ins.JumpOp() == isa.JumpJA {
				return true
			}
		case isa.ClassLD:
			if ins.Mode() != isa.ModeIMM {
				return false // a legacy load exits to Go and resumes
			}
		case isa.ClassSTX:
			if ins.Mode() == isa.ModeATOMIC {
				return false
			}
		}
		q += ins.Slots()
	}
	return q < n
}

// emitCopy emits a copy of the block at t (see findDups).
func (l *lowerer) emitCopy(c *code, t int) error {
	if k := c.chain.charge[t]; k > 0 && l.freeTarget(t) {
		l.be.(Versioner).ChargeFree(k) // in a loop's copy (version.go)
	} else if k > 0 {
		l.be.Charge(t, k, l.origLabel(t)) // a failed charge resumes at the original
	}
	q, last := t, t
	for k := c.block[t]; k > 0; k-- {
		last = q
		if f := l.folds[q]; f != nil && q != f.pc {
			q += l.p[q].Slots()
			continue
		}
		pair, err := l.emitBody(c, q)
		if err != nil {
			return err
		}
		if pair {
			k--
			q++
			last = q
		}
		q += l.p[q].Slots()
	}
	if ins := l.p[last]; !ins.Class().IsJump() || ins.JumpOp() != isa.JumpJA {
		l.be.Jump(l.fallLabel(q))
	}
	return nil
}

// emitBody emits the instruction at pc (not a combined load's, nor a
// fold's mov or add): folded, fused with pc+1 (pair), or alone.
func (l *lowerer) emitBody(c *code, pc int) (pair bool, err error) {
	if f := l.folds[pc]; f != nil {
		l.emitFolded(pc, f, l.access(pc, f.base, l.p[pc].Offset, l.p[pc].Size().Bytes(), l.p[pc].Class() != isa.ClassLDX, false))
		return false, nil
	}
	if d, s, src, ok := l.fusable(pc, c.block); ok {
		l.be.(movAdder).MovAdd(d, s, src)
		return true, nil
	}
	return false, l.insn(pc)
}
