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
	// The count loop's versioned copies (version.go) charge as the
	// original; this test counts the original's charges.
	versionLoops = false
	defer func() { versionLoops = true }()
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

func chainHelpers() *vm.Helpers {
	hs := testHelpers()
	hs.Register(vm.Helper{ID: 12, Name: "enter", Fn: func(m *vm.Memory, pc, addr, n, _, _ uint64) (uint64, error) {
		return m.CallLocal(int(pc), addr, n, 0, 0, 0)
	}})
	return hs
}

// sideSrc has side entries that charge: the jump at pc 19 into join (a
// member paid for by pc 8) refunds what pc 18 paid (3) and charges
// join's rest (7); the fall-through from the helper call at pc 23 into
// tail (paid for by pcs 2 and 17) charges tail's rest (3) inline.
const sideSrc = `mov %r0, 0
mov %r3, 0
jeq %r2, 0, tail
loop:
mov %r4, %r1
add %r4, %r3
ldxb %r5, [%r4+0]
mov %r6, %r0
jset %r5, 1, odd
add %r6, %r5
jset %r5, 2, c
join:
xor %r6, 1
lsh %r6, 1
rsh %r6, 1
add %r6, %r3
mov %r0, %r6
latch:
add %r3, 1
jlt %r3, %r2, loop
ja tail
c:
add %r6, 7
jset %r5, 4, join
ja latch
odd:
sub %r6, %r5
stxb [%r4+0], %r6
call 2
tail:
add %r6, 1
mov %r0, %r6
ja end
end:
exit`

// sortSrc is bench/sort.o: the inner loop (pcs 25-32) is two blocks
// sharing an access group (ldxw at 25, stxw at 29), charged as one chain.
const sortSrc = `mov %r0, 0
jlt %r2, 8, l12
mov %r3, %r2
rsh %r3, 3
mov %r5, %r3
lsh %r5, 2
mov %r8, %r1
add %r8, %r5
mov %r0, 0
mov %r6, %r1
l2:
mov %r4, %r6
add %r4, %r5
ldxw %r7, [%r6+0]
stxw [%r4+0], %r7
add %r6, 4
add %r0, 1
jlt %r0, %r3, l2
stxdw [%r10-8], %r2
jlt %r2, 16, l7
mov %r5, %r3
lsh %r5, 2
add %r5, %r1
mov %r0, 1
add %r5, 4
ja l5
l6:
ldxw %r4, [%r7-4]
mov %r9, %r8
jle32 %r4, %r6, l11
add %r8, -1
stxw [%r7+0], %r4
mov %r9, 0
add %r7, -4
jne %r8, 0, l6
l11:
lsh %r9, 2
mov %r8, %r2
mov %r4, %r8
add %r4, %r9
stxw [%r4+0], %r6
add %r5, 4
add %r0, 1
jlt %r0, %r3, l5
ja l7
l5:
mov %r4, %r0
lsh %r4, 2
mov %r2, %r8
mov %r6, %r8
add %r6, %r4
ldxw %r6, [%r6+0]
mov %r7, %r5
mov %r8, %r0
ja l6
l7:
mov %r0, 0
ldxdw %r2, [%r10-8]
jlt %r2, 8, l12
mov %r2, %r3
lsh %r2, 2
add %r1, %r2
mov %r2, 0
mov %r4, 0
l9:
add %r2, 1
ldxw %r5, [%r1+0]
mov %r0, %r2
mul %r0, %r5
add %r0, %r4
add %r1, 4
mov %r4, %r0
jlt %r2, %r3, l9
l12:
exit`

// irreducibleSrc loops between B and A, each entered from outside (no
// header): the next blocks form a cycle, cut at B's fall-through into A,
// which then charges A's rest (8) inline. B is a group's span (pcs 7-8):
// its slow copy (a callback into pc 8) goes back through that charge.
const irreducibleSrc = `mov %r0, 0
mov %r3, 0
mov %r9, 0
jset %r2, 1, a
c:
add %r9, 1
jlt %r9, 3, c
ja b
b:
ldxb %r5, [%r1+0]
ldxb %r6, [%r1+1]
a:
add %r0, %r5
add %r0, %r6
add %r3, 1
jlt %r3, %r2, b
exit`

// copiesSrc has tail copies (layout.go) of a loop's header (a head: the
// copy charges) and of a member whose edges refund (ja c2) and enter a
// chain from the side.
const copiesSrc = `mov %r0, 0
mov %r3, 0
top:
add %r3, 1
jset %r3, 1, odd
add %r0, %r3
jset %r3, 4, c2
ja top
odd:
xor %r0, %r3
jlt %r3, %r2, top
exit
c1:
add %r0, 5
jeq %r3, 6, top
mov %r6, %r3
ja top
c2:
lsh %r0, 1
jset %r3, 8, c1
ja odd
`

