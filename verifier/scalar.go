package verifier

import (
	"fmt"
	"math"
	"math/bits"
	"strings"
)

// scalar is an abstract 64-bit value: known bits plus unsigned and signed
// ranges of the whole value and of its low 32 bits. Every operation keeps
// the invariant that each concrete value it stands for satisfies all five
// components.
type scalar struct {
	t          tnum
	umin, umax uint64
	smin, smax int64
	u32min     uint32
	u32max     uint32
	s32min     int32
	s32max     int32
}

func unknownScalar() scalar {
	return scalar{t: tnumUnknown, umax: math.MaxUint64, smin: math.MinInt64, smax: math.MaxInt64,
		u32max: math.MaxUint32, s32min: math.MinInt32, s32max: math.MaxInt32}
}

func constScalar(v uint64) scalar {
	return scalar{t: tconst(v), umin: v, umax: v, smin: int64(v), smax: int64(v),
		u32min: uint32(v), u32max: uint32(v), s32min: int32(v), s32max: int32(v)}
}

// rangeScalar is the unsigned range [lo, hi].
func rangeScalar(lo, hi uint64) scalar {
	s := unknownScalar()
	s.umin, s.umax = lo, hi
	s.sync()
	return s
}

func (s scalar) isConst() bool { return s.t.isConst() }
func (s scalar) val() uint64   { return s.t.v }

// sub32Const reports whether the low 32 bits are known.
func (s scalar) sub32Const() bool { return uint32(s.t.m) == 0 }

func maxU(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}
func minU(a, b uint64) uint64 {
	if a < b {
		return a
	}
	return b
}
func maxS(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}
func minS(a, b int64) int64 {
	if a < b {
		return a
	}
	return b
}

// valid reports whether the components can hold a common value (a false
// result means the state is unreachable).
func (s *scalar) valid() bool {
	return s.umin <= s.umax && s.smin <= s.smax && s.u32min <= s.u32max && s.s32min <= s.s32max &&
		s.t.v&s.t.m == 0
}

// sync deduces each component from the others (reg_bounds_sync).
func (s *scalar) sync() {
	for i := 0; i < 2; i++ {
		s.updateFromTnum()
		s.deduce32()
		s.deduce64()
		s.deduceMixed()
		s.tnumFromRanges()
		s.updateFromTnum()
	}
}

func (s *scalar) updateFromTnum() {
	v, m := s.t.v, s.t.m
	s.s32min = int32(maxS(int64(s.s32min), int64(int32(uint32(v)|uint32(m)&0x80000000))))
	s.s32max = int32(minS(int64(s.s32max), int64(int32(uint32(v)|uint32(m)&0x7fffffff))))
	s.u32min = uint32(maxU(uint64(s.u32min), uint64(uint32(v))))
	s.u32max = uint32(minU(uint64(s.u32max), uint64(uint32(v|m))))
	s.smin = maxS(s.smin, int64(v|m&(1<<63)))
	s.smax = minS(s.smax, int64(v|m&^(1<<63)))
	s.umin = maxU(s.umin, v)
	s.umax = minU(s.umax, v|m)
}

func (s *scalar) deduce32() {
	if uint32(s.s32min) <= uint32(s.s32max) {
		s.u32min = uint32(maxU(uint64(s.u32min), uint64(uint32(s.s32min))))
		s.u32max = uint32(minU(uint64(s.u32max), uint64(uint32(s.s32max))))
	}
	if int32(s.u32min) <= int32(s.u32max) {
		s.s32min = int32(maxS(int64(s.s32min), int64(int32(s.u32min))))
		s.s32max = int32(minS(int64(s.s32max), int64(int32(s.u32max))))
	}
}

func (s *scalar) deduce64() {
	if uint64(s.smin) <= uint64(s.smax) {
		s.umin = maxU(s.umin, uint64(s.smin))
		s.umax = minU(s.umax, uint64(s.smax))
	}
	if int64(s.umin) <= int64(s.umax) {
		s.smin = maxS(s.smin, int64(s.umin))
		s.smax = minS(s.smax, int64(s.umax))
	}
}

