package asm

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/iovm/iovm/isa"
)

// codeSection is an executable section of an object.
type codeSection struct {
	name string
	data []byte
}

func readObject(t *testing.T, path string) ([]codeSection, binary.ByteOrder) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var secs []codeSection
	for _, s := range f.Sections {
		if s.Type != elf.SHT_PROGBITS || s.Flags&elf.SHF_EXECINSTR == 0 || s.Size == 0 {
			continue
		}
		data, err := s.Data()
		if err != nil {
			t.Fatal(err)
		}
		secs = append(secs, codeSection{s.Name, data})
	}
	return secs, f.ByteOrder
}

var (
	objdumpSection = regexp.MustCompile(`^Disassembly of section (.*):$`)
	objdumpLine    = regexp.MustCompile(`^\s*([0-9]+):\t(?:[0-9a-f]{2} )*[0-9a-f]{2}\t(.*)$`)
)

// objdump runs llvm-objdump -d and returns, per section, the text of each
// instruction by slot, with the " <symbol>" annotation of jumps removed.
func objdump(t *testing.T, path string, args ...string) (map[string]map[int]string, string) {
	t.Helper()
	out, err := exec.Command("llvm-objdump", append([]string{"-d"}, append(args, path)...)...).Output()
	if err != nil {
		t.Fatalf("llvm-objdump %s: %v", path, err)
	}
	res := map[string]map[int]string{}
	sec := ""
	for _, line := range strings.Split(string(out), "\n") {
		if m := objdumpSection.FindStringSubmatch(line); m != nil {
			sec = m[1]
			res[sec] = map[int]string{}
			continue
		}
		if m := objdumpLine.FindStringSubmatch(line); m != nil {
			slot, _ := strconv.Atoi(m[1])
			res[sec][slot] = objdumpAnnot.ReplaceAllString(m[2], "")
		}
	}
	return res, string(out)
}

// The LLVM-dialect disassembly of the compiled objects in testdata matches
// llvm-objdump -d line for line, and both dialects round-trip them.
func TestObjdumpTestdata(t *testing.T) {
	objs, _ := filepath.Glob("testdata/*.o")
	if len(objs) == 0 {
		t.Fatal("no objects in testdata (run make testdata)")
	}
	_, noObjdump := exec.LookPath("llvm-objdump")
	for _, path := range objs {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			secs, order := readObject(t, path)
			if len(secs) == 0 {
				t.Fatal("no code sections")
			}
			var plain, alu32 map[string]map[int]string
			var raw string
			if noObjdump == nil {
				plain, raw = objdump(t, path)
				alu32, _ = objdump(t, path, "--mattr=+alu32")
			}
			var all []byte
			for _, sec := range secs {
				all = append(all, sec.data...)
				p, err := isa.Decode(sec.data, order)
				if err != nil {
					t.Fatalf("%s: %v", sec.name, err)
				}
				checkRoundTrip(t, sec.name, p, sec.data, order)
				if plain == nil {
					continue
				}
				want, ok := plain[sec.name]
				if !ok {
					t.Fatalf("llvm-objdump printed no section %s", sec.name)
				}
				lines := 0
				for pc := 0; pc < len(p); pc++ {
					ins := p[pc]
					if p.IsContinuation(pc) {
						continue
					}
					w, ok := want[pc]
					if !ok {
						t.Errorf("%s+%d: llvm-objdump printed no instruction", sec.name, pc)
						continue
					}
					atomic32 := ins.Class() == isa.ClassSTX && ins.Mode() == isa.ModeATOMIC && ins.Size() == isa.SizeW
					got := FormatLLVM(ins)
					if w == "<unknown>" || atomic32 && isa.AtomicOp(ins.Imm)&isa.AtomicFetch != 0 {
						// LLVM 14 decodes the 32-bit atomics other than
						// add only with +alu32 (and the fetching ones
						// wrongly without it).
						w = alu32[sec.name][pc]
					}
					if ins.Opcode == isa.OpCall && ins.Src == isa.CallLocal {
						// llvm-objdump prints local calls like helper calls.
						got = fmt.Sprintf("call %d", ins.Imm)
					}
					if got != w {
						t.Errorf("%s+%d: got %q, llvm-objdump %q", sec.name, pc, got, w)
					}
					lines++
				}
				t.Logf("%s: %d instructions match llvm-objdump", sec.name, lines)
			}
			if plain == nil {
				t.Skip("llvm-objdump not installed: checked round trips only")
			}
			// llvm-objdump's own output assembles back to the code, when it
			// could decode every instruction; it prints local calls as
			// helper calls, so those compare without their src field.
			if !strings.Contains(raw, "<unknown>") {
				p, err := AssembleLLVM(raw)
				if err != nil {
					t.Fatalf("assembling llvm-objdump output: %v", err)
				}
				b, err := isa.Encode(p, order)
				if err != nil {
					t.Fatal(err)
				}
				want, err := isa.Decode(all, order)
				if err != nil {
					t.Fatal(err)
				}
				for pc := range want {
					if want[pc].Opcode == isa.OpCall && !want.IsContinuation(pc) {
						want[pc].Src = isa.CallHelper
					}
				}
				wantBytes, _ := isa.Encode(want, order)
				if !bytes.Equal(b, wantBytes) {
					t.Errorf("llvm-objdump output reassembles to different bytes")
				}
			}
		})
	}
}

// checkRoundTrip disassembles p in both dialects and checks that each text
// assembles to data.
func checkRoundTrip(t *testing.T, name string, p isa.Program, data []byte, order binary.ByteOrder) {
	t.Helper()
	for _, d := range dialects {
		text := d.disassemble(p)
		q, err := d.assemble(text)
		if err != nil {
			t.Errorf("%s %s: reassembling: %v", name, d.name, err)
			continue
		}
		b, err := isa.Encode(q, order)
		if err != nil {
			t.Errorf("%s %s: %v", name, d.name, err)
			continue
		}
		if diff := cmp.Diff(data, b); diff != "" {
			t.Errorf("%s %s: round trip differs (-want +got):\n%s", name, d.name, diff)
		}
	}
}

// The clang -S output in testdata assembles to the code of the matching
// object (for the files without relocations, which need a linker).
func TestClangAssemblyTestdata(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.s")
	if len(files) == 0 {
		t.Fatal("no assembler files in testdata (run make testdata)")
	}
	checked := 0
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		p, err := AssembleLLVM(string(src))
		if err != nil {
			if strings.Contains(err.Error(), "unresolved symbol") {
				t.Logf("%s: %v: skipped", path, err)
				continue
			}
			t.Errorf("%s: %v", path, err)
			continue
		}
		secs, order := readObject(t, strings.TrimSuffix(path, ".s")+".o")
		var want []byte
		for _, s := range secs {
			want = append(want, s.data...)
		}
		got, err := isa.Encode(p, order)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: code differs from the object (-want +got):\n%s", path, diff)
		}
		checked++
	}
	if checked == 0 {
		t.Error("no assembler file checked")
	}
}
