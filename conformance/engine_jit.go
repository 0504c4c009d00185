package conformance

import (
	"github.com/iovm/iovm/isa"
	"github.com/iovm/iovm/jit"
	"github.com/iovm/iovm/vm"
)

// The JIT runs the suite wherever the host has a backend.
func init() {
	Register(Engine{
		Name: "jit",
		Load: func(p isa.Program, opts *vm.Options) (vm.Executable, error) {
			x, err := jit.Load(p, opts)
			if err != nil {
				return nil, err
			}
			return x, nil
		},
		Available: jit.Supported,
	})
}
