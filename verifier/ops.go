package verifier

import (
	"fmt"
	"math"

	"github.com/iovm/iovm/isa"
)

// ---- ALU

func (v *verifier) alu(pc int, st *state, ins isa.Instruction) error {
	f := st.cur()
	is64 := ins.Class() == isa.ClassALU64
	op := ins.ALUOp()
	d := ins.Dst
	var src value
	unary := op == isa.ALUEnd || op == isa.ALUNeg
	if !unary {
		if ins.Source() == isa.SrcX {
			x, err := v.readReg(pc, st, ins.Src)
			if err != nil {
				return err
			}
			src = x
		} else {
			imm := uint64(ins.Imm)
			if !is64 {
				imm = uint64(uint32(ins.Imm))
			}
			src = scalarValue(constScalar(imm))
		}
	}
	if op == isa.ALUMov {
		if ins.Offset == 0 {
			if is64 || (src.typ == tScalar && src.s.umax <= math.MaxUint32) {
				if src.typ == tScalar && ins.Source() == isa.SrcX && src.id == 0 && !src.s.isConst() {
					src.id = v.freshID()
					f.regs[ins.Src].id = src.id
				}
				f.regs[d] = src
				return nil
			}
			s := unknownScalar()
			if src.typ == tScalar {
				s = src.s
			}
			f.regs[d] = scalarValue(s.trunc32())
			return nil
		}
		s := unknownScalar()
		if src.typ == tScalar {
			s = src.s
		}
		r := s.sextBits(uint(ins.Offset))
		if !is64 {
			r = r.trunc32()
		}
		f.regs[d] = scalarValue(r)
		return nil
	}
	dv, err := v.readReg(pc, st, d)
	if err != nil {
		return err
	}
	if (op == isa.ALUDiv || op == isa.ALUMod) && ins.Source() == isa.SrcX {
		nz := false
		if src.typ == tScalar {
			s := src.s
			if !is64 {
				s = s.zext32()
			}
			nz = s.umin > 0
		}
		if !v.divSeen[pc] {
			v.divSeen[pc], v.divOK[pc] = true, nz
		} else {
			v.divOK[pc] = v.divOK[pc] && nz
		}
	}
	if is64 && (op == isa.ALUAdd || op == isa.ALUSub) && (dv.isPtr() || src.isPtr()) {
		f.regs[d] = v.ptrArith(st, op, dv, src)
		return nil
	}
	if is64 && (op == isa.ALUAdd || op == isa.ALUSub) && dv.typ == tScalar && dv.id >= lenID && src.typ == tScalar && src.s.isConst() {
		if c, ok := linkedAdd(dv, int64(src.s.val()), op == isa.ALUSub); ok {
			f.regs[d] = value{typ: tScalar, id: dv.id, delta: dv.delta + c, s: v.scalarALU(ins, dv.s, src.s)}
			return nil
		}
	}
	if is64 && op == isa.ALUSub && dv.typ == tScalar && dv.id == lenID && src.typ == tScalar && !src.s.isConst() {
		if r, ok := v.lenMinus(st, dv, src, ins.Src); ok {
			if ns, ok := meet(r.s, v.scalarALU(ins, dv.s, src.s)); ok {
				r.s = ns
			}
			f.regs[d] = r
			return nil
		}
	}
	if is64 && op == isa.ALUAdd && len(st.sums) > 0 && dv.typ == tScalar && src.typ == tScalar && dv.id > lenID && src.id > lenID {
		if r, ok := v.linkedSum(st, dv, src); ok {
			if ns, ok := meet(r.s, v.scalarALU(ins, dv.s, src.s)); ok {
				r.s = ns
			}
			f.regs[d] = r
			return nil
		}
	}
	if is64 && ins.Offset == 0 && dv.typ == tScalar && src.typ == tScalar && src.s.isConst() {
		if r, ok := v.scaledShift(st, op, dv, src.s.val()); ok {
			if ns, ok := meet(r.s, v.scalarALU(ins, dv.s, src.s)); ok {
				r.s = ns
			}
			f.regs[d] = r
			return nil
		}
	}
	if is64 && op == isa.ALUAdd && len(st.scaled) > 0 && dv.typ == tScalar && src.typ == tScalar {
		if r, ok := v.scaledSum(st, dv, src); ok {
			if ns, ok := meet(r.s, v.scalarALU(ins, dv.s, src.s)); ok {
				r.s = ns
			}
			f.regs[d] = r
			return nil
		}
	}
	if dv.typ != tScalar || (!unary && src.typ != tScalar) {
		r := unknownScalar()
		if !is64 {
			r = r.trunc32()
		}
		f.regs[d] = scalarValue(r)
		return nil
	}
	f.regs[d] = scalarValue(v.scalarALU(ins, dv.s, src.s))
	return nil
}

