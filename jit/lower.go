package jit

import (
	"fmt"
	"math/bits"
	"sort"

	"github.com/iovm/iovm/isa"
	"github.com/iovm/iovm/verifier"
	"github.com/iovm/iovm/vm"
)

// Reasons of ExitInvalid (state.aux): the interpreter's, so messages match.
const (
	invFallOff    = vm.InvalidFallOff
	invLddwMiddle = vm.InvalidLddwMiddle
	invJumpRange  = vm.InvalidJumpRange
	invCallRange  = vm.InvalidCallRange
)

// code is the result of lowering a program with a backend.
type code struct {
	bytes []byte
	// pcOff[pc] is the offset of the native code of pc (-1 for the second
	// slot of a lddw); pcOff[len] is the end of the main code.
	pcOff []int
	// callOff[pc] is where a callback to pc starts (vm.LocalCaller): pcOff,
	// or inside a group's span the slow copy, which needs no saved base.
	callOff []int
	start   int       // offset of the code of pc 0
	begin   int       // offset of the first-entry stub (Starter), -1 without
	cbRet   int       // offset of the stub a callback's exit returns to
	block   []int     // block[pc] = size in instructions of the block starting at pc (0 if not a leader)
	chain   chainInfo // blocks charged together (chain.go)
	cache   bool      // the code reads state.cache: fill it before entries
	// wcRegions has bit id set for each region (input, context) that has
	// stores proven in bounds whose write permission is chosen per run
	// (WriteChecked; Proven in a writable variant, see Program.pick).
	wcRegions uint8
	// proven has bit id set for each region (input, context) with
	// accesses whose bounds the verifier proved against the region's
	// length at entry (Proven, WriteChecked, folded): a helper that
	// shrinks the region moves the run to code without facts.
	proven uint8
	// movable: helperNext and localRet are unambiguous (see record).
	movable bool
	// helperNext[pc] is where native code resumes after the helper call
	// at pc, localRet[pc] where the local call at pc returns (0
	// elsewhere), to move a run between compilations (Program.moveTo).
	helperNext []int
	localRet   []int
	folds      int // accesses folded with the host base (hostbase.go)
	// dups[pc]: the ja at pc is a copy of the block at dups[pc] (layout.go).
	dups map[int]int
	// unrolled[pc]: the loop with header pc is unrolled (unrolls[pc]),
	// and the original block's code starts at that offset, after the
	// group (unroll.go).
	unrolled map[int]int
	unrolls  map[int]*unroll
	// versions: the loops with versioned copies, by header (version.go).
	versions []*loopVersion
}

// lowerer walks one program and drives a backend.
type lowerer struct {
	be     Backend
	p      isa.Program
	facts  *verifier.Facts
	cfg    Config
	labels []Label // label of each pc
	faults map[int]Label
	groups map[int]*Group // group of each grouped access, by pc
	leader map[int]*Group // group whose check precedes pc
	spec   []Spec         // likely region of the base of the access at pc
	// With a GroupJumper: last[pc] is the last member of the group led by
	// pc; slowPC[pc] labels the slow copy of pc (inside a group's span);
	// slow is set while emitting slow copies (members are Checked there).
	jumper bool
	last   map[int]int
	slowPC map[int]Label
	slow   bool
	// combos[pc] is the combined load pc belongs to (see combine.go);
	// inCombo[pc]: pc lies in the range of one.
	combos  map[int]*combo
	inCombo map[int]bool
	// Budget adjustments of edges (chain.go): on the taken edge of the
	// jump at pc, and on the fall-through into pc (fallIn[pc] is bound
	// before its code); tramps are the taken edges' stubs.
	adjJump map[int]adjust
	adjFall map[int]adjust
	fallIn  map[int]Label
	// folds[pc]: pc is the mov, the add or the access of a fold
	// (hostbase.go); live: the liveness, once computed.
	folds      map[int]*fold
	live       []uint16
	tramps     []tramp
	wcRegions  uint8 // see code.wcRegions
	proven     uint8 // see code.proven
	helperNext []int // see code.helperNext
	localRet   []int // see code.localRet
	ambiguous  bool  // see record
	// dups[pc]: the ja at pc is replaced by a copy of the block at
	// dups[pc] (layout.go).
	dups map[int]int
	// unrolls[pc]: the loop whose header is pc is unrolled (unroll.go).
	unrolls map[int]*unroll
	// Loop versioning (version.go): vers[pc] is the loop whose header is
	// pc, verAfter[pc] the loop whose last instruction precedes pc;
	// verCopy is the loop whose copy is being emitted.
	vers     map[int]*loopVersion
	verAfter map[int]*loopVersion
	verCopy  *loopVersion
}

// restartAt is where a failed charge at pc resumes: at from, or inside a
// group's span after its check, in the slow copy, which needs no saved
// base.
func (l *lowerer) restartAt(pc int, from Label) Label {
	if s, ok := l.slowPC[pc]; ok && l.leader[pc] == nil {
		return s
	}
	return from
}

// adjust is what an edge into a block does to the budget: refund what
// its source paid for blocks it skips, then charge the rest of the chain
// from target (a side entry into a member) if charge > 0.
type adjust struct {
	refund, charge int
	target         int
}

// tramp is a taken edge that adjusts the budget, then jumps to dest, the
// label of its target where the jump was emitted (a loop's copy has its
// own labels, version.go).
type tramp struct {
	l Label
	adjust
	dest Label
	free bool // its charge cannot fail (version.go)
}

// emitAdjust emits a's refund and side-entry charge. A failed charge exits
// with ExitBudget at a.target and resumes at the charge.
func (l *lowerer) emitAdjust(a adjust) {
	l.adjustBudget(a, l.freeTarget(a.target))
}

// adjustBudget is emitAdjust; free: the charge cannot fail (version.go).
func (l *lowerer) adjustBudget(a adjust, free bool) {
	if a.refund > 0 {
		l.be.Refund(a.refund)
	}
	if a.charge > 0 && free {
		l.be.(Versioner).ChargeFree(a.charge)
	} else if a.charge > 0 {
		r := l.be.NewLabel()
		l.be.Bind(r)
		l.be.Charge(a.target, a.charge, r)
	}
}

