package jit

import (
	"fmt"
	"testing"

	"github.com/iovm/iovm/asm"
	"github.com/iovm/iovm/vm"
	"golang.org/x/arch/x86/x86asm"
)

// On sieve the chains are the entry (pcs 0, 2), the loop exit (11, 16,
// 17, 42; 33 pays for 42 too), the whole init loop (12, 14, 4: 4 has a
// side entry from 13, which refunds 14), pcs 18, 21 and the outer loop's
// test (34, 38, 39), never across a loop's exit or into a loop's header.
func TestChainsSieve(t *testing.T) {
	p, err := asm.Assemble(sieveSrc)
	if err != nil {
		t.Fatal(err)
	}
	b := &amd64Backend{}
	c, err := lower(b, p, nil, Config{StackSize: 512, MaxCallDepth: 8, Key: randKey})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]int{0: 4, 2: 0, 4: 0, 11: 5, 16: 0, 17: 0, 12: 11, 14: 0, 18: 6, 21: 0, 24: 5, 29: 4, 33: 3, 34: 8, 38: 0, 39: 0, 42: 0, 44: 6, 50: 1}
	for pc, k := range want {
		if c.chain.charge[pc] != k {
			t.Errorf("pc %d charges %d, want %d", pc, c.chain.charge[pc], k)
		}
	}
	// The native code agrees: a leader starts with sub r15, charge, or
	// with no charge at all; the refunds add what the chains' rest costs.
	ins := decodeAll(t, c.bytes)
	at := map[int]x86asm.Inst{}
	subs, adds := 0, map[int64]int{}
	for _, in := range ins {
		at[in.off] = in.Inst
		if in.Args[0] != x86asm.R15 {
			continue
		}
		if imm, ok := in.Args[1].(x86asm.Imm); ok {
			switch {
			case in.Op == x86asm.SUB && in.off < c.pcOff[len(p)]:
				subs++
			case in.Op == x86asm.ADD && in.off < c.pcOff[len(p)]:
				t.Errorf("a refund inline at %#x (every edge leaving a chain early here jumps)", in.off)
			case in.Op == x86asm.ADD:
				adds[int64(imm)]++
			}
		}
	}
	charges := 0
	for pc := range p {
		if c.block[pc] == 0 {
			continue
		}
		in := at[c.pcOff[pc]]
		charged := in.Op == x86asm.SUB && in.Args[0] == x86asm.R15
		if k := c.chain.charge[pc]; charged != (k > 0) || charged && int(in.Args[1].(x86asm.Imm)) != k {
			t.Errorf("pc %d: %v, want a charge of %d", pc, in, k)
		}
		if charged {
			charges++
		}
	}
	if subs != charges {
		t.Errorf("%d charges in the main code, want %d", subs, charges)
	}
	// After the main code: each charge's budget stub gives it back, and
	// the refunds of the taken edges leaving chains early: pc 1 (2), 13
	// (2: 14), 16 (3), 20 (1: 21 but not 42), 37 (4) and 38 (3).
	want64 := map[int64]int{1: 1, 2: 2, 3: 2, 4: 1}
	for pc := range p {
		if k := c.chain.charge[pc]; k > 0 {
			want64[int64(k)]++
		}
	}
	if fmt.Sprint(adds) != fmt.Sprint(want64) {
		t.Errorf("add r15 by amount: %v, want %v", adds, want64)
	}
}

// sieveCall runs sieveSrc as a function called back by a helper at any
// pc (r1 = the input, r2 = its length).
const sieveCall = `mov %r3, %r2
mov %r2, %r1
mov %r1, 0
call 12
exit
` + sieveSrc

func chainHelpers() *vm.Helpers {
	hs := testHelpers()
	hs.Register(vm.Helper{ID: 12, Name: "enter", Fn: func(m *vm.Memory, pc, addr, n, _, _ uint64) (uint64, error) {
		return m.CallLocal(int(pc), addr, n, 0, 0, 0)
	}})
	return hs
}

// Budgets ending at every instruction of sieve's loops, with every small
// quantum (yields re-charge chains) and inputs whose loops leave chains
// early or not: the jit runs out at the interpreter's pc, with its count,
// registers and memory.
func TestChainBudgets(t *testing.T) {
	if !Supported() {
		t.Skip(ErrUnsupported)
	}
	p, err := asm.Assemble(sieveSrc)
	if err != nil {
		t.Fatal(err)
	}
	vp, err := vm.Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, yield := range []uint64{0, 1, 2, 3, 4, 5, 7, 11} {
		jp, err := Compile(vp, &Options{YieldEvery: yield})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{0, 1, 2, 3, 10, 11, 30} {
			full, err := vp.Run(&vm.Env{Mem: make([]byte, n)})
			if err != nil {
				t.Fatal(err)
			}
			for budget := uint64(1); budget <= full.Insns+1; budget++ {
				m1, m2 := make([]byte, n), make([]byte, n)
				r1, e1 := vp.Run(&vm.Env{Mem: m1, Budget: budget})
				r2, e2 := jp.Run(&vm.Env{Mem: m2, Budget: budget})
				what := fmt.Sprintf("yield %d, %d bytes, budget %d", yield, n, budget)
				compare(t, what, r1, e1, r2, e2, m1, m2)
				if r1.Insns != r2.Insns {
					t.Fatalf("%s: %d instructions, want %d", what, r2.Insns, r1.Insns)
				}
			}
		}
		jp.Close()
	}
}

// A callback into any pc of a chain is charged the rest of the chain, and
// a budget too small for it runs out exactly (or the chain is left early
// and native code resumes).
func TestChainCallback(t *testing.T) {
	if !Supported() {
		t.Skip(ErrUnsupported)
	}
	forCallbackTargets(t, sieveCall, 2, 5, chainHelpers(), func(target int, vp *vm.Program) {
		jp, err := Compile(vp, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{0, 3, 11} {
			for budget := uint64(1); budget < 120; budget++ {
				m1, m2 := make([]byte, n), make([]byte, n)
				for i := range m1 {
					m1[i], m2[i] = byte(i%3), byte(i%3)
				}
				r1, e1 := vp.Run(&vm.Env{Mem: m1, Budget: budget})
				r2, e2 := jp.Run(&vm.Env{Mem: m2, Budget: budget})
				what := fmt.Sprintf("callback to pc %d, %d bytes, budget %d", target, n, budget)
				compare(t, what, r1, e1, r2, e2, m1, m2)
				if r1.Insns != r2.Insns {
					t.Fatalf("%s: %d instructions, want %d (%v)", what, r2.Insns, r1.Insns, e1)
				}
			}
		}
		jp.Close()
	})
}
