package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/iovm/iovm/conformance"
	"github.com/iovm/iovm/isa"
)

func hexPairs(b []byte) string {
	parts := make([]string, len(b))
	for i, x := range b {
		parts[i] = fmt.Sprintf("%02x", x)
	}
	return strings.Join(parts, " ")
}

// TestPluginProcess builds iovm-plugin and drives it as the conformance
// runner does: memory as the first argument, the program as hex on stdin,
// r0 in hex on stdout.
func TestPluginProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	bin := filepath.Join(t.TempDir(), "iovm-plugin")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	paths, err := conformance.Collect([]string{filepath.Join("..", "..", "conformance", "testdata")})
	if err != nil {
		t.Fatal(err)
	}
	step := 1
	if len(paths) > 150 {
		step = len(paths) / 150
	}
	ran := 0
	for i, p := range paths {
		base := filepath.Base(p)
		sample := i%step == 0 || strings.HasPrefix(base, "helper-") || strings.HasPrefix(base, "callx-") || strings.HasPrefix(base, "reject-unknown")
		if !sample {
			continue
		}
		c, err := conformance.ParseFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if c.Budget != 0 || c.Skip != "" {
			continue
		}
		var code []byte
		if c.HasRaw {
			code = make([]byte, 8*len(c.Raw))
			for k, w := range c.Raw {
				binary.LittleEndian.PutUint64(code[8*k:], w)
			}
		} else {
			prog, err := c.Program()
			if err != nil {
				t.Errorf("%s: %v", base, err)
				continue
			}
			code, err = isa.Encode(prog, binary.LittleEndian)
			if err != nil {
				t.Errorf("%s: %v", base, err)
				continue
			}
		}
		for ei, e := range conformance.Engines() {
			var args []string
			if c.Mem != nil {
				args = append(args, hexPairs(c.Mem))
			}
			if ei > 0 || i%2 == 1 {
				// The default engine is the interpreter; name it half the time.
				args = append(args, "--engine", e.Name)
			}
			cmd := exec.Command(bin, args...)
			cmd.Stdin = strings.NewReader(hexPairs(code) + "\n")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err = cmd.Run()
			ran++
			switch {
			case c.HasError:
				if err == nil {
					t.Errorf("%s on %s: plugin succeeded (%q), want failure", base, e.Name, stdout.String())
				} else if stderr.Len() == 0 {
					t.Errorf("%s on %s: failure without a message on stderr", base, e.Name)
				}
			case err != nil:
				t.Errorf("%s on %s: plugin failed: %v: %s", base, e.Name, err, stderr.String())
			default:
				got := stdout.String()
				if !strings.HasSuffix(got, "\n") || strings.HasPrefix(got, "0x") {
					t.Errorf("%s on %s: output %q is not hex without prefix plus newline", base, e.Name, got)
				}
				v, perr := strconv.ParseUint(strings.TrimSpace(got), 16, 64)
				if perr != nil || v != c.Result {
					t.Errorf("%s on %s: plugin printed %q, want %x", base, e.Name, got, c.Result)
				}
			}
		}
	}
	if ran < 100 {
		t.Errorf("only %d runs of the plugin", ran)
	}
	t.Logf("%d runs of the plugin", ran)
}

func TestPluginArgs(t *testing.T) {
	prog := "b7 00 00 00 2a 00 00 00\n95 00 00 00 00 00 00 00" // mov r0, 42; exit (newline as separator)
	ldxb := "71 10 01 00 00 00 00 00  95 00 00 00 00 00 00 00" // ldxb r0, [r1+1]; exit
	tests := []struct {
		args  []string
		stdin string
		out   string
		code  int
	}{
		{nil, prog, "2a\n", 0},
		{[]string{"--engine", "interp"}, prog, "2a\n", 0},
		{[]string{"--engine=interp"}, prog, "2a\n", 0},
		{[]string{"00 ff  01"}, ldxb, "ff\n", 0},
		{[]string{"00 ff 01", "--engine", "interp"}, ldxb, "ff\n", 0},
		{[]string{"--bogus"}, prog, "", 2},
		{[]string{"--engine", "nosuch"}, prog, "", 2},
		{nil, "95 00 00", "", 1},
		{nil, "zz", "", 1},
		{nil, ldxb, "", 1}, // no memory: NULL dereference
		{[]string{"--elf"}, prog, "", 1},
	}
	for _, e := range conformance.Engines() {
		tests = append(tests, struct {
			args  []string
			stdin string
			out   string
			code  int
		}{[]string{"00 ff 01", "--engine", e.Name}, ldxb, "ff\n", 0})
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		code := run(tt.args, strings.NewReader(tt.stdin), &out, &errb)
		if code != tt.code || out.String() != tt.out {
			t.Errorf("%q < %q: status %d output %q (stderr %q), want %d %q", tt.args, tt.stdin, code, out.String(), errb.String(), tt.code, tt.out)
		}
		if code != 0 && errb.Len() == 0 {
			t.Errorf("%q: failure without message", tt.args)
		}
	}
}