// fallLabel returns the label of the fall-through into pc, before its
// budget adjustment.
func (l *lowerer) fallLabel(pc int) Label {
	if f, ok := l.fallIn[pc]; ok {
		return f
	}
	return l.labels[pc]
}

// lower compiles p for be. A pinner backend is told which registers the
// program leaves free, and the program is lowered again when the backend
// picked values to keep in them from the first code.
func lower(be Backend, p isa.Program, facts *verifier.Facts, cfg Config) (*code, error) {
	pn, ok := be.(pinner)
	if !ok {
		return lowerOnce(be, p, facts, cfg)
	}
	pn.setFree(^usedRegs(p) & (1<<isa.R10 - 1))
	c, err := lowerOnce(be, p, facts, cfg)
	if err != nil {
		return c, err
	}
	// A read weighs 8 times more per loop around it, at most 8^4.
	var depth, offs, pcs []int // offs, pcs: the main code's pcs by offset
	end := c.pcOff[len(p)]
	weight := func(off int) uint64 {
		if depth == nil {
			depth = loopDepth(p, c.block)
			for pc := 0; pc < len(p); pc++ {
				if c.pcOff[pc] >= 0 {
					offs, pcs = append(offs, c.pcOff[pc]), append(pcs, pc)
				}
			}
		}
		i := sort.SearchInts(offs, off+1) - 1
		if off >= end || i < 0 {
			return 1 // stubs and slow paths
		}
		return 1 << (3 * min(depth[pcs[i]], 4))
	}
	if !pn.repin(weight) {
		return c, err
	}
	return lowerOnce(be, p, facts, cfg)
}

// pinner is implemented by backends that keep per-run values in the host
// registers of eBPF registers the program never uses.
type pinner interface {
	// setFree gives the eBPF registers r0..r9 the program never uses (bit
	// r), before the first lowering; it drops earlier pins.
	setFree(free uint16)
	// repin chooses the values to pin from the code just generated, where
	// the code at offset off runs about weight(off) times more often than
	// code outside loops; true asks for a lowering with them.
	repin(weight func(off int) uint64) bool
}

// usedRegs returns the eBPF registers r0..r9 that p may read or write
// (bit r), explicitly or implicitly. Helper calls read r1..r5 and write
// r0..r5; local calls pass r1..r5 and return r0 (the backends save only
// the callee-saved registers the program uses); exits read r0; legacy
// packet loads write r0 (and clobber r1..r5 in Linux). A register field
// that is not a register (lddw's pseudo source, a call's kind) is not
// counted; others are, even where the opcode ignores them.
func usedRegs(p isa.Program) uint16 {
	m := uint16(1) // r0: the result
	for pc, ins := range p {
		if p.IsContinuation(pc) {
			continue
		}
		m |= 1 << (ins.Dst & 15)
		call := ins.Opcode == isa.OpCall || ins.Opcode == isa.OpCallX
		if !call && ins.Opcode != isa.OpExit && ins.Opcode != isa.OpLDDW {
			m |= 1 << (ins.Src & 15)
		}
		if call || ins.Class() == isa.ClassLD && ins.Opcode != isa.OpLDDW {
			m |= 1<<6 - 1
		}
	}
	return m & (1<<isa.R10 - 1)
}

// maxLoopBlocks bounds the programs loopDepth analyses (it is quadratic at
// worst).
const maxLoopBlocks = 4096

// loopDepth returns, for each pc, the number of natural loops it is in
// (a loop: the blocks that reach a back edge's source without passing
// its target, the header, which dominates the source; back edges to one
// header make one loop), from the basic blocks (block[pc]: size of the
// block starting at pc). Local calls do not enter their callee here; each
// callee is a root, and so is each block without predecessors (a
// function only helpers call back). All 0 beyond maxLoopBlocks blocks.
func loopDepth(p isa.Program, block []int) []int {
	depth, _ := loops(p, block)
	return depth
}

// loops returns loopDepth's depths and, for each pc, whether it starts a
// loop's header (a block some back edge jumps to); header is nil beyond
// maxLoopBlocks blocks (unknown).
func loops(p isa.Program, block []int) (depth []int, header []bool) {
	n := len(p)
	depth = make([]int, n+1)
	var starts []int
	id := make([]int, n+1) // block of each pc
	for pc := 0; pc < n; pc++ {
		if block[pc] > 0 {
			starts = append(starts, pc)
		}
		id[pc] = len(starts) - 1
	}
	nb := len(starts)
	if nb == 0 || nb > maxLoopBlocks {
		return depth, nil
	}
	l := &lowerer{p: p}
	succ := make([][]int, nb+1) // block nb: a virtual root
	pred := make([][]int, nb+1)
	edge := func(a, t int) {
		if t >= 0 && t < n {
			succ[a] = append(succ[a], id[t])
			pred[id[t]] = append(pred[id[t]], a)
		}
	}
	edge(nb, 0)
	for b, start := range starts {
		end := n
		if b+1 < nb {
			end = starts[b+1]
		}
		last := end - 1
		for last > start && p.IsContinuation(last) {
			last--
		}
		ins := p[last]
		next := last + ins.Slots()
		switch {
		case ins.Opcode == isa.OpExit:
		case ins.Opcode == isa.OpCall && ins.Src == isa.CallLocal:
			if t, ok := l.target(last); ok {
				edge(nb, t)
			}
			edge(b, next)
		case ins.Opcode == isa.OpCall || ins.Opcode == isa.OpCallX || !ins.Class().IsJump():
			edge(b, next)
		default:
			t, ok := l.target(last)
			if !ok {
				break // exits with ExitInvalid
			}
			edge(b, t)
			if ins.JumpOp() != isa.JumpJA {
				edge(b, next)
			}
		}
	}
	for b := 1; b < nb; b++ {
		if len(pred[b]) == 0 {
			edge(nb, starts[b]) // no way in but a callback (vm.LocalCaller): a root too
		}
	}
	// Reverse postorder from the root, then immediate dominators (Cooper,
	// Harvey and Kennedy's iteration).
	order := make([]int, nb+1) // rpo number of each block, -1 if unreached
	for i := range order {
		order[i] = -1
	}
	var post []int
	seen := make([]bool, nb+1)
	type frame struct{ b, i int }
	stack := []frame{{nb, 0}}
	seen[nb] = true
	for len(stack) > 0 {
		f := &stack[len(stack)-1]
		if f.i < len(succ[f.b]) {
			t := succ[f.b][f.i]
			f.i++
			if !seen[t] {
				seen[t] = true
				stack = append(stack, frame{t, 0})
			}
			continue
		}
		post = append(post, f.b)
		stack = stack[:len(stack)-1]
	}
	rpo := make([]int, len(post))
	for i, b := range post {
		rpo[len(post)-1-i] = b
		order[b] = len(post) - 1 - i
	}
	idom := make([]int, nb+1)
	for i := range idom {
		idom[i] = -1
	}
	idom[nb] = nb
	for changed := true; changed; {
		changed = false
		for _, b := range rpo[1:] {
			d := -1
			for _, q := range pred[b] {
				if idom[q] < 0 {
					continue
				}
				if d < 0 {
					d = q
					continue
				}
				x, y := d, q
				for x != y {
					for order[x] > order[y] {
						x = idom[x]
					}
					for order[y] > order[x] {
						y = idom[y]
					}
				}
				d = x
			}
			if d >= 0 && idom[b] != d {
				idom[b] = d
				changed = true
			}
		}
	}
	dominates := func(h, b int) bool {
		for ; b != nb; b = idom[b] {
			if b == h {
				return true
			}
		}
		return h == nb
	}
	in := make([]int, nb) // depth of each block
	mark := make([]int, nb)
	header = make([]bool, n+1)
	for h := 0; h < nb; h++ {
		var work []int
		for _, u := range pred[h] {
			if u < nb && idom[u] >= 0 && dominates(h, u) {
				work = append(work, u)
			}
		}
		if len(work) == 0 {
			continue
		}
		header[starts[h]] = true
		mark[h] = h + 1
		in[h]++
		for len(work) > 0 {
			u := work[len(work)-1]
			work = work[:len(work)-1]
			if mark[u] == h+1 {
				continue
			}
			mark[u] = h + 1
			in[u]++
			for _, q := range pred[u] {
				if q < nb && mark[q] != h+1 {
					work = append(work, q)
				}
			}
		}
	}
	for pc := 0; pc < n; pc++ {
		if id[pc] >= 0 {
			depth[pc] = in[id[pc]]
		}
	}
	return depth, header
}