func (v *verifier) ptrArith(st *state, op isa.ALUOp, dv, src value) value {
	unknown := unknownValue()
	if op == isa.ALUAdd {
		p, k := dv, src
		if !p.isPtr() {
			p, k = src, dv
		}
		if k.typ != tScalar || p.null || p.typ == tMap {
			return unknown
		}
		if p.typ == tInput && k.id == lenID && p.s.isConst() {
			// input + c + (len + d): the input end + c + d.
			return value{typ: tInputEnd, s: sAdd(p.s, constScalar(uint64(k.delta)))}
		}
		if p.typ == tInputEnd && !k.s.isConst() {
			return unknown
		}
		if p.typ == tInput && p.s.isConst() && !k.s.isConst() && k.id > lenID {
			// input + c + x: the variable part is x = base + delta, so
			// what is known of base + k <= len (pktRange) holds here too.
			c := int64(p.s.val())
			if c <= maxDelta && c >= -maxDelta {
				p.s = sAdd(p.s, k.s)
				p.id, p.delta = k.id, c+k.delta
				return p
			}
		}
		if p.typ == tInput && p.id != 0 && len(st.sums) > 0 && k.id > lenID && !p.s.isConst() && k.typ == tScalar {
			if r, ok := v.linkedSum(st, p, k); ok {
				p.s = sAdd(p.s, k.s)
				if ns, ok := meet(p.s, r.s); ok {
					p.s = ns
				}
				p.id, p.delta = r.id, r.delta
				return p
			}
		}
		if p.typ == tInput && len(st.scaled) > 0 && k.typ == tScalar && !k.s.isConst() {
			if r, ok := v.scaledSum(st, p, k); ok {
				p.s = sAdd(p.s, k.s)
				if ns, ok := meet(p.s, r.s); ok {
					p.s = ns
				}
				p.id, p.delta = r.id, r.delta
				return p
			}
		}
		p.s = sAdd(p.s, k.s)
		v.adjustInputID(&p, k.s, 1)
		return p
	}
	if dv.isPtr() && src.typ == tScalar {
		if dv.null || dv.typ == tMap || (dv.typ == tInputEnd && !src.s.isConst()) {
			return unknown
		}
		dv.s = sSub(dv.s, src.s)
		v.adjustInputID(&dv, src.s, -1)
		return dv
	}
	if dv.isPtr() && src.isPtr() && !dv.null && !src.null {
		if dv.typ == src.typ && dv.frame == src.frame && dv.obj == src.obj && dv.typ != tMap {
			return scalarValue(sSub(dv.s, src.s))
		}
		if dv.typ == tInputEnd && src.typ == tInput && dv.s.isConst() && src.s.isConst() && dv.s.val() == src.s.val() {
			return value{typ: tScalar, id: lenID, s: rangeScalar(st.inputMin, math.MaxUint32)}
		}
	}
	return unknown
}

// maxDelta bounds the constant of a linked value, far from overflow.
const maxDelta = 1 << 40

// linkedAdd returns the constant c that adding (or subtracting) k adds to
// the linked scalar x, and whether x stays linked: the sum must not wrap
// around for any value of x, so x + c is still exactly base + delta + c.
func linkedAdd(x value, k int64, sub bool) (int64, bool) {
	if sub {
		k = -k
	}
	if k > maxDelta || k < -maxDelta {
		return 0, false
	}
	if k >= 0 && x.s.umax > math.MaxUint64-uint64(k) || k < 0 && x.s.umin < uint64(-k) {
		return 0, false
	}
	if d := x.delta + k; d > maxDelta || d < -maxDelta {
		return 0, false
	}
	return k, true
}

// lenMinus models len + e - x for the length-linked scalar l = len + e and
// the scalar x (register r). When no value of x exceeds len + e (x's base
// has a relation saying so, or its bound is below the proven length), the
// result is exactly C = len + e - x: it gets a fresh base C, with the sum
// relation C + X + (d - e) <= len (x = X + d; an unlinked x gets a fresh
// base) and C's own relation C + (d - e) + min(X) <= len.
func (v *verifier) lenMinus(st *state, l, x value, r uint8) (value, bool) {
	e := l.delta
	switch {
	case x.id > lenID:
		k, ok := st.rangeOf(x.id)
		// x = X + d <= len - k + d <= len + e.
		if !ok || x.delta-k > e {
			return value{}, false
		}
	case x.id == 0:
		// x <= umax <= inputMin + e <= len + e.
		if e < -maxDelta || e > maxDelta || int64(x.s.umax) < 0 || int64(x.s.umax) > int64(st.inputMin)+e {
			return value{}, false
		}
		x.id, x.delta = v.freshID(), 0
		st.cur().regs[r].id, st.cur().regs[r].delta = x.id, 0
	default:
		return value{}, false
	}
	c := value{typ: tScalar, id: v.freshID()}
	if hi := int64(math.MaxUint32) + e - int64(minU(x.s.umin, math.MaxUint32)); hi >= 0 {
		// 0 <= C <= len + e - x.
		c.s = rangeScalar(0, uint64(hi))
	} else {
		return value{}, false
	}
	k := x.delta - e
	st.learnSum(c.id, x.id, k)
	if m, ok := minBase(x); ok {
		st.learnDerived(c.id, k+m)
	}
	return c, true
}

