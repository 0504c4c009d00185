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
