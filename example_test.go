package iovm_test

import (
	"encoding/binary"
	"fmt"

	"github.com/iovm/iovm"
	"github.com/iovm/iovm/asm"
	"github.com/iovm/iovm/vm"
)

// Load a program on the best engine of the host (the JIT where there is a
// backend, else the interpreter) and run it on a packet: it returns the
// EtherType of an Ethernet frame, checking the length first.
func ExampleLoad() {
	prog, err := asm.AssembleLLVM(`
		r0 = 0
		if r2 < 14 goto out
		r0 = *(u16 *)(r1 + 12)
		r0 = be16 r0
	out:
		exit`)
	if err != nil {
		panic(err)
	}
	p, err := iovm.Load(prog, nil)
	if err != nil {
		panic(err)
	}
	defer p.Close() // native code holds executable memory

	frame := make([]byte, 60)
	binary.BigEndian.PutUint16(frame[12:], 0x86dd) // IPv6
	res, err := p.Run(&vm.Env{Mem: frame, MemReadOnly: true})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%#x\n", res.R0)
	// Output: 0x86dd
}

// Every engine gives the same results: run a program on each engine of the
// host.
func ExampleLoadEngine() {
	prog, err := asm.Assemble(`
		mov %r0, 1
		lsh %r0, 40
		add %r0, -1
		exit`)
	if err != nil {
		panic(err)
	}
	results := map[uint64]bool{}
	for _, engine := range iovm.Engines() {
		p, err := iovm.LoadEngine(engine, prog, nil)
		if err != nil {
			panic(err)
		}
		res, err := p.Run(nil)
		if err != nil {
			panic(err)
		}
		p.Close()
		results[res.R0] = true
	}
	fmt.Println(len(results), "result:", results)
	// Output: 1 result: map[1099511627775:true]
}

// A goroutine that runs a program again and again uses a Runner: the same
// results as Run, at a lower fixed cost, as it owns the memory of its runs
// instead of taking it from a pool. A Runner is not safe for concurrent
// use: take one per goroutine.
func ExampleLoad_runner() {
	prog, err := asm.AssembleLLVM(`
		r0 = 0
		if r2 < 1 goto out
		r0 = *(u8 *)(r1 + 0)
	out:
		exit`)
	if err != nil {
		panic(err)
	}
	p, err := iovm.Load(prog, nil)
	if err != nil {
		panic(err)
	}
	defer p.Close()

	r := p.NewRunner()
	env := &vm.Env{MemReadOnly: true}
	var sum uint64
	for _, pkt := range [][]byte{{1}, {2, 0}, nil, {3}} {
		env.Mem = pkt
		res, err := r.Run(env)
		if err != nil {
			panic(err)
		}
		sum += res.R0
	}
	fmt.Println(sum)
	// Output: 6
}
