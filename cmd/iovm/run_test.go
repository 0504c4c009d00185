package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iovm/iovm/asm"
	"github.com/iovm/iovm/isa"
)

// runCmd runs "iovm run ARGS" and returns the exit status, stdout and stderr.
func runCmd(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := mainArgs(append([]string{"run"}, args...), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestRunFormats(t *testing.T) {
	dir := t.TempDir()
	src := "ldxh %r0, [%r1+0]\nadd %r0, %r2\nexit\n"
	p, err := asm.Assemble(src)
	if err != nil {
		t.Fatal(err)
	}
	leBin, _ := isa.Encode(p, binary.LittleEndian)
	beBin, _ := isa.Encode(p, binary.BigEndian)
	var hexText strings.Builder
	for _, b := range leBin {
		fmt.Fprintf(&hexText, "%02x ", b)
	}
	writeTemp(t, dir, "prog.asm", src)
	writeTemp(t, dir, "prog.hex", hexText.String())
	if err := os.WriteFile(filepath.Join(dir, "prog.bin"), leBin, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "prog-be.bin"), beBin, 0o644); err != nil {
		t.Fatal(err)
	}
	writeTemp(t, dir, "mem.hex", "01 02 03\n")
	if err := os.WriteFile(filepath.Join(dir, "mem.bin"), []byte{1, 2, 3}, 0o644); err != nil {
		t.Fatal(err)
	}
	writeTemp(t, dir, "prog.data", "# test\n-- asm\n"+src+"-- mem\n01 02 03 04\n-- result\n0x205\n")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"prog.asm", "--mem", "mem.hex"}, "0x204\n"},
		{[]string{"--mem", "mem.bin", "prog.asm"}, "0x204\n"},
		{[]string{"prog.hex", "--mem", "mem.hex"}, "0x204\n"},
		{[]string{"prog.bin", "--mem", "mem.hex"}, "0x204\n"},
		{[]string{"prog-be.bin", "--big-endian", "--mem", "mem.hex"}, "0x105\n"},
		{[]string{"prog.asm", "--big-endian", "--mem", "mem.hex"}, "0x105\n"},
		{[]string{"prog.data"}, "0x205\n"},
		{[]string{"prog.data", "--mem", "mem.hex"}, "0x204\n"},
		{[]string{"prog.data", "--engine", "interp", "--budget", "3"}, "0x205\n"},
	}
	for _, tt := range tests {
		args := append([]string(nil), tt.args...)
		for i, a := range args {
			if strings.Contains(a, ".") {
				args[i] = filepath.Join(dir, a)
			}
		}
		code, out, errOut := runCmd(args...)
		if code != 0 || out != tt.want {
			t.Errorf("run %v: exit %d, stdout %q (want %q), stderr %s", tt.args, code, out, tt.want, errOut)
		}
	}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	loop := writeTemp(t, dir, "loop.asm", "ja -1\nexit\n")
	fault := writeTemp(t, dir, "fault.asm", "mov %r1, 0\nldxw %r0, [%r1+0]\nexit\n")
	bad := writeTemp(t, dir, "bad.hex", "ff 00 00 00 00 00 00 00\n")
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{loop, "--budget", "100"}, 1, "budget"},
		{[]string{fault}, 1, "pc 1: null dereference"},
		{[]string{bad}, 1, "unknown opcode"},
		{[]string{filepath.Join(dir, "missing.asm")}, 1, "missing.asm"},
		{[]string{fault, "--engine", "nosuch"}, 2, "nosuch"},
		{[]string{}, 2, "usage"},
		{[]string{fault, fault}, 2, "usage"},
	}
	for _, tt := range tests {
		code, out, errOut := runCmd(tt.args...)
		if code != tt.code || out != "" || !strings.Contains(errOut, tt.msg) {
			t.Errorf("run %v: exit %d (want %d), stdout %q, stderr %q (want %q)", tt.args, code, tt.code, out, errOut, tt.msg)
		}
	}
}

func TestRunRepeatAndTrace(t *testing.T) {
	dir := t.TempDir()
	prog := writeTemp(t, dir, "p.asm", "mov %r0, 0\nmov %r1, 10\nloop:\nadd %r0, %r1\nsub %r1, 1\njne %r1, 0, loop\nexit\n")
	code, out, errOut := runCmd(prog, "--repeat", "100")
	if code != 0 || out != "0x37\n" || !strings.Contains(errOut, "100 runs") || !strings.Contains(errOut, "ns per instruction") || !strings.Contains(errOut, "(33 instructions per run)") {
		t.Errorf("repeat: exit %d stdout %q stderr %q", code, out, errOut)
	}
	code, out, errOut = runCmd("--trace", prog)
	if code != 0 || out != "0x37\n" || strings.Count(errOut, "\n") != 33 || !strings.Contains(errOut, "add %r0, %r1") || !strings.Contains(errOut, "r0=0xa") {
		t.Errorf("trace: exit %d stdout %q stderr:\n%s", code, out, errOut)
	}
}
