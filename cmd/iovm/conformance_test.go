package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConformanceCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("pass.data", "-- asm\nmov %r0, 42\nexit\n-- result\n42\n")
	write("fail.data", "-- asm\nmov %r0, 1\nexit\n-- result\n0x2\n")
	write("skip.data", "-- c\nint main() { return 0; }\n-- asm\nexit\n-- result\n0\n")
	write("error.data", "-- raw\n0x00000000000000ff\n-- error\nwhatever another engine says\n")
	write("README", "not a data file")
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	write("sub/mem.data", "-- asm\nldxb %r0, [%r1+1]\nexit\n-- mem\n01 02 03\n-- result\n2\n")

	var out, errb bytes.Buffer
	code := mainArgs([]string{"conformance", dir}, &out, &errb)
	got := out.String()
	if code != 1 {
		t.Errorf("exit status %d, want 1\n%s%s", code, got, errb.String())
	}
	for _, want := range []string{
		"PASS " + filepath.Join(dir, "pass.data") + "\n",
		"FAIL " + filepath.Join(dir, "fail.data") + ": want r0 = 0x2, got 0x1\n",
		"SKIP " + filepath.Join(dir, "skip.data") + ": unknown section \"c\"\n",
		"PASS " + filepath.Join(dir, "error.data") + "\n",
		"PASS " + filepath.Join(sub, "mem.data") + "\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if !strings.HasSuffix(got, "\n3 passed, 1 failed, 1 skipped\n") {
		t.Errorf("bad totals line:\n%s", got)
	}

	out.Reset()
	code = mainArgs([]string{"conformance", "--engine", "all", filepath.Join(dir, "pass.data")}, &out, &errb)
	if code != 0 || !strings.HasSuffix(out.String(), " passed, 0 failed\n") {
		t.Errorf("all engines: status %d\n%s", code, out.String())
	}
	if code := mainArgs([]string{"conformance", "--engine", "nosuch", dir}, &out, &errb); code != 2 {
		t.Errorf("unknown engine: status %d, want 2", code)
	}
}

func TestConformanceCommandSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("whole suite")
	}
	var out, errb bytes.Buffer
	mainArgs([]string{"conformance", filepath.Join("..", "..", "conformance", "testdata")}, &out, &errb)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	last := lines[len(lines)-1]
	if !strings.Contains(last, " passed, ") {
		t.Fatalf("no totals line: %q", last)
	}
	t.Log(last)
}
