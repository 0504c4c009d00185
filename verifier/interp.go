package verifier

import (
	"fmt"
	"math"

	"github.com/iovm/iovm/isa"
)

const (
	maxStatesPerPC = 64 // remembered states at one prune point
	widenAfter     = 64 // Checked mode: visits of a loop head before widening
	joinAfter      = 2  // states remembered at a join point before joining
	widenKeep      = 8  // Checked mode: widenings in a row that keep relations with the length
)

// checkpoint is a state remembered at a prune point.
type checkpoint struct {
	st       *state
	hash     uint64 // hashState of st, for fast equality tests
	pc       int
	branches int // paths still being explored below this checkpoint
	parent   *checkpoint
	widens   int // widenings in a row of the loop head on this path
}

type pending struct {
	pc     int
	st     *state
	parent *checkpoint
}

// verifier is one run of the abstract interpretation.
type verifier struct {
	p      isa.Program
	c      *Config
	s      *structure
	facts  *Facts
	strict bool
	objs   []MapInfo
	objIdx map[[2]int64]int32
	nextID uint32
	insns  int
	cps    [][]*checkpoint // remembered states by pc
	free   []*state        // finished path states, reused by clone
	visits []int32
	work   []pending
	// facts being accumulated
	accSeen   []bool
	accOK     []bool
	accRegion []Region
	divSeen   []bool
	divOK     []bool
	loopsOK   bool
	loopBad   map[int]bool // loop heads not proven to terminate
	frameUse  map[int]int
	stackLen  int      // slots per frame
	idmap     []idPair // scratch for subsumes: how old ids map to current ones
	idCount   []idUse  // scratch for clean
	lastStore int      // v.insns when the current path last stored a checkpoint
}

// idPair says base old of the old state is base cur + shift of the current
// state (subsumes).
type idPair struct {
	old, cur uint32
	shift    int64
}

// errComplex is returned by the exploration when it runs out of budget.
type errComplex struct{ pc int }

func (e *errComplex) Error() string { return "program too complex" }

func analyze(p isa.Program, c *Config, s *structure, facts *Facts) error {
	v := &verifier{
		p: p, c: c, s: s, facts: facts, strict: c.Mode == Strict,
		objIdx:    map[[2]int64]int32{},
		nextID:    lenID + 1,
		cps:       make([][]*checkpoint, len(p)),
		visits:    make([]int32, len(p)),
		accSeen:   make([]bool, len(p)),
		accOK:     make([]bool, len(p)),
		accRegion: make([]Region, len(p)),
		divSeen:   make([]bool, len(p)),
		divOK:     make([]bool, len(p)),
		loopsOK:   true,
		loopBad:   map[int]bool{},
		frameUse:  map[int]int{},
		stackLen:  (c.StackSize + 7) / 8,
	}
	err := v.run()
	if err != nil {
		if ce, ok := err.(*errComplex); ok {
			if v.strict {
				return errorf(p, ce.pc, "program too complex: more than %d instructions processed", c.MaxInsns)
			}
			facts.Insns = v.insns
			facts.LoopsBounded = false
			return nil
		}
		return err
	}
	facts.Analyzed = true
	for _, l := range s.loops {
		facts.Loops[l[0]] = !v.loopBad[l[0]]
	}
	facts.Insns = v.insns
	facts.LoopsBounded = v.loopsOK
	for pc := range p {
		if v.accSeen[pc] && v.accOK[pc] {
			facts.Access[pc] = Access{Proven: true, InBounds: true, Region: v.accRegion[pc]}
		}
		facts.DivNonZero[pc] = v.divSeen[pc] && v.divOK[pc]
	}
	for f, n := range v.frameUse {
		if n > facts.FrameSize[f] {
			facts.FrameSize[f] = n
		}
	}
	return nil
}

func (v *verifier) initialState() *state {
	f := &frame{callsite: -1, fn: 0}
	f.regs[isa.R10] = value{typ: tStack, s: constScalar(0)}
	if v.c.ContextSize > 0 {
		f.regs[1] = value{typ: tCtx, s: constScalar(0)}
		f.regs[2] = unknownValue()
	} else {
		f.regs[1] = value{typ: tInput, s: constScalar(0)}
		f.regs[2] = value{typ: tScalar, id: lenID, s: rangeScalar(0, math.MaxUint32)}
	}
	return &state{frames: []*frame{f}}
}

func (v *verifier) run() error {
	v.work = append(v.work, pending{pc: 0, st: v.initialState()})
	for len(v.work) > 0 {
		w := v.work[len(v.work)-1]
		v.work = v.work[:len(v.work)-1]
		if err := v.path(w.pc, w.st, w.parent); err != nil {
			return err
		}
	}
	return nil
}