// lowerOnce compiles p for be.
func lowerOnce(be Backend, p isa.Program, facts *verifier.Facts, cfg Config) (*code, error) {
	n := len(p)
	for _, ins := range p {
		if ins.Opcode == isa.OpCall && ins.Src == isa.CallLocal {
			cfg.LocalCalls = true
		}
	}
	cfg.Slots = n
	l := &lowerer{be: be, p: p, facts: facts, cfg: cfg, faults: map[int]Label{}, helperNext: make([]int, n+1), localRet: make([]int, n+1)}
	be.Begin(&l.cfg)

	// Leaders: the first pc, jump and call targets, and the pc after any
	// instruction that ends a block (jumps, calls, exits, legacy loads).
	leader := make([]bool, n+1)
	leader[0] = true
	for pc := 0; pc < n; pc++ {
		ins := p[pc]
		if p.IsContinuation(pc) {
			continue
		}
		if ins.IsWide() {
			continue
		}
		if t, ok := l.target(pc); ok {
			leader[t] = true
		}
		if endsBlock(ins) {
			leader[pc+1] = true
		}
		if ins.Class() == isa.ClassSTX && ins.Mode() == isa.ModeATOMIC && cfg.BigEndian {
			leader[pc+1] = true // resumes after an exit to Go
		}
	}
	c := &code{pcOff: make([]int, n+1), callOff: make([]int, n+1), block: make([]int, n+1), unrolled: map[int]int{}}
	for pc := 0; pc < n; {
		if !leader[pc] || p.IsContinuation(pc) {
			pc++
			continue
		}
		k, q := 0, pc
		for {
			k++
			q += p[q].Slots()
			if q >= n || leader[q] {
				break
			}
		}
		c.block[pc] = k
		pc = q
	}

	l.labels = make([]Label, n+1)
	for i := range l.labels {
		l.labels[i] = be.NewLabel()
	}
	l.spec = speculate(p)
	if _, ok := be.(Grouper); ok {
		target := make([]bool, n+1)
		for pc := 0; pc < n; pc++ {
			if t, ok := l.target(pc); ok && !p.IsContinuation(pc) {
				target[t] = true
			}
		}
		l.findGroups(c.block, target)
		_, l.jumper = be.(GroupJumper)
	}
	l.findCombos(c.block) // may extend groups' spans
	c.chain = chains(p, c.block, l.chainable(c.block), l.target)
	l.refunds(c)
	var slowCopies []int // leaders of groups whose slow copy is due
	if l.jumper {
		l.slowPC = map[int]Label{}
		for first, last := range l.last {
			for pc := first; pc <= last; pc++ {
				l.slowPC[pc] = be.NewLabel()
			}
		}
	}
	l.findFolds(c.block) // after slowPC: no folds in groups' spans
	l.findDups(c)        // after slowPC: no copies in groups' spans
	l.findUnrolls(c)
	l.findVersions(c) // after dups, combinations and groups
	// Targets of backward jumps (loop headers, and blocks clang places
	// before their loop's header), for an Aligner; a tail copy's jump
	// leaves from the ja it replaces.
	var back []bool
	al, align := be.(Aligner)
	if align {
		back = make([]bool, n+1)
		for pc := range p {
			if t, ok := l.target(pc); ok && t <= pc && p[pc].Class().IsJump() {
				back[t] = true
			}
		}
		for j, t := range l.dups {
			q := lastOf(p, c.block, t)
			if tt, ok := l.target(q); ok && tt <= j && p[q].Class().IsJump() {
				back[tt] = true
			}
		}
	}
	be.Entry()
	c.start = be.Offset()
	var fused []int // pcs of fused pairs' second instructions
	skip := -1      // the second instruction of a fused pair
	for pc := 0; pc < n; pc++ {
		if v := l.verAfter[pc]; v != nil {
			if err := l.emitVersion(c, v); err != nil {
				return nil, err
			}
		}
		if p.IsContinuation(pc) {
			c.pcOff[pc] = -1
			continue
		}
		if a, ok := l.adjFall[pc]; ok {
			be.Bind(l.fallIn[pc])
			l.emitAdjust(a)
		}
		if v := l.vers[pc]; v != nil {
			l.emitGuard(v)
		}
		if align && back[pc] {
			al.AlignLoop() // after the fall-through's adjustment: jumps come to the label
		}
		be.Bind(l.labels[pc])
		c.pcOff[pc] = be.Offset()
		if u := l.unrolls[pc]; u != nil {
			if err := l.emitUnrolled(c, u); err != nil {
				return nil, err
			}
		}
		if c.chain.charge[pc] > 0 {
			be.Charge(pc, c.chain.charge[pc], l.restartAt(pc, l.labels[pc]))
		}
		if g := l.leader[pc]; g != nil {
			if l.jumper {
				be.(GroupJumper).GroupCheckJump(*g, l.slowPC[pc])
				slowCopies = append(slowCopies, pc)
			} else {
				be.(Grouper).GroupCheck(*g)
			}
		}
		if pc == skip {
			continue
		}
		f := l.folds[pc]
		if f != nil && pc != f.pc {
			continue // the mov and the add: rA is dead after the access
		}
		if cb := l.combos[pc]; cb != nil {
			if pc == cb.last && l.emitComboAt(cb) {
				c.folds++
			}
			continue
		}
		if f != nil {
			c.folds++
		}
		if t, ok := l.dups[pc]; ok {
			// A jump into a small block: a copy of it instead (layout.go).
			if a, ok := l.adjJump[pc]; ok {
				l.emitAdjust(a)
			}
			if err := l.emitCopy(c, t); err != nil {
				return nil, err
			}
			continue
		}
		pair, err := l.emitBody(c, pc)
		if err != nil {
			return nil, err
		}
		if pair {
			skip = pc + 1
			fused = append(fused, skip)
		}
	}
	if v := l.verAfter[n]; v != nil {
		if err := l.emitVersion(c, v); err != nil {
			return nil, err
		}
	}
	// Falling off the end.
	be.Bind(l.labels[n])
	c.pcOff[n] = be.Offset()
	be.ExitToGo(ExitInvalid, n, Imm(invFallOff), NoLabel)
	c.cbRet = be.Offset()
	be.ExitToGo(ExitCallback, n, Imm(0), NoLabel)
	// Slow copies of group spans: the same instructions, members checked
	// on their own, then back to the main code after the last member.
	l.slow = true
	for _, first := range slowCopies {
		last := l.last[first]
		for pc := first; pc <= last; pc++ {
			if p.IsContinuation(pc) {
				continue
			}
			if a, ok := l.adjFall[pc]; ok && pc != first {
				l.emitAdjust(a)
			}
			be.Bind(l.slowPC[pc])
			if pc != first {
				c.callOff[pc] = be.Offset()
			}
			if k := c.chain.charge[pc]; k > 0 && pc != first {
				be.Charge(pc, k, l.slowPC[pc])
			}
			if err := l.insn(pc); err != nil {
				return nil, err
			}
		}
		be.Jump(l.fallLabel(last + p[last].Slots()))
	}
	// A callback into a combined load outside groups' spans runs the
	// original instructions up to its end.
	for pc := 0; pc < n; pc++ {
		cb := l.combos[pc]
		if cb == nil || cb.first != pc || cb.inGroup || cb.nested {
			continue
		}
		for q := cb.first + 1; q <= cb.last; q++ {
			if p.IsContinuation(q) {
				continue
			}
			c.callOff[q] = be.Offset()
			if err := l.insn(q); err != nil {
				return nil, err
			}
		}
		be.Jump(l.fallLabel(cb.last + 1))
	}
	l.slow = false
	for _, t := range l.tramps {
		be.Bind(t.l)
		l.adjustBudget(t.adjust, t.free)
		be.Jump(t.dest)
	}
	// A callback into the second instruction of a fused pair runs it alone.
	for _, pc := range fused {
		c.callOff[pc] = be.Offset()
		if err := l.insn(pc); err != nil {
			return nil, err
		}
		be.Jump(l.fallLabel(pc + 1))
	}
	for pc, off := range c.pcOff {
		if c.callOff[pc] == 0 {
			c.callOff[pc] = off
		}
	}
	for pc := 0; pc < n; pc++ {
		if f, ok := l.faults[pc]; ok {
			be.Bind(f)
			if fd := l.folds[pc]; fd != nil && fd.pc == pc {
				// Go rebuilds the fault from rA, which the fold skipped.
				be.Mov(W64, fd.base, Reg(fd.r1))
				be.ALU(isa.ALUAdd, W64, fd.base, Reg(fd.index))
			}
			be.ExitToGo(ExitFault, pc, Imm(0), NoLabel)
		}
	}
	b, err := be.Finish()
	if err != nil {
		return nil, err
	}
	c.bytes = b
	c.begin = -1
	if s, ok := be.(Starter); ok {
		c.begin = s.StartStub()
	}
	if cu, ok := be.(cacheUser); ok {
		c.cache = cu.usesCache()
	}
	c.wcRegions, c.helperNext, c.localRet = l.wcRegions, l.helperNext, l.localRet
	c.proven, c.movable, c.dups, c.unrolls = l.proven, !l.ambiguous, l.dups, l.unrolls
	for pc := range n {
		if v := l.vers[pc]; v != nil {
			c.versions = append(c.versions, v)
		}
	}
	if l.ambiguous {
		c.wcRegions = 0 // no writable variant
	}
	return c, nil
}

