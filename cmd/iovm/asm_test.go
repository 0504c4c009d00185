package main

import (
	"bytes"
	"debug/elf"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const asmTestSource = `# a program using most kinds of instruction
	mov %r0, 0
	lddw %r1, 0x123456789abcdef0
	stxdw [%r10-8], %r1
	ldxw %r2, [%r10-8]
	jeq %r2, 0x9abcdef0, good
	mov %r0, 1
	exit
good:
	lock fetch add [%r10-8], %r0
	call local f
	be16 %r0
	ja32 +0
	exit
f:
	mov32 %r0, -1
	exit
`

// iovmRun runs the iovm command line and returns stdout, failing the test
// on a non-zero status.
func iovmRun(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := mainArgs(args, &stdout, &stderr); code != 0 {
		t.Fatalf("iovm %s: exit %d: %s", strings.Join(args, " "), code, stderr.String())
	}
	return stdout.String()
}

func writeTemp(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// asm -> disasm -> asm gives the same bytes, for every dialect, byte
// order and output form, with flags before or after the operand.
func TestAsmDisasmRoundTrip(t *testing.T) {
	dir := t.TempDir()
	src := writeTemp(t, dir, "prog.s", asmTestSource)
	for _, endian := range [][]string{nil, {"--big-endian"}} {
		bin := filepath.Join(dir, "prog.bin")
		iovmRun(t, append([]string{"asm", src, "-o", bin}, endian...)...)
		want, err := os.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) != 15*8 {
			t.Fatalf("assembled %d bytes, want %d", len(want), 15*8)
		}
		hexOut := iovmRun(t, append([]string{"asm", "--hex", src}, endian...)...)
		hexFile := writeTemp(t, dir, "prog.hex", hexOut)
		for _, dialect := range []string{"conformance", "llvm"} {
			for _, input := range []string{bin, hexFile} {
				text := iovmRun(t, append([]string{"disasm", "--dialect", dialect, input}, endian...)...)
				again := writeTemp(t, dir, "again.s", text)
				// auto-detected dialect, and the explicit one
				for _, extra := range [][]string{nil, {"--dialect", dialect}} {
					args := append([]string{"asm", again}, append(extra, endian...)...)
					got := iovmRun(t, args...)
					if got != string(want) {
						t.Errorf("%v %s from %s: reassembled bytes differ\n%s", endian, dialect, filepath.Base(input), text)
					}
				}
			}
		}
	}
}

// disasm of the compiled objects in asm/testdata (ELF, both byte orders)
// reassembles to the bytes of their executable sections.
func TestDisasmELF(t *testing.T) {
	objs, _ := filepath.Glob("../../asm/testdata/*.o")
	if len(objs) == 0 {
		t.Skip("no objects in asm/testdata")
	}
	dir := t.TempDir()
	for _, obj := range objs {
		f, err := elf.Open(obj)
		if err != nil {
			t.Fatal(err)
		}
		var want []byte
		var names []string
		for _, s := range f.Sections {
			if s.Type == elf.SHT_PROGBITS && s.Flags&elf.SHF_EXECINSTR != 0 && s.Size > 0 {
				b, _ := s.Data()
				want = append(want, b...)
				names = append(names, s.Name)
			}
		}
		be := f.ByteOrder.String() == "BigEndian"
		f.Close()
		for _, dialect := range []string{"conformance", "llvm"} {
			text := iovmRun(t, "disasm", obj, "--dialect", dialect)
			src := writeTemp(t, dir, "obj.s", text)
			args := []string{"asm", src}
			if be {
				args = append(args, "--big-endian")
			}
			if got := iovmRun(t, args...); got != string(want) {
				t.Errorf("%s %s: reassembled bytes differ", obj, dialect)
			}
		}
		// --section picks one section.
		text := iovmRun(t, "disasm", "--section", names[len(names)-1], obj)
		if n := strings.Count(text, "# section "); n != 1 {
			t.Errorf("%s --section: %d sections printed", obj, n)
		}
	}
}

// A .data file's -- asm section assembles; its -- raw section
// disassembles.
func TestAsmDataFile(t *testing.T) {
	dir := t.TempDir()
	data := writeTemp(t, dir, "t.data", "# comment\n-- asm\nmov %r0, 1\nexit\n-- result\n0x1\n")
	got := iovmRun(t, "asm", "--hex", data)
	if want := "b7 00 00 00 01 00 00 00 95 00 00 00 00 00 00 00\n"; got != want {
		t.Errorf("asm .data: got %q, want %q", got, want)
	}
	raw := writeTemp(t, dir, "r.data", "-- raw\n0x00000001000000b7\n0x0000000000000095\n-- result\n0x1\n")
	if got := iovmRun(t, "disasm", raw); got != "mov %r0, 1\nexit\n" {
		t.Errorf("disasm -- raw: got %q", got)
	}
	// errors carry file, line and column
	bad := writeTemp(t, dir, "bad.data", "-- asm\nmov %r0, 1\nmov %r11, 2\n-- result\n0x1\n")
	var stdout, stderr bytes.Buffer
	if code := mainArgs([]string{"asm", bad}, &stdout, &stderr); code == 0 {
		t.Fatal("bad source assembled")
	}
	if want := "bad.data:3:5: invalid register"; !strings.Contains(stderr.String(), want) {
		t.Errorf("error %q does not contain %q", stderr.String(), want)
	}
}

// Invalid slots disassemble as .insn with a warning and still round-trip.
func TestDisasmInvalid(t *testing.T) {
	dir := t.TempDir()
	hexFile := writeTemp(t, dir, "bad.hex", "ff 21 00 00 00 00 00 00\n95 00 00 00 00 00 00 00\n")
	var stdout, stderr bytes.Buffer
	if code := mainArgs([]string{"disasm", hexFile}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), ".insn 0xff") || !strings.Contains(stderr.String(), "warning") {
		t.Errorf("stdout %q stderr %q", stdout.String(), stderr.String())
	}
	src := writeTemp(t, dir, "bad.s", stdout.String())
	if got := iovmRun(t, "asm", "--hex", src); got != "ff 21 00 00 00 00 00 00 95 00 00 00 00 00 00 00\n" {
		t.Errorf("reassembled %q", got)
	}
}
