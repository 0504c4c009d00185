package jit

import (
	"math/bits"

	"github.com/iovm/iovm/isa"
)

// Loop versioning of bounds checks. An innermost loop whose checked
// accesses go through induction variables (a register changed only by one
// "add r, imm" in the loop) plus loop-invariant registers and constants,
// and whose trip count a counter bounds (an induction variable compared
// with an invariant register or a constant at a test every iteration
// passes), gets a copy in which those accesses are Versioned (no
// checks), and another whose budget charges cannot fail either (see
// doc.go). A guard on the edges entering the loop computes, from the
// registers at entry, a range of addresses that holds every address those
// accesses can touch over the bounded iterations, and checks it once
// against the speculated region (bounds and permissions); it enters the
// copy if the range is inside, else the original loop, which faults where
// the interpreter does. Early exits only shorten the loop.
//
// Each accessed register is, at its block's start, an induction variable
// whose write executed j times so far in this activation of the loop:
// with k the iteration (0-based), j is in [k+dmin, k+dmax] (dmin, dmax: the
// write must, may precede the block in an iteration) when the write
// precedes every back edge, else in [0, k+dmax]. The loop's test at pc x
// continues while "c op N"; c there is c' + sc*k (c' = c at entry + sc if
// c's write precedes x), so the iterations passing x are k < P, P the first
// k where the test fails; iteration P still runs up to x, so k <= P, or k <=
// P-1 for accesses x precedes. The guard computes P exactly, or fails when
// the counter could wrap around (jne that never meets its limit, a
// count-down of jgt/jge through 0, a limit at or above 2^63) or P >= 2^31,
// which bounds every product in the range computation.
//
// The copies follow the original loop in the code: the original's
// fall-through out of the loop jumps over them, the last one's falls into
// the code after the loop. Each charges, refunds and exits like the original
// (its blocks' charges resume at the original's, its Checked accesses
// share the original's fault stubs), and its accesses that are not
// Versioned are Checked (no groups); its tail copies (layout.go) too.
// Loops with calls, exits to Go, atomics or combined loads are not
// versioned.

// Versioner is implemented by backends that lower Versioned accesses and
// loop guards.
type Versioner interface {
	// VersionGuard emits the guard g: if every range of g lies in the
	// region of its Spec with its permissions, a jump to free when the
	// budget counter holds at least (P+1)*IterLen+Prepay, else to
	// pass; otherwise nothing (it falls through into the original loop).
	VersionGuard(g VersionGuard, pass, free Label)
	// ChargeFree charges n without a check: the guard proved it cannot
	// fail.
	ChargeFree(n int)
}

// VersionGuard is the guard of a versioned loop: the trip bound P from
// the counter, then the address ranges.
type VersionGuard struct {
	// The loop continues past its test while c op Limit, c = Count + Adj
	// (at entry) + Step*k in iteration k, where Step is 1<<Shift (Down:
	// its negation). Op is JNE, JLT, JLE (up) or JGT, JGE (down, Shift 0).
	Count  uint8
	Adj    int64
	Op     isa.JumpOp
	Limit  Operand
	Shift  uint8
	Down   bool
	Ranges []VersionRange
	// An iteration runs at most IterLen instructions, and the chains
	// charge at most Prepay ahead of the instructions run.
	IterLen, Prepay int64
}

// VersionRange is a range of addresses to check: from base+Lo to
// base+Hi (exclusive), base = IV + Inv at entry (each optional), with
// Step*P added to Lo if Step < 0, else to Hi.
type VersionRange struct {
	IV, Inv       uint8
	HasIV, HasInv bool
	Step          int64
	Lo, Hi        int64
	Spec          Spec
	Read, Write   bool
}

// loopVersion is a loop with a versioned copy.
type loopVersion struct {
	head, end int     // pcs of the header and of the last instruction
	guard     Label   // the guard: l.labels[head] outside the loop
	real      Label   // the header's own label
	copyHead  Label   // the header of the copy that checks the budget
	freeHead  Label   // the header of the copy whose charges cannot fail
	free      bool    // emitting the latter
	orig      []Label // while emitting a copy: the original's labels
	g         VersionGuard
	acc       map[int]Spec // accesses Versioned in the copy
}

// maxVersionSlots bounds the loops versioned (bit sets of one word).
const maxVersionSlots = 64

// maxVersionConst bounds constants in ranges, steps and adjustments, so
// every value the guard computes fits its instructions' immediates.
const maxVersionConst = 1 << 28