func (s *scalar) deduceMixed() {
	// 64 -> 32: when the upper 32 bits are the same over the whole range.
	if s.umin>>32 == s.umax>>32 {
		s.u32min = uint32(maxU(uint64(s.u32min), uint64(uint32(s.umin))))
		s.u32max = uint32(minU(uint64(s.u32max), uint64(uint32(s.umax))))
		if int32(s.umin) <= int32(s.umax) {
			s.s32min = int32(maxS(int64(s.s32min), int64(int32(s.umin))))
			s.s32max = int32(minS(int64(s.s32max), int64(int32(s.umax))))
		}
	}
	if uint64(s.smin)>>32 == uint64(s.smax)>>32 {
		if uint32(s.smin) <= uint32(s.smax) {
			s.u32min = uint32(maxU(uint64(s.u32min), uint64(uint32(s.smin))))
			s.u32max = uint32(minU(uint64(s.u32max), uint64(uint32(s.smax))))
		}
		if int32(s.smin) <= int32(s.smax) {
			s.s32min = int32(maxS(int64(s.s32min), int64(int32(s.smin))))
			s.s32max = int32(minS(int64(s.s32max), int64(int32(s.smax))))
		}
	}
	// 32 -> 64: replace the low half of the 64-bit bounds.
	const hi = 0xffffffff00000000
	if nu := s.umin&hi | uint64(s.u32min); nu > s.umin {
		s.umin = nu
	}
	if nu := s.umax&hi | uint64(s.u32max); nu < s.umax {
		s.umax = nu
	}
	if ns := int64(uint64(s.smin)&hi | uint64(s.u32min)); ns > s.smin {
		s.smin = ns
	}
	if ns := int64(uint64(s.smax)&hi | uint64(s.u32max)); ns < s.smax {
		s.smax = ns
	}
}

func (s *scalar) tnumFromRanges() {
	if t, ok := s.t.intersect(trange(s.umin, s.umax)); ok {
		s.t = t
	} else {
		s.umin, s.umax = 1, 0 // contradiction
		return
	}
	sub := trange(uint64(s.u32min), uint64(s.u32max))
	if t, ok := s.t.cast32().intersect(sub); ok {
		s.t = s.t.withSub(t)
	} else {
		s.umin, s.umax = 1, 0
	}
}

// contains reports whether every value of b is a value of s.
func (s scalar) contains(b scalar) bool {
	return s.umin <= b.umin && b.umax <= s.umax && s.smin <= b.smin && b.smax <= s.smax &&
		s.u32min <= b.u32min && b.u32max <= s.u32max && s.s32min <= b.s32min && b.s32max <= s.s32max &&
		s.t.contains(b.t)
}

// join returns a scalar holding every value of s and of b.
func (s scalar) join(b scalar) scalar {
	r := scalar{t: s.t.union(b.t), umin: minU(s.umin, b.umin), umax: maxU(s.umax, b.umax),
		smin: minS(s.smin, b.smin), smax: maxS(s.smax, b.smax),
		u32min: uint32(minU(uint64(s.u32min), uint64(b.u32min))), u32max: uint32(maxU(uint64(s.u32max), uint64(b.u32max))),
		s32min: int32(minS(int64(s.s32min), int64(b.s32min))), s32max: int32(maxS(int64(s.s32max), int64(b.s32max)))}
	r.sync()
	return r
}

// widen returns s joined with b, with every bound that grew sent to its limit.
func (s scalar) widen(b scalar) scalar {
	r := unknownScalar()
	if b.umin >= s.umin {
		r.umin = s.umin
	}
	if b.umax <= s.umax {
		r.umax = s.umax
	}
	if b.smin >= s.smin {
		r.smin = s.smin
	}
	if b.smax <= s.smax {
		r.smax = s.smax
	}
	if s.t.contains(b.t) {
		r.t = s.t
	}
	r.sync()
	return r
}

// zext32 is the low 32 bits of s, zero-extended.
func (s scalar) zext32() scalar {
	r := unknownScalar()
	r.t = s.t.cast32()
	r.umin, r.umax = uint64(s.u32min), uint64(s.u32max)
	r.sync()
	return r
}