// linkedSum models x + y for two linked values (scalars, or an input
// pointer x and a scalar y) whose bases X and Y have a sum relation X + Y +
// k <= len: the sum cannot wrap (it is at most len - k plus the deltas), so
// it is exactly E = X + Y + dx + dy, a fresh base with the relation E + k
// - dx - dy <= len. It returns the result's id and delta.
func (v *verifier) linkedSum(st *state, x, y value) (value, bool) {
	if x.id <= lenID || y.id <= lenID || x.id == y.id || len(st.sums) == 0 {
		return value{}, false
	}
	k, ok := st.sumOf(x.id, y.id)
	if !ok {
		return value{}, false
	}
	kk := k - x.delta - y.delta
	if kk > maxDelta || kk < -maxDelta {
		return value{}, false
	}
	// E + kk <= len <= MaxUint32 bounds the sum (so a loop head holding
	// it converges).
	hi := int64(math.MaxUint32) - kk
	if hi < 0 {
		return value{}, false
	}
	r := value{typ: tScalar, id: v.freshID(), s: rangeScalar(0, uint64(hi))}
	st.learnDerived(r.id, kk)
	return r, true
}

// scaledShift models the 64-bit shifts and divisions that scaled relations
// follow. (len + e) >> sh (or / 2^sh) is a fresh base N with (N << sh) - e
// <= len, and N - e <= len (N <= N << sh, as N >= 0). x << s on x = X + d
// whose base has (X << sh) + k <= len, s <= sh and no bit shifted out, is
// y = x << s exactly, a fresh base with y + k - (d << sh) <= len (y <=
// x << sh, as y >= 0) and, when s < sh, (y << (sh - s)) + k - (d << sh)
// <= len.
func (v *verifier) scaledShift(st *state, op isa.ALUOp, x value, c uint64) (value, bool) {
	switch {
	case x.id == lenID && (op == isa.ALURsh || op == isa.ALUDiv):
		sh := uint64(0)
		switch {
		case op == isa.ALURsh:
			sh = c
		case c != 0 && c&(c-1) == 0:
			for c > 1 {
				c >>= 1
				sh++
			}
		}
		if sh == 0 || sh > maxScaleShift || x.delta > maxDelta || x.delta < -maxDelta {
			return value{}, false
		}
		n := value{typ: tScalar, id: v.freshID(), s: unknownScalar()}
		st.learnScaled(n.id, uint8(sh), -x.delta)
		st.learnDerived(n.id, -x.delta)
		return n, true
	case x.id > lenID && op == isa.ALULsh && c >= 1 && c <= maxScaleShift && x.s.umax < 1<<(64-c):
		r, ok := st.scaledOf(x.id)
		if !ok || uint64(r.sh) < c || x.delta > maxDelta>>r.sh || x.delta < -(maxDelta>>r.sh) {
			return value{}, false
		}
		k := r.k - x.delta<<r.sh
		if k > maxDelta || k < -maxDelta {
			return value{}, false
		}
		y := value{typ: tScalar, id: v.freshID(), s: unknownScalar()}
		// y << (sh - s) = y + (2^(sh-s) - 1) y >= y + (2^(sh-s) - 1) ymin.
		extra := int64(0)
		if ymin := x.s.umin << c; ymin <= 1<<31 && r.sh-uint8(c) <= 8 {
			extra = int64(ymin) * (1<<(r.sh-uint8(c)) - 1)
		}
		st.learnDerived(y.id, k+extra)
		if uint64(r.sh) > c {
			st.learnScaled(y.id, r.sh-uint8(c), k)
		}
		return y, true
	}
	return value{}, false
}

// halfBound returns K with 2x + K <= len for the linked value x (a scalar,
// or an input pointer's offset) = X + d whose base has (X << sh) + k <=
// len, sh >= 1: 2x <= x << sh (x >= 0) = (X << sh) + (d << sh).
func halfBound(st *state, x value) (int64, bool) {
	if !linked(x) || x.typ == tInput && (x.s.smin < 0 || x.s.umax > 1<<40) {
		return 0, false
	}
	r, ok := st.scaledOf(x.id)
	if !ok || x.delta > maxDelta>>r.sh || x.delta < -(maxDelta>>r.sh) {
		return 0, false
	}
	return r.k - x.delta<<r.sh, true
}