// versionLoops enables loop versioning (tests compare without it).
var versionLoops = true

// findVersions finds the loops to version and relabels their headers.
func (l *lowerer) findVersions(c *code) {
	l.vers, l.verAfter = map[int]*loopVersion{}, map[int]*loopVersion{}
	if _, ok := l.be.(Versioner); !ok || !versionLoops || l.cfg.Blind {
		// Blinding: the guard's immediates (limits, offsets, steps)
		// would be the program's constants in the clear.
		return
	}
	_, header := loops(l.p, c.block)
	from := make([][]int, len(l.p))
	for q := range l.p {
		if t, ok := l.target(q); ok && !l.p.IsContinuation(q) {
			from[t] = append(from[t], q)
		}
	}
	for h := 1; h < len(l.p); h++ {
		if header == nil || !header[h] || l.unrolls[h] != nil {
			continue // (unrolled loops have no checked accesses to version)
		}
		// The loop ends at a jump back to h: the last one such that
		// the loop is entered only at h (later ones enter it).
		var v *loopVersion
		for end := min(len(l.p), h+maxVersionSlots) - 1; end >= h && v == nil; end-- {
			if t, ok := l.target(end); ok && t == h && !l.p.IsContinuation(end) && l.p[end].Opcode != isa.OpCall {
				v = l.analyzeLoop(c, h, end, from)
			}
		}
		if v != nil && l.verAfter[v.end+1] == nil {
			v.guard, v.real = l.be.NewLabel(), l.labels[h]
			l.labels[h] = v.guard
			l.vers[h], l.verAfter[v.end+1] = v, v
		}
	}
}

// bitset holds pcs of a loop, bit pc-head.
type bitset = uint64