// sext32 is the low 32 bits of s, sign-extended.
func (s scalar) sext32() scalar {
	r := unknownScalar()
	r.smin, r.smax = int64(s.s32min), int64(s.s32max)
	t := s.t.cast32()
	if t.m&0x80000000 == 0 {
		if t.v&0x80000000 != 0 {
			t.v |= 0xffffffff00000000
		}
		r.t = t
	} else {
		r.t = tnum{t.v, t.m | 0xffffffff00000000}
	}
	r.sync()
	return r
}

// trunc32 is s truncated to 32 bits and zero-extended, as every ALU32
// operation leaves its result.
func (s scalar) trunc32() scalar {
	r := unknownScalar()
	r.t = s.t.cast32()
	r.umin, r.umax = 0, math.MaxUint32
	if s.umin>>32 == s.umax>>32 {
		r.u32min, r.u32max = uint32(s.umin), uint32(s.umax)
	} else if uint64(s.smin)>>32 == uint64(s.smax)>>32 {
		r.u32min, r.u32max = uint32(s.smin), uint32(s.smax)
	}
	r.sync()
	return r
}

// truncBits is s zero-extended from its low n bits (n < 64).
func (s scalar) truncBits(n uint) scalar {
	if n >= 64 {
		return s
	}
	mask := uint64(1)<<n - 1
	r := unknownScalar()
	r.t = tnum{s.t.v & mask, s.t.m & mask}
	r.umin, r.umax = 0, mask
	if s.umax <= mask {
		r.umin, r.umax = s.umin, s.umax
	}
	r.sync()
	return r
}

// sextBits sign-extends the low n bits of s (n = 8, 16, 32).
func (s scalar) sextBits(n uint) scalar {
	if s.isConst() {
		v := s.val()
		return constScalar(uint64(int64(v<<(64-n)) >> (64 - n)))
	}
	half := uint64(1) << (n - 1)
	if s.umax < half {
		return s
	}
	r := unknownScalar()
	r.smin, r.smax = -int64(half), int64(half-1)
	r.sync()
	return r
}

func (s scalar) String() string {
	if s.isConst() {
		if int64(s.val()) < 0 && int64(s.val()) > -1<<20 {
			return fmt.Sprintf("%d", int64(s.val()))
		}
		return fmt.Sprintf("%#x", s.val())
	}
	var parts []string
	if s.smin < 0 && s.smax < 0 || s.smin < 0 && s.umax == math.MaxUint64 && s.smax != math.MaxInt64 {
		// Negative ranges read better signed.
		parts = append(parts, fmt.Sprintf("smin=%d", s.smin), fmt.Sprintf("smax=%d", s.smax))
		if s.t.m != ^uint64(0) && s.t != trange(s.umin, s.umax) && !(s.t.m == 0) {
			parts = append(parts, "var="+s.t.String())
		}
		return strings.Join(parts, ",")
	}
	if s.umin != 0 {
		parts = append(parts, fmt.Sprintf("umin=%d", s.umin))
	}
	if s.umax != math.MaxUint64 {
		parts = append(parts, fmt.Sprintf("umax=%d", s.umax))
	}
	if s.smin != math.MinInt64 && s.smin != int64(s.umin) {
		parts = append(parts, fmt.Sprintf("smin=%d", s.smin))
	}
	if s.smax != math.MaxInt64 && s.smax != int64(s.umax) {
		parts = append(parts, fmt.Sprintf("smax=%d", s.smax))
	}
	if s.umax > math.MaxUint32 {
		if s.u32min != 0 {
			parts = append(parts, fmt.Sprintf("u32min=%d", s.u32min))
		}
		if s.u32max != math.MaxUint32 {
			parts = append(parts, fmt.Sprintf("u32max=%d", s.u32max))
		}
	}
	if s.t.m != ^uint64(0) && s.t != trange(s.umin, s.umax) {
		parts = append(parts, "var="+s.t.String())
	}
	if len(parts) == 0 {
		return "?"
	}
	return strings.Join(parts, ",")
}

// ---- arithmetic (64-bit; ALU32 is done on zext32/sext32 views then trunc32)

