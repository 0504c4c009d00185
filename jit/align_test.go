package jit

import (
	"testing"

	"github.com/iovm/iovm/asm"
	"github.com/iovm/iovm/vm"
)

// amd64 code starts the targets of backward jumps (loop headers) on a
// 32-byte boundary, and the program still runs as the interpreter does
// (TestDiff runs loops too; the disassembly tests see the NOPs).
func TestAlignLoops(t *testing.T) {
	p, err := asm.Assemble(`mov %r0, 0
mov %r3, 0
ja head
back:
add %r0, 3
head:
add %r0, %r3
add %r3, 1
jlt %r3, 10, back
outer:
sub %r0, 1
jgt %r0, 100, outer
exit`)
	if err != nil {
		t.Fatal(err)
	}
	vp, err := vm.Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := generate(vp, "amd64", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, pc := range []int{3, 7} { // back, outer
		if c.pcOff[pc]%loopAlign != 0 {
			t.Errorf("pc %d at offset %#x, want a multiple of %d", pc, c.pcOff[pc], loopAlign)
		}
	}
	// sieve's init loop: pc 15's ja is a copy of the block at 4, whose
	// jlt goes back to 12, the loop's head.
	sv, err := vm.Load(mustAssemble(t, sieveSrc), nil)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := generate(sv, "amd64", nil)
	if err != nil {
		t.Fatal(err)
	}
	if sc.dups[15] != 4 || sc.pcOff[12]%loopAlign != 0 {
		t.Errorf("sieve: copies %v, pc 12 at offset %#x, want the copy of 4 at 15 and a multiple of %d", sc.dups, sc.pcOff[12], loopAlign)
	}
	unaligned := 0
	for pc := range p {
		if c.pcOff[pc]%loopAlign != 0 {
			unaligned++
		}
	}
	if unaligned == 0 {
		t.Error("every pc is aligned: the test proves nothing")
	}
	if Supported() {
		jp, err := Compile(vp, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer jp.Close()
		r1, e1 := vp.Run(nil)
		r2, e2 := jp.Run(nil)
		compare(t, "loops", r1, e1, r2, e2, nil, nil)
	}
}
