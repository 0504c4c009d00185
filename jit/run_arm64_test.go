package jit_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/iovm/iovm/conformance"
	"github.com/iovm/iovm/isa"
	"github.com/iovm/iovm/jit"
	"github.com/iovm/iovm/vm"
)

// jitEngine compiles with the given options.
func jitEngine(opts *jit.Options) conformance.Engine {
	return conformance.Engine{
		Name: "jit",
		Load: func(p isa.Program, o *vm.Options) (vm.Executable, error) {
			vp, err := vm.Load(p, o)
			if err != nil {
				return nil, err
			}
			return jit.Compile(vp, opts)
		},
	}
}

// TestArm64Conformance runs the whole conformance suite on the arm64 JIT
// with LSE atomics and with exclusive load/store loops, and with constant
// blinding.
func TestArm64Conformance(t *testing.T) {
	paths, err := conformance.Collect([]string{"../conformance/testdata"})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) < 400 {
		t.Fatalf("only %d conformance files", len(paths))
	}
	for _, v := range []struct {
		name  string
		lse   bool
		blind bool
	}{{"lse", true, false}, {"llsc", false, false}, {"lse-blind", true, true}} {
		t.Run(v.name, func(t *testing.T) {
			defer jit.SetArm64LSE(v.lse)()
			e := jitEngine(&jit.Options{Blind: v.blind})
			for _, p := range paths {
				c, err := conformance.ParseFile(p)
				if err != nil {
					t.Fatal(err)
				}
				if o := conformance.RunCase(c, e); o.Status != conformance.Pass && o.Status != conformance.Skip {
					t.Errorf("%s: %s: %s", strings.TrimSuffix(filepath.Base(p), ".data"), o.Status, o.Reason)
				}
			}
		})
	}
}
