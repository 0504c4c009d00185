package vm

import (
	"testing"

	"github.com/iovm/iovm/isa"
)

func TestSmoke(t *testing.T) {
	p := isa.Program{}.Append(
		isa.Instruction{Opcode: 0xb7, Dst: 0, Imm: 40}, // mov r0, 40
		isa.Instruction{Opcode: 0x07, Dst: 0, Imm: 2},  // add r0, 2
		isa.Instruction{Opcode: 0x95},
	)
	prog, err := Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := prog.Run(nil)
	if err != nil || res.R0 != 42 || res.Insns != 3 {
		t.Fatalf("got %+v %v", res, err)
	}
}