// analyzeLoop returns the versioning of the loop from header h to the
// jump back at end, or nil.
// from[t] lists the jumps and calls to t.
func (l *lowerer) analyzeLoop(c *code, h, end int, from [][]int) *loopVersion {
	p := l.p
	in := func(pc int) bool { return pc >= h && pc <= end }
	for t := h; t <= end; t++ {
		for _, q := range from[t] {
			if !in(q) && (t != h || p[q].Opcode == isa.OpCall) {
				return nil // another way in, or a function's entry
			}
		}
	}
	// The iteration's DAG: forward edges in the loop; back edges only to h.
	bit := func(pc int) bitset { return 1 << uint(pc-h) }
	var must, may [maxVersionSlots]bitset
	var reach [maxVersionSlots]bool
	var latches []int
	var writes [11][]int
	reach[0] = true
	flow := func(q, t int) {
		i, j := q-h, t-h
		m := must[i] | bit(q)
		if !reach[j] {
			must[j], reach[j] = m, true
		} else {
			must[j] &= m
		}
		may[j] |= may[i] | bit(q)
	}
	for q := h; q <= end; q++ {
		if p.IsContinuation(q) {
			continue
		}
		ins := p[q]
		if !versionable(ins) || l.inCombo[q] || l.combos[q] != nil {
			return nil
		}
		if last, ok := l.last[q]; ok && last > end {
			return nil // a group's span leaves the loop
		}
		if writesDst(ins) {
			writes[ins.Dst&15%11] = append(writes[ins.Dst&15%11], q)
		}
		next := q + ins.Slots()
		if ins.Class().IsJump() {
			t, ok := l.target(q)
			if !ok {
				return nil
			}
			switch {
			case t == h:
				if reach[q-h] {
					latches = append(latches, q)
				}
			case in(t) && t < q:
				return nil // an inner or irreducible loop
			case in(t) && reach[q-h]:
				flow(q, t)
			}
			if ins.JumpOp() == isa.JumpJA {
				continue
			}
		}
		if next <= end && reach[q-h] {
			flow(q, next)
		}
	}
	if len(latches) == 0 {
		return nil
	}
	// dominates reports whether pc a precedes pc b on every path of an
	// iteration (a == b counts).
	dominates := func(a, b int) bool { return a == b || must[b-h]&bit(a) != 0 }
	everyIter := func(a int) bool {
		for _, q := range latches {
			if !dominates(a, q) {
				return false
			}
		}
		return true
	}
	type ivInfo struct {
		w    int   // the write
		step int64 // what it adds
		all  bool  // it precedes every back edge
	}
	ivs := map[uint8]ivInfo{}
	invariant := func(r uint8) bool { return r <= isa.R10 && len(writes[r]) == 0 }
	for r := uint8(0); r < isa.R10; r++ {
		if len(writes[r]) != 1 {
			continue
		}
		w := writes[r][0]
		ins := p[w]
		if ins.Class() != isa.ClassALU64 || ins.Source() != isa.SrcK {
			continue
		}
		step := ins.Imm
		switch ins.ALUOp() {
		case isa.ALUAdd:
		case isa.ALUSub:
			step = -step
		default:
			continue
		}
		if step < -maxVersionConst || step > maxVersionConst {
			continue
		}
		ivs[r] = ivInfo{w, step, everyIter(w)}
	}
	// The exit test.
	var g VersionGuard
	x := -1
	for q := h; q <= end && x < 0; q++ {
		if p.IsContinuation(q) || !reach[q-h] || !everyIter(q) {
			continue
		}
		ins := p[q]
		if ins.Class() != isa.ClassJMP || ins.JumpOp() == isa.JumpJA || ins.JumpOp() == isa.JumpCall || ins.JumpOp() == isa.JumpExit {
			continue
		}
		t, _ := l.target(q)
		op := ins.JumpOp()
		switch {
		case !in(t) && q+1 <= end: // taken exits: continue on the negation
			n, ok := op.Negate()
			if !ok {
				continue
			}
			op = n
		case in(t) && q == end: // falls out of the loop
		default:
			continue
		}
		cr, lim := ins.Dst, Imm(ins.Imm)
		if ins.Source() == isa.SrcX {
			lim = Reg(ins.Src)
			if _, ok := ivs[cr]; !ok || !invariant(ins.Src) {
				cr, lim, op = ins.Src, Reg(ins.Dst), op.Swap()
			}
			if !invariant(lim.Reg) {
				continue
			}
		}
		iv, ok := ivs[cr]
		if !ok || !iv.all || iv.step == 0 {
			continue
		}
		var adj int64
		switch {
		case dominates(iv.w, q):
			adj = iv.step
		case may[q-h]&bit(iv.w) != 0:
			continue
		}
		down := iv.step < 0
		mag := uint64(iv.step)
		if down {
			mag = uint64(-iv.step)
		}
		if mag&(mag-1) != 0 {
			continue
		}
		shift := uint8(bits.TrailingZeros64(mag))
		switch op {
		case isa.JumpJNE:
		case isa.JumpJLT, isa.JumpJLE:
			if down || !lim.IsImm || lim.Imm >= 0 {
				break
			}
			continue // a limit at or above 2^63
		case isa.JumpJGT, isa.JumpJGE:
			if !down || shift != 0 || op == isa.JumpJGE && lim.IsImm && lim.Imm == 0 {
				continue
			}
		default:
			continue
		}
		if (op == isa.JumpJLT || op == isa.JumpJLE) && down {
			continue
		}
		x = q
		g = VersionGuard{Count: cr, Adj: adj, Op: op, Limit: lim, Shift: shift, Down: down}
	}
	if x < 0 {
		return nil
	}
	// The accesses, by base: IV + Inv + constant.
	type key struct {
		iv, inv int8
		step    int64
		spec    Spec
	}
	ranges := map[key]*VersionRange{}
	var order []key
	acc := map[int]Spec{}
	lead := h
	for a := h; a <= end; a++ {
		if p.IsContinuation(a) {
			continue
		}
		if c.block[a] > 0 {
			lead = a
		}
		if !reach[a-h] {
			continue
		}
		base, off, size, write, ok := l.checkedAccess(a)
		if !ok || l.spec[a] == SpecNone {
			continue
		}
		s, ok := symbolic(p, lead, a, base, ivs, invariant)
		if !ok {
			continue
		}
		var step, jlo, e int64
		if s.iv >= 0 {
			iv := ivs[uint8(s.iv)]
			step = iv.step
			if may[lead-h]&bit(iv.w) != 0 {
				e = 1
			}
			if iv.all && dominates(iv.w, lead) && iv.w != lead {
				jlo = 1
			}
		}
		if dominates(x, a) {
			e-- // not in iteration P
		}
		d := s.c + int64(off)
		lo, hi := d+step*jlo, d+int64(size)+step*e
		if step < 0 {
			lo, hi = d+step*e, d+int64(size)+step*jlo
		}
		k := key{s.iv, s.inv, step, l.spec[a]}
		r := ranges[k]
		if r == nil {
			r = &VersionRange{Step: step, Lo: lo, Hi: hi, Spec: k.spec}
			r.IV, r.HasIV = uint8(s.iv), s.iv >= 0
			r.Inv, r.HasInv = uint8(s.inv), s.inv >= 0
			ranges[k] = r
			order = append(order, k)
		}
		r.Lo, r.Hi = min(r.Lo, lo), max(r.Hi, hi)
		r.Read = r.Read || !write
		r.Write = r.Write || write
		acc[a] = k.spec
	}
	if len(acc) == 0 {
		return nil
	}
	for _, k := range order {
		g.Ranges = append(g.Ranges, *ranges[k])
	}
	// The budget: each instruction runs at most once an iteration; what
	// chains charge ahead is at most a charge in the loop.
	for q := h; q <= end; q++ {
		if p.IsContinuation(q) {
			continue
		}
		g.IterLen++
		g.Prepay = max(g.Prepay, int64(c.chain.charge[q]), int64(l.adjFall[q].charge))
		if t, ok := l.target(q); ok && in(t) {
			g.Prepay = max(g.Prepay, int64(l.adjJump[q].charge))
		}
	}
	return &loopVersion{head: h, end: end, g: g, acc: acc}
}

