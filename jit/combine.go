package jit

import (
	"math/bits"
	"sort"

	"github.com/iovm/iovm/isa"
	"github.com/iovm/iovm/verifier"
)

// Load combining: byte loads assembled into one value with constant
// shifts and ORs (clang's code for unaligned and network-order fields)
// become one wide load, byte-swapped when the bytes are in big-endian
// order. A symbolic evaluation over each basic block finds the
// expressions; a combination is kept only when its result is exactly the
// original sequence's, faults and callbacks included (see findCombos).

// LoadCombiner is implemented by backends that take the wide loads of
// combined byte loads (Access.Size 2, 4 or 8, any alignment, Swap when the
// bytes are in big-endian order, in the Proven, Frame or GroupedFast
// modes). Without it, the lowering emits every instruction as it is.
type LoadCombiner interface {
	// CombinesLoads reports whether the lowering may combine loads.
	CombinesLoads() bool
}

// combo is one combined load: the instructions pcs (byte loads, shifts,
// ORs and moves, the last being last) compute in dst the OR of parts,
// size bytes in all, read through base. The main code emits nothing for
// them but, at last, one wide load per part, shifted to its position and
// ORed into dst through tmp (see emitCombo).
type combo struct {
	first, last int
	pcs         []int
	dst, base   uint8
	parts       []part
	size        int
	// tmp holds the parts after the first before they are ORed into dst:
	// a register the sequence writes that is dead after it (see keep).
	tmp   uint8
	a     Access // the load of parts[0]
	group *Group // the group of the byte loads (GroupedFast)
	// inGroup: [first, last] lies in a group's span, whose slow copy runs
	// the original instructions; nested: it lies in the range of another
	// combination, whose copy does; else the combination has its own copy
	// for callbacks into (first, last].
	inGroup, nested bool
}

// part is one load of a combination: the size bytes at base+off, in
// big-endian order if be, at byte pos of the value (shifted left 8*pos).
type part struct {
	pos  int
	off  int16
	size int
	be   bool
	a    Access
}

// Bounds that keep the analysis linear on any program: the instructions
// of one expression, the range of a combination (clang keeps the loads of
// a field close), and its parts.
const (
	maxComboPCs   = 64
	maxComboRange = 256
	maxParts      = 4
)

// sym is the symbolic value of a register within a block: opaque (id
// names the value: equal ids, equal values), or an OR of byte loads
// through base (a register holding opaque value id), the byte at position
// k (bit 8k) of the value loaded from base+off[k] for each k in mask, the
// other bits zero, computed by the instructions pcs.
type sym struct {
	comb bool
	id   int
	base uint8
	mask uint8
	off  [8]int16
	pcs  []int
}

// Register masks.
const (
	regsAll  = 1<<11 - 1
	regsArgs = 0x3e  // r1..r5
	regsSave = 0x3c0 // r6..r9
)

// regBit returns the mask of register r (0 for an invalid register).
func regBit(r uint8) uint16 {
	if r > 10 {
		return 0
	}
	return 1 << r
}

// insRegs returns the registers ins reads and those it surely writes, for
// the liveness (an over-approximation of reads, an under-approximation of
// writes). exit is what an exit reads.
func insRegs(ins isa.Instruction, exit uint16) (read, write uint16) {
	d, s := regBit(ins.Dst), regBit(ins.Src)
	switch ins.Class() {
	case isa.ClassALU, isa.ClassALU64:
		switch ins.ALUOp() {
		case isa.ALUMov:
			if ins.Source() == isa.SrcX || ins.Offset != 0 {
				read = s
			}
		case isa.ALUNeg, isa.ALUEnd:
			read = d
		default:
			read = d
			if ins.Source() == isa.SrcX {
				read |= s
			}
		}
		return read, d
	case isa.ClassLDX:
		return s, d
	case isa.ClassST:
		return d, 0
	case isa.ClassSTX:
		if ins.Mode() == isa.ModeATOMIC {
			return d | s | 1, 0
		}
		return d | s, 0
	case isa.ClassLD:
		if ins.Mode() == isa.ModeIMM {
			return 0, d
		}
		return regsAll, 1 // legacy packet loads: whatever Go reads
	case isa.ClassJMP, isa.ClassJMP32:
		switch {
		case ins.Opcode == isa.OpExit:
			return exit, 0
		case ins.Opcode == isa.OpCallX:
			return d | regsArgs, 1
		case ins.Opcode == isa.OpCall && ins.Src == isa.CallLocal:
			return regsAll, 0 // see liveness: the callee's entry
		case ins.Opcode == isa.OpCall:
			return regsArgs, 1
		case ins.JumpOp() == isa.JumpJA:
			return 0, 0
		}
		read = d
		if ins.Source() == isa.SrcX {
			read |= s
		}
		return read, 0
	}
	return regsAll, 0
}