// done ends a path whose nearest checkpoint is cp.
func (v *verifier) done(cp *checkpoint) {
	for b := cp; b != nil; b = b.parent {
		b.branches--
		if b.branches > 0 {
			return
		}
	}
}

func (v *verifier) fail(pc int, st *state, format string, args ...any) error {
	e := errorf(v.p, pc, format, args...)
	if st != nil {
		e.State = st.regsString()
	}
	return e
}

// path explores from pc with st until the path ends.
func (v *verifier) path(pc int, st *state, cp *checkpoint) error {
	for {
		v.insns++
		if v.insns > v.c.MaxInsns {
			return &errComplex{pc}
		}
		if pc < 0 || pc >= len(v.p) {
			return v.fail(pc, st, "control leaves the program")
		}
		if v.s.pruneAt[pc] {
			pruned, ncp, err := v.checkpointAt(pc, st, cp)
			if err != nil {
				return err
			}
			if pruned {
				v.done(cp)
				v.free = append(v.free, st)
				return nil
			}
			cp = ncp
		}
		if v.c.Log != nil {
			v.c.Log(fmt.Sprintf("%d: %-28s ; %s", pc, FormatInsn(v.p[pc]), st.regsString()))
		}
		next, end, err := v.step(pc, st, cp)
		if err != nil {
			return err
		}
		if end {
			v.done(cp)
			v.free = append(v.free, st)
			return nil
		}
		pc = next
	}
}

// checkpointAt prunes st against the states remembered at pc or remembers it.
//
// A state subsumed by a finished state is pruned. A state subsumed by one of
// its own ancestors (a loop iteration) is pruned only when the two are equal
// (the loop makes no progress: rejected in Strict mode) or, in Checked mode,
// after widening; otherwise exploration continues, as the loop may still be
// making progress towards its exit.
func (v *verifier) checkpointAt(pc int, st *state, cp *checkpoint) (bool, *checkpoint, error) {
	list := v.cps[pc]
	v.visits[pc]++
	widening := !v.strict && v.s.loopHead[pc] && v.visits[pc] > widenAfter
	v.dropSingleIDs(st, pc)
	boundByRelations(st)
	h := v.hashState(st, pc)
	for _, old := range list {
		if old.branches == 0 {
			if v.subsumes(old.st, st, pc) {
				return true, cp, nil
			}
			continue
		}
		// In a depth-first exploration, a checkpoint whose subtree is still
		// being explored is an ancestor of the current path.
		if old.hash == h && v.subsumes(old.st, st, pc) && v.subsumes(st, old.st, pc) {
			if v.strict {
				return false, nil, v.fail(pc, st, "infinite loop: the state at pc %d repeats", pc)
			}
			v.unbounded(pc)
			return true, cp, nil
		}
		if widening && v.subsumes(old.st, st, pc) {
			v.unbounded(pc)
			return true, cp, nil
		}
	}
	if !widening && !v.s.inLoop[pc] && v.s.joinPt[pc] && len(list) >= joinAfter {
		// Many different states reach this join point: continue with one
		// holding both this state and the latest remembered one, so long
		// straight-line programs with many branches stay linear.
		v.join(list[len(list)-1].st, st, pc, len(list) >= 2*joinAfter)
	}
	widens := 0
	if widening {
		if anc := latestOpen(list); anc != nil {
			// The first widenings of a path keep relations with the
			// length; later ones only widen, so the loop head converges.
			widens = anc.widens + 1
			v.widen(anc.st, st, widens <= widenKeep)
			v.unbounded(pc)
		}
	}
	if v.s.inLoop[pc] && !widening && v.insns-v.lastStore < 8 && len(list) > 0 {
		// Inside loops, remember a state only every few instructions (as
		// Linux does): enough to detect repetition, cheaper to compare.
		return false, cp, nil
	}
	v.lastStore = v.insns
	if len(list) >= maxStatesPerPC {
		// Forget the oldest finished state, or else the oldest.
		drop := 0
		for i, old := range list {
			if old.branches == 0 {
				drop = i
				break
			}
		}
		copy(list[drop:], list[drop+1:])
		list = list[:len(list)-1]
	}
	ncp := &checkpoint{st: v.clean(st, pc), hash: h, pc: pc, branches: 1, parent: cp, widens: widens}
	v.cps[pc] = append(list, ncp)
	return false, ncp, nil
}

// latestOpen returns the most recent checkpoint of list still being explored.
func latestOpen(list []*checkpoint) *checkpoint {
	for i := len(list) - 1; i >= 0; i-- {
		if list[i].branches > 0 {
			return list[i]
		}
	}
	return nil
}

