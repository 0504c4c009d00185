package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func cmdOut(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := mainArgs(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestJITDisasm(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "p.asm")
	os.WriteFile(prog, []byte("mov %r0, 0\nloop:\nadd %r0, 1\njlt %r0, 10, loop\nexit\n"), 0o644)
	for _, arch := range []string{"amd64", "arm64"} {
		code, out, errOut := cmdOut("jit", "--disasm", "--arch", arch, prog)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", arch, code, errOut)
		}
		for _, want := range []string{"; " + arch, "; entry stub", "   0: mov %r0, 0", "   1: add %r0, 1", "   3: exit", "; stubs"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: no %q in\n%s", arch, want, out)
			}
		}
	}
	if code, _, _ := cmdOut("jit", prog); code != 2 {
		t.Errorf("jit without --disasm: exit %d", code)
	}
}

func TestBench(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "p.asm")
	os.WriteFile(prog, []byte("ldxb %r0, [%r1+0]\nadd %r0, 1\nexit\n"), 0o644)
	mem := filepath.Join(dir, "mem.hex")
	os.WriteFile(mem, []byte("29 00"), 0o644)
	code, out, errOut := cmdOut("bench", "--time", "5ms", "--json", "--mem", mem, prog)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rows []benchRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(rows) == 0 || rows[0].Engine != "interp" {
		t.Fatalf("rows: %+v", rows)
	}
	for _, r := range rows {
		if r.R0 != 42 || r.Runs == 0 || r.NsRun <= 0 || r.Insns != 3 {
			t.Errorf("row %+v", r)
		}
	}
	code, out, _ = cmdOut("bench", "--time", "5ms", "--mem", mem, prog)
	if code != 0 || !strings.Contains(out, "speedup") || !strings.Contains(out, "0x2a") {
		t.Errorf("table: exit %d\n%s", code, out)
	}
}
