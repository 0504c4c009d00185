package conformance

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "prog.asm"), []byte("mov %r0, 7\nexit\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "packet.hex"), []byte("aa bb\ncc\n"), 0o644)
	tests := []struct {
		name, in string
		want     *Case
		err      string
	}{
		{name: "asm and result", in: "# comment\n-- asm\nmov %r0, 1 # trailing\n\n  # indented comment\nexit\n-- result\n0x2a\n",
			want: &Case{Asm: "mov %r0, 1\nexit\n", HasAsm: true, Result: 42, HasResult: true}},
		{name: "decimal and negative result", in: "-- asm\nexit\n-- result\n-1\n",
			want: &Case{Asm: "exit\n", HasAsm: true, Result: ^uint64(0), HasResult: true}},
		{name: "raw, mem over lines, no register offset", in: "-- raw\n0x00000001000000b7\n149\n-- mem\n00 01\n0xff 7f # c\n-- no register offset\nanything\n-- result\n1\n",
			want: &Case{Raw: []uint64{0x1000000b7, 149}, HasRaw: true, Mem: []byte{0, 1, 0xff, 0x7f}, Result: 1, HasResult: true}},
		{name: "error", in: "-- asm\nexit\n-- error\n  pc 3: out of bounds \n",
			want: &Case{Asm: "exit\n", HasAsm: true, HasError: true, Error: "pc 3: out of bounds"}},
		{name: "error pattern with directive", in: "# iovm: error-text\n-- asm\nexit\n-- error pattern\nout of (bounds|range)\n",
			want: &Case{Asm: "exit\n", HasAsm: true, HasError: true, Error: "out of (bounds|range)", ErrorPattern: true, CheckErrorText: true}},
		{name: "empty error", in: "-- asm\nexit\n-- error\n",
			want: &Case{Asm: "exit\n", HasAsm: true, HasError: true}},
		{name: "budget", in: "-- asm\nja -1\n-- budget\n1000\n-- error\nbudget\n",
			want: &Case{Asm: "ja -1\n", HasAsm: true, Budget: 1000, HasError: true, Error: "budget"}},
		{name: "file references", in: "-- asm @ prog.asm\n-- mem @ packet.hex\n-- result\n7\n",
			want: &Case{Asm: "mov %r0, 7\nexit\n", HasAsm: true, Mem: []byte{0xaa, 0xbb, 0xcc}, Result: 7, HasResult: true}},
		{name: "unknown section skips", in: "-- c\nint main() { return 1; }\n-- asm\nexit\n-- result\n0\n",
			want: &Case{Asm: "exit\n", HasAsm: true, Result: 0, HasResult: true, Skip: `unknown section "c"`}},
		{name: "unknown section without program skips", in: "-- pyelf\nstuff\n",
			want: &Case{Skip: `unknown section "pyelf"`}},
		{name: "unknown directive skips", in: "# iovm: frobnicate\n-- asm\nexit\n-- result\n0\n",
			want: &Case{Asm: "exit\n", HasAsm: true, HasResult: true, Skip: `unknown iovm directive "frobnicate"`}},
		{name: "empty mem", in: "-- asm\nexit\n-- mem\n-- result\n0\n",
			want: &Case{Asm: "exit\n", HasAsm: true, Mem: []byte{}, HasResult: true}},
		{name: "no program", in: "-- result\n1\n", err: "no program"},
		{name: "no expectation", in: "-- asm\nexit\n", err: "no expectation"},
		{name: "both", in: "-- asm\nexit\n-- result\n1\n-- error\nx\n", err: "both -- result and -- error"},
		{name: "asm and raw", in: "-- asm\nexit\n-- raw\n149\n-- result\n1\n", err: "both -- asm and -- raw"},
		{name: "duplicate", in: "-- asm\nexit\n-- asm\nexit\n-- result\n1\n", err: "duplicate section"},
		{name: "bad byte", in: "-- asm\nexit\n-- mem\n0g\n-- result\n1\n", err: "bad byte"},
		{name: "long byte", in: "-- asm\nexit\n-- mem\n012\n-- result\n1\n", err: "bad byte"},
		{name: "bad result", in: "-- asm\nexit\n-- result\n0xzz\n", err: "bad number"},
		{name: "two results", in: "-- asm\nexit\n-- result\n1 2\n", err: "want one number"},
		{name: "missing reference", in: "-- asm @ nosuch.asm\n-- result\n1\n", err: "nosuch.asm"},
		{name: "zero budget", in: "-- asm\nexit\n-- budget\n0\n-- result\n1\n", err: "budget must be positive"},
	}
	for _, tt := range tests {
		c, err := Parse(strings.NewReader(tt.in), dir)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if diff := cmp.Diff(tt.want, c); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestParseFileSetsPath(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.data")
	os.WriteFile(p, []byte("-- asm\nexit\n-- result\n0\n"), 0o644)
	c, err := ParseFile(p)
	if err != nil || c.Path != p {
		t.Fatalf("ParseFile: %+v, %v", c, err)
	}
	os.WriteFile(p, []byte("-- asm\nexit\n"), 0o644)
	if _, err := ParseFile(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("error %v does not name the file", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("-- asm\nmov %r0, 1\nexit\n-- result\n0x1\n")
	f.Add("-- raw\n0x95\n-- mem\n01 02\n-- error pattern\nx+\n")
	f.Add("-- asm @ x\n-- c\n# iovm: error-text\n-- budget\n5\n")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := Parse(strings.NewReader(in), "")
		if err != nil {
			return
		}
		if c.Skip == "" && (c.HasAsm == c.HasRaw || c.HasResult == c.HasError) {
			t.Fatalf("inconsistent case %+v", c)
		}
		// Running a parsed case never panics the runner.
		if c.Skip == "" && c.Budget == 0 {
			c.Budget = 1000
		}
		RunCase(c, Interp)
	})
}