// liveAt returns the live registers of frame i of st at pc.
func (v *verifier) liveAt(st *state, i, pc int) uint16 {
	if i == len(st.frames)-1 {
		return v.s.live[pc]
	}
	ret := st.frames[i+1].callsite + 1
	if ret < len(v.s.live) {
		return v.s.live[ret]
	}
	return 0xffff
}

// clean returns a copy of st with dead registers forgotten.
func (v *verifier) clean(st *state, pc int) *state {
	n := st.clone()
	for i, f := range n.frames {
		live := v.liveAt(n, i, pc)
		for r := 0; r < 10; r++ {
			if live&(1<<r) == 0 {
				f.regs[r] = value{}
			}
		}
	}
	return n
}

// dropSingleIDs drops the ids of scalars linked to nothing else (no other
// live register or spill, no relation with the length): such an id
// constrains nothing, and would keep subsumes from pruning states where
// the scalar has no id. (Linux: clear_singular_ids.)
func (v *verifier) dropSingleIDs(st *state, pc int) {
	ids := v.idCount[:0]
	count := func(x value) {
		if (x.typ != tScalar && x.typ != tInput) || x.id <= lenID {
			return
		}
		for i := range ids {
			if ids[i].id == x.id {
				ids[i].n++
				return
			}
		}
		ids = append(ids, idUse{x.id, 1})
	}
	for i, f := range st.frames {
		live := v.liveAt(st, i, pc)
		for r := 0; r < 10; r++ {
			if live&(1<<r) != 0 {
				count(f.regs[r])
			}
		}
		for _, sl := range f.stack {
			if sl.spilled {
				count(sl.spill)
			}
		}
	}
	v.idCount = ids
	// Relations of bases no live value holds any more are dead weight.
	pr := st.pktRange[:0]
	for _, r := range st.pktRange {
		for _, u := range ids {
			if u.id == r.id {
				pr = append(pr, r)
				break
			}
		}
	}
	st.pktRange = pr
	held := func(id uint32) bool {
		for _, u := range ids {
			if u.id == id {
				return true
			}
		}
		return false
	}
	sr := st.sums[:0]
	for _, r := range st.sums {
		if held(r.a) && held(r.b) {
			sr = append(sr, r)
		}
	}
	st.sums = sr
	sc := st.scaled[:0]
	for _, r := range st.scaled {
		if held(r.id) {
			sc = append(sc, r)
		}
	}
	st.scaled = sc
	for _, u := range ids {
		_, ok := st.rangeOf(u.id)
		if _, sok := st.scaledOf(u.id); u.n > 1 || ok || sok || inSum(st.sums, u.id) {
			continue
		}
		for i, f := range st.frames {
			live := v.liveAt(st, i, pc)
			for r := range f.regs {
				if x := &f.regs[r]; live&(1<<r) != 0 && x.typ == tScalar && x.id == u.id {
					x.id, x.delta = 0, 0
				}
			}
			for j := range f.stack {
				if sl := f.stack[j]; sl.spilled && sl.spill.typ == tScalar && sl.spill.id == u.id {
					f.own()
					f.stack[j].spill.id, f.stack[j].spill.delta = 0, 0
				}
			}
		}
	}
}

// boundByRelations meets every linked value with the bound its relation
// gives (base + k <= len <= MaxUint32, so the value base + delta is at
// most MaxUint32 - k + delta), so states that differ only in bounds a
// relation implies compare equal at loop heads.
func boundByRelations(st *state) {
	if len(st.pktRange) == 0 {
		return
	}
	bound := func(x *value) bool {
		if !linked(*x) {
			return false
		}
		k, ok := st.rangeOf(x.id)
		if !ok {
			return false
		}
		hi := int64(math.MaxUint32) - k + x.delta
		if hi < 0 || x.s.umax <= uint64(hi) {
			return false
		}
		if ns, ok := meet(x.s, rangeScalar(0, uint64(hi))); ok {
			x.s = ns
			return true
		}
		return false
	}
	for _, f := range st.frames {
		for r := range f.regs {
			bound(&f.regs[r])
		}
		for j := range f.stack {
			if f.stack[j].spilled {
				x := f.stack[j].spill
				if bound(&x) {
					f.own()
					f.stack[j].spill = x
				}
			}
		}
	}
}

type idUse struct {
	id uint32
	n  int
}

// inSum reports whether base id is in one of the sum relations.
func inSum(sums []sumRel, id uint32) bool {
	for _, r := range sums {
		if r.a == id || r.b == id {
			return true
		}
	}
	return false
}