func sAdd(a, b scalar) scalar {
	r := unknownScalar()
	r.t = a.t.add(b.t)
	lo, c1 := bits.Add64(a.umin, b.umin, 0)
	hi, c2 := bits.Add64(a.umax, b.umax, 0)
	if c1 == 0 && c2 == 0 {
		r.umin, r.umax = lo, hi
	} else if c1 == 1 && c2 == 1 {
		r.umin, r.umax = lo, hi
	}
	if sl, ok := addS(a.smin, b.smin); ok {
		if sh, ok := addS(a.smax, b.smax); ok {
			r.smin, r.smax = sl, sh
		}
	}
	r.sync()
	return r
}

func addS(a, b int64) (int64, bool) {
	c := a + b
	if (c > a) == (b > 0) {
		return c, true
	}
	return 0, false
}

func subS(a, b int64) (int64, bool) {
	c := a - b
	if (c < a) == (b > 0) {
		return c, true
	}
	return 0, false
}

func sSub(a, b scalar) scalar {
	r := unknownScalar()
	r.t = a.t.sub(b.t)
	if a.umin >= b.umax {
		r.umin, r.umax = a.umin-b.umax, a.umax-b.umin
	}
	if sl, ok := subS(a.smin, b.smax); ok {
		if sh, ok := subS(a.smax, b.smin); ok {
			r.smin, r.smax = sl, sh
		}
	}
	r.sync()
	return r
}

func sMul(a, b scalar) scalar {
	r := unknownScalar()
	r.t = a.t.mul(b.t)
	if a.umax <= math.MaxUint32 && b.umax <= math.MaxUint32 {
		r.umin, r.umax = a.umin*b.umin, a.umax*b.umax
	}
	r.sync()
	return r
}

func sAnd(a, b scalar) scalar {
	r := unknownScalar()
	r.t = a.t.and(b.t)
	r.umin, r.umax = r.t.v, minU(a.umax, b.umax)
	if a.smin >= 0 || b.smin >= 0 {
		// The result is non-negative and at most the non-negative operand.
		r.smin = 0
		if a.smin >= 0 && b.smin >= 0 {
			r.smax = minS(a.smax, b.smax)
		} else if a.smin >= 0 {
			r.smax = a.smax
		} else {
			r.smax = b.smax
		}
	}
	r.sync()
	return r
}

func sOr(a, b scalar) scalar {
	r := unknownScalar()
	r.t = a.t.or(b.t)
	r.umin, r.umax = maxU(a.umin, b.umin), r.t.v|r.t.m
	r.sync()
	return r
}

func sXor(a, b scalar) scalar {
	r := unknownScalar()
	r.t = a.t.xor(b.t)
	r.umin, r.umax = r.t.v, r.t.v|r.t.m
	r.sync()
	return r
}

func sLsh(a scalar, k uint) scalar {
	r := unknownScalar()
	r.t = a.t.lsh(k)
	if k == 0 || a.umax>>(64-k) == 0 {
		r.umin, r.umax = a.umin<<k, a.umax<<k
	}
	r.sync()
	return r
}

func sRsh(a scalar, k uint) scalar {
	r := unknownScalar()
	r.t = a.t.rsh(k)
	r.umin, r.umax = a.umin>>k, a.umax>>k
	r.sync()
	return r
}

func sArsh(a scalar, k uint) scalar {
	r := unknownScalar()
	r.t = a.t.arsh64(k)
	r.smin, r.smax = a.smin>>k, a.smax>>k
	r.sync()
	return r
}

// sShiftVar is a shift by an unknown count (masked to 0..63).
func sShiftVar(op uint8, a scalar) scalar {
	r := unknownScalar()
	switch op {
	case 0x70: // rsh
		r.umin, r.umax = 0, a.umax
	case 0xc0: // arsh
		r.smin, r.smax = minS(a.smin, 0), maxS(a.smax, 0)
	}
	r.sync()
	return r
}

func sDivU(a, b scalar) scalar {
	if b.umin == 0 {
		return rangeScalar(0, a.umax)
	}
	return rangeScalar(a.umin/b.umax, a.umax/b.umin)
}

func sModU(a, b scalar) scalar {
	if b.umin == 0 {
		return rangeScalar(0, a.umax)
	}
	if a.umax < b.umin {
		return a
	}
	return rangeScalar(0, minU(a.umax, b.umax-1))
}