// liveness returns, for each pc, the registers that may be read after it
// before being written: a backward dataflow over the control-flow graph
// (block is lower's block sizes). An exit reads r0, and r1..r5 when the
// program has local calls (the caller sees them); a local call reads what
// its callee's entry does, and after its return r6..r9 are the caller's.
func (l *lowerer) liveness(block []int) []uint16 {
	p := l.p
	n := len(p)
	exit := uint16(1)
	if l.cfg.LocalCalls {
		exit |= regsArgs
	}
	var leaders []int
	index := make([]int, n+1) // of the block at each leader pc
	for pc := 0; pc < n; pc++ {
		if block[pc] > 0 {
			index[pc] = len(leaders)
			leaders = append(leaders, pc)
		}
	}
	nb := len(leaders)
	blocks := make([][]int, nb) // the pcs of each block
	for i, pc := range leaders {
		for k := 0; k < block[leaders[i]]; k++ {
			blocks[i] = append(blocks[i], pc)
			pc += p[pc].Slots()
		}
	}
	// The successors of each block (leader pcs; n for falling off the end,
	// whose live set is empty) and how much of their live-in flows back.
	type edge struct {
		to   int
		mask uint16
	}
	succs := make([][]edge, nb)
	preds := make([][]int, nb)
	for i, pcs := range blocks {
		last := pcs[len(pcs)-1]
		ins := p[last]
		next := last + ins.Slots()
		var es []edge
		switch {
		case !ins.Class().IsJump():
			es = append(es, edge{next, regsAll})
		case ins.Opcode == isa.OpExit:
		case ins.Opcode == isa.OpCall && ins.Src == isa.CallLocal:
			// The callee's entry; after its return, r6..r9 are the caller's.
			if t, ok := l.target(last); ok {
				es = append(es, edge{t, regsAll}, edge{next, regsSave})
			}
		case ins.JumpOp() == isa.JumpCall:
			es = append(es, edge{next, regsAll})
		default:
			if t, ok := l.target(last); ok {
				es = append(es, edge{t, regsAll}) // else it exits with ExitInvalid
			}
			if ins.JumpOp() != isa.JumpJA {
				es = append(es, edge{next, regsAll})
			}
		}
		succs[i] = es
		for _, e := range es {
			if e.to < n {
				preds[index[e.to]] = append(preds[index[e.to]], i)
			}
		}
	}
	liveIn := make([]uint16, nb)
	after := make([]uint16, n)
	work := make([]int, nb) // a stack of blocks to (re)compute, the last first
	queued := make([]bool, nb)
	for i := range work {
		work[i], queued[i] = i, true
	}
	for len(work) > 0 {
		i := work[len(work)-1]
		work = work[:len(work)-1]
		queued[i] = false
		var live uint16
		for _, e := range succs[i] {
			if e.to < n {
				live |= liveIn[index[e.to]] & e.mask
			}
		}
		pcs := blocks[i]
		for k := len(pcs) - 1; k >= 0; k-- {
			pc := pcs[k]
			after[pc] = live
			ins := p[pc]
			r, w := insRegs(ins, exit)
			if ins.Class().IsJump() && ins.Opcode == isa.OpCall && ins.Src == isa.CallLocal {
				r = 0 // the callee's entry is a successor
			}
			live = live&^w | r
		}
		if live != liveIn[i] {
			liveIn[i] = live
			for _, q := range preds[i] {
				if !queued[q] {
					work, queued[q] = append(work, q), true
				}
			}
		}
	}
	return after
}

