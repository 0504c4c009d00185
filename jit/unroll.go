package jit

import (
	"slices"

	"github.com/iovm/iovm/isa"
)

// Loop unrolling. Small loops run at about one iteration per taken
// branch, and a charge (sub, jb) per iteration; clang unrolls them. A
// loop is unrolled when its header heads a chain (chain.go) whose blocks,
// the trace, all jump forward in it or back to the header (sieve's init
// loop: 12, 14, 4), at most unrollSlots slots, with no way out to Go but
// the header's charge: no calls, legacy loads, atomics or groups, and
// only Frame or Proven accesses (no faults; the writable variant's
// stores). It is emitted as a group before the original header block:
//
//	G:    [guard: counted loops]      (the header's label: every way in)
//	      sub cnt, k*c; jb undo       (c: the header's charge)
//	      trace; if !cond goto x0     (copies 0..k-2, blocks in chain order)
//	      ...
//	      trace; if cond goto G       (copy k-1: the jump back)
//	      jmp next
//	x_i:  add cnt, r+(k-1-i)*c; jmp t (ways out of copy i; r: the edge's own)
//	undo: add cnt, k*c
//	orig: sub cnt, c; jb budget exit  (the original block, resuming at G)
//	      ...                         (the original code, jumping back to G)
//
// One charge pays for k iterations; edges inside a copy keep their
// refunds (chain.go), and an edge leaving copy i also gives back the
// k-1-i iterations not run, so every edge carries what the interpreter
// ran. When fewer than k*c instructions are left (the budget or a yield
// quantum), the original code runs one iteration with its own charges and
// comes back to G: the budget runs out at the original's charge, at the
// interpreter's pc, as without unrolling. The original keeps every
// resume point (pcOff; a budget exit's restart is G); the copies have
// none. A counted loop (see counted) tests its jump back only once per
// group, behind a guard that its k-1 other tests pass, else it runs the
// original code (so do a loop's last k-1 iterations).

// unrollCopies is the number of copies of a loop body, for bodies of at
// most unrollSlots slots. On the benchmark machine (AMD EPYC) fewer copies
// measured slower than none on bench/checksum (2 copies: 1.6x the time,
// 4: 1.03x, 8: 0.92x), and sieve gained most with 8.
const (
	unrollCopies = 8
	unrollSlots  = 16
)

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

// unroll is a loop unrolled (see above).
type unroll struct {
	head  int   // the header, G
	trace []int // the loop's blocks, head first, each paying for the next (chain.go)
	cost  int   // what one iteration charges: the head's charge
	k     int   // copies
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
		if c.block[h] == 0 || c.chain.charge[h] == 0 {
			continue
		}
		if _, ok := l.slowPC[h]; ok {
			continue
		}
		u := &unroll{head: h, cost: c.chain.charge[h]}
		slots, back := 0, false
		for b := h; b >= 0; b = c.chain.next[b] {
			u.trace = append(u.trace, b)
			last := lastOf(l.p, c.block, b)
			slots += last + l.p[last].Slots() - b
			ok, jumpsBack := l.unrollable(c, b, last, h)
			if !ok || len(u.trace) > 1 && c.chain.charge[b] != 0 || slots > unrollSlots {
				slots = unrollSlots + 1
				break
			}
			back = back || jumpsBack
		}
		u.k = unrollCopies
		if !back || slots > unrollSlots || !l.forward(c, u.trace) {
			continue
		}
		u.iv, u.step, u.counted = l.counted(c, u.trace)
		u.counted = u.counted && int64(u.k-1)*u.step <= 1<<20
		l.unrolls[h] = u
	}
}

// forward reports whether every edge between blocks of the trace goes
// to a later block or to the head: each copy then runs each block at
// most once (a cycle inside a copy would escape its charge).
func (l *lowerer) forward(c *code, trace []int) bool {
	in := map[int]int{}
	for i, b := range trace {
		in[b] = i
	}
	for i, b := range trace {
		last := lastOf(l.p, c.block, b)
		for _, t := range l.succs(last) {
			if j, ok := in[t]; ok && j != 0 && j <= i {
				return false
			}
		}
	}
	return true
}

// succs returns the targets of the edges out of the block ending at last.
func (l *lowerer) succs(last int) []int {
	var s []int
	ins := l.p[last]
	if t, ok := l.target(last); ok && ins.Class().IsJump() {
		s = append(s, t)
	}
	if !ins.Class().IsJump() || ins.JumpOp() != isa.JumpJA {
		s = append(s, last+ins.Slots())
	}
	return s
}