// cacheUser is implemented by backends whose code may read state.cache.
type cacheUser interface {
	// usesCache reports whether the code generated last reads it.
	usesCache() bool
}

// movAdder is implemented by backends that emit "mov d, s; add d, src"
// (64-bit) as one instruction.
type movAdder interface {
	// MovAdd emits d = s + src (s, d and a register src are not r10, d
	// is not s; a register src may be d, standing for s).
	MovAdd(d, s uint8, src Operand)
}

// fusable reports whether pc and pc+1 are "mov d, s; add d, src" in one
// basic block, outside group spans, that the backend fuses: d = s + src,
// with src rewritten when it names d.
func (l *lowerer) fusable(pc int, block []int) (d, s uint8, src Operand, ok bool) {
	if _, ok := l.be.(movAdder); !ok || pc+1 >= len(l.p) || block[pc+1] > 0 {
		return 0, 0, Operand{}, false
	}
	if _, in := l.slowPC[pc]; in {
		return 0, 0, Operand{}, false
	}
	if _, in := l.slowPC[pc+1]; in {
		return 0, 0, Operand{}, false
	}
	if l.inCombo[pc] || l.inCombo[pc+1] {
		return 0, 0, Operand{}, false
	}
	mov, add := l.p[pc], l.p[pc+1]
	if mov.Opcode != uint8(isa.ClassALU64)|uint8(isa.ALUMov)|uint8(isa.SrcX) || mov.Offset != 0 ||
		mov.Dst >= isa.R10 || mov.Src >= isa.R10 || mov.Dst == mov.Src {
		return 0, 0, Operand{}, false
	}
	d, s = mov.Dst, mov.Src
	switch add.Opcode {
	case uint8(isa.ClassALU64) | uint8(isa.ALUAdd) | uint8(isa.SrcX):
		if add.Dst != d || add.Src >= isa.R10 {
			return 0, 0, Operand{}, false
		}
		src = Reg(add.Src)
		if add.Src == d {
			src = Reg(s)
		}
	case uint8(isa.ClassALU64) | uint8(isa.ALUAdd) | uint8(isa.SrcK):
		if add.Dst != d || (l.cfg.Blind && add.Imm != 0) {
			return 0, 0, Operand{}, false
		}
		src = Imm(add.Imm)
	default:
		return 0, 0, Operand{}, false
	}
	return d, s, src, true
}