// findCombos finds the combinations (see combo) of each basic block and
// keeps those whose result is exact: the main code skips the instructions
// pcs and loads the value at last, so
//   - the other instructions in [first, last] read no register last written
//     by one of pcs, do not write base, and do not store, call, or load
//     anything that may fault (Proven and Frame loads, or members of the
//     combination's own group, whose check passed);
//   - the registers last written by one of pcs, dst aside, are dead after
//     last;
//   - the byte loads are all Frame, all Proven in one region, or all
//     members of one group (GroupJumper): then the group's span is
//     extended to last, so that a failed check or a callback into the span
//     runs the original instructions, checked one by one. A combination
//     overlapping a group's span starts inside it and no group starts in
//     (first, last].
//
// Larger combinations are preferred; the ranges of combinations may nest
// or cross (see keep), their instructions are disjoint.
func (l *lowerer) findCombos(block []int) {
	lc, ok := l.be.(LoadCombiner)
	if !ok || !lc.CombinesLoads() {
		return
	}
	p := l.p
	n := len(p)
	var cands []*combo
	for first := 0; first < n; first++ {
		if block[first] == 0 || p.IsContinuation(first) {
			continue
		}
		var regs [11]sym
		for r := range regs {
			regs[r] = sym{id: -1 - r}
		}
		for pc, k := first, 0; k < block[first]; k++ {
			ins := p[pc]
			if c := l.symStep(&regs, pc, ins); c != nil {
				cands = append(cands, c)
			}
			pc += ins.Slots()
		}
	}
	if len(cands) == 0 {
		return
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].size != cands[j].size {
			return cands[i].size > cands[j].size
		}
		return cands[i].last < cands[j].last
	})
	live := l.lives(block)
	l.combos, l.inCombo = map[int]*combo{}, map[int]bool{}
	kept := map[int]*combo{} // by first pc
	var leaders []int        // of groups, in order
	if l.jumper {
		for gf := range l.last {
			leaders = append(leaders, gf)
		}
		sort.Ints(leaders)
	}
	for _, c := range cands {
		if l.keep(c, live, kept, leaders) {
			kept[c.first] = c
			for pc := c.first; pc <= c.last; pc++ {
				l.inCombo[pc] = true
			}
			for _, pc := range c.pcs {
				l.combos[pc] = c
			}
		}
	}
}

