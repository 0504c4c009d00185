package verifier

import (
	"math"

	"github.com/iovm/iovm/isa"
)

// jsetFalse is the negation of JSET (a & b == 0), used internally.
const jsetFalse isa.JumpOp = 0xff

// negate is isa.JumpOp.Negate with JSET's negation, jsetFalse.
func negate(op isa.JumpOp) isa.JumpOp {
	switch op {
	case isa.JumpJSET:
		return jsetFalse
	case jsetFalse:
		return isa.JumpJSET
	}
	if n, ok := op.Negate(); ok {
		return n
	}
	return isa.JumpJSET
}

// view is the 64-bit or the 32-bit part of a scalar, as compared by a jump.
type view struct {
	umin, umax uint64
	smin, smax int64
	t          tnum
	maxU       uint64
	minS, maxS int64
}

func getView(s scalar, is32 bool) view {
	if is32 {
		return view{uint64(s.u32min), uint64(s.u32max), int64(s.s32min), int64(s.s32max), s.t.cast32(),
			math.MaxUint32, math.MinInt32, math.MaxInt32}
	}
	return view{s.umin, s.umax, s.smin, s.smax, s.t, math.MaxUint64, math.MinInt64, math.MaxInt64}
}

func putView(s scalar, w view, is32 bool) (scalar, bool) {
	if w.umin > w.umax || w.smin > w.smax {
		return s, false
	}
	if is32 {
		s.u32min, s.u32max = uint32(w.umin), uint32(w.umax)
		s.s32min, s.s32max = int32(w.smin), int32(w.smax)
		s.t = s.t.withSub(w.t)
	} else {
		s.umin, s.umax, s.smin, s.smax, s.t = w.umin, w.umax, w.smin, w.smax, w.t
	}
	s.sync()
	return s, s.valid()
}

func (w view) isConst() bool { return w.umin == w.umax }

// refineView narrows a and b to the values for which "a op b" holds; it
// returns false when no values do.
func refineView(op isa.JumpOp, a, b *view) bool {
	switch op {
	case isa.JumpJEQ:
		a.umin, a.umax = maxU(a.umin, b.umin), minU(a.umax, b.umax)
		a.smin, a.smax = maxS(a.smin, b.smin), minS(a.smax, b.smax)
		t, ok := a.t.intersect(b.t)
		if !ok {
			return false
		}
		a.t = t
		b.umin, b.umax, b.smin, b.smax, b.t = a.umin, a.umax, a.smin, a.smax, a.t
	case isa.JumpJNE:
		if a.isConst() && b.isConst() && a.umin == b.umin {
			return false
		}
		neq := func(x, c *view) {
			if !c.isConst() {
				return
			}
			if x.umin == c.umin && x.umin < x.umax {
				x.umin++
			}
			if x.umax == c.umin && x.umin < x.umax {
				x.umax--
			}
			if x.smin == c.smin && x.smin < x.smax {
				x.smin++
			}
			if x.smax == c.smin && x.smin < x.smax {
				x.smax--
			}
		}
		neq(a, b)
		neq(b, a)
	case isa.JumpJGT:
		if b.umin == a.maxU || a.umax == 0 {
			return false
		}
		a.umin = maxU(a.umin, b.umin+1)
		b.umax = minU(b.umax, a.umax-1)
	case isa.JumpJGE:
		a.umin = maxU(a.umin, b.umin)
		b.umax = minU(b.umax, a.umax)
	case isa.JumpJLT:
		return refineView(isa.JumpJGT, b, a)
	case isa.JumpJLE:
		return refineView(isa.JumpJGE, b, a)
	case isa.JumpJSGT:
		if b.smin == a.maxS || a.smax == a.minS {
			return false
		}
		a.smin = maxS(a.smin, b.smin+1)
		b.smax = minS(b.smax, a.smax-1)
	case isa.JumpJSGE:
		a.smin = maxS(a.smin, b.smin)
		b.smax = minS(b.smax, a.smax)
	case isa.JumpJSLT:
		return refineView(isa.JumpJSGT, b, a)
	case isa.JumpJSLE:
		return refineView(isa.JumpJSGE, b, a)
	case isa.JumpJSET:
		if b.isConst() {
			c := b.umin
			if c == 0 || (a.t.v|a.t.m)&c == 0 {
				return false
			}
			if c&(c-1) == 0 {
				a.t.v |= c
				a.t.m &^= c
			}
		}
		if a.umin == 0 {
			a.umin = 1
		}
	case jsetFalse:
		if b.isConst() {
			c := b.umin
			if a.t.v&c != 0 {
				return false
			}
			a.t.m &^= c
		}
	}
	return a.umin <= a.umax && a.smin <= a.smax && b.umin <= b.umax && b.smin <= b.smax
}