// copyExitSrc has a tail copy (ja b) of a block whose fall-through
// leaves the loop and refunds what it paid for its jump's target.
const copyExitSrc = `mov %r0, 0
mov %r3, 0
h:
add %r3, 1
jset %r3, 1, b
add %r0, 3
ja b
b:
xor %r0, %r3
jlt %r3, %r2, x
exit
x:
add %r0, 1
ja h
`

// copyCycleSrc has an irreducible cycle (b, a) inside a loop, whose
// chained blocks are cut into chains; b is copied at a's ja.
const copyCycleSrc = `mov %r0, 0
mov %r3, 0
h:
add %r3, 1
jset %r3, 1, a
b:
add %r0, 1
jset %r0, 4, a
jlt %r3, %r2, h
exit
a:
add %r0, 2
jgt %r0, 30, h
ja b
`

// The side entries of sideSrc charge as their comment says, and sort's
// inner loop is one chain through its group.
func TestChainsSideEntries(t *testing.T) {
	p, err := asm.Assemble(sideSrc)
	if err != nil {
		t.Fatal(err)
	}
	c, err := lower(&amd64Backend{}, p, nil, Config{StackSize: 512, MaxCallDepth: 8, Key: randKey})
	if err != nil {
		t.Fatal(err)
	}
	charge := map[int]int{}
	for pc := range p {
		if c.block[pc] > 0 {
			charge[pc] = c.chain.charge[pc]
		}
	}
	want := map[int]int{0: 6, 3: 14, 8: 0, 10: 0, 15: 0, 17: 4, 18: 5, 20: 0, 21: 3, 24: 0, 27: 1}
	if fmt.Sprint(charge) != fmt.Sprint(want) {
		t.Errorf("charges %v, want %v", charge, want)
	}
	ins := decodeAll(t, c.bytes)
	imm := func(in x86asm.Inst, op x86asm.Op) int64 {
		if k, ok := in.Args[1].(x86asm.Imm); ok && in.Op == op && in.Args[0] == x86asm.R15 {
			return int64(k)
		}
		return -1
	}
	inline, tramp := false, false
	for i := 2; i < len(ins); i++ {
		// Inline before tail: sub r15, 3; jb; then tail's code.
		if ins[i].off == c.pcOff[24] && imm(ins[i-2].Inst, x86asm.SUB) == 3 && ins[i-1].Op == x86asm.JB {
			inline = true
		}
		// pc 19's stub: add r15, 3; sub r15, 7; jb; jmp to join.
		if ins[i].off > c.pcOff[len(p)] && imm(ins[i-2].Inst, x86asm.ADD) == 3 && imm(ins[i-1].Inst, x86asm.SUB) == 7 && ins[i].Op == x86asm.JB {
			tramp = true
		}
	}
	if !inline || !tramp {
		t.Errorf("side entries: inline charge before pc 24 %v, stub of pc 19 %v", inline, tramp)
	}

	p, err = asm.Assemble(sortSrc)
	if err != nil {
		t.Fatal(err)
	}
	vp, err := vm.Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err = lower(&amd64Backend{}, p, vp.Facts(), Config{StackSize: 512, MaxCallDepth: 8, Key: randKey})
	if err != nil {
		t.Fatal(err)
	}
	if c.chain.charge[25] != 8 || c.chain.charge[28] != 0 {
		t.Errorf("sort's inner loop charges %d at pc 25, %d at 28; want 8, 0", c.chain.charge[25], c.chain.charge[28])
	}

	p, err = asm.Assemble(irreducibleSrc)
	if err != nil {
		t.Fatal(err)
	}
	vp, err = vm.Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err = lower(&amd64Backend{}, p, vp.Facts(), Config{StackSize: 512, MaxCallDepth: 8, Key: randKey})
	if err != nil {
		t.Fatal(err)
	}
	if c.chain.charge[7] != 0 || c.chain.charge[9] != 0 || c.chain.next[7] != -1 || c.chain.next[9] != 7 || c.callOff[8] == c.pcOff[8] {
		t.Errorf("irreducible loop: charges %d, %d, next %d, %d, callback into pc 8 at %#x (main code %#x)",
			c.chain.charge[7], c.chain.charge[9], c.chain.next[7], c.chain.next[9], c.callOff[8], c.pcOff[8])
	}
}

