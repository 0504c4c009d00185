package asm

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"path/filepath"
	"testing"

	"github.com/iovm/iovm/isa"
)

// fuzzRoundTrip checks that text which assembles disassembles and
// reassembles to the same bytes, and that errors are *Error values.
func fuzzRoundTrip(t *testing.T, src string, assemble func(string) (isa.Program, error), disassemble func(isa.Program) string) {
	p, err := assemble(src)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error is %T, not *asm.Error: %v", err, err)
		}
		if e.Line < 1 || e.Col < 1 {
			t.Fatalf("error without position: %+v", e)
		}
		return
	}
	b, err := isa.Encode(p, binary.LittleEndian)
	if err != nil {
		t.Fatalf("assembled program does not encode: %v\n%s", err, src)
	}
	text := disassemble(p)
	q, err := assemble(text)
	if err != nil {
		t.Fatalf("disassembly does not reassemble: %v\n%s", err, text)
	}
	b2, err := isa.Encode(q, binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, b2) {
		t.Fatalf("round trip differs:\n%s\n--\n%s", src, text)
	}
}

var fuzzSeedsConformance = []string{
	"mov %r0, 1\nexit\n",
	"lddw %r0, 0x123456789\njeq %r1, 0x1, exit\nstxdw [%r10-8], %r1\nmov32 %r0, -1\nneg %r0\nexit:\nexit\n",
	"lock fetch add32 [%r1+4], %r2\nlock cmpxchg [%r1-4], %r3\ncall local f\nexit\nf:\nmov %r0, 0xFFFFFFFF\nexit",
	"ldindh %r3, 16\nldabsb 4\nbswap64 %r1\nmovsx3264 %r1, %r2\nja32 -1\nlddw %r1, map_value_idx(3, 8)\n.insn 0xff, 1, 2, 3, 4",
	"  JNE %R1, %r2, +3 # comment\n call %r5\n call btf 7\n sdiv32 %r1, -7\n",
}

var fuzzSeedsLLVM = []string{
	"r0 = 1\nexit\n",
	"r1 = 0x1234 ll\nif r1 s> 5 goto +3\nif w1 == w2 goto -2\nr0 = *(u32 *)(r10 - 4)\n*(u32 *)(r10 - 4) = r1\nexit",
	"lock *(u64 *)(r1 + 0) += r2\nr0 = atomic_fetch_add((u64 *)(r1 + 0), r0)\nw0 = cmpxchg32_32(r1 - 8, w0, w3)\nr2 = xchg_64(r1 + 0, r2)",
	"r1 = (s8)r2\nr1 s/= r2\nr1 = bswap16 r1\ngotol +5\nr0 = *(s8 *)(r1 + 0)\ncall 1\ncallx r1\ncall pc-3\nr0 = *(u16 *)skb[r1 + 4]",
	"       0:\tb7 00 00 00 01 00 00 00\tr0 = 1\n       1:\t05 00 00 00 00 00 00 00\tgoto +0 <LBB0_1>\n\n0000000000000010 <LBB0_1>:\n       2:\t95 00 00 00 00 00 00 00\texit",
	"l:\nw1 = -w1\nr3 = map_fd(4) ll\nld_pseudo r1, 2, 5, 8\ngoto l\n",
}

func addObjectSeeds(f *testing.F, disassemble func(isa.Program) string) {
	objs, _ := filepath.Glob("testdata/*.o")
	for _, path := range objs {
		secs, order := readObjectF(path)
		for _, s := range secs {
			if p, err := isa.Decode(s, order); err == nil {
				f.Add(disassemble(p))
			}
		}
	}
}

func FuzzAssemble(f *testing.F) {
	for _, s := range fuzzSeedsConformance {
		f.Add(s)
	}
	addObjectSeeds(f, Disassemble)
	f.Fuzz(func(t *testing.T, src string) {
		fuzzRoundTrip(t, src, Assemble, Disassemble)
	})
}

func FuzzAssembleLLVM(f *testing.F) {
	for _, s := range fuzzSeedsLLVM {
		f.Add(s)
	}
	addObjectSeeds(f, DisassembleLLVM)
	f.Fuzz(func(t *testing.T, src string) {
		fuzzRoundTrip(t, src, AssembleLLVM, DisassembleLLVM)
	})
}

// FuzzDisassemble: any decodable bytes disassemble, in both dialects and
// both byte orders, to text that assembles back to the same bytes; raw
// slots (DecodeRaw) too.
func FuzzDisassemble(f *testing.F) {
	f.Add([]byte{0xb7, 0, 0, 0, 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0x18, 0x01, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		data = data[:len(data)/isa.SlotSize*isa.SlotSize]
		for _, order := range orders {
			progs := []isa.Program{}
			if p, err := isa.Decode(data, order); err == nil {
				progs = append(progs, p)
			}
			if raw, err := isa.DecodeRaw(data, order); err == nil {
				// Without joined lddw constants, keep only slots that are
				// not lddw so the program re-encodes to data.
				ok := true
				for _, ins := range raw {
					if ins.IsWide() {
						ok = false
					}
				}
				if ok {
					progs = append(progs, raw)
				}
			}
			for _, p := range progs {
				want, err := isa.Encode(p, order)
				if err != nil {
					t.Fatal(err)
				}
				for _, d := range dialects {
					q, err := d.assemble(d.disassemble(p))
					if err != nil {
						t.Fatalf("%s: %v\n%s", d.name, err, d.disassemble(p))
					}
					got, err := isa.Encode(q, order)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(want, got) {
						t.Fatalf("%s: round trip differs\n%s", d.name, d.disassemble(p))
					}
				}
			}
		}
	})
}

// readObjectF returns the executable sections of an object, or nothing.
func readObjectF(path string) ([][]byte, binary.ByteOrder) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, nil
	}
	defer f.Close()
	var out [][]byte
	for _, s := range f.Sections {
		if s.Type == elf.SHT_PROGBITS && s.Flags&elf.SHF_EXECINSTR != 0 {
			if data, err := s.Data(); err == nil {
				out = append(out, data)
			}
		}
	}
	return out, f.ByteOrder
}
