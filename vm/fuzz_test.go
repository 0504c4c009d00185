package vm

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/iovm/iovm/isa"
)

// progFromBytes builds a program of valid instructions from fuzz input:
// each 8 bytes pick an opcode variant and its operands. Jump offsets stay
// small so that loops and forward jumps both happen.
func progFromBytes(b []byte) isa.Program {
	ops := isa.Opcodes()
	var p isa.Program
	for len(b) >= 8 && len(p) < 64 {
		o := ops[int(binary.LittleEndian.Uint16(b))%len(ops)]
		ins := o.Template(b[2]%11, b[3]%11)
		if o.Uses&isa.FieldOffset != 0 {
			ins.Offset = int16(int8(b[4]))
			if ins.Class() == isa.ClassJMP || ins.Class() == isa.ClassJMP32 {
				ins.Offset %= 8
			}
		}
		if o.Uses&isa.FieldImm != 0 {
			ins.Imm = int64(int32(binary.LittleEndian.Uint32(b[4:])))
			if b[5]&1 == 0 {
				ins.Imm = int64(int8(b[6])) // small constants are more interesting
			}
			switch {
			case ins.Opcode == isa.OpLDDW:
				ins.Imm = int64(binary.LittleEndian.Uint64(b))
				if b[7]&1 == 0 {
					ins.Imm = int64(Addr(uint32(b[6]%5), uint32(b[5])))
				}
			case ins.Opcode == isa.OpCall && ins.Src == isa.CallLocal, ins.Class() == isa.ClassJMP32 && ins.JumpOp() == isa.JumpJA:
				ins.Imm %= 8
			case ins.Opcode == isa.OpCall:
				ins.Imm %= 8
			}
		}
		p = p.Append(ins)
		b = b[8:]
	}
	return p.Append(isa.Instruction{Opcode: isa.OpExit})
}

func FuzzRun(f *testing.F) {
	f.Add([]byte{0x95, 0, 0, 0, 0, 0, 0, 0}, []byte{1, 2, 3})
	f.Add([]byte("\x07\x01\x00\x00\x05\x00\x00\x00\x61\x10\x00\x00\x00\x00\x00\x00\x95\x00\x00\x00\x00\x00\x00\x00"), []byte("0123456789abcdef"))
	for i := 0; i < 16; i++ {
		b := make([]byte, 64)
		for j := range b {
			b[j] = byte(i*31 + j*17)
		}
		f.Add(b, b[:16])
	}
	hs := testHelpers()
	f.Fuzz(func(t *testing.T, code, mem []byte) {
		for _, o := range orders {
			// Raw bytes: decoding fails cleanly or the program runs.
			if prog, err := LoadBytes(code, &Options{Order: o, Helpers: hs}); err == nil {
				runChecked(t, prog, mem)
			} else if !errors.Is(err, KindLoad) {
				t.Fatalf("load error of the wrong kind: %v", err)
			}
			// Valid instructions built from the bytes.
			p := progFromBytes(code)
			prog, err := Load(p, &Options{Order: o, Helpers: hs})
			if err != nil {
				if !errors.Is(err, KindLoad) {
					t.Fatalf("load error of the wrong kind: %v", err)
				}
				continue
			}
			runChecked(t, prog, mem)
		}
	})
}

func runChecked(t *testing.T, prog *Program, mem []byte) {
	env := &Env{Mem: append([]byte(nil), mem...), Budget: 10000}
	res, err := prog.Run(env)
	if err == nil {
		if res.Insns == 0 || res.Insns > env.Budget {
			t.Fatalf("%d instructions executed with budget %d", res.Insns, env.Budget)
		}
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("run error is not a *vm.Error: %v", err)
	}
	switch e.Kind {
	case KindFault, KindBudget, KindHelper:
	default:
		t.Fatalf("run error of kind %v: %v", e.Kind, err)
	}
	if e.PC < 0 || e.PC > len(prog.Instructions()) {
		t.Fatalf("error at pc %d of %d: %v", e.PC, len(prog.Instructions()), err)
	}
	_ = e.Error()
}

// The generator reaches the interesting paths; run the seeds as a test too.
func TestFuzzSeedsRun(t *testing.T) {
	hs := testHelpers()
	var ran, faulted int
	for i := 0; i < 2000; i++ {
		b := make([]byte, 16+8*(i%40))
		x := uint64(i)*0x9e3779b97f4a7c15 + 1
		for j := range b {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			b[j] = byte(x)
		}
		for _, o := range orders {
			prog, err := Load(progFromBytes(b), &Options{Order: o, Helpers: hs})
			if err != nil {
				continue
			}
			_, err = prog.Run(&Env{Mem: b[:16], Budget: 10000})
			ran++
			if err != nil {
				faulted++
			}
		}
	}
	if ran < 100 {
		t.Errorf("only %d generated programs loaded", ran)
	}
	t.Logf("%d programs ran, %d failed cleanly", ran, faulted)
}