// scaledSum models x + y (scalars, or the input pointer x plus the scalar
// y) when both have scaled relations: 2x + Kx <= len and 2y + Ky <= len
// (halfBound) give x + y + (Kx + Ky) / 2 <= len (rounded up: x + y is an
// integer at most len - (Kx + Ky) / 2), so the sum cannot wrap (x, y <=
// (len - K) / 2, far below 2^63) and is exactly a fresh base E with that
// relation: "a + 4i" with a = data + 4n, i < n and n = len >> 3. x and y
// may share a base: each bound holds on its own.
func (v *verifier) scaledSum(st *state, x, y value) (value, bool) {
	kx, ok1 := halfBound(st, x)
	ky, ok2 := halfBound(st, y)
	if !ok1 || !ok2 || y.typ != tScalar {
		return value{}, false
	}
	k := (kx + ky + 1) >> 1 // ceil((kx + ky) / 2)
	hi := int64(math.MaxUint32) - k
	if k > maxDelta || k < -maxDelta || hi < 0 {
		return value{}, false
	}
	r := value{typ: tScalar, id: v.freshID(), s: rangeScalar(0, uint64(hi))}
	st.learnDerived(r.id, k)
	return r, true
}

// minBase returns the least value of x's base: x = base + delta.
func minBase(x value) (int64, bool) {
	if x.id <= lenID || x.s.umin > maxDelta {
		return 0, false
	}
	return int64(x.s.umin) - x.delta, true
}

// adjustInputID keeps the variable-offset identity of an input pointer
// after adding sign*k: constants move delta, variables start a new base.
func (v *verifier) adjustInputID(p *value, k scalar, sign int64) {
	if p.typ != tInput {
		p.id, p.delta = 0, 0
		return
	}
	if k.isConst() {
		if p.id != 0 {
			p.delta += sign * int64(k.val())
			if p.delta > 1<<40 || p.delta < -1<<40 {
				p.id, p.delta = 0, 0
			}
		}
		return
	}
	p.id, p.delta = v.freshID(), 0
}

// scalarALU computes an ALU operation on scalars.
func (v *verifier) scalarALU(ins isa.Instruction, a, b scalar) scalar {
	is64 := ins.Class() == isa.ClassALU64
	op := ins.ALUOp()
	if op == isa.ALUEnd {
		// le/be swap or truncate depending on the program's byte order,
		// which engines decide: model both (bswap always swaps).
		w := uint(ins.Imm)
		if a.isConst() {
			le := constScalar(isa.EvalALU(ins, a.val(), 0, false))
			be := constScalar(isa.EvalALU(ins, a.val(), 0, true))
			return le.join(be)
		}
		if w >= 64 {
			return unknownScalar()
		}
		return rangeScalar(0, uint64(1)<<w-1)
	}
	if a.isConst() && (op == isa.ALUNeg || b.isConst()) {
		return constScalar(isa.EvalALU(ins, a.val(), b.val(), false))
	}
	signed := ins.Offset == 1 && (op == isa.ALUDiv || op == isa.ALUMod)
	mask := uint64(63)
	if !is64 {
		mask = 31
		if op == isa.ALUArsh || signed {
			a, b = a.sext32(), b.sext32()
		} else {
			a, b = a.zext32(), b.zext32()
		}
	}
	var r scalar
	switch op {
	case isa.ALUAdd:
		r = sAdd(a, b)
	case isa.ALUSub:
		r = sSub(a, b)
	case isa.ALUMul:
		r = sMul(a, b)
	case isa.ALUDiv:
		if signed {
			r = unknownScalar()
		} else {
			r = sDivU(a, b)
		}
	case isa.ALUMod:
		if signed {
			r = unknownScalar()
		} else {
			r = sModU(a, b)
		}
	case isa.ALUOr:
		r = sOr(a, b)
	case isa.ALUAnd:
		r = sAnd(a, b)
	case isa.ALUXor:
		r = sXor(a, b)
	case isa.ALULsh, isa.ALURsh, isa.ALUArsh:
		if b.isConst() {
			k := uint(b.val() & mask)
			switch op {
			case isa.ALULsh:
				r = sLsh(a, k)
			case isa.ALURsh:
				r = sRsh(a, k)
			default:
				r = sArsh(a, k)
			}
		} else {
			r = sShiftVar(uint8(op), a)
		}
	case isa.ALUNeg:
		r = sSub(constScalar(0), a)
	default:
		r = unknownScalar()
	}
	if !is64 {
		r = r.trunc32()
	}
	return r
}

// ---- memory

