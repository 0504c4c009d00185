package jit

import "github.com/iovm/iovm/isa"

// Loop unrolling. A small loop runs at about one iteration per taken
// branch, and its charge (sub, jb) is a third of sieve's count loop. A
// loop that is one basic block jumping back to itself, with no way out to
// Go but its charge (no calls, legacy loads, atomics, groups; accesses
// Frame or Proven, so no faults), is emitted as an unrolled group before
// the original block:
//
//	G:    sub cnt, k*c; jb undo       (the header's label: every way in)
//	      body; if !cond goto x0      (copies 0..k-2: leave when not taken)
//	      ...
//	      body; if cond goto G        (copy k-1: the back edge)
//	      jmp next
//	x_i:  add cnt, (k-1-i)*c; jmp next (the copies not run)
//	undo: add cnt, k*c
//	      sub cnt, c; jb budget exit  (the original block, resuming at G)
//	      body; if cond goto G
//	next:
//
// One charge pays for k iterations; a way out after copy i gives back the
// k-1-i copies not run, so every edge leaving the group carries what the
// interpreter ran. When fewer than k*c instructions are left (the budget
// or a yield quantum), the original block runs one iteration with its own
// charge and goes back to G: the budget runs out at the original's charge,
// at the interpreter's pc, as without unrolling. The original keeps every
// resume point (pcOff, a budget exit's restart is G); the copies have none.

// unrollSlots bounds the eBPF slots of a group (k copies of the body).
const unrollSlots = 64

// maxUnroll is the most copies of a loop body.
const maxUnroll = 8

// unroller is implemented by backends that unroll loops.
type unroller interface {
	// ChargeOr subtracts n from the budget counter and jumps to fail,
	// with the counter n lower, when fewer than n were left.
	ChargeOr(n int, fail Label)
	// GuardCount jumps to fail unless iv + add, in width w, neither
	// wraps nor fails "op src" (op: JLT or JLE; src a register or an
	// unblinded immediate). It may clobber flags and scratch registers.
	GuardCount(w Width, iv uint8, add int32, op isa.JumpOp, src Operand, fail Label)
}

// unroll is a loop of one block unrolled (see above).
type unroll struct {
	head, last int // the block's leader and its last instruction, the jump back
	cost       int // instructions per iteration (what the block charges)
	k          int // copies
	// counted: the jump back is "if iv < src" (or <=) with iv increased
	// by step once per iteration and src invariant (see counted).
	counted bool
	iv      uint8
	step    int64
}

// findUnrolls fills l.unrolls with the loops to unroll. It needs the
// chains, the edges' adjustments, groups and combined loads.
func (l *lowerer) findUnrolls(c *code) {
	l.unrolls = map[int]*unroll{}
	if _, ok := l.be.(unroller); !ok {
		return
	}
	for h := range l.p {
		if c.block[h] == 0 {
			continue
		}
		last := lastOf(l.p, c.block, h)
		if t, ok := l.target(last); !ok || t != h || !l.unrollable(c, h, last) {
			continue
		}
		cost := c.block[h]
		slots := last + 1 - h
		k := maxUnroll
		for k > 1 && k*slots > unrollSlots {
			k /= 2
		}
		if k > 1 {
			u := &unroll{head: h, last: last, cost: cost, k: k}
			u.iv, u.step, u.counted = l.counted(h, last)
			u.counted = u.counted && int64(k-1)*u.step <= 1<<20
			l.unrolls[h] = u
		}
	}
}

// unrollable reports whether the block from h to last, which jumps back
// to h, may be unrolled: a head charging only itself, its jump back
// conditional with an inverse and no adjustment, nothing else that jumps
// or leaves native code, and only accesses that cannot fault.
func (l *lowerer) unrollable(c *code, h, last int) bool {
	j := l.p[last]
	if j.Opcode == isa.OpCall || j.Opcode == isa.OpCallX || j.Opcode == isa.OpExit {
		return false
	}
	if _, ok := inverse[j.JumpOp()]; !ok || c.chain.charge[h] != c.block[h] || last+1 >= len(l.p) {
		return false
	}
	if _, ok := l.adjJump[last]; ok {
		return false
	}
	if _, ok := l.slowPC[h]; ok {
		return false
	}
	for pc := h; pc < last; pc += l.p[pc].Slots() {
		if l.inSpan(pc) || l.groups[pc] != nil || l.leader[pc] != nil {
			return false
		}
		ins := l.p[pc]
		var a Access
		switch ins.Class() {
		case isa.ClassALU, isa.ClassALU64:
			if ins.Dst == isa.R10 {
				return false
			}
			continue
		case isa.ClassLD:
			if ins.Mode() != isa.ModeIMM {
				return false
			}
			continue
		case isa.ClassLDX:
			a = l.access(pc, ins.Src, ins.Offset, ins.Size().Bytes(), false, false)
		case isa.ClassST:
			a = l.access(pc, ins.Dst, ins.Offset, ins.Size().Bytes(), true, false)
		case isa.ClassSTX:
			if ins.Mode() != isa.ModeMEM {
				return false
			}
			a = l.access(pc, ins.Dst, ins.Offset, ins.Size().Bytes(), true, false)
		default:
			return false
		}
		if a.Mode != Frame && a.Mode != Proven {
			return false
		}
	}
	return true
}