// endsBlock reports whether control may leave the straight line after ins.
func endsBlock(ins isa.Instruction) bool {
	switch ins.Class() {
	case isa.ClassJMP, isa.ClassJMP32:
		return true
	case isa.ClassLD:
		return ins.Mode() == isa.ModeABS || ins.Mode() == isa.ModeIND
	}
	return false
}

// lastOf returns the pc of the last instruction of the block at leader b.
func lastOf(p isa.Program, block []int, b int) int {
	for k := block[b]; k > 1; k-- {
		b += p[b].Slots()
	}
	return b
}

// chainable returns whether the block at a leader may be in a chain: it
// ends in a jump (not a call or exit) with a valid target or falls
// through to another block. Blocks in a group's span may be: its slow copy
// charges where the main code does (heads) and adjusts the same edges.
func (l *lowerer) chainable(block []int) func(pc int) bool {
	return func(pc int) bool {
		n := len(l.p)
		q := lastOf(l.p, block, pc)
		ins := l.p[q]
		if ins.Class().IsJump() {
			if ins.JumpOp() == isa.JumpCall || ins.JumpOp() == isa.JumpExit {
				return false
			}
			if _, ok := l.target(q); !ok {
				return false
			}
			return ins.JumpOp() == isa.JumpJA || q+1 < n
		}
		if endsBlock(ins) || (ins.Class() == isa.ClassSTX && ins.Mode() == isa.ModeATOMIC && l.cfg.BigEndian) {
			return false
		}
		return q+ins.Slots() < n
	}
}

// refunds finds the edges whose budget needs adjusting (chain.go): those
// leaving a chain before its end (a refund) and those entering a member
// that their source did not pay for (a side entry: a charge).
func (l *lowerer) refunds(c *code) {
	l.adjJump, l.adjFall, l.fallIn = map[int]adjust{}, map[int]adjust{}, map[int]Label{}
	n := len(l.p)
	ci := &c.chain
	edge := func(b, t int) (adjust, bool) {
		if t == ci.next[b] || t >= n {
			return adjust{}, false
		}
		paid := ci.after[b]
		if ci.charge[t] > 0 { // a head
			return adjust{refund: paid, target: t}, paid > 0
		}
		if r := ci.rest(c.block, t); paid >= r {
			return adjust{refund: paid - r, target: t}, paid > r
		}
		return adjust{refund: paid, charge: ci.rest(c.block, t), target: t}, true
	}
	for b := 0; b < n; b++ {
		if c.block[b] == 0 {
			continue
		}
		q := lastOf(l.p, c.block, b)
		ins := l.p[q]
		if ins.Class().IsJump() && !(ins.Opcode == isa.OpCall && ins.Src == isa.CallLocal) {
			if t, ok := l.target(q); ok {
				if a, ok := edge(b, t); ok {
					l.adjJump[q] = a
				}
			}
			if ins.JumpOp() == isa.JumpJA || ins.Opcode == isa.OpExit {
				continue
			}
		}
		if f := q + ins.Slots(); f < n && c.block[f] > 0 {
			if a, ok := edge(b, f); ok {
				l.adjFall[f] = a
				l.fallIn[f] = l.be.NewLabel()
			}
		}
	}
}

// target returns the target pc of a jump or local call at pc, if it has
// one and it is valid.
func (l *lowerer) target(pc int) (int, bool) {
	ins := l.p[pc]
	var rel int64
	switch {
	case !ins.Class().IsJump():
		return 0, false
	case ins.Opcode == isa.OpCall && ins.Src == isa.CallLocal:
		rel = ins.Imm
	case ins.JumpOp() == isa.JumpCall || ins.JumpOp() == isa.JumpExit:
		return 0, false
	case ins.Class() == isa.ClassJMP32 && ins.JumpOp() == isa.JumpJA:
		rel = ins.Imm
	default:
		rel = int64(ins.Offset)
	}
	t := int64(pc) + 1 + rel
	if t < 0 || t >= int64(len(l.p)) || l.p.IsContinuation(int(t)) {
		return 0, false
	}
	return int(t), true
}

// badTarget returns the ExitInvalid reason of a jump at pc whose target is invalid.
func (l *lowerer) badTarget(pc int, call bool) int {
	if call {
		return invCallRange
	}
	ins := l.p[pc]
	rel := int64(ins.Offset)
	if ins.Class() == isa.ClassJMP32 && ins.JumpOp() == isa.JumpJA {
		rel = ins.Imm
	}
	if t := int64(pc) + 1 + rel; t >= 0 && t < int64(len(l.p)) {
		return invLddwMiddle
	}
	return invJumpRange
}