// access checks a memory access of size bytes at base+off.
func (v *verifier) access(st *state, base value, off int64, size int, write, atomic bool) (bool, Region, string) {
	switch base.typ {
	case tNone, tScalar:
		return false, 0, "memory access through a scalar, not a pointer"
	case tMap:
		return false, 0, "memory access through a map handle"
	case tInputEnd:
		// end + e + off: the bytes [len+lo, len+hi) are inside the input
		// when hi <= 0 and len >= -lo.
		if !base.s.isConst() {
			return false, 0, "memory access through the input end pointer with a variable offset"
		}
		lo := int64(base.s.val()) + off
		if lo < -1<<32 || lo > 1<<32 {
			return false, 0, "input end pointer offset out of range"
		}
		if lo+int64(size) > 0 || uint64(-lo) > st.inputMin {
			return false, 0, fmt.Sprintf("input access [end%+d, end%+d) not proven within the input (proven length %d)", lo, lo+int64(size), st.inputMin)
		}
		if write && v.c.InputReadOnly {
			return false, 0, "the input is read-only"
		}
		if atomic {
			// The end's alignment is unknown.
			return false, 0, "atomic access not proven aligned"
		}
		return true, RegionInput, ""
	}
	if base.null {
		return false, 0, "memory access through a pointer that may be NULL"
	}
	const lim = 1 << 40
	if base.s.smin < -lim || base.s.smax > lim {
		return false, 0, fmt.Sprintf("pointer offset %s is unbounded", base.s)
	}
	lo, hi := base.s.smin+off, base.s.smax+off+int64(size)
	var region Region
	var limit int64
	what := ""
	switch base.typ {
	case tStack:
		region = RegionStack
		if lo < -int64(v.c.StackSize) || hi > 0 {
			return false, 0, fmt.Sprintf("stack access [%d, %d) outside the frame [-%d, 0)", lo, hi, v.c.StackSize)
		}
		if base.frame < uint8(len(st.frames)) {
			fn := st.frames[base.frame].fn
			if int(-lo) > v.frameUse[fn] {
				v.frameUse[fn] = int(-lo)
			}
		}
		limit = 0
		lo, hi = 0, 0 // checked above
	case tCtx:
		region, limit, what = RegionContext, int64(v.c.ContextSize), "context"
		if write && !v.c.ContextWritable {
			return false, 0, "the context is read-only"
		}
	case tInput:
		region, limit, what = RegionInput, int64(st.inputMin), "input"
		if write && v.c.InputReadOnly {
			return false, 0, "the input is read-only"
		}
		if base.id != 0 && lo >= 0 {
			if k, ok := st.rangeOf(base.id); ok && base.delta+off+int64(size) <= k {
				what = "" // within the range proven for this variable offset
			} else if k, ok := halfBound(st, base); ok && 2*(off+int64(size))-k <= int64(st.inputMin) {
				// 2o + k <= len for the offset o: o + off + size <=
				// (len - k) / 2 + off + size <= len.
				what = ""
			}
		}
	case tMapValue:
		info := v.objs[base.obj]
		region, limit, what = RegionMapValue, int64(info.ValueSize), "map value"
		if write && info.ReadOnly {
			return false, 0, "the map value is read-only"
		}
	}
	if what != "" && (lo < 0 || hi > limit) {
		if base.typ == tInput {
			return false, 0, fmt.Sprintf("input access [%d, %d) not proven within the input (proven length %d)", lo, hi, limit)
		}
		return false, 0, fmt.Sprintf("%s access [%d, %d) outside [0, %d)", what, lo, hi, limit)
	}
	if atomic {
		m := uint64(size - 1)
		if base.s.t.m&m != 0 || (base.s.t.v+uint64(off))&m != 0 {
			return false, 0, "atomic access not proven aligned"
		}
	}
	return true, region, ""
}

func (v *verifier) recordAccess(pc int, ok bool, r Region) {
	if !v.accSeen[pc] {
		v.accSeen[pc], v.accOK[pc], v.accRegion[pc] = true, ok, r
		return
	}
	if !ok || v.accRegion[pc] != r {
		v.accOK[pc] = false
	}
}

// slotOf returns the slot index and byte position of stack offset o (< 0).
func slotOf(o int64) (int, uint) {
	i := int((-o - 1) / 8)
	return i, uint(o + 8*int64(i+1))
}

// stackInit reports whether bytes [lo, hi) of frame f are initialized.
func stackInit(f *frame, lo, hi int64) bool {
	if lo >= hi {
		return true
	}
	if i, _ := slotOf(lo); i >= len(f.stack) {
		return false // the deepest byte is beyond what was ever written
	}
	for o := lo; o < hi; o++ {
		i, b := slotOf(o)
		if i >= len(f.stack) || f.stack[i].init&(1<<b) == 0 {
			return false
		}
	}
	return true
}

func (v *verifier) stackRead(pc int, st *state, base value, off int64, size int, signed bool) (value, error) {
	f := st.frames[base.frame]
	if base.s.isConst() {
		o := int64(base.s.val()) + off
		i, b := slotOf(o)
		if i < len(f.stack) {
			sl := &f.stack[i]
			if sl.spilled && sl.spillAt == uint8(b) && int(sl.spillSize) == size {
				x := sl.spill
				if signed && x.typ == tScalar {
					x = scalarValue(x.s.sextBits(uint(8 * size)))
				}
				return x, nil
			}
		}
	}
	lo, hi := base.s.smin+off, base.s.smax+off+int64(size)
	if !stackInit(f, lo, hi) {
		if v.strict {
			return value{}, v.fail(pc, st, "read of uninitialized stack [%d, %d)", lo, hi)
		}
	}
	return scalarValue(loadedScalar(size, signed)), nil
}