// symStep evaluates ins at pc on regs; it returns a candidate combination
// when ins completes one.
func (l *lowerer) symStep(regs *[11]sym, pc int, ins isa.Instruction) *combo {
	opaque := func(r uint8) {
		if r <= 10 {
			regs[r] = sym{id: pc}
		}
	}
	d := ins.Dst
	switch cls := ins.Class(); cls {
	case isa.ClassALU, isa.ClassALU64:
		if d > 9 {
			return nil
		}
		w32 := cls == isa.ClassALU
		var v sym
		ok := false
		switch op := ins.ALUOp(); {
		case op == isa.ALUMov && ins.Source() == isa.SrcX && ins.Offset == 0 && ins.Src <= 10:
			v = regs[ins.Src]
			switch {
			case !v.comb && !w32:
				regs[d] = v // the same value
				return nil
			case v.comb && (!w32 || v.mask&0xf0 == 0):
				ok = true
			}
		case op == isa.ALULsh && ins.Source() == isa.SrcK:
			v = regs[d]
			width := 64
			if w32 {
				width = 32
			}
			k := int(ins.Imm) & (width - 1)
			if v.comb && k%8 == 0 {
				sh := k / 8
				m := uint16(v.mask) << sh
				if m < 1<<(width/8) {
					var off [8]int16
					for i := 0; i+sh < 8; i++ {
						off[i+sh] = v.off[i]
					}
					v.mask, v.off, ok = uint8(m), off, true
				}
			}
		case op == isa.ALUOr && ins.Source() == isa.SrcX && ins.Src <= 10:
			a, b := regs[d], regs[ins.Src]
			if a.comb && b.comb && a.id == b.id && a.base == b.base && a.mask&b.mask == 0 &&
				(!w32 || (a.mask|b.mask)&0xf0 == 0) {
				v = a
				for i := 0; i < 8; i++ {
					if b.mask&(1<<i) != 0 {
						v.off[i] = b.off[i]
					}
				}
				v.mask |= b.mask
				v.pcs = append(append([]int(nil), a.pcs...), b.pcs...)
				ok = true
			}
		}
		if !ok {
			opaque(d)
			return nil
		}
		if len(v.pcs) >= maxComboPCs {
			opaque(d)
			return nil
		}
		v.pcs = append(append([]int(nil), v.pcs...), pc)
		regs[d] = v
		return l.complete(v, d)
	case isa.ClassLDX:
		s := ins.Src
		if ins.Mode() == isa.ModeMEM && ins.Size() == isa.SizeB && d <= 9 && s <= 10 && !regs[s].comb {
			regs[d] = sym{comb: true, id: regs[s].id, base: s, mask: 1, off: [8]int16{ins.Offset}, pcs: []int{pc}}
			return nil
		}
		opaque(d)
	case isa.ClassLD:
		if ins.Mode() == isa.ModeIMM {
			opaque(d)
		} else {
			opaque(0)
		}
	case isa.ClassST, isa.ClassSTX:
		// A store may change the bytes loaded so far: no combination
		// crosses it.
		for r := range regs {
			if regs[r].comb {
				regs[r] = sym{id: -100 - pc*16 - r}
			}
		}
		if cls == isa.ClassSTX && ins.Mode() == isa.ModeATOMIC {
			opaque(ins.Src)
			opaque(0)
		}
	}
	return nil
}

// complete returns the combination v in register d, if v is one: its
// bytes split into parts, runs of contiguous offsets in either order cut
// into 8, 4, 2 and 1-byte loads (network fields: parse's be32(p) << 32 |
// be32(q) is two parts), with at least one wider than a byte and fewer
// instructions than the original (a load, a swap, a shift and an OR per
// part at most).
func (l *lowerer) complete(v sym, d uint8) *combo {
	var parts []part
	cost, wide := 0, false
	for i := 0; i < 8; {
		if v.mask&(1<<i) == 0 {
			i++
			continue
		}
		// The run of positions from i with contiguous offsets.
		step := int16(0)
		if i < 7 && v.mask&(2<<i) != 0 && (v.off[i+1] == v.off[i]+1 || v.off[i+1] == v.off[i]-1) {
			step = v.off[i+1] - v.off[i]
		}
		n := 1
		for step != 0 && i+n < 8 && v.mask&(1<<(i+n)) != 0 && v.off[i+n] == v.off[i]+int16(n)*step {
			n++
		}
		for n > 0 {
			size := 1 << (bits.Len(uint(n)) - 1)
			pt := part{pos: i, off: v.off[i], size: size, be: step < 0 && size > 1}
			if pt.be {
				pt.off = v.off[i+size-1]
			}
			parts = append(parts, pt)
			cost++
			if pt.be {
				cost++
			}
			if pt.pos > 0 {
				cost++
			}
			if len(parts) > 1 {
				cost++
			}
			wide = wide || size > 1
			i, n = i+size, n-size
		}
	}
	if !wide || len(parts) > maxParts || cost >= len(v.pcs) {
		return nil
	}
	pcs := append([]int(nil), v.pcs...)
	sort.Ints(pcs)
	if pcs[len(pcs)-1]-pcs[0] > maxComboRange {
		return nil
	}
	return &combo{first: pcs[0], last: pcs[len(pcs)-1], pcs: pcs, dst: d, base: v.base, parts: parts, size: bits.OnesCount8(v.mask)}
}