func (l *lowerer) blind(o Operand) Operand {
	if l.cfg.Blind && o.IsImm && o.Imm != 0 {
		o.Blind = l.cfg.Key()
		if o.Blind == 0 {
			o.Blind = 0x5a5a5a5a
		}
	}
	return o
}

func (l *lowerer) faultLabel(pc int) Label {
	f, ok := l.faults[pc]
	if !ok {
		f = l.be.NewLabel()
		l.faults[pc] = f
	}
	return f
}

// groupable reports the base, offset, size and direction of a plain load
// or store at pc that would be Checked.
func (l *lowerer) groupable(pc int) (base uint8, off int16, size int, write, ok bool) {
	ins := l.p[pc]
	switch ins.Class() {
	case isa.ClassLDX:
		base = ins.Src
	case isa.ClassST:
		base, write = ins.Dst, true
	case isa.ClassSTX:
		if ins.Mode() != isa.ModeMEM {
			return
		}
		base, write = ins.Dst, true
	default:
		return
	}
	a := l.access(pc, base, ins.Offset, ins.Size().Bytes(), write, false)
	return base, ins.Offset, a.Size, write, a.Mode == Checked
}

// findGroups forms access groups: runs of checked loads and stores
// through the same base register with no write to it in between, within an
// extended basic block (blocks entered only by falling through a
// conditional jump, so every path to a member passes the group's check).
// Other checked accesses may interleave (they do not use the group's saved
// base); atomics, calls, exits and unconditional jumps end a group. A
// member reached after an exit to Go (a yield at a block start) finds the
// saved base cleared by the entry stub and checks itself, or, with a
// GroupJumper, resumes in the slow copy of the span.
func (l *lowerer) findGroups(block []int, target []bool) {
	l.groups, l.leader, l.last = map[int]*Group{}, map[int]*Group{}, map[int]int{}
	n := len(l.p)
	var g *Group
	var members []int
	var maxEnd int
	flush := func() {
		if g != nil && len(members) >= 2 {
			g.Span = maxEnd - int(g.MinOff)
			l.leader[members[0]] = g
			l.last[members[0]] = members[len(members)-1]
			for _, m := range members {
				l.groups[m] = g
			}
		}
		g, members = nil, nil
	}
	for pc := 0; pc < n; {
		ins := l.p[pc]
		if block[pc] > 0 && target[pc] {
			flush() // other paths enter here
		}
		base, off, size, write, ok := l.groupable(pc)
		if ok && g != nil && base != g.Base {
			ok = false // another base: checked on its own
		}
		if ok {
			if g == nil {
				g = &Group{PC: pc, Base: base, MinOff: off, Spec: l.spec[pc]}
				maxEnd = int(off) + size
			}
			g.MinOff = min(g.MinOff, off)
			maxEnd = max(maxEnd, int(off)+size)
			g.Read = g.Read || !write
			g.Write = g.Write || write
			members = append(members, pc)
		}
		if g != nil && writesReg(ins, g.Base) {
			flush()
		}
		pc += ins.Slots()
	}
	flush()
}

// writesReg reports whether ins may write register r, or ends a group.
func writesReg(ins isa.Instruction, r uint8) bool {
	if writesDst(ins) && ins.Dst == r {
		return true
	}
	switch {
	case ins.Class() == isa.ClassSTX && ins.Mode() == isa.ModeATOMIC:
		return true // may exit to Go (big-endian programs); ends a group
	case ins.Class().IsJump():
		op := ins.JumpOp()
		return op == isa.JumpJA || op == isa.JumpCall || op == isa.JumpExit
	case ins.Class() == isa.ClassLD && ins.Mode() != isa.ModeIMM:
		return true
	}
	return false
}

func (l *lowerer) access(pc int, base uint8, off int16, size int, write, atomic bool) Access {
	a := Access{PC: pc, Base: base, Off: off, Size: size, Write: write, Swap: l.cfg.BigEndian, Fault: NoLabel}
	switch {
	case base == isa.R10 && int(off) >= -l.cfg.StackSize && int(off)+size <= 0 && (!atomic || int(off)%size == 0):
		// Frame r10 of depth d is (MaxCallDepth-d)*StackSize with d <
		// MaxCallDepth, so the whole current frame is in the stack region.
		a.Mode = Frame
	case l.fact(pc).Proven:
		a.Mode = Proven
		a.Region = regionID(l.fact(pc).Region)
		if a.Region >= vm.RegionInput {
			l.proven |= 1 << a.Region
		}
		if atomic {
			a.Fault = l.faultLabel(pc)
		}
	case l.fact(pc).InBounds && write && !atomic && regionID(l.fact(pc).Region) >= vm.RegionInput:
		a.Region = regionID(l.fact(pc).Region)
		l.wcRegions |= 1 << a.Region
		l.proven |= 1 << a.Region
		if l.cfg.writable {
			a.Mode = Proven // the run's region is writable throughout
			break
		}
		a.Mode = WriteChecked
		a.Fault = l.faultLabel(pc)
	case l.verCopy != nil && l.verCopy.acc[pc] != SpecNone && !atomic:
		a.Mode = Versioned // the loop's guard proved it (version.go)
		a.Spec = l.verCopy.acc[pc]
	case l.groups[pc] != nil && l.jumper && !l.slow:
		a.Mode = GroupedFast
	case l.groups[pc] != nil && !l.slow:
		a.Mode = Grouped
		a.Fault = l.faultLabel(pc)
	default:
		a.Mode = Checked
		a.Fault = l.faultLabel(pc)
		if !atomic && pc < len(l.spec) {
			a.Spec = l.spec[pc]
		}
	}
	return a
}

// record sets at[pc] to the current offset: where native code resumes
// after the helper or local call at pc. Calls end groups and
// combinations, so only the main code has them; should a call have a
// second copy, the record would be ambiguous and the program gets no
// writable variant (ambiguous).
func (l *lowerer) record(at []int, pc int) {
	if l.slow || at[pc] != 0 {
		l.ambiguous = true
	}
	at[pc] = l.be.Offset()
}

// fact returns what the verifier proved about the access at pc.
func (l *lowerer) fact(pc int) verifier.Access {
	if l.facts == nil || !l.facts.Analyzed || pc >= len(l.facts.Access) {
		return verifier.Access{}
	}
	return l.facts.Access[pc]
}

