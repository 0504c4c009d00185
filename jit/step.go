package jit

import (
	"encoding/binary"
	"math/bits"

	"github.com/iovm/iovm/isa"
	"github.com/iovm/iovm/vm"
)

// When the budget runs out in the middle of a basic block, the interpreter
// has executed the instructions before the failing one; native code charges
// whole blocks and cannot stop there. So Go executes that prefix of the
// block here, one straight-line instruction at a time (a block's prefix
// holds no jumps, calls or exits), and budget exhaustion stays exact:
// the same pc, memory and, if the prefix faults, the same fault.

// stepPrefix executes n instructions from pc on st and m; it returns the
// pc reached, or the fault of one of them.
func (p *Program) stepPrefix(st *state, m *vm.Memory, pc int, n uint64) (int, *vm.Error) {
	for ; n > 0; n-- {
		if e := p.step(st, m, pc); e != nil {
			return pc, e
		}
		pc += p.insns[pc].Slots()
	}
	return pc, nil
}

func (p *Program) step(st *state, m *vm.Memory, pc int) *vm.Error {
	ins := p.insns[pc]
	r := &st.regs
	big := p.opts.Order == binary.BigEndian
	switch ins.Class() {
	case isa.ClassALU, isa.ClassALU64:
		s := uint64(ins.Imm)
		if ins.Source() == isa.SrcX && ins.ALUOp() != isa.ALUEnd {
			s = r[ins.Src&15]
		}
		r[ins.Dst&15] = alu(ins, r[ins.Dst&15], s, big)
	case isa.ClassLD:
		if ins.Mode() == isa.ModeIMM {
			r[ins.Dst&15] = uint64(ins.Imm)
		}
	case isa.ClassLDX:
		addr, size, _, _ := p.memAccess(st, pc)
		if e := check(m, pc, addr, size, false, false); e != nil {
			return e
		}
		v, _ := m.Load(addr, size)
		if ins.Mode() == isa.ModeMEMSX {
			switch size {
			case 1:
				v = uint64(int64(int8(v)))
			case 2:
				v = uint64(int64(int16(v)))
			case 4:
				v = uint64(int64(int32(v)))
			}
		}
		r[ins.Dst&15] = v
	case isa.ClassST, isa.ClassSTX:
		addr, size, _, atom := p.memAccess(st, pc)
		if atom {
			return p.atomicGo(st, m, pc)
		}
		if e := check(m, pc, addr, size, true, false); e != nil {
			return e
		}
		v := uint64(ins.Imm)
		if ins.Class() == isa.ClassSTX {
			v = r[ins.Src&15]
		}
		m.Store(addr, size, v)
	}
	return nil
}

// alu computes an ALU or ALU64 instruction as the interpreter does; s is
// the src register or the raw immediate (sign-extended).
func alu(ins isa.Instruction, d, s uint64, big bool) uint64 {
	op := ins.ALUOp()
	if ins.Class() == isa.ClassALU64 {
		switch op {
		case isa.ALUAdd:
			return d + s
		case isa.ALUSub:
			return d - s
		case isa.ALUMul:
			return d * s
		case isa.ALUOr:
			return d | s
		case isa.ALUAnd:
			return d & s
		case isa.ALUXor:
			return d ^ s
		case isa.ALULsh:
			return d << (s & 63)
		case isa.ALURsh:
			return d >> (s & 63)
		case isa.ALUArsh:
			return uint64(int64(d) >> (s & 63))
		case isa.ALUNeg:
			return -d
		case isa.ALUMov:
			switch ins.Offset {
			case 8:
				return uint64(int64(int8(s)))
			case 16:
				return uint64(int64(int16(s)))
			case 32:
				return uint64(int64(int32(s)))
			}
			return s
		case isa.ALUDiv, isa.ALUMod:
			if s == 0 {
				if op == isa.ALUDiv {
					return 0
				}
				return d
			}
			if ins.Offset == 1 {
				if op == isa.ALUDiv {
					return uint64(int64(d) / int64(s))
				}
				return uint64(int64(d) % int64(s))
			}
			if op == isa.ALUDiv {
				return d / s
			}
			return d % s
		case isa.ALUEnd:
			return endOp(d, int(ins.Imm), true)
		}
		return d
	}
	a, b := uint32(d), uint32(s)
	var v uint32
	switch op {
	case isa.ALUAdd:
		v = a + b
	case isa.ALUSub:
		v = a - b
	case isa.ALUMul:
		v = a * b
	case isa.ALUOr:
		v = a | b
	case isa.ALUAnd:
		v = a & b
	case isa.ALUXor:
		v = a ^ b
	case isa.ALULsh:
		v = a << (b & 31)
	case isa.ALURsh:
		v = a >> (b & 31)
	case isa.ALUArsh:
		v = uint32(int32(a) >> (b & 31))
	case isa.ALUNeg:
		v = -a
	case isa.ALUMov:
		switch ins.Offset {
		case 8:
			v = uint32(int32(int8(b)))
		case 16:
			v = uint32(int32(int16(b)))
		default:
			v = b
		}
	case isa.ALUDiv, isa.ALUMod:
		switch {
		case b == 0 && op == isa.ALUDiv:
			v = 0
		case b == 0:
			v = a
		case ins.Offset == 1 && op == isa.ALUDiv:
			v = uint32(int32(a) / int32(b))
		case ins.Offset == 1:
			v = uint32(int32(a) % int32(b))
		case op == isa.ALUDiv:
			v = a / b
		default:
			v = a % b
		}
	case isa.ALUEnd:
		return endOp(d, int(ins.Imm), (ins.Source() == isa.SrcX) != big)
	}
	return uint64(v)
}

func endOp(d uint64, width int, swap bool) uint64 {
	switch {
	case width == 16 && swap:
		return uint64(bits.ReverseBytes16(uint16(d)))
	case width == 16:
		return uint64(uint16(d))
	case width == 32 && swap:
		return uint64(bits.ReverseBytes32(uint32(d)))
	case width == 32:
		return uint64(uint32(d))
	case swap:
		return bits.ReverseBytes64(d)
	}
	return d
}
