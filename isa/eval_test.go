package isa_test

import (
	"encoding/binary"
	"testing"

	"github.com/iovm/iovm/isa"
	"github.com/iovm/iovm/vm"
)

// EvalALU must agree with the reference interpreter on every ALU variant,
// for edge values, in both program byte orders.
func TestEvalALUMatchesInterpreter(t *testing.T) {
	values := []uint64{0, 1, 2, 7, 31, 32, 63, 64, 0x7fffffff, 0x80000000, 0xffffffff, 1 << 32,
		0x7fffffffffffffff, 0x8000000000000000, 0xffffffffffffffff, 0xfffffffffffffffe, 0x0123456789abcdef}
	imms := []int64{0, 1, -1, 16, 31, 32, 63, 64, -2147483648, 2147483647}
	n := 0
	for _, o := range isa.Opcodes() {
		if !isa.Class(o.Opcode & 7).IsALU() {
			continue
		}
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			big := order == binary.BigEndian
			for _, d := range values {
				srcs := values
				if o.Uses&isa.FieldImm != 0 {
					srcs = nil
					for _, k := range imms {
						srcs = append(srcs, uint64(k))
					}
				}
				for _, s := range srcs {
					ins := o.Template(1, 2)
					src := s
					if o.Uses&isa.FieldImm != 0 {
						ins.Imm = int64(s)
					} else if o.Uses&isa.FieldSrc == 0 {
						src = uint64(ins.Imm)
					}
					prog := isa.Program{}.Append(
						isa.Instruction{Opcode: isa.OpLDDW, Dst: 1, Imm: int64(d)},
						isa.Instruction{Opcode: isa.OpLDDW, Dst: 2, Imm: int64(s)},
						ins,
						isa.Instruction{Opcode: 0xbf, Dst: 0, Src: 1}, // mov r0, r1
						isa.Instruction{Opcode: isa.OpExit},
					)
					p, err := vm.Load(prog, &vm.Options{Order: order})
					if err != nil {
						t.Fatalf("%s: %v", o.Name, err)
					}
					res, err := p.Run(nil)
					if err != nil {
						t.Fatalf("%s: %v", o.Name, err)
					}
					if got := isa.EvalALU(ins, d, src, big); got != res.R0 {
						t.Errorf("%s dst=%#x src=%#x big=%v: EvalALU %#x, interpreter %#x", o.Name, d, src, big, got, res.R0)
					}
					n++
				}
			}
		}
	}
	if n < 1000 {
		t.Fatalf("only %d cases", n)
	}
}