// counted returns the induction variable and step of the loop from h to
// last when its jump back is "if iv < src" or "if iv <= src" (unsigned,
// either width), iv is written in the body only by one 64-bit "add iv,
// step" with step > 0, and src is an immediate or a register the body
// does not write: then if iv + (k-1)*step passes the test at the top
// (without wrapping), the first k-1 tests pass, their values being
// smaller. Not with blinding (the guard's immediate is not blinded).
func (l *lowerer) counted(h, last int) (iv uint8, step int64, ok bool) {
	j := l.p[last]
	if l.cfg.Blind || j.JumpOp() != isa.JumpJLT && j.JumpOp() != isa.JumpJLE || j.Dst >= isa.R10 {
		return 0, 0, false
	}
	iv = j.Dst
	adds := 0
	for pc := h; pc < last; pc += l.p[pc].Slots() {
		ins := l.p[pc]
		if !writesDst(ins) {
			continue
		}
		if j.Source() == isa.SrcX && ins.Dst == j.Src {
			return 0, 0, false
		}
		if ins.Dst != iv {
			continue
		}
		if ins.Opcode != uint8(isa.ClassALU64)|uint8(isa.ALUAdd)|uint8(isa.SrcK) || ins.Imm <= 0 {
			return 0, 0, false
		}
		adds++
		step = ins.Imm
	}
	return iv, step, adds == 1
}

// inverse maps a conditional jump to the one taken when it is not (JSET
// has none).
var inverse = map[isa.JumpOp]isa.JumpOp{
	isa.JumpJEQ: isa.JumpJNE, isa.JumpJNE: isa.JumpJEQ,
	isa.JumpJGT: isa.JumpJLE, isa.JumpJLE: isa.JumpJGT,
	isa.JumpJGE: isa.JumpJLT, isa.JumpJLT: isa.JumpJGE,
	isa.JumpJSGT: isa.JumpJSLE, isa.JumpJSLE: isa.JumpJSGT,
	isa.JumpJSGE: isa.JumpJSLT, isa.JumpJSLT: isa.JumpJSGE,
}

// emitUnrolled emits u's group at the header's label, up to the original
// block's charge (see above).
func (l *lowerer) emitUnrolled(c *code, u *unroll) error {
	be := l.be
	undo, orig := be.NewLabel(), be.NewLabel()
	j := l.p[u.last]
	w, src := W64, Imm(j.Imm)
	if j.Class() == isa.ClassJMP32 {
		w, src = W32, Imm(int64(uint32(j.Imm)))
	}
	if j.Source() == isa.SrcX {
		src = Reg(j.Src)
	}
	if u.counted {
		be.(unroller).GuardCount(w, u.iv, int32(int64(u.k-1)*u.step), j.JumpOp(), src, orig)
	}
	be.(unroller).ChargeOr(u.k*u.cost, undo)
	next := l.fallLabel(u.last + 1)
	var exits []Label
	for i := 0; i < u.k; i++ {
		if err := l.emitIteration(c, u); err != nil {
			return err
		}
		if i == u.k-1 {
			be.Branch(j.JumpOp(), w, j.Dst, l.blind(src), l.labels[u.head])
			break
		}
		if !u.counted { // a counted loop's guard passed: this test does too
			exits = append(exits, be.NewLabel())
			be.Branch(inverse[j.JumpOp()], w, j.Dst, l.blind(src), exits[i])
		}
	}
	be.Jump(next)
	for i, x := range exits {
		be.Bind(x)
		be.Refund((u.k - 1 - i) * u.cost)
		be.Jump(next)
	}
	be.Bind(undo)
	be.Refund(u.k * u.cost)
	be.Bind(orig)
	c.unrolled[u.head] = be.Offset()
	return nil
}

// emitIteration emits one copy of u's body but its last jump, as the main
// code would (folds, combined loads, fused pairs), with no resume points.
func (l *lowerer) emitIteration(c *code, u *unroll) error {
	for pc := u.head; pc < u.last; pc += l.p[pc].Slots() {
		f := l.folds[pc]
		if f != nil && pc != f.pc {
			continue
		}
		if cb := l.combos[pc]; cb != nil {
			if pc == cb.last {
				if f = l.folds[cb.first]; f != nil {
					l.be.Load(f.folded(cb.a), cb.dst, false)
				} else {
					l.be.Load(cb.a, cb.dst, false)
				}
			}
			continue
		}
		pair, err := l.emitBody(c, pc)
		if err != nil {
			return err
		}
		if pair {
			pc++
		}
	}
	return nil
}
