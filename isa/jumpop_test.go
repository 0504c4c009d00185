package isa

import "testing"

// holds evaluates the comparison op on 64-bit operands, as RFC 9669 §4.3
// defines it.
func holds(op JumpOp, a, b uint64) bool {
	switch op {
	case JumpJEQ:
		return a == b
	case JumpJNE:
		return a != b
	case JumpJGT:
		return a > b
	case JumpJGE:
		return a >= b
	case JumpJLT:
		return a < b
	case JumpJLE:
		return a <= b
	case JumpJSGT:
		return int64(a) > int64(b)
	case JumpJSGE:
		return int64(a) >= int64(b)
	case JumpJSLT:
		return int64(a) < int64(b)
	case JumpJSLE:
		return int64(a) <= int64(b)
	case JumpJSET:
		return a&b != 0
	}
	panic("not a comparison")
}

func TestJumpOpNegateSwap(t *testing.T) {
	vals := []uint64{0, 1, 2, 1 << 63, 1<<63 - 1, ^uint64(0), ^uint64(0) - 1}
	ops := []JumpOp{JumpJEQ, JumpJNE, JumpJGT, JumpJGE, JumpJLT, JumpJLE, JumpJSGT, JumpJSGE, JumpJSLT, JumpJSLE, JumpJSET}
	for _, op := range ops {
		n, ok := op.Negate()
		if ok != (op != JumpJSET) {
			t.Errorf("%v.Negate() ok = %v", op, ok)
		}
		for _, a := range vals {
			for _, b := range vals {
				if ok && holds(n, a, b) == holds(op, a, b) {
					t.Errorf("%v.Negate() = %v: both %v for %#x, %#x", op, n, holds(op, a, b), a, b)
				}
				if s := op.Swap(); holds(s, b, a) != holds(op, a, b) {
					t.Errorf("%v.Swap() = %v: %#x, %#x", op, s, a, b)
				}
			}
		}
	}
	for _, op := range []JumpOp{JumpJA, JumpCall, JumpExit} {
		if _, ok := op.Negate(); ok {
			t.Errorf("%v.Negate() ok for a non-comparison", op)
		}
	}
}