// versionable reports whether ins may be in a versioned loop: no calls,
// exits, exits to Go or atomics.
func versionable(ins isa.Instruction) bool {
	switch ins.Class() {
	case isa.ClassJMP, isa.ClassJMP32:
		return ins.JumpOp() != isa.JumpCall && ins.JumpOp() != isa.JumpExit
	case isa.ClassLD:
		return ins.Mode() == isa.ModeIMM
	case isa.ClassSTX:
		return ins.Mode() == isa.ModeMEM
	}
	return true
}

// checkedAccess reports the base, offset, size and direction of a load or
// store at pc that the main code checks (Checked or in a group).
func (l *lowerer) checkedAccess(pc int) (base uint8, off int16, size int, write, ok bool) {
	ins := l.p[pc]
	switch {
	case ins.Class() == isa.ClassLDX && (ins.Mode() == isa.ModeMEM || ins.Mode() == isa.ModeMEMSX):
		base = ins.Src
	case ins.Class() == isa.ClassST && ins.Mode() == isa.ModeMEM,
		ins.Class() == isa.ClassSTX && ins.Mode() == isa.ModeMEM:
		base, write = ins.Dst, true
	default:
		return
	}
	size = ins.Size().Bytes()
	a := l.access(pc, base, ins.Offset, size, write, false)
	ok = a.Mode == Checked || a.Mode == Grouped || a.Mode == GroupedFast
	return base, ins.Offset, size, write, ok && base <= isa.R10
}

// ivSym is a register's value as iv + inv + c, iv an induction variable's
// value at the block's start, inv an invariant register (-1: none).
type ivSym struct {
	iv, inv int8
	c       int64
	ok      bool
}

// symbolic evaluates register base at pc a from the block's leader lead.
func symbolic[T any](p isa.Program, lead, a int, base uint8, ivs map[uint8]T, invariant func(uint8) bool) (ivSym, bool) {
	var s [11]ivSym
	for r := range s {
		s[r] = ivSym{iv: -1, inv: -1}
		if _, ok := ivs[uint8(r)]; ok {
			s[r].iv, s[r].ok = int8(r), true
		} else if invariant(uint8(r)) {
			s[r].inv, s[r].ok = int8(r), true
		}
	}
	for q := lead; q < a; q += p[q].Slots() {
		ins := p[q]
		if !writesDst(ins) {
			continue
		}
		d := &s[ins.Dst&15%11]
		src := s[ins.Src&15%11]
		switch {
		case ins.Class() != isa.ClassALU64:
			d.ok = false
		case ins.ALUOp() == isa.ALUMov && ins.Source() == isa.SrcX && ins.Offset == 0:
			*d = src
		case ins.ALUOp() == isa.ALUAdd && ins.Source() == isa.SrcK:
			d.c += ins.Imm
		case ins.ALUOp() == isa.ALUSub && ins.Source() == isa.SrcK:
			d.c -= ins.Imm
		case ins.ALUOp() == isa.ALUAdd && ins.Source() == isa.SrcX && ins.Src != ins.Dst:
			if !src.ok || !d.ok || d.iv >= 0 && src.iv >= 0 || d.inv >= 0 && src.inv >= 0 {
				d.ok = false
				break
			}
			d.iv, d.inv, d.c = max(d.iv, src.iv), max(d.inv, src.inv), d.c+src.c
		default:
			d.ok = false
		}
		if d.c < -maxVersionConst || d.c > maxVersionConst {
			d.ok = false
		}
	}
	r := s[base]
	return r, r.ok && (r.iv >= 0 || r.inv >= 0)
}

