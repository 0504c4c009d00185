package isa

import (
	"math/bits"
)

// EvalALU computes an ALU or ALU64 instruction on concrete values as RFC
// 9669 defines it: src is the src register or the immediate sign-extended
// to 64 bits (ignored by END), bigEndian the program's byte order. It is the
// plain reference the verifier folds constants with and the JIT steps
// instructions with; the interpreter has its own pre-decoded fast path.
func EvalALU(ins Instruction, dst, src uint64, bigEndian bool) uint64 {
	is64 := ins.Class() == ClassALU64
	op := ins.ALUOp()
	if op == ALUEnd {
		// The END forms use the whole register, whatever the class.
		swap := is64 || (ins.Source() == SrcX) != bigEndian
		return endOp(dst, uint(ins.Imm), swap)
	}
	if !is64 {
		dst, src = uint64(uint32(dst)), uint64(uint32(src))
	}
	var r uint64
	switch op {
	case ALUAdd:
		r = dst + src
	case ALUSub:
		r = dst - src
	case ALUMul:
		r = dst * src
	case ALUDiv:
		r = divOp(is64, ins.Offset == 1, dst, src, false)
	case ALUMod:
		r = divOp(is64, ins.Offset == 1, dst, src, true)
	case ALUOr:
		r = dst | src
	case ALUAnd:
		r = dst & src
	case ALUXor:
		r = dst ^ src
	case ALULsh:
		if is64 {
			r = dst << (src & 63)
		} else {
			r = dst << (src & 31)
		}
	case ALURsh:
		if is64 {
			r = dst >> (src & 63)
		} else {
			r = uint64(uint32(dst) >> (src & 31))
		}
	case ALUArsh:
		if is64 {
			r = uint64(int64(dst) >> (src & 63))
		} else {
			r = uint64(uint32(int32(uint32(dst)) >> (src & 31)))
		}
	case ALUNeg:
		r = -dst
	case ALUMov:
		switch ins.Offset {
		case 8:
			r = uint64(int64(int8(src)))
		case 16:
			r = uint64(int64(int16(src)))
		case 32:
			r = uint64(int64(int32(src)))
		default:
			r = src
		}
	}
	if !is64 {
		r = uint64(uint32(r))
	}
	return r
}

func endOp(v uint64, w uint, swap bool) uint64 {
	switch w {
	case 16:
		if swap {
			return uint64(bits.ReverseBytes16(uint16(v)))
		}
		return uint64(uint16(v))
	case 32:
		if swap {
			return uint64(bits.ReverseBytes32(uint32(v)))
		}
		return uint64(uint32(v))
	}
	if swap {
		return bits.ReverseBytes64(v)
	}
	return v
}

func divOp(is64, signed bool, a, b uint64, mod bool) uint64 {
	if !is64 {
		if signed {
			x, y := int32(uint32(a)), int32(uint32(b))
			switch {
			case y == 0 && mod:
				return uint64(uint32(x))
			case y == 0:
				return 0
			case y == -1 && mod:
				return 0
			case y == -1:
				return uint64(uint32(-x))
			case mod:
				return uint64(uint32(x % y))
			}
			return uint64(uint32(x / y))
		}
		x, y := uint32(a), uint32(b)
		switch {
		case y == 0 && mod:
			return uint64(x)
		case y == 0:
			return 0
		case mod:
			return uint64(x % y)
		}
		return uint64(x / y)
	}
	if signed {
		x, y := int64(a), int64(b)
		switch {
		case y == 0 && mod:
			return uint64(x)
		case y == 0:
			return 0
		case y == -1 && mod:
			return 0
		case y == -1:
			return uint64(-x)
		case mod:
			return uint64(x % y)
		}
		return uint64(x / y)
	}
	switch {
	case b == 0 && mod:
		return a
	case b == 0:
		return 0
	case mod:
		return a % b
	}
	return a / b
}