// unrollable reports whether the block from b to last may be copied in
// an unrolled loop with header h, and whether it has an edge to h: it
// ends in a jump (not a call or exit) with a valid target or falls
// through, no edge from it charges (a side entry), and nothing in it
// jumps or leaves native code: no groups, legacy loads or atomics, and
// accesses that cannot fault.
func (l *lowerer) unrollable(c *code, b, last, h int) (ok, back bool) {
	n := len(l.p)
	j := l.p[last]
	if j.Class().IsJump() {
		t, ok := l.target(last)
		if !ok || j.Opcode == isa.OpCall || j.Opcode == isa.OpCallX || j.Opcode == isa.OpExit {
			return false, false
		}
		back = t == h
		if a, ok := l.adjJump[last]; ok && a.charge > 0 {
			return false, false
		}
	}
	if f := last + j.Slots(); !j.Class().IsJump() || j.JumpOp() != isa.JumpJA {
		if f >= n {
			return false, false
		}
		back = back || f == h
		if a, ok := l.adjFall[f]; ok && a.charge > 0 {
			return false, false
		}
	}
	end := last
	if !j.Class().IsJump() {
		end = last + j.Slots()
	}
	for pc := b; pc < end; pc += l.p[pc].Slots() {
		if l.inSpan(pc) || l.groups[pc] != nil || l.leader[pc] != nil {
			return false, false
		}
		ins := l.p[pc]
		var a Access
		switch ins.Class() {
		case isa.ClassALU, isa.ClassALU64:
			if ins.Dst == isa.R10 {
				return false, false
			}
			continue
		case isa.ClassLD:
			if ins.Mode() != isa.ModeIMM {
				return false, false
			}
			continue
		case isa.ClassLDX:
			a = l.access(pc, ins.Src, ins.Offset, ins.Size().Bytes(), false, false)
		case isa.ClassST:
			a = l.access(pc, ins.Dst, ins.Offset, ins.Size().Bytes(), true, false)
		case isa.ClassSTX:
			if ins.Mode() != isa.ModeMEM {
				return false, false
			}
			a = l.access(pc, ins.Dst, ins.Offset, ins.Size().Bytes(), true, false)
		default:
			return false, false
		}
		if a.Mode != Frame && a.Mode != Proven {
			return false, false
		}
	}
	return true, back
}

// counted returns the induction variable and step of the loop of the
// trace when only its last block jumps back to the header, by "if iv <
// src" or "if iv <= src" (unsigned, either width, no refund), iv is
// written in the loop only by one 64-bit "add iv, step" with step > 0 in
// that block, and src is an immediate or a register the loop does not
// write: then if iv + (k-1)*step passes the test at the top (without
// wrapping), the first k-1 tests reached pass, their values being
// smaller (ways out before them are tested as usual). Not with blinding
// (the guard's immediate is not blinded).
func (l *lowerer) counted(c *code, trace []int) (iv uint8, step int64, ok bool) {
	h, lb := trace[0], trace[len(trace)-1]
	last := lastOf(l.p, c.block, lb)
	j := l.p[last]
	if t, ok := l.target(last); !ok || t != h || l.cfg.Blind || last+1 == h ||
		j.JumpOp() != isa.JumpJLT && j.JumpOp() != isa.JumpJLE || j.Dst >= isa.R10 {
		return 0, 0, false
	}
	if _, ok := l.adjJump[last]; ok {
		return 0, 0, false
	}
	iv = j.Dst
	adds := 0
	for _, b := range trace {
		q := lastOf(l.p, c.block, b)
		if b != lb && slices.Contains(l.succs(q), h) {
			return 0, 0, false
		}
		for pc := b; pc <= q; pc += l.p[pc].Slots() {
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
			if b != lb || ins.Opcode != uint8(isa.ClassALU64)|uint8(isa.ALUAdd)|uint8(isa.SrcK) || ins.Imm <= 0 {
				return 0, 0, false
			}
			adds++
			step = ins.Imm
		}
	}
	return iv, step, adds == 1
}

// edgeStub is a stub of an unrolled copy's edge: refund, then jump.
type edgeStub struct {
	l, to  Label
	refund int
}

