package jit

import (
	"sync"
	"testing"

	"github.com/iovm/iovm/asm"
	"github.com/iovm/iovm/vm"
)

// TestStackIsolation checks that a run never sees the stack of an earlier
// run, on both engines: each program reads a stack slot (it must be 0)
// before anything of the run writes it, and the runs alternate between the
// interpreter and native code, which share the vm.Program's pool of memory,
// sequentially and from several goroutines.
func TestStackIsolation(t *testing.T) {
	if !Supported() {
		t.Skip(ErrUnsupported)
	}
	hs := testHelpers()
	// A helper writes 8 bytes at its first argument.
	hs.Register(vm.Helper{ID: 3, Name: "scribble", Fn: func(m *vm.Memory, a, _, _, _, _ uint64) (uint64, error) {
		return 0, m.Store(a, 8, 0x5555555555555555)
	}})
	// A helper that scribbles over the whole stack without going through a
	// checked address.
	hs.Register(vm.Helper{ID: 4, Name: "scribble_all", Fn: func(m *vm.Memory, _, _, _, _, _ uint64) (uint64, error) {
		for i := range m.Stack() {
			m.Stack()[i] = 0xaa
		}
		return 0, nil
	}})
	for _, tc := range []struct{ name, src string }{
		{"store", "ldxdw %r0, [%r10-8]\nstdw [%r10-8], 99\nexit"},
		{"store bottom", "mov %r1, %r10\nadd %r1, -4096\nldxdw %r0, [%r1+0]\nstdw [%r1+0], 99\nexit"},
		{"atomic", "ldxdw %r0, [%r10-8]\nmov %r1, 7\nstdw [%r10-8], 0\nlock add [%r10-8], %r1\nexit"},
		{"callee frame", "call local f\nexit\nf:\nldxdw %r0, [%r10-8]\nstdw [%r10-8], 77\nexit"},
		{"helper", "ldxdw %r6, [%r10-8]\nmov %r1, %r10\nadd %r1, -8\ncall 3\nmov %r0, %r6\nexit"},
		{"helper raw", "ldxdw %r6, [%r10-512]\ncall 4\nmov %r0, %r6\nexit"},
		{"no store", "ldxdw %r0, [%r10-8]\nmov %r1, %r10\nadd %r1, -4096\nldxdw %r1, [%r1+0]\nor %r0, %r1\nexit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := asm.Assemble(tc.src)
			if err != nil {
				t.Fatal(err)
			}
			vp, err := vm.Load(p, &vm.Options{Helpers: hs})
			if err != nil {
				t.Fatal(err)
			}
			jp, err := Compile(vp, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer jp.Close()
			engines := []vm.Executable{vp, jp}
			run := func(i int) {
				res, err := engines[i%2].Run(&vm.Env{})
				if err != nil || res.R0 != 0 {
					t.Errorf("run %d on %T: r0 %#x, %v: saw an earlier run's stack", i, engines[i%2], res.R0, err)
				}
			}
			for i := 0; i < 8; i++ {
				run(i)
			}
			// Code holding a Memory between runs writes its stack through the
			// API: the next run must not see it either.
			for i := 0; i < 4; i++ {
				m := vp.AcquireMemory(nil)
				if i%2 == 0 {
					s := m.Stack()
					for j := range s {
						s[j] = 0xcc
					}
				} else if err := m.Store(vm.Addr(vm.RegionStack, uint32(len(m.Stack())-8)), 8, 0xcc); err != nil {
					t.Fatal(err)
				}
				vp.ReleaseMemory(m)
				run(i)
			}
			var wg sync.WaitGroup
			for g := 0; g < 4; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 200; i++ {
						run(g + i)
					}
				}()
			}
			wg.Wait()
		})
	}
}
