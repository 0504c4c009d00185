package jit_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/iovm/iovm/asm"
	"github.com/iovm/iovm/conformance"
	"github.com/iovm/iovm/jit"
	"github.com/iovm/iovm/vm"
)

// The arm64 backend under variants that the default run (conformance
// TestSuite, TestSuiteExact, TestDiff) does not cover: both atomics
// implementations whatever the CPU, constant blinding, and the long branch
// forms of big programs. Each compares with the interpreter exactly.

type arm64Variant struct {
	name   string
	lse    bool
	far    bool
	blind  bool
	filter func(name string) bool
}

func isAtomic(name string) bool {
	return strings.Contains(name, "atomic") || strings.Contains(name, "xchg") || strings.Contains(name, "lock")
}

func isControl(name string) bool {
	for _, p := range []string{"jmp", "call", "budget", "algo", "fault", "helper"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func TestArm64Variants(t *testing.T) {
	paths, err := conformance.Collect([]string{"../conformance/testdata"})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) < 400 {
		t.Fatalf("only %d conformance files", len(paths))
	}
	// LSE instructions are forced only where the CPU has them (QEMU's
	// default CPU does; cross.sh also runs a Cortex-A53 model, which does not).
	hw := jit.Arm64CPULSE()
	variants := []arm64Variant{
		{name: "lse", lse: true, filter: isAtomic},
		{name: "llsc", lse: false, filter: isAtomic},
		{name: "far", lse: hw, far: true, filter: isControl},
		{name: "blind", lse: hw, blind: true},
	}
	for _, v := range variants {
		if v.lse && !hw {
			t.Logf("%s: skipped, the CPU has no LSE atomics", v.name)
			continue
		}
		t.Run(v.name, func(t *testing.T) {
			defer jit.SetArm64LSE(v.lse)()
			if v.far {
				defer jit.SetArm64Far(0)()
			}
			n := 0
			for i, path := range paths {
				name := strings.TrimSuffix(filepath.Base(path), ".data")
				if v.filter != nil && !v.filter(name) {
					continue
				}
				if v.filter == nil && testing.Short() && i%4 != 0 {
					continue // a quarter of the suite under -short (QEMU)
				}
				c, err := conformance.ParseFile(path)
				if err != nil || c.Skip != "" {
					continue
				}
				p, err := c.Program()
				if err != nil {
					continue
				}
				vp, err := vm.Load(p, conformance.Options())
				if err != nil {
					continue
				}
				jp, err := jit.Compile(vp, &jit.Options{Blind: v.blind})
				if err != nil {
					t.Errorf("%s: compile: %v", name, err)
					continue
				}
				budget := c.Budget
				if budget == 0 {
					budget = conformance.DefaultBudget
				}
				m1 := append([]byte(nil), c.Mem...)
				m2 := append([]byte(nil), c.Mem...)
				r1, e1 := vp.Run(&vm.Env{Mem: m1, Budget: budget})
				r2, e2 := jp.Run(&vm.Env{Mem: m2, Budget: budget})
				jp.Close()
				if why := differ(r1, e1, r2, e2, m1, m2); why != "" {
					t.Errorf("%s: %s", name, why)
				}
				n++
			}
			if n == 0 {
				t.Fatal("no programs ran")
			}
			t.Logf("%d programs agree", n)
		})
	}
}

// TestArm64MisalignedHostAtomics: an aligned eBPF address whose host
// memory is not aligned (input memory at an odd offset of a buffer) must
// give the interpreter's result, not an alignment fault of the host.
func TestArm64MisalignedHostAtomics(t *testing.T) {
	progs := []string{
		"mov %r2, 5\nlock add [%r1+0], %r2\nldxdw %r0, [%r1+0]\nexit",
		"mov %r2, 5\nlock add32 [%r1+4], %r2\nldxw %r0, [%r1+4]\nexit",
		"mov %r2, 6\nlock fetch xor [%r1+8], %r2\nmov %r0, %r2\nexit",
		"mov %r2, 7\nmov %r0, 0\nlock cmpxchg [%r1+0], %r2\nldxdw %r0, [%r1+0]\nexit",
		"mov %r2, 7\nlock xchg32 [%r1+12], %r2\nmov %r0, %r2\nexit",
	}
	for _, lse := range []bool{true, false} {
		if lse && !jit.Arm64CPULSE() {
			continue
		}
		restore := jit.SetArm64LSE(lse)
		for _, src := range progs {
			p, err := asm.Assemble(src)
			if err != nil {
				t.Fatalf("%s: %v", src, err)
			}
			vp, err := vm.Load(p, nil)
			if err != nil {
				t.Fatal(err)
			}
			jp, err := jit.Compile(vp, nil)
			if err != nil {
				t.Fatal(err)
			}
			for off := 0; off < 8; off++ {
				b1, b2 := make([]byte, 32), make([]byte, 32)
				m1, m2 := b1[off:off+16], b2[off:off+16]
				r1, e1 := vp.Run(&vm.Env{Mem: m1})
				r2, e2 := jp.Run(&vm.Env{Mem: m2})
				if why := differ(r1, e1, r2, e2, m1, m2); why != "" {
					t.Errorf("lse=%v off=%d %q: %s", lse, off, src, why)
				}
			}
			jp.Close()
		}
		restore()
	}
}