// chainSrcs are programs whose chains have side entries, groups and
// early exits, with inputs that take their paths.
var chainSrcs = []struct {
	name, src string
	inputs    [][]byte
}{
	{"sieve", sieveSrc, [][]byte{{}, {1}, {0, 1}, {0, 1, 2}, mod3(10), mod3(11), mod3(30)}},
	{"side", sideSrc, [][]byte{{}, {0}, {2, 4, 6, 0, 2, 6}, {4, 6, 2, 0, 1}, {3}}},
	{"copies", copiesSrc, [][]byte{{}, {0}, mod3(2), mod3(5), mod3(8), mod3(9), mod3(17)}},
	{"copyexit", copyExitSrc, [][]byte{{}, {0}, mod3(2), mod3(3), mod3(6)}},
	{"copycycle", copyCycleSrc, [][]byte{{}, {0}, mod3(2), mod3(3), mod3(6), mod3(11)}},
	{"irreducible", irreducibleSrc, [][]byte{{}, {5}, {1, 2, 3}, {1, 2}, {3, 4, 5, 6}}},
	{"sort", sortSrc, [][]byte{make([]byte, 8), []byte("\x09\x00\x00\x00\x03\x00\x00\x00\x07\x00\x00\x00\x01\x00\x00\x00"),
		[]byte("\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x05\x00\x00\x00\x04\x00\x00\x00\x07\x00\x00\x00\x06\x00\x00\x00")}},
}

// mod3 returns n bytes i%3.
func mod3(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % 3)
	}
	return b
}

// Budgets ending at every instruction, with every small quantum (yields
// re-charge chains and side entries) and inputs whose loops leave chains
// early or enter them from the side: the jit runs out at the interpreter's
// pc, with its count, registers and memory.
func TestChainBudgets(t *testing.T) {
	if !Supported() {
		t.Skip(ErrUnsupported)
	}
	for _, s := range chainSrcs {
		p, err := asm.Assemble(s.src)
		if err != nil {
			t.Fatal(err)
		}
		vp, err := vm.Load(p, &vm.Options{Helpers: testHelpers()})
		if err != nil {
			t.Fatal(err)
		}
		for _, yield := range []uint64{0, 1, 2, 3, 4, 5, 7, 11} {
			jp, err := Compile(vp, &Options{YieldEvery: yield})
			if err != nil {
				t.Fatal(err)
			}
			for _, in := range s.inputs {
				full, _ := vp.Run(&vm.Env{Mem: append([]byte(nil), in...)}) // may fault
				for budget := uint64(1); budget <= full.Insns+1; budget++ {
					m1, m2 := append([]byte(nil), in...), append([]byte(nil), in...)
					r1, e1 := vp.Run(&vm.Env{Mem: m1, Budget: budget})
					r2, e2 := jp.Run(&vm.Env{Mem: m2, Budget: budget})
					what := fmt.Sprintf("%s: yield %d, input %x, budget %d", s.name, yield, in, budget)
					compare(t, what, r1, e1, r2, e2, m1, m2)
					if r1.Insns != r2.Insns {
						t.Fatalf("%s: %d instructions, want %d", what, r2.Insns, r1.Insns)
					}
				}
			}
			jp.Close()
		}
	}
}

// A callback into any pc of a chain is charged the rest of the chain, and
// a budget too small for it runs out exactly (or the chain is left early
// and native code resumes).
func TestChainCallback(t *testing.T) {
	if !Supported() {
		t.Skip(ErrUnsupported)
	}
	for _, s := range chainSrcs {
		src := "mov %r3, %r2\nmov %r2, %r1\nmov %r1, 0\ncall 12\nexit\n" + s.src
		forCallbackTargets(t, src, 2, 5, chainHelpers(), func(target int, vp *vm.Program) {
			jp, err := Compile(vp, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, in := range s.inputs[len(s.inputs)-2:] {
				for budget := uint64(1); budget < 120; budget++ {
					m1, m2 := append([]byte(nil), in...), append([]byte(nil), in...)
					r1, e1 := vp.Run(&vm.Env{Mem: m1, Budget: budget})
					r2, e2 := jp.Run(&vm.Env{Mem: m2, Budget: budget})
					what := fmt.Sprintf("%s: callback to pc %d, input %x, budget %d", s.name, target, in, budget)
					compare(t, what, r1, e1, r2, e2, m1, m2)
					if r1.Insns != r2.Insns {
						t.Fatalf("%s: %d instructions, want %d (%v)", what, r2.Insns, r1.Insns, e1)
					}
				}
			}
			jp.Close()
		})
	}
}