// refine returns a and b narrowed by "a op b", and whether that can hold.
func refine(op isa.JumpOp, is32 bool, a, b scalar) (scalar, scalar, bool) {
	va, vb := getView(a, is32), getView(b, is32)
	if !refineView(op, &va, &vb) {
		return a, b, false
	}
	ra, ok1 := putView(a, va, is32)
	rb, ok2 := putView(b, vb, is32)
	return ra, rb, ok1 && ok2
}

// setScalar writes a refined scalar to register r of the current frame and
// to every register and spill holding the same value.
func setScalar(st *state, r uint8, s scalar) {
	f := st.cur()
	x := f.regs[r]
	x.s = s
	f.regs[r] = x
	if x.id == 0 {
		return
	}
	if x.id == lenID && s.umin <= math.MaxInt64 {
		// x is len + delta.
		if n := int64(s.umin) - x.delta; n > 0 && uint64(n) > st.inputMin {
			st.inputMin = minU(uint64(n), math.MaxUint32)
		}
	}
	if m, ok := minBase(x); ok {
		// x's base X is at least m: X + k <= len gives len >= m + k, and
		// X + Y + k <= len gives Y + k + m <= len.
		if k, ok := st.rangeOf(x.id); ok {
			learnInput(st, m+k)
		}
		if r, ok := st.scaledOf(x.id); ok && m >= 0 && m < 1<<(62-r.sh) {
			// (X << sh) + k <= len and X >= m: len >= (m << sh) + k.
			learnInput(st, m<<r.sh+r.k)
		}
		for _, r := range st.sums {
			switch x.id {
			case r.a:
				st.learnDerived(r.b, r.k+m)
			case r.b:
				st.learnDerived(r.a, r.k+m)
			}
		}
	}
	// A register linked to x with another delta is x + (its delta - x's),
	// exactly, so also modulo 2^64: sAdd shifts the refined bounds.
	shifted := func(y value) scalar {
		if y.delta == x.delta {
			return s
		}
		return sAdd(s, constScalar(uint64(y.delta-x.delta)))
	}
	for _, g := range st.frames {
		for i := range g.regs {
			if y := g.regs[i]; y.typ == tScalar && y.id == x.id {
				if ns, ok := meet(y.s, shifted(y)); ok {
					g.regs[i].s = ns
				}
			}
		}
		for i := range g.stack {
			if sl := g.stack[i]; sl.spilled && sl.spill.typ == tScalar && sl.spill.id == x.id {
				if ns, ok := meet(sl.spill.s, shifted(sl.spill)); ok {
					g.own()
					g.stack[i].spill.s = ns
				}
			}
		}
	}
}

// meet returns the values in both a and b.
func meet(a, b scalar) (scalar, bool) {
	t, ok := a.t.intersect(b.t)
	if !ok {
		return a, false
	}
	r := scalar{t: t, umin: maxU(a.umin, b.umin), umax: minU(a.umax, b.umax), smin: maxS(a.smin, b.smin), smax: minS(a.smax, b.smax),
		u32min: uint32(maxU(uint64(a.u32min), uint64(b.u32min))), u32max: uint32(minU(uint64(a.u32max), uint64(b.u32max))),
		s32min: int32(maxS(int64(a.s32min), int64(b.s32min))), s32max: int32(minS(int64(a.s32max), int64(b.s32max)))}
	if !r.valid() {
		return a, false
	}
	r.sync()
	return r, r.valid()
}

