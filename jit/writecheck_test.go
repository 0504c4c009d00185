package jit_test

import (
	"errors"
	"testing"

	"github.com/iovm/iovm/asm"
	"github.com/iovm/iovm/isa"
	"github.com/iovm/iovm/jit"
	"github.com/iovm/iovm/vm"
)

// Stores to the input proven in bounds (WriteChecked on amd64) check only
// the write permission: on a writable input they store, on a read-only one
// they fault with the interpreter's exact error, after the same stores.
func TestInBoundsStoreToInput(t *testing.T) {
	if !jit.Supported() {
		t.Skip(jit.ErrUnsupported)
	}
	srcs := map[string]string{
		// data[i] = i for i < len, all sizes, then one past a guard.
		"loop": `mov %r3, 0
jeq %r2, 0, done
loop:
mov %r4, %r1
add %r4, %r3
stxb [%r4+0], %r3
add %r3, 1
jlt %r3, %r2, loop
done:
mov %r0, %r3
exit`,
		"sizes": `mov %r0, 0
jlt %r2, 16, out
sth [%r1+2], 0x1234
stw [%r1+4], 0x5678
stdw [%r1+8], -1
mov %r3, 7
stxb [%r1+1], %r3
mov %r0, 1
out:
exit`,
		"offset": `mov %r0, 0
jlt %r2, 8, out
mov %r3, %r1
add %r3, 4
stxw [%r3+0], %r2
ldxw %r0, [%r3+0]
out:
exit`,
	}
	for name, src := range srcs {
		p, err := asm.Assemble(src)
		if err != nil {
			t.Fatal(err)
		}
		vp, err := vm.Load(p, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		stores := 0
		for pc, ins := range vp.Instructions() {
			if c := ins.Class(); c == isa.ClassST || c == isa.ClassSTX {
				if a := vp.Facts().Access[pc]; !a.InBounds || a.Proven {
					t.Errorf("%s: store at pc %d: %+v, want in bounds, not proven", name, pc, a)
				}
				stores++
			}
		}
		if stores == 0 {
			t.Fatalf("%s: no store", name)
		}
		jp, err := jit.Compile(vp, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, ro := range []bool{false, true} {
			for _, n := range []int{0, 3, 16, 100} {
				m1, m2 := make([]byte, n), make([]byte, n)
				for i := range m1 {
					m1[i], m2[i] = byte(i*7), byte(i*7)
				}
				r1, e1 := vp.Run(&vm.Env{Mem: m1, MemReadOnly: ro})
				r2, e2 := jp.Run(&vm.Env{Mem: m2, MemReadOnly: ro})
				if why := differ(r1, e1, r2, e2, m1, m2); why != "" {
					t.Errorf("%s, read-only %v, %d bytes:\n%s", name, ro, n, why)
				}
				var ve *vm.Error
				if ro && n >= 16 && (!errors.As(e2, &ve) || ve.Fault != vm.FaultPermission) {
					t.Errorf("%s, read-only, %d bytes: error %v, want a permission fault", name, n, e2)
				}
			}
		}
		jp.Close()
	}
}