func loadedScalar(size int, signed bool) scalar {
	if size >= 8 {
		return unknownScalar()
	}
	if signed {
		return unknownScalar().sextBits(uint(8 * size))
	}
	return rangeScalar(0, uint64(1)<<(8*size)-1)
}

func (v *verifier) stackWrite(st *state, base value, off int64, size int, val value) {
	f := st.frames[base.frame]
	if base.s.isConst() {
		o := int64(base.s.val()) + off
		i, b := slotOf(o)
		if int(b)+size <= 8 && b%uint(size) == 0 {
			sl := f.slotAt(i)
			if sl == nil {
				return
			}
			if size == 8 || val.typ == tScalar {
				x := val
				if x.typ == tNone {
					x = unknownValue()
				}
				if size < 8 {
					if x.s.umax >= uint64(1)<<(8*size) {
						x.id, x.delta = 0, 0
					}
					x.s = x.s.truncBits(uint(8 * size))
				}
				sl.spill, sl.spilled, sl.spillAt, sl.spillSize = x, true, uint8(b), uint8(size)
				sl.init |= uint8((1<<size - 1) << b)
				return
			}
		}
		for p := o; p < o+int64(size); p++ {
			i, b := slotOf(p)
			if sl := f.slotAt(i); sl != nil {
				sl.spilled = false
				sl.init |= 1 << b
			}
		}
		return
	}
	unspill(f, base.s.smin+off, base.s.smax+off+int64(size))
}

// unspill forgets the spills overlapping bytes [lo, hi) of frame f.
func unspill(f *frame, lo, hi int64) {
	if lo >= hi {
		return
	}
	f.own()
	first, _ := slotOf(hi - 1)
	last, _ := slotOf(lo)
	for i := first; i <= last && i < len(f.stack); i++ {
		if i >= 0 {
			f.stack[i].spilled = false
		}
	}
}

// clobberStack forgets every spilled value in every frame (after a store
// that may have hit the stack anywhere).
func clobberStack(st *state) {
	for _, f := range st.frames {
		f.own()
		for i := range f.stack {
			f.stack[i].spilled = false
		}
	}
}

func (v *verifier) load(pc int, st *state, ins isa.Instruction) error {
	base, err := v.readReg(pc, st, ins.Src)
	if err != nil {
		return err
	}
	size := ins.Size().Bytes()
	signed := ins.Mode() == isa.ModeMEMSX
	ok, region, reason := v.access(st, base, int64(ins.Offset), size, false, false)
	v.recordAccess(pc, ok, region)
	if !ok && v.strict {
		return v.fail(pc, st, "%s", reason)
	}
	res := scalarValue(loadedScalar(size, signed))
	if ok && base.typ == tStack {
		res, err = v.stackRead(pc, st, base, int64(ins.Offset), size, signed)
		if err != nil {
			return err
		}
	}
	st.cur().regs[ins.Dst] = res
	return nil
}

func (v *verifier) store(pc int, st *state, ins isa.Instruction) error {
	base, err := v.readReg(pc, st, ins.Dst)
	if err != nil {
		return err
	}
	size := ins.Size().Bytes()
	var val value
	if ins.Class() == isa.ClassSTX {
		val, err = v.readReg(pc, st, ins.Src)
		if err != nil {
			return err
		}
	} else {
		val = scalarValue(constScalar(uint64(ins.Imm)).truncBits(uint(8 * size)))
	}
	ok, region, reason := v.access(st, base, int64(ins.Offset), size, true, false)
	v.recordAccess(pc, ok, region)
	if !ok {
		if v.strict {
			return v.fail(pc, st, "%s", reason)
		}
		clobberStack(st)
		return nil
	}
	if base.typ == tStack {
		v.stackWrite(st, base, int64(ins.Offset), size, val)
	}
	return nil
}

func (v *verifier) atomic(pc int, st *state, ins isa.Instruction) error {
	base, err := v.readReg(pc, st, ins.Dst)
	if err != nil {
		return err
	}
	if _, err := v.readReg(pc, st, ins.Src); err != nil {
		return err
	}
	op := isa.AtomicOp(ins.Imm)
	if op == isa.AtomicCmpXchg {
		if _, err := v.readReg(pc, st, 0); err != nil {
			return err
		}
	}
	size := ins.Size().Bytes()
	off := int64(ins.Offset)
	ok, region, reason := v.access(st, base, off, size, true, true)
	v.recordAccess(pc, ok, region)
	if !ok {
		if v.strict {
			return v.fail(pc, st, "%s", reason)
		}
		clobberStack(st)
	} else if base.typ == tStack {
		f := st.frames[base.frame]
		lo, hi := base.s.smin+off, base.s.smax+off+int64(size)
		if !stackInit(f, lo, hi) && v.strict {
			return v.fail(pc, st, "atomic operation on uninitialized stack [%d, %d)", lo, hi)
		}
		v.stackWrite(st, base, off, size, value{typ: tNone})
		if base.s.isConst() {
			i, _ := slotOf(int64(base.s.val()) + off)
			f.own()
			f.stack[i].spilled = false
		}
	}
	old := scalarValue(loadedScalar(size, false))
	switch {
	case op == isa.AtomicCmpXchg:
		st.cur().regs[0] = old
	case op&isa.AtomicFetch != 0:
		st.cur().regs[ins.Src] = old
	}
	return nil
}

