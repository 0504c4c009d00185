package gen

import (
	"encoding/binary"
	"math/bits"
)

// This file is the generator's own model of RFC 9669 semantics, kept
// deliberately plain: one switch per operation, no tables shared with vm.

const (
	min64 = 0x8000000000000000
	max64 = 0x7fffffffffffffff
)

// alu64 computes dst OP src for the 64-bit (ALU64) class.
func alu64(op string, dst, src uint64) uint64 {
	switch op {
	case "add":
		return dst + src
	case "sub":
		return dst - src
	case "mul":
		return dst * src
	case "div":
		if src == 0 {
			return 0
		}
		return dst / src
	case "sdiv":
		if src == 0 {
			return 0
		}
		if dst == min64 && src == ^uint64(0) {
			return min64
		}
		return uint64(int64(dst) / int64(src))
	case "mod":
		if src == 0 {
			return dst
		}
		return dst % src
	case "smod":
		if src == 0 {
			return dst
		}
		if dst == min64 && src == ^uint64(0) {
			return 0
		}
		return uint64(int64(dst) % int64(src))
	case "or":
		return dst | src
	case "and":
		return dst & src
	case "xor":
		return dst ^ src
	case "lsh":
		return dst << (src & 63)
	case "rsh":
		return dst >> (src & 63)
	case "arsh":
		return uint64(int64(dst) >> (src & 63))
	case "mov":
		return src
	}
	panic("alu64: " + op)
}

// alu32 computes dst OP src for the 32-bit (ALU) class: the low 32 bits of
// both operands, result zero-extended.
func alu32(op string, dst, src uint64) uint64 {
	d, s := uint32(dst), uint32(src)
	var r uint32
	switch op {
	case "add":
		r = d + s
	case "sub":
		r = d - s
	case "mul":
		r = d * s
	case "div":
		if s != 0 {
			r = d / s
		}
	case "sdiv":
		switch {
		case s == 0:
			r = 0
		case d == 0x80000000 && s == 0xffffffff:
			r = 0x80000000
		default:
			r = uint32(int32(d) / int32(s))
		}
	case "mod":
		r = d
		if s != 0 {
			r = d % s
		}
	case "smod":
		switch {
		case s == 0:
			r = d
		case d == 0x80000000 && s == 0xffffffff:
			r = 0
		default:
			r = uint32(int32(d) % int32(s))
		}
	case "or":
		r = d | s
	case "and":
		r = d & s
	case "xor":
		r = d ^ s
	case "lsh":
		r = d << (s & 31)
	case "rsh":
		r = d >> (s & 31)
	case "arsh":
		r = uint32(int32(d) >> (s & 31))
	case "mov":
		r = s
	default:
		panic("alu32: " + op)
	}
	return uint64(r)
}

func alu(op string, is64 bool, dst, src uint64) uint64 {
	if is64 {
		return alu64(op, dst, src)
	}
	return alu32(op, dst, src)
}

// immOperand is the value an ALU instruction uses for immediate imm.
func immOperand(is64 bool, imm int32) uint64 {
	if is64 {
		return uint64(int64(imm))
	}
	return uint64(uint32(imm))
}

func neg(is64 bool, v uint64) uint64 {
	if is64 {
		return -v
	}
	return uint64(-uint32(v))
}

// movsx sign-extends the low from bits of v; to is 32 or 64.
func movsx(from, to int, v uint64) uint64 {
	var x int64
	switch from {
	case 8:
		x = int64(int8(v))
	case 16:
		x = int64(int16(v))
	case 32:
		x = int64(int32(v))
	}
	if to == 32 {
		return uint64(uint32(x))
	}
	return uint64(x)
}

// endian converts for a little-endian program: "le" truncates, "be" and
// "bswap" swap the low width bits.
func endian(kind string, width int, v uint64) uint64 {
	if kind == "le" {
		switch width {
		case 16:
			return uint64(uint16(v))
		case 32:
			return uint64(uint32(v))
		}
		return v
	}
	switch width {
	case 16:
		return uint64(bits.ReverseBytes16(uint16(v)))
	case 32:
		return uint64(bits.ReverseBytes32(uint32(v)))
	}
	return bits.ReverseBytes64(v)
}

// cond evaluates a conditional jump.
func cond(op string, is32 bool, a, b uint64) bool {
	if is32 {
		a, b = uint64(uint32(a)), uint64(uint32(b))
	}
	sa, sb := int64(a), int64(b)
	if is32 {
		sa, sb = int64(int32(uint32(a))), int64(int32(uint32(b)))
	}
	switch op {
	case "jeq":
		return a == b
	case "jne":
		return a != b
	case "jgt":
		return a > b
	case "jge":
		return a >= b
	case "jlt":
		return a < b
	case "jle":
		return a <= b
	case "jset":
		return a&b != 0
	case "jsgt":
		return sa > sb
	case "jsge":
		return sa >= sb
	case "jslt":
		return sa < sb
	case "jsle":
		return sa <= sb
	}
	panic("cond: " + op)
}

// atomic applies an atomic operation to the memory value old with source
// value src. It returns the new memory value, the new src register and the
// new r0 (r0 in, for cmpxchg). size is 4 or 8; for 4 only the low 32 bits of
// memory take part and fetched values are zero-extended.
func atomic(op string, size int, old, src, r0 uint64) (mem, srcOut, r0Out uint64) {
	mask := ^uint64(0)
	if size == 4 {
		mask = 0xffffffff
	}
	o, s := old&mask, src&mask
	srcOut, r0Out = src, r0
	var n uint64
	base, fetch := op, false
	if len(op) > 6 && op[:6] == "fetch " {
		base, fetch = op[6:], true
	}
	switch base {
	case "add":
		n = o + s
	case "or":
		n = o | s
	case "and":
		n = o & s
	case "xor":
		n = o ^ s
	case "xchg":
		n, fetch = s, true
	case "cmpxchg":
		n = o
		if r0&mask == o {
			n = s
		}
		r0Out = o
		return n & mask, srcOut, r0Out
	default:
		panic("atomic: " + op)
	}
	if fetch {
		srcOut = o
	}
	return n & mask, srcOut, r0Out
}

// le reads a little-endian value of size bytes.
func le(b []byte, size int) uint64 {
	switch size {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(binary.LittleEndian.Uint16(b))
	case 4:
		return uint64(binary.LittleEndian.Uint32(b))
	}
	return binary.LittleEndian.Uint64(b)
}

func putLE(b []byte, size int, v uint64) {
	switch size {
	case 1:
		b[0] = byte(v)
	case 2:
		binary.LittleEndian.PutUint16(b, uint16(v))
	case 4:
		binary.LittleEndian.PutUint32(b, uint32(v))
	default:
		binary.LittleEndian.PutUint64(b, v)
	}
}

// be reads a big-endian (network order) value of size bytes.
func be(b []byte, size int) uint64 {
	var v uint64
	for _, x := range b[:size] {
		v = v<<8 | uint64(x)
	}
	return v
}

func sext(v uint64, size int) uint64 {
	switch size {
	case 1:
		return uint64(int64(int8(v)))
	case 2:
		return uint64(int64(int16(v)))
	case 4:
		return uint64(int64(int32(v)))
	}
	return v
}
