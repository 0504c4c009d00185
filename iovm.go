// Package iovm is the facade of the iovm eBPF virtual machine: it loads a
// program on the best engine of the host, the JIT (package jit) where the
// host has a native backend and the interpreter (package vm) otherwise.
// Both give the same results and the same *vm.Error values.
//
//	p, err := iovm.Load(prog, nil)
//	if err != nil { ... }
//	defer p.Close()
//	res, err := p.Run(&vm.Env{Mem: input})
//
// Run is safe for concurrent use and takes the memory of each run from a
// pool; a goroutine that runs a program many times can instead take a
// vm.Runner with NewRunner, which owns that memory and has a lower fixed
// cost per run (see BenchmarkTrivialRunner in packages vm and jit).
package iovm

import (
	"fmt"

	"github.com/iovm/iovm/isa"
	"github.com/iovm/iovm/jit"
	"github.com/iovm/iovm/vm"
)

// Engine names for LoadEngine.
const (
	EngineAuto   = "auto"   // the JIT if the host has one, else the interpreter
	EngineJIT    = "jit"    // native code; fails with jit.ErrUnsupported where there is no backend
	EngineInterp = "interp" // the reference interpreter
)

// DefaultEngine returns the engine Load uses on this host.
func DefaultEngine() string {
	if jit.Supported() {
		return EngineJIT
	}
	return EngineInterp
}

// Engines returns the engines available on this host, the default first.
func Engines() []string {
	if jit.Supported() {
		return []string{EngineJIT, EngineInterp}
	}
	return []string{EngineInterp}
}

// Load verifies p and prepares it on the default engine. Close the result
// when done: native code holds executable memory.
func Load(p isa.Program, opts *vm.Options) (vm.Executable, error) {
	return LoadEngine(EngineAuto, p, opts)
}

// LoadEngine is Load on a named engine: EngineAuto (or ""), EngineJIT or
// EngineInterp.
func LoadEngine(engine string, p isa.Program, opts *vm.Options) (vm.Executable, error) {
	switch engine {
	case "", EngineAuto, EngineInterp, EngineJIT:
	default:
		return nil, fmt.Errorf("iovm: unknown engine %q (want %s, %s or %s)", engine, EngineAuto, EngineJIT, EngineInterp)
	}
	vp, err := vm.Load(p, opts)
	if err != nil {
		return nil, err
	}
	return onEngine(engine, vp)
}

// LoadBytes decodes b in opts.Order (default little-endian) and loads it
// like LoadEngine.
func LoadBytes(engine string, b []byte, opts *vm.Options) (vm.Executable, error) {
	vp, err := vm.LoadBytes(b, opts)
	if err != nil {
		return nil, err
	}
	return onEngine(engine, vp)
}

func onEngine(engine string, vp *vm.Program) (vm.Executable, error) {
	if engine == "" || engine == EngineAuto {
		engine = DefaultEngine()
	}
	switch engine {
	case EngineInterp:
		return vp, nil
	case EngineJIT:
		jp, err := jit.Compile(vp, nil)
		if err != nil {
			return nil, err
		}
		return jp, nil
	}
	return nil, fmt.Errorf("iovm: unknown engine %q (want %s, %s or %s)", engine, EngineAuto, EngineJIT, EngineInterp)
}