// markNull resolves a NULL check on the maybe-NULL pointer x: all copies
// become the scalar 0 (isNull) or a non-NULL pointer.
func markNull(st *state, r uint8, x value, isNull bool) {
	apply := func(y *value) {
		if isNull {
			*y = scalarValue(constScalar(0))
		} else {
			y.null, y.id = false, 0
		}
	}
	if x.id == 0 {
		apply(&st.cur().regs[r])
		return
	}
	for _, g := range st.frames {
		for i := range g.regs {
			if g.regs[i].typ == tMapValue && g.regs[i].null && g.regs[i].id == x.id {
				apply(&g.regs[i])
			}
		}
		for i := range g.stack {
			if sl := g.stack[i]; sl.spilled && sl.spill.typ == tMapValue && sl.spill.null && sl.spill.id == x.id {
				g.own()
				apply(&g.stack[i].spill)
			}
		}
	}
}

// learnInput records that the input is at least n bytes long.
func learnInput(st *state, n int64) {
	if n > 0 && uint64(n) > st.inputMin {
		st.inputMin = minU(uint64(n), math.MaxUint32)
	}
}

func (v *verifier) branch(pc int, st *state, ins isa.Instruction, cp *checkpoint) (int, bool, error) {
	op := ins.JumpOp()
	is32 := ins.Class() == isa.ClassJMP32
	target := int(jumpTarget(ins, pc))
	a, err := v.readReg(pc, st, ins.Dst)
	if err != nil {
		return 0, false, err
	}
	var b value
	if ins.Source() == isa.SrcX {
		if b, err = v.readReg(pc, st, ins.Src); err != nil {
			return 0, false, err
		}
	} else {
		imm := uint64(ins.Imm)
		if is32 {
			imm = uint64(uint32(ins.Imm))
		}
		b = scalarValue(constScalar(imm))
	}
	if !is32 && ins.Source() == isa.SrcX && a.typ == tScalar && b.typ == tScalar && a.id != lenID && b.id != lenID &&
		(a.id == 0) != (b.id == 0) {
		// Comparing an unlinked scalar with a linked one that has a
		// relation with the length: give it an identity, so the relation
		// can carry over (learnScalarOrder).
		r, y := ins.Dst, b
		if a.id != 0 {
			r, y = ins.Src, a
		}
		_, ok := st.rangeOf(y.id)
		_, sok := st.scaledOf(y.id)
		if x := &st.cur().regs[r]; (ok || sok || inSum(st.sums, y.id)) && !x.s.isConst() {
			x.id, x.delta = v.freshID(), 0
			if r == ins.Dst {
				a.id, a.delta = x.id, 0
			} else {
				b.id, b.delta = x.id, 0
			}
		}
	}
	if !is32 && ins.Source() == isa.SrcX && a.typ == tScalar && b.typ == tScalar && (a.id == lenID) != (b.id == lenID) {
		// Comparing a scalar with the input length: give the scalar an
		// identity so the relation (x + k <= len) can be recorded.
		r := ins.Dst
		if a.id == lenID {
			r = ins.Src
		}
		if x := &st.cur().regs[r]; x.id == 0 && !x.s.isConst() {
			x.id = v.freshID()
			if r == ins.Dst {
				a.id = x.id
			} else {
				b.id = x.id
			}
		}
	}
	tOK, fOK := true, true
	var ta, tb, fa, fb scalar
	scalars := a.typ == tScalar && b.typ == tScalar
	if scalars {
		ta, tb, tOK = refine(op, is32, a.s, b.s)
		fa, fb, fOK = refine(negate(op), is32, a.s, b.s)
	}
	var taken *state
	switch {
	case tOK && fOK:
		taken = v.clone(st)
	case tOK:
		taken = st // only the jump is possible: refine st in place
	}
	switch {
	case scalars:
		if !is32 {
			v.learnLenRelation(op, a, b, taken, st, tOK, fOK)
			if tOK {
				learnScalarOrder(op, a, b, taken)
			}
			if fOK {
				learnScalarOrder(negate(op), a, b, st)
			}
		}
		if tOK {
			if ins.Source() == isa.SrcX {
				setScalar(taken, ins.Src, tb)
			}
			setScalar(taken, ins.Dst, ta)
		}
		if fOK {
			if ins.Source() == isa.SrcX {
				setScalar(st, ins.Src, fb)
			}
			setScalar(st, ins.Dst, fa)
		}
	case !is32 && (op == isa.JumpJEQ || op == isa.JumpJNE) && isNullCheck(a, b):
		r, x := ins.Dst, a
		if b.typ == tMapValue {
			r, x = ins.Src, b
		}
		eq, ne := taken, st
		if op == isa.JumpJNE {
			eq, ne = st, taken
		}
		markNull(eq, r, x, true)
		markNull(ne, r, x, false)
	case !is32 && a.typ == tInput && b.typ == tInputEnd && b.s.isConst() && int64(b.s.val()) >= 0 && a.s.smin >= 0:
		// a = input + o, b = input + len + e.
		need := a.s.smin - int64(b.s.val())
		var into *state
		plus := int64(0)
		switch op {
		case isa.JumpJGT: // fall: a <= b
			into = st
		case isa.JumpJGE: // fall: a < b
			into, plus = st, 1
		case isa.JumpJLT:
			into, plus = taken, 1
		case isa.JumpJLE:
			into = taken
		}
		if into != nil {
			learnInput(into, need+plus)
			if a.id != 0 {
				into.learnRange(a.id, a.delta-int64(b.s.val())+plus)
			}
		}
	case !is32 && a.typ == tInput && b.typ == tInput:
		// Two input pointers (packet pointer vs a derived end).
		learnPtrOrder(op, a, b, taken, st)
	case !is32 && a.typ == tInputEnd && b.typ == tInput && a.s.isConst() && int64(a.s.val()) >= 0 && b.s.smin >= 0:
		need := b.s.smin - int64(a.s.val())
		var into *state
		plus := int64(0)
		switch op {
		case isa.JumpJGT: // taken: end > p
			into, plus = taken, 1
		case isa.JumpJGE:
			into = taken
		case isa.JumpJLT: // fall: end >= p
			into = st
		case isa.JumpJLE: // fall: end > p
			into, plus = st, 1
		}
		if into != nil {
			learnInput(into, need+plus)
			if b.id != 0 {
				into.learnRange(b.id, b.delta-int64(a.s.val())+plus)
			}
		}
	}
	switch {
	case tOK && fOK:
		if cp != nil {
			cp.branches++
		}
		v.work = append(v.work, pending{pc: target, st: taken, parent: cp})
		return pc + 1, false, nil
	case tOK:
		return target, false, nil
	case fOK:
		return pc + 1, false, nil
	}
	return 0, true, nil
}

