package jit

import (
	"encoding/binary"

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
		r[ins.Dst&15] = isa.EvalALU(ins, r[ins.Dst&15], s, big)
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

// stepRegion executes up to n instructions from pc on st and m, following
// jumps, and stops early at the first block that charges itself
// (chain.go), where native code can resume: every other block is entered
// with its rest paid for, or charges it on a side entry, so native code
// could not resume there without the charge. It returns the pc reached
// and the number executed, or the fault of one of them. Blocks that do
// not charge themselves hold only straight-line instructions and jumps
// (no calls or exits).
func (p *Program) stepRegion(st *state, m *vm.Memory, pc int, n uint64) (int, uint64, *vm.Error) {
	var k uint64
	for ; k < n; k++ {
		if k > 0 && p.code.chain.charge[pc] > 0 {
			break
		}
		ins := p.insns[pc]
		next := pc + ins.Slots()
		if ins.Class().IsJump() {
			if taken(ins, &st.regs) {
				rel := int(ins.Offset)
				if ins.Class() == isa.ClassJMP32 && ins.JumpOp() == isa.JumpJA {
					rel = int(ins.Imm)
				}
				next = pc + 1 + rel
			}
		} else if e := p.step(st, m, pc); e != nil {
			return pc, k, e
		}
		pc = next
	}
	return pc, k, nil
}

// taken reports whether the conditional (or unconditional) jump ins is
// taken with registers r.
func taken(ins isa.Instruction, r *[11]uint64) bool {
	op := ins.JumpOp()
	if op == isa.JumpJA {
		return true
	}
	a, b := r[ins.Dst&15%11], uint64(ins.Imm)
	if ins.Source() == isa.SrcX {
		b = r[ins.Src&15%11]
	}
	var sa, sb int64
	if ins.Class() == isa.ClassJMP32 {
		a, b = uint64(uint32(a)), uint64(uint32(b))
		sa, sb = int64(int32(a)), int64(int32(b))
	} else {
		sa, sb = int64(a), int64(b)
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
