package verifier

import (
	"fmt"
	"math/bits"
)

// tnum is a tristate number (as in the Linux verifier): bit i is known to be
// v's bit i where m's bit i is 0, and unknown where it is 1. v&m == 0.
type tnum struct{ v, m uint64 }

var tnumUnknown = tnum{0, ^uint64(0)}

func tconst(v uint64) tnum { return tnum{v, 0} }

// trange returns the tnum of all values in [min, max].
func trange(min, max uint64) tnum {
	chi := min ^ max
	b := 64 - bits.LeadingZeros64(chi)
	if b > 63 {
		return tnumUnknown
	}
	delta := uint64(1)<<uint(b) - 1
	return tnum{min &^ delta, delta}
}

func (a tnum) isConst() bool { return a.m == 0 }

func (a tnum) lsh(s uint) tnum { return tnum{a.v << s, a.m << s} }
func (a tnum) rsh(s uint) tnum { return tnum{a.v >> s, a.m >> s} }
func (a tnum) arsh64(s uint) tnum {
	return tnum{uint64(int64(a.v) >> s), uint64(int64(a.m) >> s)}
}

func (a tnum) add(b tnum) tnum {
	sm := a.m + b.m
	sv := a.v + b.v
	sigma := sm + sv
	chi := sigma ^ sv
	mu := chi | a.m | b.m
	return tnum{sv &^ mu, mu}
}

func (a tnum) sub(b tnum) tnum {
	dv := a.v - b.v
	alpha := dv + a.m
	beta := dv - b.m
	chi := alpha ^ beta
	mu := chi | a.m | b.m
	return tnum{dv &^ mu, mu}
}

func (a tnum) and(b tnum) tnum {
	alpha := a.v | a.m
	beta := b.v | b.m
	v := a.v & b.v
	return tnum{v, alpha & beta &^ v}
}

func (a tnum) or(b tnum) tnum {
	v := a.v | b.v
	mu := a.m | b.m
	return tnum{v, mu &^ v}
}

func (a tnum) xor(b tnum) tnum {
	v := a.v ^ b.v
	mu := a.m | b.m
	return tnum{v &^ mu, mu}
}

func (a tnum) mul(b tnum) tnum {
	accV := a.v * b.v
	accM := tnum{}
	for i := 0; i < 64 && (a.v != 0 || a.m != 0); i++ {
		if a.v&1 != 0 {
			accM = accM.add(tnum{0, b.m})
		} else if a.m&1 != 0 {
			accM = accM.add(tnum{0, b.v | b.m})
		}
		a = a.rsh(1)
		b = b.lsh(1)
	}
	return tconst(accV).add(accM)
}

// intersect returns the tnum of values in both a and b; ok is false when
// they share no value.
func (a tnum) intersect(b tnum) (tnum, bool) {
	known := ^a.m & ^b.m
	if (a.v^b.v)&known != 0 {
		return tnum{}, false
	}
	v := a.v | b.v
	mu := a.m & b.m
	return tnum{v &^ mu, mu}, true
}

// union returns a tnum holding every value of a and of b.
func (a tnum) union(b tnum) tnum {
	mu := a.m | b.m | (a.v ^ b.v)
	return tnum{a.v &^ mu, mu}
}

// contains reports whether every value of b is a value of a.
func (a tnum) contains(b tnum) bool {
	if b.m&^a.m != 0 {
		return false
	}
	return b.v&^a.m == a.v
}

func (a tnum) cast32() tnum { return tnum{uint64(uint32(a.v)), uint64(uint32(a.m))} }

// withSub replaces the low 32 bits of a with those of s.
func (a tnum) withSub(s tnum) tnum {
	const hi = 0xffffffff00000000
	return tnum{a.v&hi | uint64(uint32(s.v)), a.m&hi | uint64(uint32(s.m))}
}

func (a tnum) String() string {
	if a.m == 0 {
		return fmt.Sprintf("%#x", a.v)
	}
	return fmt.Sprintf("(%#x; %#x)", a.v, a.m)
}
