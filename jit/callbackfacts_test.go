package jit

import (
	"strings"
	"testing"

	"github.com/iovm/iovm/vm"
)

// TestCallbackIgnoresFacts: the verifier's facts hold for runs from pc 0,
// where f below is only called with r2 = the input pointer (so its access
// is proven) and a nonzero r3 (so its divisor is). A helper may call f
// back with any registers (helper 23 passes the program's r3 as r2); the
// JIT must then check what it skipped, as the interpreter does, instead of
// reaching host memory or trapping on a division by zero.
func TestCallbackIgnoresFacts(t *testing.T) {
	if !Supported() {
		t.Skip(ErrUnsupported)
	}
	const prog = `mov %r6, %r1
jlt %r2, 8, +8
mov %r2, %r6
mov %r3, 3
call local +6
mov %r1, 1
mov %r2, 11
lddw %r3, R3
call 23
exit
ldxdw %r0, [%r2+0]
stxdw [%r2+0], %r0
mov %r0, 100
div %r0, %r3
exit`
	for _, c := range []struct {
		name, r3 string
	}{
		// r2 = r3 = an address in no region: the load faults at pc 11.
		{"unmapped", "0x4141414100000"},
		// r2 = the stack id, far past the frame.
		{"stack", "0x100100000"},
		// r2 = r3 = 0: a null pointer.
		{"null", "0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := mustAssemble(t, strings.ReplaceAll(prog, "R3", c.r3))
			vp, err := vm.Load(p, &vm.Options{Helpers: runnerHelpers(nil)})
			if err != nil {
				t.Fatal(err)
			}
			if f := vp.Facts(); !f.Access[11].Proven || !f.DivNonZero[14] {
				t.Fatalf("the test needs pc 11 proven and pc 14's divisor nonzero: %+v %v", f.Access[11], f.DivNonZero[14])
			}
			checkCallbackRuns(t, vp)
		})
	}
	// The divisor, nonzero (the input length) when f is called from pc 3,
	// is 0 in the callback: r0 must be 0, as the ISA says, not a trap.
	p := mustAssemble(t, `mov %r6, %r1
jlt %r2, 8, +6
mov %r3, 3
call local +5
mov %r1, 2
mov %r2, 9
mov %r3, 0
call 23
exit
mov %r0, 100
div %r0, %r2
exit`)
	vp, err := vm.Load(p, &vm.Options{Helpers: runnerHelpers(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if !vp.Facts().DivNonZero[10] {
		t.Fatal("the test needs pc 10's divisor nonzero")
	}
	checkCallbackRuns(t, vp)
}

// checkCallbackRuns runs vp on both engines with a 16-byte input and
// compares results, errors and memory.
func checkCallbackRuns(t *testing.T, vp *vm.Program) {
	t.Helper()
	var want vm.Result
	var werr error
	var wmem string
	ex := engines(t, vp)
	for _, name := range []string{"interp", "jit"} {
		ex := ex[name]
		env := &vm.Env{Mem: make([]byte, 16)}
		r, err := ex.Run(env)
		if name == "interp" {
			want, werr, wmem = r, err, envBytes(env)
			continue
		}
		sameRun(t, name, want, werr, r, err, wmem, envBytes(env))
	}
}