// subsumes reports whether every concrete state of cur is one of old's, as
// far as the rest of the program can tell (live registers, all stack).
func (v *verifier) subsumes(old, cur *state, pc int) bool {
	if len(old.frames) != len(cur.frames) || old.inputMin > cur.inputMin {
		return false
	}
	v.idmap = v.idmap[:0]
	for i, fo := range old.frames {
		fc := cur.frames[i]
		if fo.callsite != fc.callsite {
			return false
		}
		live := v.liveAt(cur, i, pc)
		for r := 0; r < 10; r++ {
			if live&(1<<r) != 0 && !v.valueSub(fo.regs[r], fc.regs[r]) {
				return false
			}
		}
		for j, so := range fo.stack {
			var sc slot
			if j < len(fc.stack) {
				sc = fc.stack[j]
			}
			if so.init&^sc.init != 0 {
				return false
			}
			if so.spilled {
				if !sc.spilled || sc.spillAt != so.spillAt || sc.spillSize != so.spillSize || !v.valueSub(so.spill, sc.spill) {
					return false
				}
			} else if sc.spilled && so.init != 0 && sc.spill.typ != tScalar {
				return false
			}
		}
	}
	// Relations with the length the old state relied on: old base + k <=
	// len is cur base + shift + k <= len.
	for _, r := range old.pktRange {
		for _, m := range v.idmap {
			if m.old == r.id {
				k, ok := cur.rangeOf(m.cur)
				if !ok || k < r.k+m.shift {
					return false
				}
			}
		}
	}
	// Sum relations: old a + b + k <= len is cur a' + b' + k + shifts <=
	// len. A relation with a base no value of old holds is of no use to
	// old's future (nothing can reach that base again).
	for _, r := range old.sums {
		ma, oka := v.mapped(r.a)
		mb, okb := v.mapped(r.b)
		if !oka || !okb {
			continue
		}
		k, ok := cur.sumOf(ma.cur, mb.cur)
		if !ok || ma.cur == mb.cur || k < r.k+ma.shift+mb.shift {
			return false
		}
	}
	// Scaled relations: old (B << sh) + k <= len is (B' << sh) + (shift
	// << sh) + k <= len; cur must prove it with the same shift.
	for _, r := range old.scaled {
		m, ok := v.mapped(r.id)
		if !ok {
			continue
		}
		c, ok := cur.scaledOf(m.cur)
		if !ok || c.sh != r.sh || !scaledCovers(c.k, r.k, m.shift, r.sh) {
			return false
		}
	}
	return true
}

// scaledCovers reports whether kc >= ko + (shift << sh), without overflow.
func scaledCovers(kc, ko, shift int64, sh uint8) bool {
	if shift > maxDelta || shift < -maxDelta || sh > maxScaleShift {
		return false
	}
	// |shift << sh| < 2^72 does not fit: compare in two steps.
	if shift >= 0 && shift > (math.MaxInt64>>sh)>>1 || shift < 0 && -shift > (math.MaxInt64>>sh)>>1 {
		return false
	}
	return kc >= ko+shift<<sh
}

// mapped returns how subsumes mapped old base id to the current state.
func (v *verifier) mapped(id uint32) (idPair, bool) {
	for _, m := range v.idmap {
		if m.old == id {
			return m, true
		}
	}
	return idPair{}, false
}

func (v *verifier) valueSub(o, c value) bool {
	if o.typ == tNone {
		return true
	}
	if o.typ != c.typ || o.null != c.null || o.frame != c.frame || o.obj != c.obj {
		return false
	}
	if !o.s.contains(c.s) {
		return false
	}
	// delta means something only with an id (always 0 otherwise, and for
	// lenID and null-check ids).
	if o.id != 0 {
		if o.id == lenID || c.id == lenID {
			return o.id == c.id && o.delta == c.delta
		}
		if c.id == 0 {
			return false
		}
		// Linked values: o is base_o + o.delta, c is base_c + c.delta, so
		// base_o = base_c + shift, the same shift for all of base_o's values.
		shift := c.delta - o.delta
		for _, m := range v.idmap {
			if m.old == o.id {
				return m.cur == c.id && m.shift == shift
			}
		}
		v.idmap = append(v.idmap, idPair{o.id, c.id, shift})
	}
	return true
}