// keep reports whether c is exact (see findCombos) on the program where
// the combinations kept so far are applied; it sets c.a and extends a
// group's span to c.last. The ranges of kept combinations may nest with
// or cross c's (clang interleaves the loads of adjacent fields): c is then
// checked with their instructions removed and their loads in place of
// their last ones (reading their base, writing their dst and tmp). The
// liveness of the original program still over-approximates after c: a
// combination removes reads, adds one of its base, which no other
// instruction in its range writes, and writes tmp, dead after. A
// combination ending after c reads its base there: c must not write it.
// Crossing ranges are Proven or Frame ones that keep their base (see
// baseHeld): a copy of one ending inside the other goes on in the other's
// main code.
func (l *lowerer) keep(c *combo, live []uint16, kept map[int]*combo, leaders []int) bool {
	p := l.p
	in := map[int]bool{}
	for _, pc := range c.pcs {
		in[pc] = true
	}
	var inner, outer, across []*combo
	removed := map[int]*combo{} // instructions of the others, by pc
	for first := max(c.first-maxComboRange, 0); first <= c.last; first++ {
		k := kept[first]
		if k == nil {
			continue
		}
		switch {
		case k.last < c.first || k.first > c.last:
			continue
		case c.first < k.first && k.last < c.last:
			inner = append(inner, k)
		case k.first < c.first && c.last < k.last:
			outer = append(outer, k)
		default:
			across = append(across, k)
		}
		for _, pc := range k.pcs {
			if in[pc] {
				return false
			}
			removed[pc] = k
		}
	}
	// Groups with slow copies (GroupJumper; leaders lists them): the range
	// starts in at most one span, and none starts inside. (Without, members
	// inside would be Grouped accesses, which may fault, and c has its own
	// copy.)
	owner := -1
	i := sort.SearchInts(leaders, c.first+1) // the first leader after c.first
	if i < len(leaders) && leaders[i] <= c.last {
		return false
	}
	if i > 0 && l.last[leaders[i-1]] >= c.first {
		owner = leaders[i-1]
	}
	var g *Group // the group whose check precedes the range
	if owner >= 0 {
		g = l.leader[owner]
	}
	// How the byte loads are guarded decides the wide load's mode.
	var mode CheckMode
	var region uint8
	var fact verifier.Region
	nload := 0
	for _, pc := range c.pcs {
		ins := p[pc]
		if ins.Class() != isa.ClassLDX {
			continue
		}
		a := l.access(pc, c.base, ins.Offset, 1, false, false)
		switch {
		case a.Mode != Frame && a.Mode != Proven && a.Mode != GroupedFast:
			return false
		case a.Mode == GroupedFast && (g == nil || l.groups[pc] != g):
			return false
		case nload == 0:
			mode, region, fact = a.Mode, a.Region, l.fact(pc).Region
		case a.Mode != mode || a.Region != region || l.fact(pc).Region != fact:
			return false
		}
		nload++
	}
	if nload != c.size {
		return false
	}
	// Crossing ranges (parse's IPv6 addresses): the copy of one (for
	// callbacks) or a group's slow copy ends inside the other, whose main
	// code then goes on with its base as the original left it.
	for _, k := range across {
		if mode == GroupedFast || k.a.Mode == GroupedFast || !l.baseHeld(c) || !l.baseHeld(k) {
			return false
		}
	}
	// The other instructions in the range.
	var sw uint16 // registers last written by one of pcs
	for pc := c.first; pc <= c.last; pc++ {
		if p.IsContinuation(pc) {
			continue
		}
		ins := p[pc]
		r, w := insRegs(ins, regsAll)
		if in[pc] {
			sw |= w
			continue
		}
		if k := removed[pc]; k != nil {
			if pc != k.last {
				continue
			}
			// The wide load of k: it must not fault here either.
			if !(k.a.Mode == Frame || k.a.Mode == Proven || (k.a.Mode == GroupedFast && k.group == g)) {
				return false
			}
			r, w = regBit(k.base), regBit(k.dst)
			if len(k.parts) > 1 {
				w |= regBit(k.tmp)
			}
			if r&sw != 0 || w&regBit(c.base) != 0 {
				return false
			}
			sw &^= w
			continue
		}
		if r&sw != 0 || w&regBit(c.base) != 0 || ins.Dst > 9 {
			return false
		}
		switch ins.Class() {
		case isa.ClassST, isa.ClassSTX, isa.ClassJMP, isa.ClassJMP32:
			return false
		case isa.ClassLD:
			if ins.Mode() != isa.ModeIMM {
				return false
			}
		case isa.ClassLDX:
			// Loads that cannot fault here.
			a := l.access(pc, ins.Src, ins.Offset, ins.Size().Bytes(), false, false)
			if a.Mode != Frame && a.Mode != Proven && !(a.Mode == GroupedFast && g != nil && l.groups[pc] == g) {
				return false
			}
		}
		sw &^= w
	}
	if sw&^regBit(c.dst)&live[c.last] != 0 {
		return false
	}
	if len(c.parts) > 1 {
		// The parts after the first go through a temporary; the base must
		// outlive the first load.
		free := sw &^ regBit(c.dst) &^ regBit(c.base) & (1<<10 - 1)
		if free == 0 || c.dst == c.base {
			return false
		}
		c.tmp = uint8(bits.TrailingZeros16(free))
	}
	// A combination ending after c reads its base at its end.
	for _, k := range append(outer, across...) {
		if k.last > c.last && (c.dst == k.base || len(c.parts) > 1 && c.tmp == k.base) {
			return false
		}
	}
	if owner >= 0 {
		l.last[owner] = max(l.last[owner], c.last)
		c.inGroup = true
	}
	for _, k := range inner {
		k.nested = true
	}
	c.nested = len(outer) > 0
	if mode == GroupedFast {
		c.group = g
	}
	for i := range c.parts {
		pt := &c.parts[i]
		pt.a = Access{PC: c.last, Base: c.base, Off: pt.off, Size: pt.size, Swap: pt.be, Mode: mode, Fault: NoLabel, Region: region}
	}
	c.a = c.parts[0].a
	return true
}

