package isa

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var orders = []binary.ByteOrder{binary.LittleEndian, binary.BigEndian}

// every variant: encode -> decode gives the same instruction, with operands set.
func TestRoundTripEveryOpcode(t *testing.T) {
	if n := len(Opcodes()); n < 150 {
		t.Fatalf("only %d opcode variants", n)
	}
	for _, o := range Opcodes() {
		ins := o.Template(3, 7)
		if o.Uses&FieldOffset != 0 {
			ins.Offset = -2
		}
		if o.Uses&FieldImm != 0 {
			ins.Imm = -5
			if o.Opcode == OpLDDW {
				ins.Imm = -0x123456789
			}
		}
		if err := ins.Validate(); err != nil {
			t.Errorf("%s: template invalid: %v", o.Name, err)
			continue
		}
		got, ok := Lookup(ins)
		if !ok || got.Name != o.Name || got.Src != o.Src || got.Imm != o.Imm || got.Offset != o.Offset {
			t.Errorf("%s: Lookup gave %+v", o.Name, got)
		}
		for _, order := range orders {
			p := Program{}.Append(ins, Instruction{Opcode: OpExit})
			b, err := Encode(p, order)
			if err != nil {
				t.Fatalf("%s: %v", o.Name, err)
			}
			q, err := Decode(b, order)
			if err != nil {
				t.Fatalf("%s %v: %v", o.Name, order, err)
			}
			if diff := cmp.Diff(p, q); diff != "" {
				t.Errorf("%s %v: round trip (-want +got):\n%s", o.Name, order, diff)
			}
		}
	}
}

func TestByteOrderLayout(t *testing.T) {
	ins := Instruction{Opcode: 0x0f, Dst: 1, Src: 2} // add r1, r2
	le, _ := Encode([]Instruction{ins}, binary.LittleEndian)
	be, _ := Encode([]Instruction{ins}, binary.BigEndian)
	if le[1] != 0x21 || be[1] != 0x12 {
		t.Errorf("register byte: le %#x be %#x", le[1], be[1])
	}
	wide := Program{}.Append(Instruction{Opcode: OpLDDW, Dst: 0, Imm: 0x1122334455667788})
	b, _ := Encode(wide, binary.LittleEndian)
	want := []byte{0x18, 0, 0, 0, 0x88, 0x77, 0x66, 0x55, 0, 0, 0, 0, 0x44, 0x33, 0x22, 0x11}
	if diff := cmp.Diff(want, b); diff != "" {
		t.Errorf("lddw bytes (-want +got):\n%s", diff)
	}
}

func TestDecodeErrors(t *testing.T) {
	slot := func(op, regs byte, off int16, imm int32) []byte {
		b := make([]byte, 8)
		b[0], b[1] = op, regs
		binary.LittleEndian.PutUint16(b[2:], uint16(off))
		binary.LittleEndian.PutUint32(b[4:], uint32(imm))
		return b
	}
	cat := func(s ...[]byte) []byte {
		var out []byte
		for _, x := range s {
			out = append(out, x...)
		}
		return out
	}
	exit := slot(0x95, 0, 0, 0)
	tests := []struct {
		name string
		b    []byte
		slot int
	}{
		{"unknown opcode", cat(slot(0x06|0x80, 0, 0, 0), exit), 0},
		{"unknown opcode 0xff", cat(exit, slot(0xff, 0, 0, 0)), 1},
		{"bad dst", cat(slot(0xb7, 0x0b, 0, 0), exit), 0},
		{"bad src", cat(slot(0xbf, 0xc1, 0, 0), exit), 0},
		{"truncated lddw", slot(0x18, 0, 0, 1), 0},
		{"bad lddw second slot", cat(slot(0x18, 0, 0, 1), slot(0x95, 0, 0, 0)), 1},
		{"lddw src 7", cat(slot(0x18, 0x70, 0, 1), slot(0, 0, 0, 0), exit), 0},
		{"reserved offset", cat(slot(0x07, 0x01, 1, 1), exit), 0},
		{"reserved imm on X", cat(slot(0x0f, 0x21, 0, 1), exit), 0},
		{"bad end width", cat(slot(0xd4, 0x01, 0, 8), exit), 0},
		{"bad atomic op", cat(slot(0xdb, 0x21, 0, 0x02), exit), 0},
		{"bad movsx offset", cat(slot(0xbc, 0x21, 32, 0), exit), 0},
		{"short program", []byte{0x95, 0, 0}, 0},
		{"exit with imm", cat(slot(0x95, 0, 0, 1)), 0},
		{"bad call src", cat(slot(0x85, 0x30, 0, 1), exit), 0},
	}
	for _, tt := range tests {
		_, err := Decode(tt.b, binary.LittleEndian)
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Errorf("%s: error %v, want *DecodeError", tt.name, err)
			continue
		}
		if de.Slot != tt.slot {
			t.Errorf("%s: slot %d, want %d (%v)", tt.name, de.Slot, tt.slot, err)
		}
	}
}

func TestGroupsAndVersions(t *testing.T) {
	tests := []struct {
		ins     Instruction
		group   Group
		version Version
	}{
		{Instruction{Opcode: 0x07}, GroupBase64, V1},
		{Instruction{Opcode: 0x04}, GroupBase32, V1},
		{Instruction{Opcode: 0x3c, Offset: 1}, GroupDivMul32, V4},
		{Instruction{Opcode: 0xa5}, GroupBase64, V2},
		{Instruction{Opcode: 0x16}, GroupBase32, V3},
		{Instruction{Opcode: 0xdb, Imm: 0xf1}, GroupAtomic64, V3},
		{Instruction{Opcode: 0xc3}, GroupAtomic32, V1},
		{Instruction{Opcode: 0x30}, GroupPacket, V1},
		{Instruction{Opcode: 0xd7, Imm: 64}, GroupBase64, V4},
		{Instruction{Opcode: 0x06}, GroupBase32, V4},
		{Instruction{Opcode: 0x8d}, GroupCallX, V1},
	}
	for _, tt := range tests {
		o, ok := Lookup(tt.ins)
		if !ok || o.Group != tt.group || o.Version != tt.version {
			t.Errorf("%v: got %+v ok=%v, want %v %v", tt.ins, o, ok, tt.group, tt.version)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte{0x95, 0, 0, 0, 0, 0, 0, 0}, false)
	f.Add([]byte{0x18, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0}, true)
	f.Fuzz(func(t *testing.T, b []byte, big bool) {
		var order binary.ByteOrder = binary.LittleEndian
		if big {
			order = binary.BigEndian
		}
		p, err := Decode(b, order)
		if err != nil {
			return
		}
		out, err := Encode(p, order)
		if err != nil {
			t.Fatalf("valid program does not encode: %v", err)
		}
		if string(out) != string(b) {
			t.Fatalf("re-encoding differs:\n%x\n%x", b, out)
		}
	})
}