// emitGuard emits the guard of v before its header; the header's label
// is its own in the loop.
func (l *lowerer) emitGuard(v *loopVersion) {
	l.be.Bind(v.guard)
	v.copyHead, v.freeHead = l.be.NewLabel(), l.be.NewLabel()
	l.be.(Versioner).VersionGuard(v.g, v.copyHead, v.freeHead)
	l.labels[v.head] = v.real
}

// origLabel returns the label of pc in the original code: a loop's copy
// relabels its pcs.
func (l *lowerer) origLabel(pc int) Label {
	if v := l.verCopy; v != nil && pc >= v.head && pc <= v.end {
		return v.orig[pc-v.head]
	}
	return l.labels[pc]
}

// freeTarget reports whether an edge to pc t, emitted now, charges
// without checks: it stays in a copy whose charges cannot fail.
func (l *lowerer) freeTarget(t int) bool {
	v := l.verCopy
	return v != nil && v.free && t >= v.head && t <= v.end
}

// emitVersion emits the copies of v, after the original loop: the
// original's fall-through out of the loop jumps over them, the first
// copy's too.
func (l *lowerer) emitVersion(c *code, v *loopVersion) error {
	l.labels[v.head] = v.guard
	last := l.p[v.end]
	falls := !last.Class().IsJump() || last.JumpOp() != isa.JumpJA
	if falls {
		l.be.Jump(l.fallLabel(v.end + 1))
	}
	if err := l.emitLoopCopy(c, v, false); err != nil {
		return err
	}
	if falls {
		l.be.Jump(l.fallLabel(v.end + 1))
	}
	return l.emitLoopCopy(c, v, true)
}

// emitLoopCopy emits a copy of v's loop: its charges unchecked if free.
func (l *lowerer) emitLoopCopy(c *code, v *loopVersion, free bool) error {
	p, be := l.p, l.be
	orig := make([]Label, v.end-v.head+1)
	fall := map[int]Label{}
	for pc := v.head; pc <= v.end; pc++ {
		orig[pc-v.head] = l.labels[pc]
		l.labels[pc] = be.NewLabel()
		if f, ok := l.fallIn[pc]; ok {
			fall[pc] = f
			l.fallIn[pc] = be.NewLabel()
		}
	}
	orig[0] = v.real
	l.labels[v.head] = v.copyHead
	if free {
		l.labels[v.head] = v.freeHead
	}
	defer func() {
		for pc := v.head; pc <= v.end; pc++ {
			l.labels[pc] = orig[pc-v.head]
			if f, ok := fall[pc]; ok {
				l.fallIn[pc] = f
			}
		}
		l.labels[v.head] = v.guard
		l.verCopy, l.slow, v.free, v.orig = nil, false, false, nil
	}()
	l.verCopy, l.slow, v.free, v.orig = v, true, free, orig
	skip := -1
	for pc := v.head; pc <= v.end; pc++ {
		if p.IsContinuation(pc) {
			continue
		}
		if a, ok := l.adjFall[pc]; ok && pc != v.head {
			be.Bind(l.fallIn[pc])
			l.emitAdjust(a)
		}
		if pc == v.head {
			if al, ok := be.(Aligner); ok {
				al.AlignLoop()
			}
		}
		be.Bind(l.labels[pc])
		if k := c.chain.charge[pc]; k > 0 && free {
			be.(Versioner).ChargeFree(k)
		} else if k > 0 {
			be.Charge(pc, k, l.restartAt(pc, l.origLabel(pc))) // resumes in the original
		}
		if pc == skip {
			continue
		}
		if f := l.folds[pc]; f != nil && pc != f.pc {
			continue
		}
		if t, ok := l.dups[pc]; ok {
			if a, ok := l.adjJump[pc]; ok {
				l.emitAdjust(a)
			}
			if err := l.emitCopy(c, t); err != nil {
				return err
			}
			continue
		}
		pair, err := l.emitBody(c, pc)
		if err != nil {
			return err
		}
		if pair {
			skip = pc + 1
		}
	}
	return nil // the copy's fall-through: into the code after the loop
}
