package vm

import (
	"testing"

	"github.com/iovm/iovm/asm"
)

func TestAsmSmoke(t *testing.T) {
	p, err := asm.Assemble(`
		mov %r0, 0
		mov %r1, 10
	loop:
		add %r0, %r1
		sub %r1, 1
		jne %r1, 0, loop
		exit`)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := prog.Run(nil)
	if err != nil || res.R0 != 55 {
		t.Fatalf("%+v %v", res, err)
	}
}