// regionID returns the region id of a verifier region with a fixed id, or 0.
func regionID(r verifier.Region) uint8 {
	switch r {
	case verifier.RegionStack:
		return vm.RegionStack
	case verifier.RegionInput:
		return vm.RegionInput
	case verifier.RegionContext:
		return vm.RegionContext
	}
	return 0
}

// speculate guesses, for each memory access, the region its base register
// points into: the region of r1 at entry or the stack, when the register is
// (a copy of) r1 or r10 plus or minus scalars on every path seen, possibly
// spilled to and reloaded from one of the top specSlots 8-byte slots of the
// frame (compilers spill r1 across loops). It is a forward dataflow over
// the control-flow graph that needs no soundness: a wrong guess only sends
// the access to its full check.
func speculate(p isa.Program) []Spec {
	n := len(p)
	const top = 255
	const specSlots = 8
	type regs [11 + specSlots]uint8 // Spec or top: r0..r10, then the slots at r10-8, r10-16, ...
	// slot returns the index in regs of the slot of an 8-byte access at
	// r10+off, or -1; clobber sets the slots a size-byte store at r10+off
	// overlaps to top.
	slot := func(off int16, size int) int {
		if size != 8 || off >= 0 || off%8 != 0 || int(off) < -8*specSlots {
			return -1
		}
		return 11 + int(-off)/8 - 1
	}
	clobber := func(r *regs, off int16, size int) {
		for k := 0; k < specSlots; k++ {
			lo := -8 * (k + 1)
			if int(off) < lo+8 && int(off)+size > lo {
				r[11+k] = top
			}
		}
	}
	in := make([]regs, n+1)
	seen := make([]bool, n+1)
	var entry regs
	for i := range entry {
		entry[i] = top
	}
	entry[1], entry[10] = uint8(SpecEntry), uint8(SpecStack)
	work := []int{0}
	in[0], seen[0] = entry, true
	flow := func(t int, r regs) {
		if t < 0 || t > n {
			return
		}
		if !seen[t] {
			in[t], seen[t] = r, true
			work = append(work, t)
			return
		}
		changed := false
		for i := range r {
			if in[t][i] != r[i] && in[t][i] != top {
				in[t][i] = top
				changed = true
			}
		}
		if changed {
			work = append(work, t)
		}
	}
	budget := 20 * n
	for len(work) > 0 && budget > 0 {
		budget--
		pc := work[len(work)-1]
		work = work[:len(work)-1]
		if pc >= n {
			continue
		}
		r := in[pc]
		ins := p[pc]
		d := ins.Dst & 15
		if d > 10 {
			d = 0
		}
		s := ins.Src & 15
		if s > 10 {
			s = 0
		}
		next := pc + ins.Slots()
		switch cls := ins.Class(); cls {
		case isa.ClassALU64:
			switch op := ins.ALUOp(); {
			case op == isa.ALUMov && ins.Source() == isa.SrcX && ins.Offset == 0:
				r[d] = r[s]
			case (op == isa.ALUAdd || op == isa.ALUSub) && ins.Source() == isa.SrcK:
			case op == isa.ALUAdd && ins.Source() == isa.SrcX && r[s] == top:
			case op == isa.ALUAdd && ins.Source() == isa.SrcX && r[d] == top:
				r[d] = r[s]
			case op == isa.ALUSub && ins.Source() == isa.SrcX && r[s] == top:
			default:
				r[d] = top
			}
		case isa.ClassALU:
			r[d] = top
		case isa.ClassLDX:
			if k := slot(ins.Offset, ins.Size().Bytes()); s == 10 && k >= 0 && ins.Mode() == isa.ModeMEM {
				r[d] = r[k]
			} else {
				r[d] = top
			}
		case isa.ClassST:
			if d == 10 {
				clobber(&r, ins.Offset, ins.Size().Bytes())
			}
		case isa.ClassLD:
			if ins.Mode() == isa.ModeIMM {
				r[d] = top
			} else {
				r[0] = top
			}
		case isa.ClassSTX:
			k := slot(ins.Offset, ins.Size().Bytes())
			switch {
			case ins.Mode() == isa.ModeATOMIC:
				if d == 10 {
					clobber(&r, ins.Offset, ins.Size().Bytes())
				}
				r[s], r[0] = top, top
			case d == 10 && k >= 0:
				r[k] = r[s]
			case d == 10:
				clobber(&r, ins.Offset, ins.Size().Bytes())
			}
		case isa.ClassJMP, isa.ClassJMP32:
			switch {
			case ins.Opcode == isa.OpExit:
				continue
			case ins.JumpOp() == isa.JumpCall:
				for i := 0; i < 10; i++ {
					if i < 6 || ins.Src == isa.CallLocal {
						r[i] = top
					}
				}
				if ins.Src == isa.CallLocal {
					if t := pc + 1 + int(ins.Imm); t >= 0 && t < n {
						var callee regs
						for i := range callee {
							callee[i] = top
						}
						callee[10] = uint8(SpecStack)
						flow(t, callee)
					}
				}
			case ins.JumpOp() == isa.JumpJA:
				rel := int(ins.Offset)
				if cls == isa.ClassJMP32 {
					rel = int(ins.Imm)
				}
				flow(pc+1+rel, r)
				continue
			default:
				flow(pc+1+int(ins.Offset), r)
			}
		}
		flow(next, r)
	}
	out := make([]Spec, n)
	for pc, ins := range p {
		if !seen[pc] {
			continue
		}
		var base uint8
		switch ins.Class() {
		case isa.ClassLDX:
			base = ins.Src
		case isa.ClassST, isa.ClassSTX:
			base = ins.Dst
		default:
			continue
		}
		if k := in[pc][base&15%11]; k != top {
			out[pc] = Spec(k)
		}
	}
	return out
}