func isNullCheck(a, b value) bool {
	zero := func(x value) bool { return x.typ == tScalar && x.s.isConst() && x.s.val() == 0 }
	return (a.typ == tMapValue && a.null && zero(b)) || (b.typ == tMapValue && b.null && zero(a))
}

// learnLenRelation records x + k <= len for a scalar x compared (unsigned,
// 64-bit) with a value known to equal the input length.
func (v *verifier) learnLenRelation(op isa.JumpOp, a, b value, taken, fall *state, tOK, fOK bool) {
	var x value
	var lt, le bool   // for the taken branch: x < len, x <= len
	var flt, fle bool // for the fall-through branch
	var e int64       // the length side is len + e
	switch {
	case b.id == lenID && a.id > lenID:
		x, e = a, b.delta
		switch op {
		case isa.JumpJLT:
			lt, fle = true, false
		case isa.JumpJLE:
			le = true
		case isa.JumpJGE:
			flt = true
		case isa.JumpJGT:
			fle = true
		}
	case a.id == lenID && b.id > lenID:
		x, e = b, a.delta
		switch op {
		case isa.JumpJGT: // len > x
			lt = true
		case isa.JumpJGE:
			le = true
		case isa.JumpJLE: // fall: len > x
			flt = true
		case isa.JumpJLT: // fall: len >= x
			fle = true
		}
	default:
		return
	}
	// x is exactly base + delta and the other side len + e: x < len + e
	// is base + delta - e + 1 <= len.
	if tOK && taken != nil && (lt || le) {
		k := x.delta - e
		if lt {
			k++
		}
		taken.learnRange(x.id, k)
	}
	if fOK && (flt || fle) {
		k := x.delta - e
		if flt {
			k++
		}
		fall.learnRange(x.id, k)
	}
}