// widen replaces st by a state holding both old and st, with growing
// scalar bounds sent to their limits (Checked mode only).
//
// Only containing st is needed for soundness (the result replaces st);
// containing old makes the loop head converge. Relations with the length
// are compared register by register: old's base + k_o <= len, with the
// register old + d_o and now cur + d_c, says cur's base + k_o + d_c - d_o
// <= len, so a relation that moves along with its counter stays whole.
func (v *verifier) widen(old, st *state, keep bool) {
	if len(old.frames) != len(st.frames) {
		return
	}
	inputMin := st.inputMin // before widening: what st proves of the length
	st.inputMin = minU(st.inputMin, old.inputMin)
	// Sum relations are not carried across loop heads (dropping relations
	// is always sound, and keeps widening simple and converging).
	st.sums = nil
	// Scaled relations, like the relations above, are compared value by
	// value: old's (B_o << sh) + k_o <= len, with the value B_o + d_o and
	// now B + d, says (B << sh) + k_o + ((d - d_o) << sh) <= len. It is
	// kept when at most what st proves (a base that stays or moves down),
	// else dropped (a base moving up, which would never converge); a base
	// old does not link is kept with st's relation only while keep.
	sc := st.scaled[:0]
	for _, r := range st.scaled {
		if k, ok := scaledWidened(old, st, r, keep); ok {
			sc = append(sc, scaledRel{r.id, r.sh, k})
		}
	}
	st.scaled = sc
	cur := st.pktRange // what st proves, before widening
	st.pktRange = nil
	// relate records the relation kept for the base of w (c widened with
	// o): at most what st proves, at most what old proves (shifted),
	// nothing unless one of them holds or keep.
	var pr []rel
	relate := func(o, c, w value) {
		if (w.typ != tScalar && w.typ != tInput) || w.id <= lenID {
			return
		}
		var rc rel
		for _, r := range cur {
			if r.id == c.id {
				rc = r
			}
		}
		if rc.id == 0 {
			return
		}
		k, have := rc.k, keep
		if (o.typ == tScalar || o.typ == tInput) && o.id > lenID {
			if ko, ok := old.rangeOf(o.id); ok {
				switch ko += c.delta - o.delta; {
				case ko <= rc.k:
					k, have = ko, true
				case keep && rc.last != noCompare:
					// The relation shrinks relative to the value (one
					// from before the loop wearing off an iteration at a
					// time): jump to what the latest comparison proved,
					// which the loop may keep proving.
					k, have = rc.last, true
				default:
					// Shrinking with no comparison to fall back on (a
					// counter moving away from the length), or too many
					// widenings: drop it, so the loop head converges.
					have = false
				}
			}
		}
		if !have {
			return
		}
		for j := range pr {
			if pr[j].id == w.id {
				pr[j].k, pr[j].last = minS(pr[j].k, k), minS(pr[j].last, minS(k, rc.last))
				return
			}
		}
		pr = append(pr, rel{w.id, k, minS(k, rc.last)})
	}
	var constIDs []uint64 // value, id pairs: constants linked by the counter rule
	// After widenKeep widenings, a changed link is kept only where old has
	// the same link up to renaming and shifting its base (the same
	// partition, the same differences), so links only disappear.
	var changed []uint32 // ids of st whose links differ from old's
	if !keep {
		type pair struct {
			cur, old uint32
			shift    int64
		}
		var ps []pair
		check := func(o, c value) {
			if !linked(c) {
				return
			}
			if !linked(o) || o.typ != c.typ {
				changed = append(changed, c.id)
				return
			}
			sh := c.delta - o.delta
			for _, p := range ps {
				if p.cur == c.id && (p.old != o.id || p.shift != sh) || p.old == o.id && p.cur != c.id {
					changed = append(changed, c.id, p.cur)
				}
			}
			ps = append(ps, pair{c.id, o.id, sh})
		}
		for i, fo := range old.frames {
			fc := st.frames[i]
			for r := 0; r < 10; r++ {
				check(fo.regs[r], fc.regs[r])
			}
			for j := range fc.stack {
				if j < len(fo.stack) && fc.stack[j].spilled && fo.stack[j].spilled {
					check(fo.stack[j].spill, fc.stack[j].spill)
				}
			}
		}
	}
	stable := func(id uint32) bool {
		for _, x := range changed {
			if x == id {
				return false
			}
		}
		return true
	}
	for i, fo := range old.frames {
		fc := st.frames[i]
		for r := 0; r < 10; r++ {
			c, o := fc.regs[r], fo.regs[r]
			w := widenValue(o, c)
			if linked(c) && w.typ == c.typ && w.id == 0 && (keep || stable(c.id)) {
				// The identity of c changed since old (a comparison with
				// the length gave it a fresh one, or a constant moved
				// it): keep it, with the relation st proves for it.
				// Every state of st has both.
				w.id, w.delta = c.id, c.delta
			}
			relate(o, c, w)
			if keep && c.typ == tScalar && c.id == 0 && o.typ == tScalar && (o.id == 0 || c.s.isConst()) && o.s != c.s &&
				w.typ == tScalar && w.id == 0 && c.s.umax < inputMin {
				// A counter below the proven length: every state of st
				// has c + (inputMin - umax) <= len, a relation that
				// survives widening the counter's bounds (so a loop
				// "for (i = 0; i < len; i++) p[i]" keeps p + i proven).
				// The relation bounds the counter: c <= MaxUint32 - k.
				// Only for values that change (o.s != c.s), and once per
				// register unless st knows it exactly (a constant
				// replacing a relation old had: an inner loop
				// restarting), so widening still converges. Registers
				// equal to the same constant share one id: they are
				// equal in every state of st.
				k := inputMin - c.s.umax
				if ns, ok := meet(w.s, rangeScalar(0, math.MaxUint32-k)); ok {
					w.s = ns
					if c.s.isConst() {
						for j := 0; j+1 < len(constIDs); j += 2 {
							if constIDs[j] == c.s.val() {
								w.id = uint32(constIDs[j+1])
							}
						}
					}
					if w.id == 0 {
						w.id = v.freshID()
						pr = append(pr, rel{w.id, int64(k), noCompare})
						if c.s.isConst() {
							constIDs = append(constIDs, c.s.val(), uint64(w.id))
						}
					}
				}
			}
			fc.regs[r] = w
		}
		fc.own()
		for j := range fc.stack {
			sc := &fc.stack[j]
			var so slot
			if j < len(fo.stack) {
				so = fo.stack[j]
			}
			sc.init &= so.init
			if sc.spilled && so.spilled && sc.spillAt == so.spillAt && sc.spillSize == so.spillSize {
				c := sc.spill
				sc.spill = widenValue(so.spill, c)
				relate(so.spill, c, sc.spill)
				if sc.spill.typ == tNone {
					sc.spilled = false
				}
			} else {
				sc.spilled = false
			}
		}
	}
	st.pktRange = pr
	// A linked scalar B + d with B + k <= len is at most MaxUint32 - k + d:
	// bounds widening lost, which keep later additions from wrapping.
	bound := func(x *value) {
		if x.typ != tScalar || x.id <= lenID {
			return
		}
		if k, ok := rangeIn(pr, x.id); ok {
			if hi := math.MaxUint32 - k + x.delta; hi >= 0 {
				if ns, ok := meet(x.s, rangeScalar(0, uint64(hi))); ok {
					x.s = ns
				}
			}
		}
	}
	for _, f := range st.frames {
		for r := range f.regs {
			bound(&f.regs[r])
		}
		for j := range f.stack {
			if f.stack[j].spilled {
				bound(&f.stack[j].spill)
			}
		}
	}
}

