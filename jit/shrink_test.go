package jit

import (
	"fmt"
	"testing"

	"github.com/iovm/iovm/asm"
	"github.com/iovm/iovm/vm"
)

// shrinkHelper(id) replaces the input with a copy of its first r1 bytes
// (a helper that trims a packet): the verifier's proofs were made against
// the length at entry.
func shrinkHelper(id int32) vm.Helper {
	return vm.Helper{ID: id, Name: "shrink", Fn: func(m *vm.Memory, r1, _, _, _, _ uint64) (uint64, error) {
		r := &m.Regions[vm.RegionInput]
		if r1 < uint64(len(r.Data)) {
			d := make([]byte, r1)
			copy(d, r.Data)
			r.Data = d
		}
		return 0, nil
	}}
}

// A helper that shrinks the input during a run moves it to code without
// the verifier's facts: proven accesses past the new end fault as in the
// interpreter (they would read and write outside the new input
// otherwise), from the main function and from a local call, in the
// writable variant and the checked code, with yields; a helper that does
// not shrink it leaves the run where it is.
func TestHelperShrinksInput(t *testing.T) {
	if !Supported() {
		t.Skip(ErrUnsupported)
	}
	hs := testHelpers()
	hs.Register(shrinkHelper(20))
	for _, keep := range []int{8, 40, 64} {
		for _, local := range []bool{false, true} {
			// The accesses at 32..47 are proven against len >= 64.
			body := fmt.Sprintf(`mov %%r1, %d
call 20
ldxdw %%r0, [%%r6+32]
stxdw [%%r6+40], %%r0
ldxb %%r3, [%%r6+47]
add %%r0, %%r3`, keep)
			src := "mov %r6, %r1\nmov %r0, 0\njlt %r2, 64, out\n"
			if local {
				src += "mov %r1, %r6\ncall local f\nadd %r0, 1\nout:\nexit\nf:\nmov %r6, %r1\n" + body + "\nexit"
			} else {
				src += body + "\nout:\nexit"
			}
			p, err := asm.Assemble(src)
			if err != nil {
				t.Fatal(err)
			}
			vp, err := vm.Load(p, &vm.Options{Helpers: hs})
			if err != nil {
				t.Fatal(err)
			}
			if f := vp.Facts(); f == nil || !f.Access[len(p)-3].InBounds {
				t.Fatalf("keep %d, local %v: the access at pc %d is not proven", keep, local, len(p)-3)
			}
			for _, yield := range []uint64{0, 1, 2} {
				jp, err := Compile(vp, &Options{YieldEvery: yield})
				if err != nil {
					t.Fatal(err)
				}
				if jp.code.proven&(1<<vm.RegionInput) == 0 {
					t.Fatalf("keep %d: no proven input accesses recorded", keep)
				}
				runner := jp.NewRunner()
				for _, ro := range []bool{false, true} {
					for _, path := range []string{"run", "runner"} {
						mk := func() []byte {
							b := make([]byte, 64)
							for i := range b {
								b[i] = byte(i + 1)
							}
							return b
						}
						m1, m2 := mk(), mk()
						r1, e1 := vp.Run(&vm.Env{Mem: m1, MemReadOnly: ro})
						var r2 vm.Result
						var e2 error
						if path == "run" {
							r2, e2 = jp.Run(&vm.Env{Mem: m2, MemReadOnly: ro})
						} else {
							r2, e2 = runner.Run(&vm.Env{Mem: m2, MemReadOnly: ro})
						}
						what := fmt.Sprintf("keep %d, local %v, yield %d, read-only %v, %s", keep, local, yield, ro, path)
						compare(t, what, r1, e1, r2, e2, m1, m2)
						if r1.Insns != r2.Insns {
							t.Errorf("%s: %d instructions, interpreter %d", what, r2.Insns, r1.Insns)
						}
						if keep < 40 && e1 == nil {
							t.Errorf("%s: the interpreter did not fault", what)
						}
					}
				}
				if moved := jp.cbProg.Load() != nil; moved != (keep < 64) {
					t.Errorf("keep %d, local %v: code without facts compiled %v", keep, local, moved)
				}
				jp.Close()
			}
		}
	}
}