// emitUnrolled emits u's group at the header's label, up to the original
// block's charge (see above).
func (l *lowerer) emitUnrolled(c *code, u *unroll) error {
	be := l.be
	undo, orig := be.NewLabel(), be.NewLabel()
	branch := func(pc int) (w Width, src Operand) {
		j := l.p[pc]
		w, src = W64, Imm(j.Imm)
		if j.Class() == isa.ClassJMP32 {
			w, src = W32, Imm(int64(uint32(j.Imm)))
		}
		if j.Source() == isa.SrcX {
			src = Reg(j.Src)
		}
		return w, l.blind(src)
	}
	if u.counted {
		last := lastOf(l.p, c.block, u.trace[len(u.trace)-1])
		w, src := branch(last)
		src.Blind = 0 // counted: no blinding
		be.(unroller).GuardCount(w, u.iv, int32(int64(u.k-1)*u.step), l.p[last].JumpOp(), src, orig)
	}
	be.(unroller).ChargeOr(u.k*u.cost, undo)
	in := map[int]int{} // index in the trace of each block
	for i, b := range u.trace {
		in[b] = i
	}
	// labels[i][j]: block j of copy i; labels[k][0] is G.
	labels := make([][]Label, u.k+1)
	for i := range labels {
		labels[i] = make([]Label, len(u.trace))
		for j := range labels[i] {
			labels[i][j] = be.NewLabel()
		}
	}
	labels[u.k][0] = l.labels[u.head]
	var stubs []edgeStub
	for i := 0; i < u.k; i++ {
		for j, b := range u.trace {
			be.Bind(labels[i][j])
			last := lastOf(l.p, c.block, b)
			ins := l.p[last]
			end := last
			if !ins.Class().IsJump() {
				end = last + ins.Slots()
			}
			if err := l.emitIteration(c, b, end); err != nil {
				return err
			}
			// The code after this block's: the next block of the copy,
			// or the next copy's head.
			after := NoLabel // the last copy's last block: G is above
			if j+1 < len(u.trace) {
				after = labels[i][j+1]
			} else if i+1 < u.k {
				after = labels[i+1][0]
			}
			if u.counted && i < u.k-1 && j == len(u.trace)-1 {
				continue // the guard passed: the jump back is taken
			}
			// dest returns where an edge to t with refund r goes, and
			// whether it is the code after (no jump needed).
			dest := func(t, r int, fall bool) (Label, bool) {
				var to Label
				switch jt, ok := in[t]; {
				case t == u.head:
					to = labels[i+1][0]
				case ok:
					to = labels[i][jt]
				default: // leaving the loop: give back the copies not run
					r += (u.k - 1 - i) * u.cost
					to = l.labels[t]
					if fall {
						to, r = l.fallLabel(t), r-l.adjFall[t].refund // the fall-through's own
					}
				}
				if r == 0 {
					return to, to == after
				}
				s := edgeStub{be.NewLabel(), to, r}
				stubs = append(stubs, s)
				return s.l, false
			}
			isJump := ins.Class().IsJump()
			var taken, fall Label
			var tNext, fNext bool
			if isJump {
				t, _ := l.target(last)
				taken, tNext = dest(t, l.adjJump[last].refund, false)
			}
			if !isJump || ins.JumpOp() != isa.JumpJA {
				f := last + ins.Slots()
				fall, fNext = dest(f, l.adjFall[f].refund, true)
			}
			switch {
			case !isJump:
				if !fNext {
					be.Jump(fall)
				}
			case ins.JumpOp() == isa.JumpJA:
				if !tNext {
					be.Jump(taken)
				}
			default:
				w, src := branch(last)
				op := ins.JumpOp()
				inv, ok := op.Negate()
				switch {
				case fNext:
					be.Branch(op, w, ins.Dst, src, taken)
				case tNext && ok:
					be.Branch(inv, w, ins.Dst, src, fall)
				default:
					be.Branch(op, w, ins.Dst, src, taken)
					be.Jump(fall)
				}
			}
		}
	}
	for _, s := range stubs {
		be.Bind(s.l)
		be.Refund(s.refund)
		be.Jump(s.to)
	}
	be.Bind(undo)
	be.Refund(u.k * u.cost)
	be.Bind(orig)
	c.unrolled[u.head] = be.Offset()
	return nil
}

// emitIteration emits a copy of the instructions from b to end, as the
// main code would (folds, combined loads, fused pairs), with no resume
// points.
func (l *lowerer) emitIteration(c *code, b, end int) error {
	for pc := b; pc < end; pc += l.p[pc].Slots() {
		f := l.folds[pc]
		if f != nil && pc != f.pc {
			continue
		}
		if cb := l.combos[pc]; cb != nil {
			if pc == cb.last {
				l.emitComboAt(cb)
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
