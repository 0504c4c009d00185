package asm

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/iovm/iovm/isa"
)

var orders = []binary.ByteOrder{binary.LittleEndian, binary.BigEndian}

type dialectFuncs struct {
	name        string
	assemble    func(string) (isa.Program, error)
	disassemble func(isa.Program) string
}

var dialects = []dialectFuncs{
	{"conformance", Assemble, Disassemble},
	{"llvm", AssembleLLVM, DisassembleLLVM},
}

// operandValues gives, for each variant, several instructions exercising
// its operand fields (registers, positive and negative offsets and
// immediates, extremes).
func operandValues(o isa.OpInfo) []isa.Instruction {
	var out []isa.Instruction
	regs := [][2]uint8{{3, 7}, {0, 10}, {10, 0}}
	offs := []int16{0, 5, -2, 32767, -32768}
	imms := []int64{0, 1, -1, 4097, -4097, 0x7fffffff, -0x80000000}
	if o.Opcode == isa.OpLDDW {
		imms = []int64{0, -0x123456789, 0x123456789abcdef0, -1, -1 << 63, 0xffffffff}
	}
	for n := 0; n < 5; n++ {
		r := regs[n%len(regs)]
		ins := o.Template(r[0], r[1])
		if o.Uses&isa.FieldOffset != 0 {
			ins.Offset = offs[n%len(offs)]
		}
		if o.Uses&isa.FieldImm != 0 {
			ins.Imm = imms[n%len(imms)]
			if n == 4 {
				ins.Imm = imms[len(imms)-1]
			}
		}
		out = append(out, ins)
	}
	return out
}

// Every opcode variant: encode -> decode -> disassemble -> assemble gives
// the same bytes, in both byte orders and both dialects.
func TestRoundTripEveryOpcode(t *testing.T) {
	for _, d := range dialects {
		for _, o := range isa.Opcodes() {
			for _, ins := range operandValues(o) {
				for _, order := range orders {
					name := fmt.Sprintf("%s/%s/%v/%v", d.name, o.Name, ins, order)
					if err := ins.Validate(); err != nil {
						t.Fatalf("%s: invalid test instruction: %v", name, err)
					}
					p := isa.Program{}.Append(ins, isa.Instruction{Opcode: isa.OpExit})
					b, err := isa.Encode(p, order)
					if err != nil {
						t.Fatalf("%s: encode: %v", name, err)
					}
					q, err := isa.Decode(b, order)
					if err != nil {
						t.Fatalf("%s: decode: %v", name, err)
					}
					text := d.disassemble(q)
					r, err := d.assemble(text)
					if err != nil {
						t.Errorf("%s: reassembling %q: %v", name, text, err)
						continue
					}
					b2, err := isa.Encode(r, order)
					if err != nil {
						t.Errorf("%s: encode reassembled: %v", name, err)
						continue
					}
					if diff := cmp.Diff(b, b2); diff != "" {
						t.Errorf("%s: text %q: bytes differ (-want +got):\n%s", name, text, diff)
					}
				}
			}
		}
	}
}

// Invalid slots print as .insn and round-trip too.
func TestRoundTripRawSlots(t *testing.T) {
	raw := []isa.Instruction{
		{Opcode: 0x06 | 0x80, Dst: 1},             // unknown
		{Opcode: 0x07, Dst: 11, Imm: 1},           // bad register
		{Opcode: 0xbf, Dst: 1, Src: 2, Imm: 5},    // reserved imm
		{Opcode: 0xdb, Dst: 1, Src: 2, Imm: 3},    // bad atomic
		{Opcode: 0x3f, Dst: 1, Src: 2, Offset: 2}, // bad div offset
		{Opcode: 0xff, Dst: 15, Src: 15, Offset: -1, Imm: -1},
	}
	for _, d := range dialects {
		for _, ins := range raw {
			p := isa.Program{ins}
			text := d.disassemble(p)
			q, err := d.assemble(text)
			if err != nil {
				t.Errorf("%s: %v: reassembling %q: %v", d.name, ins, text, err)
				continue
			}
			if diff := cmp.Diff(p, q); diff != "" {
				t.Errorf("%s: %q (-want +got):\n%s", d.name, text, diff)
			}
		}
	}
}
