package vm_test

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/iovm/iovm/asm"
	"github.com/iovm/iovm/vm"
)

// Assemble a program and run it on the interpreter: it sums the bytes of
// its input memory (r1 = address, r2 = length).
func Example() {
	prog, err := asm.Assemble(`
		mov %r0, 0
	loop:
		jeq %r2, 0, done
		ldxb %r3, [%r1]
		add %r0, %r3
		add %r1, 1
		sub %r2, 1
		ja loop
	done:
		exit`)
	if err != nil {
		panic(err)
	}
	p, err := vm.Load(prog, nil)
	if err != nil {
		panic(err)
	}
	res, err := p.Run(&vm.Env{Mem: []byte{1, 2, 3, 4}})
	if err != nil {
		panic(err)
	}
	fmt.Println("sum", res.R0, "in", res.Insns, "instructions")
	// Output: sum 10 in 27 instructions
}

// Register a helper written in Go. It reads a 64-bit value from program
// memory through the run's checked Memory and returns it doubled.
func ExampleHelpers_Register() {
	var hs vm.Helpers
	hs.Register(vm.Helper{
		ID:   100,
		Name: "double_at",
		Fn: func(m *vm.Memory, addr, _, _, _, _ uint64) (uint64, error) {
			v, err := m.Load(addr, 8) // a bad address is a fault, not a crash
			return 2 * v, err
		},
	})
	prog, err := asm.Assemble(`
		call 100   # r1 is still the address of the input
		exit`)
	if err != nil {
		panic(err)
	}
	p, err := vm.Load(prog, &vm.Options{Helpers: &hs})
	if err != nil {
		panic(err)
	}
	res, err := p.Run(&vm.Env{Mem: binary.LittleEndian.AppendUint64(nil, 21)})
	fmt.Println(res.R0, err)
	// Output: 42 <nil>
}

// Errors of a run are *vm.Error values: test their kind with errors.Is and
// read the details with errors.As.
func ExampleError() {
	prog, err := asm.Assemble(`
		ldxw %r0, [%r1+8]
		exit`)
	if err != nil {
		panic(err)
	}
	p, err := vm.Load(prog, nil)
	if err != nil {
		panic(err)
	}
	_, err = p.Run(&vm.Env{Mem: make([]byte, 4)}) // 8 is past the end
	var e *vm.Error
	if errors.Is(err, vm.KindFault) && errors.As(err, &e) {
		fmt.Println(e.Fault, "at pc", e.PC, "reading", e.Size, "bytes")
	}

	spin, _ := asm.Assemble("ja -1")
	p, _ = vm.Load(spin, nil)
	_, err = p.Run(&vm.Env{Budget: 1000})
	fmt.Println(errors.Is(err, vm.KindBudget), err)
	// Output:
	// out of bounds at pc 0 reading 4 bytes
	// true pc 0: budget exhausted
}
