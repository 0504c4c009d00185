package conformance

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/iovm/iovm/conformance/internal/gen"
	"github.com/iovm/iovm/isa"
)

var update = flag.Bool("update", false, "rewrite the generated files of testdata")

const suiteDir = "testdata"

// TestGenerated checks that the generated files of testdata are those the
// generator writes now, and rewrites them with -update.
func TestGenerated(t *testing.T) {
	files := gen.Files()
	want := map[string]string{}
	for _, f := range files {
		want[f.Name] = f.Render()
	}
	have := map[string]string{}
	paths, _ := filepath.Glob(filepath.Join(suiteDir, "*.data"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(string(b), gen.Header+"\n") {
			have[filepath.Base(p)] = string(b)
		}
	}
	if *update {
		for name := range have {
			if _, ok := want[name]; !ok {
				if err := os.Remove(filepath.Join(suiteDir, name)); err != nil {
					t.Fatal(err)
				}
			}
		}
		for name, content := range want {
			if have[name] == content {
				continue
			}
			if _, err := os.Stat(filepath.Join(suiteDir, name)); err == nil && have[name] == "" {
				t.Fatalf("%s: a hand-written file has the name of a generated one", name)
			}
			if err := os.WriteFile(filepath.Join(suiteDir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("%d generated files", len(want))
		return
	}
	for name, content := range want {
		if have[name] != content {
			t.Errorf("%s is stale or missing; run go test ./conformance -run TestGenerated -update", name)
		}
	}
	for name := range have {
		if _, ok := want[name]; !ok {
			t.Errorf("%s is no longer generated; run go test ./conformance -run TestGenerated -update", name)
		}
	}
}

func suiteFiles(t *testing.T) []string {
	t.Helper()
	paths, err := Collect([]string{suiteDir})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) < 400 {
		t.Fatalf("only %d files in the suite", len(paths))
	}
	return paths
}

// TestSuite runs every file of the suite on every engine of the host.
func TestSuite(t *testing.T) {
	paths := suiteFiles(t)
	cases := make([]*Case, len(paths))
	for i, p := range paths {
		c, err := ParseFile(p)
		if err != nil {
			t.Fatalf("parse: %v", err)
		}
		if c.Skip != "" {
			t.Errorf("%s: iovm's own file is skipped: %s", p, c.Skip)
		}
		cases[i] = c
	}
	for _, e := range Engines() {
		t.Run(e.Name, func(t *testing.T) {
			for i, c := range cases {
				name := strings.TrimSuffix(filepath.Base(paths[i]), ".data")
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					o := RunCase(c, e)
					if o.Status != Pass {
						t.Errorf("%s: %s", o.Status, o.Reason)
					}
				})
			}
		})
	}
}

// TestCoverage fails when an opcode variant of RFC 9669 has no case.
func TestCoverage(t *testing.T) {
	seen := map[string]bool{}
	key := func(o isa.OpInfo) string {
		return fmt.Sprintf("%s (opcode %#02x, src %d, offset %d, imm %d)", o.Name, o.Opcode, o.Src, o.Offset, o.Imm)
	}
	for _, p := range suiteFiles(t) {
		c, err := ParseFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var insns []isa.Instruction
		if c.HasRaw {
			// Invalid programs still show which opcodes they exercise.
			b := make([]byte, 0, 8*len(c.Raw))
			for _, w := range c.Raw {
				for k := 0; k < 8; k++ {
					b = append(b, byte(w>>(8*k)))
				}
			}
			insns, _ = isa.DecodeRaw(b, leOrder)
			for i := 0; i+1 < len(insns); i++ {
				if insns[i].IsWide() {
					insns[i].Imm = int64(uint64(uint32(insns[i].Imm)) | uint64(uint32(insns[i+1].Imm))<<32)
					i++
				}
			}
		} else {
			prog, err := c.Program()
			if err != nil {
				t.Errorf("%s: %v", p, err)
				continue
			}
			insns = prog
		}
		for pc, ins := range insns {
			if pc > 0 && insns[pc-1].IsWide() {
				continue
			}
			if o, ok := isa.Lookup(ins); ok {
				seen[key(o)] = true
			}
		}
	}
	var missing []string
	for _, o := range isa.Opcodes() {
		if !seen[key(o)] {
			missing = append(missing, key(o))
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("no case for %s", m)
	}
}