func (v *verifier) object(kind uint8, imm int32) int32 {
	k := kind
	switch kind {
	case isa.LDDWMapValFD:
		k = isa.LDDWMapFD
	case isa.LDDWMapValIdx:
		k = isa.LDDWMapIdx
	}
	key := [2]int64{int64(k), int64(imm)}
	if i, ok := v.objIdx[key]; ok {
		return i
	}
	var info MapInfo
	if v.c.Maps != nil {
		info, _ = v.c.Maps(kind, imm)
	}
	v.objs = append(v.objs, info)
	v.objIdx[key] = int32(len(v.objs) - 1)
	return int32(len(v.objs) - 1)
}

func (v *verifier) lddw(pc int, st *state, ins isa.Instruction) error {
	f := st.cur()
	switch ins.Src {
	case isa.LDDWImm:
		f.regs[ins.Dst] = scalarValue(constScalar(uint64(ins.Imm)))
	case isa.LDDWMapFD, isa.LDDWMapIdx:
		f.regs[ins.Dst] = value{typ: tMap, obj: v.object(ins.Src, int32(ins.Imm)), s: constScalar(0)}
	case isa.LDDWMapValFD, isa.LDDWMapValIdx:
		f.regs[ins.Dst] = value{typ: tMapValue, obj: v.object(ins.Src, int32(ins.Imm)), s: constScalar(uint64(int64(int32(uint64(ins.Imm) >> 32))))}
	case isa.LDDWVarAddr:
		f.regs[ins.Dst] = value{typ: tMapValue, obj: v.object(ins.Src, int32(ins.Imm)), s: constScalar(0)}
	default:
		f.regs[ins.Dst] = unknownValue()
	}
	return nil
}

func (v *verifier) legacyLoad(pc int, st *state, ins isa.Instruction) error {
	if ins.Mode() == isa.ModeIND {
		if _, err := v.readReg(pc, st, ins.Src); err != nil {
			return err
		}
	}
	f := st.cur()
	f.regs[0] = scalarValue(loadedScalar(ins.Size().Bytes(), false))
	for r := 1; r <= 5; r++ {
		f.regs[r] = value{}
	}
	return nil
}

// ---- calls and exit

func (v *verifier) exit(pc int, st *state) (int, bool, error) {
	r0, err := v.readReg(pc, st, 0)
	if err != nil {
		return 0, false, err
	}
	last := len(st.frames) - 1
	if last == 0 {
		return 0, true, nil
	}
	callee := st.frames[last]
	st.frames = st.frames[:last]
	if r0.typ == tStack && int(r0.frame) >= last {
		r0 = unknownValue()
	}
	for _, f := range st.frames {
		for i := range f.stack {
			if s := f.stack[i]; s.spilled && s.spill.typ == tStack && int(s.spill.frame) >= last {
				f.own()
				f.stack[i].spilled = false
			}
		}
	}
	caller := st.cur()
	caller.regs[0] = r0
	for r := 1; r <= 5; r++ {
		caller.regs[r] = value{}
	}
	return callee.callsite + 1, false, nil
}

func (v *verifier) call(pc int, st *state, ins isa.Instruction) (int, bool, error) {
	f := st.cur()
	if isLocalCall(ins) {
		if len(st.frames) >= v.c.MaxCallDepth || len(st.frames) >= 250 {
			return 0, false, v.fail(pc, st, "call nesting exceeds %d frames", v.c.MaxCallDepth)
		}
		t := int(callTarget(ins, pc))
		nf := &frame{callsite: pc, fn: t}
		for r := 1; r <= 5; r++ {
			nf.regs[r] = f.regs[r]
		}
		nf.regs[isa.R10] = value{typ: tStack, frame: uint8(len(st.frames)), s: constScalar(0)}
		st.frames = append(st.frames, nf)
		return t, false, nil
	}
	var proto HelperProto
	known := false
	if ins.Opcode == isa.OpCallX {
		x, err := v.readReg(pc, st, ins.Dst)
		if err != nil {
			return 0, false, err
		}
		if x.typ == tScalar && x.s.isConst() && v.c.Helpers != nil {
			proto, known = v.c.Helpers(int32(x.s.val()))
			known = known && int64(x.s.val()) == int64(int32(x.s.val()))
		}
		if !known && v.strict {
			return 0, false, v.fail(pc, st, "callx target r%d is not a known helper id", ins.Dst)
		}
	} else if ins.Src == isa.CallHelperID {
		if v.c.BTFHelpers != nil {
			proto, known = v.c.BTFHelpers(ins.Imm32())
		}
	} else if v.c.Helpers != nil {
		proto, known = v.c.Helpers(ins.Imm32())
	}
	if err := v.helperCall(pc, st, proto, known); err != nil {
		return 0, false, err
	}
	return pc + 1, false, nil
}