// scaledWidened returns k of st's scaled relation r kept by widening (see
// widen), and whether it is kept.
func scaledWidened(old, st *state, r scaledRel, keep bool) (int64, bool) {
	k, have, ok := r.k, false, true
	one := func(o, c value) {
		if !linked(c) || c.id != r.id {
			return
		}
		ro, has := scaledRel{}, false
		if linked(o) && o.typ == c.typ {
			ro, has = old.scaledOf(o.id)
		}
		if !has || ro.sh != r.sh {
			if keep && !has {
				have = true
			} else {
				ok = false
			}
			return
		}
		d := c.delta - o.delta
		if d > maxDelta>>r.sh || d < -(maxDelta>>r.sh) {
			ok = false
			return
		}
		t := ro.k + d<<r.sh
		if t > r.k {
			ok = false
			return
		}
		k, have = minS(k, t), true
	}
	for i, fc := range st.frames {
		fo := old.frames[i]
		for reg := 0; reg < 10; reg++ {
			one(fo.regs[reg], fc.regs[reg])
		}
		for j, sl := range fc.stack {
			if !sl.spilled {
				continue
			}
			var o value
			if j < len(fo.stack) && fo.stack[j].spilled {
				o = fo.stack[j].spill
			}
			one(o, sl.spill)
		}
	}
	return k, have && ok
}

// linked reports whether x is a linked value (see value).
func linked(x value) bool { return (x.typ == tScalar || x.typ == tInput) && x.id > lenID }

func widenValue(o, c value) value {
	if o.typ != c.typ || o.null != c.null || o.frame != c.frame || o.obj != c.obj {
		return value{}
	}
	if o.delta != c.delta && o.typ != tScalar && o.typ != tInput {
		return value{}
	}
	r := c
	r.s = o.s.widen(c.s)
	if o.id == lenID && c.id == lenID && o.delta == c.delta {
		r.s = lenBounds(r.s, c.delta)
	}
	if o.id != c.id || o.delta != c.delta {
		r.id, r.delta = 0, 0
		if r.null {
			return value{}
		}
	}
	return r
}