// learnScalarOrder carries relations with the length across "a op b"
// (unsigned, 64-bit, holding in st) on linked scalars lo <= hi (lo < hi:
// one more): lo = L + dl <= H + dh = hi, so H + k <= len gives L + dl - dh
// + k <= len, and H + Z + k <= len gives L + Z + dl - dh + k <= len.
func learnScalarOrder(op isa.JumpOp, a, b value, st *state) {
	lo, hi, strict := a, b, false
	switch op {
	case isa.JumpJLT:
		strict = true
	case isa.JumpJLE:
	case isa.JumpJGT:
		lo, hi, strict = b, a, true
	case isa.JumpJGE:
		lo, hi = b, a
	default:
		return
	}
	if lo.id <= lenID || hi.id <= lenID || lo.id == hi.id {
		return
	}
	shift := lo.delta - hi.delta
	if strict {
		shift++
	}
	if k, ok := st.rangeOf(hi.id); ok {
		st.learnDerived(lo.id, k+shift)
	}
	if r, ok := st.scaledOf(hi.id); ok && shift <= maxDelta>>r.sh && shift >= -(maxDelta>>r.sh) {
		// L + shift <= H: (L << sh) + (shift << sh) + k <= len.
		st.learnScaled(lo.id, r.sh, r.k+shift<<r.sh)
	}
	for i := 0; i < len(st.sums); i++ {
		r := st.sums[i]
		switch hi.id {
		case r.a:
			st.learnSum(lo.id, r.b, r.k+shift)
		case r.b:
			st.learnSum(lo.id, r.a, r.k+shift)
		}
	}
}

// learnPtrOrder handles an unsigned 64-bit comparison of two input pointers
// a and b. On a branch where lo <= hi (lo < hi when strict), hi's bound
// off(hi) + slack <= len carries to lo: off(lo) + slack (+1) <= len. The
// offsets must lie in [0, 2^40], so the addresses (region base + offset)
// compare as the offsets do; hi's bound is its relation (base + k <= len,
// off = base + delta) or, for a constant offset c, c + (inputMin - c).
func learnPtrOrder(op isa.JumpOp, a, b value, taken, fall *state) {
	const lim = 1 << 40
	if a.s.smin < 0 || a.s.smax > lim || b.s.smin < 0 || b.s.smax > lim {
		return
	}
	// For each branch: which side is below, and strictly.
	var tLoA, fLoA, tStrict, fStrict bool
	switch op {
	case isa.JumpJGT: // taken: b < a; fall: a <= b
		tLoA, tStrict, fLoA, fStrict = false, true, true, false
	case isa.JumpJGE: // taken: b <= a; fall: a < b
		tLoA, tStrict, fLoA, fStrict = false, false, true, true
	case isa.JumpJLT: // taken: a < b; fall: b <= a
		tLoA, tStrict, fLoA, fStrict = true, true, false, false
	case isa.JumpJLE: // taken: a <= b; fall: b < a
		tLoA, tStrict, fLoA, fStrict = true, false, false, true
	default:
		return
	}
	learn := func(into *state, loA, strict bool) {
		if into == nil {
			return
		}
		lo, hi := a, b
		if !loA {
			lo, hi = b, a
		}
		var slack int64
		switch {
		case hi.id != 0:
			k, ok := into.rangeOf(hi.id)
			if !ok {
				return
			}
			slack = k - hi.delta
		case hi.s.isConst():
			slack = int64(into.inputMin) - int64(hi.s.val())
		default:
			return
		}
		if strict {
			slack++
		}
		learnInput(into, lo.s.smin+slack)
		if lo.id != 0 {
			if k := lo.delta + slack; k <= maxDelta && k >= -maxDelta {
				into.learnRange(lo.id, k)
			}
		}
	}
	learn(taken, tLoA, tStrict)
	learn(fall, fLoA, fStrict)
}
