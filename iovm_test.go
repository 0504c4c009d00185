package iovm_test

import (
	"errors"
	"testing"

	"github.com/iovm/iovm"
	"github.com/iovm/iovm/asm"
	"github.com/iovm/iovm/jit"
	"github.com/iovm/iovm/vm"
)

func TestLoadEngines(t *testing.T) {
	p, err := asm.Assemble("ldxw %r0, [%r1+0]\nadd %r0, 1\nexit")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range append(iovm.Engines(), iovm.EngineAuto, "") {
		x, err := iovm.LoadEngine(e, p, nil)
		if err != nil {
			t.Fatalf("%q: %v", e, err)
		}
		res, err := x.Run(&vm.Env{Mem: []byte{41, 0, 0, 0}})
		if err != nil || res.R0 != 42 {
			t.Fatalf("%q: %+v %v", e, res, err)
		}
		x.Close()
	}
	if _, err := iovm.LoadEngine("nope", p, nil); err == nil {
		t.Fatal("unknown engine loaded")
	}
	if !jit.Supported() {
		if _, err := iovm.LoadEngine(iovm.EngineJIT, p, nil); !errors.Is(err, jit.ErrUnsupported) {
			t.Fatalf("jit on an unsupported host: %v", err)
		}
	}
	x, err := iovm.Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if _, ok := x.(*jit.Program); ok != jit.Supported() {
		t.Fatalf("Load chose %T", x)
	}
}