// lenBounds returns s, a widened value of the input length plus d, within
// the bounds every such value has: [max(0, d), MaxUint32 + d].
func lenBounds(s scalar, d int64) scalar {
	hi := int64(math.MaxUint32) + d
	if hi < 0 {
		return s
	}
	if ns, ok := meet(s, rangeScalar(uint64(maxS(0, d)), uint64(hi))); ok {
		return ns
	}
	return s
}

func (v *verifier) freshID() uint32 {
	v.nextID++
	return v.nextID
}

// readReg returns register r for reading; uninitialized is an error in
// Strict mode and an unknown scalar in Checked mode.
func (v *verifier) readReg(pc int, st *state, r uint8) (value, error) {
	x := st.cur().regs[r]
	if x.typ == tNone {
		if v.strict {
			return x, v.fail(pc, st, "r%d is not initialized", r)
		}
		return unknownValue(), nil
	}
	return x, nil
}

func (v *verifier) step(pc int, st *state, cp *checkpoint) (next int, end bool, err error) {
	ins := v.p[pc]
	switch ins.Class() {
	case isa.ClassALU, isa.ClassALU64:
		return pc + 1, false, v.alu(pc, st, ins)
	case isa.ClassLDX:
		return pc + 1, false, v.load(pc, st, ins)
	case isa.ClassST, isa.ClassSTX:
		if ins.Mode() == isa.ModeATOMIC {
			return pc + 1, false, v.atomic(pc, st, ins)
		}
		return pc + 1, false, v.store(pc, st, ins)
	case isa.ClassLD:
		if ins.IsWide() {
			return pc + 2, false, v.lddw(pc, st, ins)
		}
		return pc + 1, false, v.legacyLoad(pc, st, ins)
	}
	// Jumps, calls, exit.
	switch op := ins.JumpOp(); op {
	case isa.JumpJA:
		return int(jumpTarget(ins, pc)), false, nil
	case isa.JumpExit:
		return v.exit(pc, st)
	case isa.JumpCall:
		return v.call(pc, st, ins)
	}
	return v.branch(pc, st, ins, cp)
}

func mix(h, x uint64) uint64 {
	h ^= x
	h *= 0x100000001b3
	return h ^ h>>29
}

func hashValue(h uint64, x value) uint64 {
	id := uint64(0)
	if x.id == lenID {
		id = 1
	} else if x.id != 0 {
		id = 2
	}
	h = mix(h, uint64(x.typ)|uint64(x.frame)<<8|uint64(uint32(x.obj))<<16|id<<48)
	if x.null {
		h = mix(h, 7)
	}
	if x.typ != tNone {
		h = mix(h, x.s.t.v)
		h = mix(h, x.s.t.m)
		h = mix(h, x.s.umin)
		h = mix(h, x.s.umax)
		h = mix(h, uint64(x.s.smin))
		h = mix(h, uint64(x.s.smax))
		h = mix(h, uint64(x.s.u32min)|uint64(x.s.u32max)<<32)
	}
	return h
}

// hashState hashes what subsumes compares (live registers, the stack), so
// that states equal for subsumes hash equal.
func (v *verifier) hashState(st *state, pc int) uint64 {
	h := mix(0xcbf29ce484222325, uint64(len(st.frames))<<32|st.inputMin)
	for i, f := range st.frames {
		h = mix(h, uint64(f.callsite))
		live := v.liveAt(st, i, pc)
		for r := 0; r < 10; r++ {
			if live&(1<<r) != 0 {
				h = hashValue(h, f.regs[r])
			} else {
				h = mix(h, 0)
			}
		}
		n := len(f.stack)
		for n > 0 && f.stack[n-1].init == 0 {
			n--
		}
		for _, sl := range f.stack[:n] {
			h = mix(h, uint64(sl.init)|uint64(sl.spillAt)<<8|uint64(sl.spillSize)<<16)
			if sl.spilled {
				h = hashValue(h, sl.spill)
			}
		}
	}
	return h
}