func (l *lowerer) insn(pc int) error {
	be := l.be
	ins := l.p[pc]
	cls := ins.Class()
	if ins.Dst == isa.R10 && writesDst(ins) {
		return fmt.Errorf("jit: pc %d: write to r10", pc)
	}
	switch cls {
	case isa.ClassALU, isa.ClassALU64:
		w := W32
		if cls == isa.ClassALU64 {
			w = W64
		}
		var src Operand
		if ins.Source() == isa.SrcX {
			src = Reg(ins.Src)
		} else if w == W64 {
			src = Imm(ins.Imm)
		} else {
			src = Imm(int64(uint32(ins.Imm)))
		}
		switch op := ins.ALUOp(); op {
		case isa.ALUMov:
			if ins.Offset != 0 {
				be.MovSX(w, ins.Dst, ins.Src, int(ins.Offset))
			} else {
				be.Mov(w, ins.Dst, l.blind(src))
			}
		case isa.ALUNeg:
			be.ALU(op, w, ins.Dst, Operand{})
		case isa.ALULsh, isa.ALURsh, isa.ALUArsh:
			if src.IsImm {
				src.Imm &= int64(w) - 1
			}
			be.ALU(op, w, ins.Dst, src)
		case isa.ALUDiv, isa.ALUMod:
			if src.IsImm && uint32(src.Imm) == 0 {
				switch {
				case op == isa.ALUDiv:
					be.Mov(w, ins.Dst, Imm(0))
				case w == W32:
					be.Mov(W32, ins.Dst, Reg(ins.Dst))
				}
				break
			}
			nz := !src.IsImm && l.facts != nil && l.facts.Analyzed && pc < len(l.facts.DivNonZero) && l.facts.DivNonZero[pc]
			be.DivMod(w, op == isa.ALUMod, ins.Offset == 1, ins.Dst, src, nz)
		case isa.ALUEnd:
			swap := cls == isa.ClassALU64 || (ins.Source() == isa.SrcX) != l.cfg.BigEndian
			be.End(ins.Dst, int(ins.Imm), swap)
		default:
			be.ALU(op, w, ins.Dst, l.blind(src))
		}
	case isa.ClassJMP, isa.ClassJMP32:
		switch {
		case ins.Opcode == isa.OpExit:
			be.Return(pc)
		case ins.Opcode == isa.OpCallX:
			next := be.NewLabel()
			be.ExitToGo(ExitHelper, pc, Reg(ins.Dst), next)
			be.Bind(next)
			l.record(l.helperNext, pc)
		case ins.Opcode == isa.OpCall && ins.Src == isa.CallLocal:
			t, ok := l.target(pc)
			if !ok {
				be.ExitToGo(ExitInvalid, pc, Imm(int64(l.badTarget(pc, true))), NoLabel)
				break
			}
			be.CallLocal(pc, l.labels[t])
			l.record(l.localRet, pc) // the return address is bound last
		case ins.Opcode == isa.OpCall:
			next := be.NewLabel()
			be.ExitToGo(ExitHelper, pc, Imm(int64(int32(ins.Imm))), next)
			be.Bind(next)
			l.record(l.helperNext, pc)
		default:
			t, ok := l.target(pc)
			if !ok {
				be.ExitToGo(ExitInvalid, pc, Imm(int64(l.badTarget(pc, false))), NoLabel)
				break
			}
			if ins.JumpOp() == isa.JumpJA {
				if a, ok := l.adjJump[pc]; ok {
					l.emitAdjust(a)
				}
				be.Jump(l.labels[t])
				break
			}
			w := W64
			src := Imm(ins.Imm)
			if cls == isa.ClassJMP32 {
				w = W32
				src = Imm(int64(uint32(ins.Imm)))
			}
			if ins.Source() == isa.SrcX {
				src = Reg(ins.Src)
			}
			to := l.labels[t]
			if a, ok := l.adjJump[pc]; ok {
				to = be.NewLabel()
				l.tramps = append(l.tramps, tramp{to, a, l.labels[t], l.freeTarget(t)})
			}
			be.Branch(ins.JumpOp(), w, ins.Dst, l.blind(src), to)
		}
	case isa.ClassLD:
		switch ins.Mode() {
		case isa.ModeIMM:
			if ins.Src != isa.LDDWImm {
				return fmt.Errorf("jit: pc %d: unresolved lddw with src %d", pc, ins.Src)
			}
			var key int64
			if l.cfg.Blind {
				// 64 random bits: a sign-extended 32-bit key would leave
				// the constant's upper half in the code, or its complement.
				key = l.cfg.Key()<<32 ^ int64(uint32(l.cfg.Key())) | 1
			}
			be.LoadImm64(ins.Dst, uint64(ins.Imm), key)
		default:
			next := be.NewLabel()
			be.ExitToGo(ExitLegacy, pc, Imm(0), next)
			be.Bind(next)
		}
	case isa.ClassLDX:
		size := ins.Size().Bytes()
		be.Load(l.access(pc, ins.Src, ins.Offset, size, false, false), ins.Dst, ins.Mode() == isa.ModeMEMSX)
	case isa.ClassST:
		size := ins.Size().Bytes()
		be.Store(l.access(pc, ins.Dst, ins.Offset, size, true, false), l.blind(Imm(ins.Imm)))
	case isa.ClassSTX:
		size := ins.Size().Bytes()
		if ins.Mode() == isa.ModeATOMIC {
			if l.cfg.BigEndian {
				next := be.NewLabel()
				be.ExitToGo(ExitAtomic, pc, Imm(0), next)
				be.Bind(next)
				break
			}
			be.Atomic(l.access(pc, ins.Dst, ins.Offset, size, true, true), isa.AtomicOp(ins.Imm), ins.Src)
			break
		}
		be.Store(l.access(pc, ins.Dst, ins.Offset, size, true, false), Reg(ins.Src))
	}
	return nil
}

// writesDst reports whether ins writes its dst register.
func writesDst(ins isa.Instruction) bool {
	switch ins.Class() {
	case isa.ClassALU, isa.ClassALU64, isa.ClassLDX:
		return true
	case isa.ClassLD:
		return ins.Mode() == isa.ModeIMM
	}
	return false
}

// swapN reverses the low size bytes of v (for backends storing
// immediates of a big-endian program).
func swapN(v uint64, size int) uint64 {
	switch size {
	case 2:
		return uint64(bits.ReverseBytes16(uint16(v)))
	case 4:
		return uint64(bits.ReverseBytes32(uint32(v)))
	case 8:
		return bits.ReverseBytes64(v)
	}
	return v
}