// baseHeld reports whether no instruction of c but its last writes its
// base (the others in its range do not, see keep), so that c's main code
// may be entered anywhere in its range.
func (l *lowerer) baseHeld(c *combo) bool {
	for _, pc := range c.pcs {
		if _, w := insRegs(l.p[pc], regsAll); pc != c.last && w&regBit(c.base) != 0 {
			return false
		}
	}
	return true
}

// emitComboAt emits the combined load cb at its last pc, through the host
// base when its first access was folded (folded reports that).
func (l *lowerer) emitComboAt(cb *combo) (folded bool) {
	if f := l.folds[cb.first]; f != nil {
		l.emitCombo(cb, f.folded(cb.a))
		return true
	}
	l.emitCombo(cb, cb.a)
	return false
}

// emitCombo emits the combined load c at c.last: each part loaded (a, the
// first one's access, may be folded), shifted to its position and ORed
// into dst.
func (l *lowerer) emitCombo(c *combo, a Access) {
	for i, pt := range c.parts {
		r := c.dst
		if i > 0 {
			r, a = c.tmp, pt.a
		}
		l.be.Load(a, r, false)
		if pt.pos > 0 {
			l.be.ALU(isa.ALULsh, W64, r, Imm(int64(8*pt.pos)))
		}
		if i > 0 {
			l.be.ALU(isa.ALUOr, W64, c.dst, Reg(c.tmp))
		}
	}
}