// join returns a state holding every concrete state of a and of b (a is a
// cleaned checkpoint state, b the current state at pc), or false when their
// shapes differ (call frames).
func (v *verifier) join(a, b *state, pc int, widen bool) (*state, bool) {
	if len(a.frames) != len(b.frames) {
		return nil, false
	}
	for i := range a.frames {
		if a.frames[i].callsite != b.frames[i].callsite {
			return nil, false
		}
	}
	// Join only states of the same shape: where a live register or a
	// spill has different types on the two sides, keep exploring them
	// separately rather than lose the type.
	for i, fa := range a.frames {
		fb := b.frames[i]
		live := v.liveAt(b, i, pc)
		for reg := 0; reg < 10; reg++ {
			if live&(1<<reg) != 0 && !sameShape(fa.regs[reg], fb.regs[reg]) {
				return nil, false
			}
		}
		for j := range fa.stack {
			if j < len(fb.stack) && fa.stack[j].spilled && fb.stack[j].spilled && !sameShape(fa.stack[j].spill, fb.stack[j].spill) {
				return nil, false
			}
		}
	}
	r := b // joined in place: b is the current state, owned by the path
	if widen && b.inputMin < a.inputMin {
		r.inputMin = 0
	} else {
		r.inputMin = minU(a.inputMin, b.inputMin)
	}
	var pr []rel
	for _, rb := range b.pktRange {
		for _, ra := range a.pktRange {
			if ra.id == rb.id && (!widen || ra.k <= rb.k) {
				pr = append(pr, rel{rb.id, minS(ra.k, rb.k), minS(ra.last, rb.last)})
			}
		}
	}
	r.pktRange = pr
	var sr []sumRel
	for _, rb := range b.sums {
		if k, ok := a.sumOf(rb.a, rb.b); ok && (!widen || k <= rb.k) {
			sr = append(sr, sumRel{rb.a, rb.b, minS(k, rb.k)})
		}
	}
	r.sums = sr
	var sc []scaledRel
	for _, rb := range b.scaled {
		if ra, ok := a.scaledOf(rb.id); ok && ra.sh == rb.sh && (!widen || ra.k <= rb.k) {
			sc = append(sc, scaledRel{rb.id, rb.sh, minS(ra.k, rb.k)})
		}
	}
	r.scaled = sc
	for i, fa := range a.frames {
		fr := r.frames[i]
		live := v.liveAt(b, i, pc)
		for reg := 0; reg < 10; reg++ {
			if live&(1<<reg) == 0 {
				fr.regs[reg] = value{}
				continue
			}
			fr.regs[reg] = joinValue(fa.regs[reg], fr.regs[reg], widen)
		}
		fr.own()
		for j := range fr.stack {
			sr := &fr.stack[j]
			var sa slot
			if j < len(fa.stack) {
				sa = fa.stack[j]
			}
			sr.init &= sa.init
			if sr.spilled && sa.spilled && sr.spillAt == sa.spillAt && sr.spillSize == sa.spillSize {
				sr.spill = joinValue(sa.spill, sr.spill, widen)
				if sr.spill.typ == tNone {
					sr.spilled = false
				}
			} else {
				sr.spilled = false
			}
		}
	}
	return r, true
}

// joinValue returns a value holding both a and b; with widen, the bounds
// of b beyond a's go to their limits (so repeated joins converge fast).
func joinValue(a, b value, widen bool) value {
	if a.typ != b.typ || a.frame != b.frame || a.obj != b.obj || a.typ == tNone {
		return value{}
	}
	r := b
	r.null = a.null || b.null
	if widen {
		r.s = a.s.widen(b.s)
		if a.id == lenID && b.id == lenID && a.delta == b.delta {
			r.s = lenBounds(r.s, b.delta)
		}
	} else {
		r.s = a.s.join(b.s)
	}
	if a.id != b.id || a.delta != b.delta {
		// A maybe-NULL pointer without its null-check id can still be
		// checked directly, only not through copies.
		r.id, r.delta = 0, 0
	}
	return r
}

func sameShape(a, b value) bool {
	return a.typ == b.typ && a.frame == b.frame && a.obj == b.obj && a.null == b.null
}

// clone copies st, reusing the memory of a finished path's state.
func (v *verifier) clone(st *state) *state {
	if n := len(v.free); n > 0 && len(st.frames) == 1 {
		r := v.free[n-1]
		v.free = v.free[:n-1]
		pr, sr, sc := r.pktRange[:0], r.sums[:0], r.scaled[:0]
		*r = state{inputMin: st.inputMin, pktRange: append(pr, st.pktRange...)}
		if len(st.sums) > 0 {
			r.sums = append(sr, st.sums...)
		}
		if len(st.scaled) > 0 {
			r.scaled = append(sc, st.scaled...)
		}
		r.f0 = *st.frames[0]
		r.f0.shared, st.frames[0].shared = true, true
		r.fbuf[0] = &r.f0
		r.frames = r.fbuf[:]
		return r
	}
	return st.clone()
}

// unbounded records that the loops around pc are not proven to terminate.
func (v *verifier) unbounded(pc int) {
	v.loopsOK = false
	for _, l := range v.s.loops {
		if l[0] <= pc && pc <= l[1] {
			v.loopBad[l[0]] = true
		}
	}
}
