package jit

import (
	"errors"
	"testing"

	"github.com/iovm/iovm/asm"
	"github.com/iovm/iovm/vm"
)

// A store the verifier proves in bounds must still fault when the run maps
// its input or context read-only: writability is chosen per run.
func TestProvenStoreToReadOnlyMemory(t *testing.T) {
	if !Supported() {
		t.Skip(ErrUnsupported)
	}
	tests := []struct {
		name string
		src  string
		opts *vm.Options
		env  func(b []byte) *vm.Env
	}{
		{"input", "mov %r0, 0\njlt %r2, 8, out\nstdw [%r1+0], 7\nmov %r0, 1\nout:\nexit", nil,
			func(b []byte) *vm.Env { return &vm.Env{Mem: b, MemReadOnly: true} }},
		{"input atomic", "mov %r0, 0\njlt %r2, 8, out\nmov %r3, 1\nlock add [%r1+0], %r3\nmov %r0, 1\nout:\nexit", nil,
			func(b []byte) *vm.Env { return &vm.Env{Mem: b, MemReadOnly: true} }},
		{"context", "stw [%r1+4], 7\nmov %r0, 1\nexit", &vm.Options{ContextSize: 8},
			func(b []byte) *vm.Env { return &vm.Env{Context: b, ContextReadOnly: true} }},
	}
	for _, tt := range tests {
		p, err := asm.Assemble(tt.src)
		if err != nil {
			t.Fatal(err)
		}
		vp, err := vm.Load(p, tt.opts)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		jp, err := Compile(vp, nil)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		for _, e := range []struct {
			name string
			x    vm.Executable
		}{{"interp", vp}, {"jit", jp}} {
			mem := make([]byte, 8)
			_, err := e.x.Run(tt.env(mem))
			var ve *vm.Error
			if !errors.As(err, &ve) || ve.Fault != vm.FaultPermission {
				t.Errorf("%s on %s: error %v, want a permission fault", tt.name, e.name, err)
			}
			if string(mem) != string(make([]byte, 8)) {
				t.Errorf("%s on %s: read-only memory written: %v", tt.name, e.name, mem)
			}
		}
		jp.Close()
	}
}