func (v *verifier) helperCall(pc int, st *state, proto HelperProto, known bool) error {
	f := st.cur()
	done := func(r0 value) error {
		f.regs[0] = r0
		for r := 1; r <= 5; r++ {
			f.regs[r] = value{}
		}
		return nil
	}
	if !known || proto == (HelperProto{}) {
		// Nothing is known of what the helper does with its arguments: a
		// scalar may be a forged stack address, so forget every spill.
		clobberStack(st)
		return done(unknownValue())
	}
	name := proto.Name
	if name == "" {
		name = "helper"
	}
	mapObj := int32(-1)
	for i, k := range proto.Args {
		r := uint8(i + 1)
		x := f.regs[r]
		if k == ArgNone {
			continue
		}
		if x.typ == tNone {
			if v.strict {
				return v.fail(pc, st, "%s: argument r%d is not initialized", name, r)
			}
			x = unknownValue()
		}
		bad := func(what string) error {
			if v.strict {
				return v.fail(pc, st, "%s: argument r%d must be %s, have %s", name, r, what, x)
			}
			return nil
		}
		switch k {
		case ArgAnything:
			if x.typ == tStack {
				clobberStack(st)
			}
		case ArgScalar, ArgSize:
			if x.typ != tScalar {
				if err := bad("a scalar"); err != nil {
					return err
				}
			}
		case ArgPtrToMap:
			if x.typ != tMap {
				if err := bad("a map"); err != nil {
					return err
				}
				continue
			}
			mapObj = x.obj
		case ArgPtrToMapKey, ArgPtrToMapValue:
			if mapObj < 0 {
				if err := bad("a map key or value after a map argument"); err != nil {
					return err
				}
				continue
			}
			size := v.objs[mapObj].KeySize
			if k == ArgPtrToMapValue {
				size = v.objs[mapObj].ValueSize
			}
			if err := v.memArg(pc, st, name, r, x, uint64(size), uint64(size), false); err != nil {
				return err
			}
		case ArgPtrToMem, ArgPtrToWritableMem:
			szv := unknownValue()
			if i+1 < 5 && proto.Args[i+1] == ArgSize {
				szv = f.regs[r+1]
			} else if v.strict {
				return v.fail(pc, st, "%s: pointer argument r%d has no size argument", name, r)
			}
			lo, hi := uint64(0), uint64(math.MaxUint64)
			if szv.typ == tScalar {
				lo, hi = szv.s.umin, szv.s.umax
			}
			if err := v.memArg(pc, st, name, r, x, lo, hi, k == ArgPtrToWritableMem); err != nil {
				return err
			}
		case ArgPtrToString:
			if err := v.memArg(pc, st, name, r, x, 1, 1, false); err != nil {
				return err
			}
		case ArgPtrToCtx:
			if x.typ != tCtx || !x.s.isConst() || x.s.val() != 0 {
				if err := bad("the context pointer"); err != nil {
					return err
				}
			}
		}
	}
	if proto.Ret == RetMapValueOrNull && mapObj >= 0 {
		return done(value{typ: tMapValue, obj: mapObj, null: true, id: v.freshID(), s: constScalar(0)})
	}
	return done(unknownValue())
}

// memArg checks a helper's pointer argument to [x, x+hi) of which at least
// [x, x+lo) is accessed; write says the helper may write it.
func (v *verifier) memArg(pc int, st *state, name string, r uint8, x value, lo, hi uint64, write bool) error {
	if hi == 0 {
		return nil
	}
	ok := hi <= 1<<32
	reason := "size argument is unbounded"
	if ok {
		ok, _, reason = v.access(st, x, 0, int(hi), write, false)
	}
	if !ok {
		if v.strict {
			return v.fail(pc, st, "%s: argument r%d: %s", name, r, reason)
		}
		if write || x.typ == tStack {
			clobberStack(st)
		}
		return nil
	}
	if x.typ != tStack {
		return nil
	}
	f := st.frames[x.frame]
	if !write {
		if v.strict && !stackInit(f, x.s.smin, x.s.smax+int64(hi)) {
			return v.fail(pc, st, "%s: argument r%d points to uninitialized stack", name, r)
		}
		return nil
	}
	// The helper may write [x, x+hi): forget spills there; [x, x+lo) is
	// then initialized when the offset is exact.
	unspill(f, x.s.smin, x.s.smax+int64(hi))
	if x.s.isConst() {
		o := int64(x.s.val())
		for p := maxS(o, -8*maxTrackedSlots); p < o+int64(lo); p++ {
			i, b := slotOf(p)
			if sl := f.slotAt(i); sl != nil {
				sl.init |= 1 << b
			}
		}
	}
	return nil
}
