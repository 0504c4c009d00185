package verifier

import (
	"math/bits"

	"github.com/iovm/iovm/isa"
)

// evalALU computes an ALU or ALU64 instruction on concrete values exactly
// as RFC 9669 defines it (src is the register operand or the immediate,
// sign-extended for ALU64). bigEndian is the program's byte order.
func evalALU(ins isa.Instruction, dst, src uint64, bigEndian bool) uint64 {
	is64 := ins.Class() == isa.ClassALU64
	op := ins.ALUOp()
	if op == isa.ALUEnd {
		// The END forms use the whole register, whatever the class.
		swap := is64 || (ins.Source() == isa.SrcX) != bigEndian
		return endOp(dst, uint(ins.Imm), swap)
	}
	if !is64 {
		dst, src = uint64(uint32(dst)), uint64(uint32(src))
	}
	var r uint64
	switch op {
	case isa.ALUAdd:
		r = dst + src
	case isa.ALUSub:
		r = dst - src
	case isa.ALUMul:
		r = dst * src
	case isa.ALUDiv:
		r = divOp(is64, ins.Offset == 1, dst, src, false)
	case isa.ALUMod:
		r = divOp(is64, ins.Offset == 1, dst, src, true)
	case isa.ALUOr:
		r = dst | src
	case isa.ALUAnd:
		r = dst & src
	case isa.ALUXor:
		r = dst ^ src
	case isa.ALULsh:
		if is64 {
			r = dst << (src & 63)
		} else {
			r = dst << (src & 31)
		}
	case isa.ALURsh:
		if is64 {
			r = dst >> (src & 63)
		} else {
			r = uint64(uint32(dst) >> (src & 31))
		}
	case isa.ALUArsh:
		if is64 {
			r = uint64(int64(dst) >> (src & 63))
		} else {
			r = uint64(uint32(int32(uint32(dst)) >> (src & 31)))
		}
	case isa.ALUNeg:
		r = -dst
	case isa.ALUMov:
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

// evalJump decides a conditional jump on concrete values.
func evalJump(op isa.JumpOp, is32 bool, a, b uint64) bool {
	if is32 {
		a, b = uint64(uint32(a)), uint64(uint32(b))
	}
	sa, sb := int64(a), int64(b)
	if is32 {
		sa, sb = int64(int32(uint32(a))), int64(int32(uint32(b)))
	}
	switch op {
	case isa.JumpJEQ:
		return a == b
	case isa.JumpJNE:
		return a != b
	case isa.JumpJGT:
		return a > b
	case isa.JumpJGE:
		return a >= b
	case isa.JumpJLT:
		return a < b
	case isa.JumpJLE:
		return a <= b
	case isa.JumpJSET:
		return a&b != 0
	case isa.JumpJSGT:
		return sa > sb
	case isa.JumpJSGE:
		return sa >= sb
	case isa.JumpJSLT:
		return sa < sb
	case isa.JumpJSLE:
		return sa <= sb
	}
	return false
}
