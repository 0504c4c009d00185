package jit

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/iovm/iovm/vm"
	"golang.org/x/arch/x86/x86asm"
)

// earlyExitSrc finds the first byte 7 of the input: a loop of two blocks
// (the load and the test that leaves, then the count) whose first block
// pays for the second, so the way out refunds it.
const earlyExitSrc = `mov %r0, 0
mov %r3, 0
jeq %r2, 0, out
loop:
mov %r4, %r1
add %r4, %r3
ldxb %r4, [%r4+0]
jeq %r4, 7, found
add %r0, %r4
add %r3, 1
jlt %r3, %r2, loop
out:
exit
found:
mov %r0, %r3
exit`

// countedSrc counts up by 2 with a 32-bit test (jle32) through a stack
// slot: one test per group behind a guard.
const countedSrc = `mov %r0, 0
mov %r3, 0
loop:
stxdw [%r10-8], %r3
ldxdw %r4, [%r10-8]
xor %r0, %r4
add %r3, 2
jle32 %r3, %r2, loop
exit`

// lowerVariant lowers src for amd64 with the verifier's facts, as the
// writable variant if writable.
func lowerVariant(t *testing.T, src string, writable bool) *code {
	t.Helper()
	vp, err := vm.Load(mustAssemble(t, src), &vm.Options{Helpers: testHelpers()})
	if err != nil {
		t.Fatal(err)
	}
	c, err := generateVariant(vp, "amd64", nil, vp.Facts(), writable)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The unrolled loops' code: one charge of k times the iteration's, k
// copies of the body (marker: an instruction each copy has once), one
// jump back to the group's head, and the refunds of the ways out (k-1-i
// iterations after copy i, all k when the charge fails). A counted loop
// tests once per group, behind a guard that goes to the original block.
// Loops with a checked access, an atomic, a legacy load, a call, or too
// many slots are not unrolled, nor loops with stores whose writability
// is chosen per run, but in the writable variant.
func TestUnrollShape(t *testing.T) {
	type loop struct {
		head, cost int
		counted    bool
		marker     string // an instruction each copy holds once
		exits      int    // conditional jumps per copy but the jump back
	}
	body := func(s string) string {
		return "mov %r0, 0\nmov %r3, 0\njeq %r2, 0, out\nloop:\n" + s + "add %r3, 1\njlt %r3, %r2, loop\nout:\nexit"
	}
	for _, tc := range []struct {
		name     string
		src      string
		writable bool
		want     []loop
	}{
		{"sieve", sieveSrc, false, []loop{{44, 6, true, "MOVZX R9L, [R12+R8]", 0}}},
		{"sieve writable", sieveSrc, true, []loop{{12, 11, true, "MOV [R12+R8], R9B", 1}, {24, 5, false, "MOV [R12+R10], R8B", 0}, {44, 6, true, "MOVZX R9L, [R12+R8]", 0}}},
		{"checksum", checksumSrc, false, []loop{{6, 13, false, "ROL BX, 0x8", 0}}},
		{"early exit", earlyExitSrc, false, []loop{{3, 7, true, "MOVZX", 1}}},
		{"counted", countedSrc, false, []loop{{2, 5, true, "XOR RBX", 0}}},
		{"early exit, not counted", strings.Replace(earlyExitSrc, "jeq %r4, 7, found", "jeq %r4, 7, found\nadd %r3, 0", 1), false, []loop{{3, 8, false, "MOVZX", 1}}},
		{"jset", "mov %r0, 0\nmov %r3, 1\nloop:\nadd %r0, %r3\nlsh %r3, 1\njset %r3, 0xff, loop\nexit", false, []loop{{2, 3, false, "SHL R8, 0x1", 0}}},
		{"checked", "mov %r0, 0\nmov %r3, 0\nloop:\nmov %r4, %r1\nadd %r4, %r3\nldxb %r4, [%r4+0]\nadd %r0, %r4\nadd %r3, 1\njlt %r3, %r2, loop\nexit", false, nil},
		{"atomic", body("stxdw [%r10-8], %r3\nlock add [%r10-8], %r3\n"), false, nil},
		{"legacy", body("ldabsb 0\n"), false, nil},
		{"helper", body("mov %r6, %r3\ncall 2\nmov %r3, %r6\n"), false, nil},
		{"local call", body("mov %r6, %r3\ncall local f\nmov %r3, %r6\n") + "\nf:\nexit", false, nil},
		{"large", body(strings.Repeat("add %r0, 1\n", unrollSlots-1)), false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := lowerVariant(t, tc.src, tc.writable)
			var heads []int
			for h := range c.unrolls {
				heads = append(heads, h)
			}
			sort.Ints(heads)
			var want []int
			for _, l := range tc.want {
				want = append(want, l.head)
			}
			if fmt.Sprint(heads) != fmt.Sprint(want) {
				t.Fatalf("unrolled loops at %v, want %v", heads, want)
			}
			for _, l := range tc.want {
				u := c.unrolls[l.head]
				if u.k != unrollCopies || u.cost != l.cost || u.counted != l.counted {
					t.Errorf("loop at %d: %d copies of %d instructions, counted %v; want %d, %d, %v", l.head, u.k, u.cost, u.counted, unrollCopies, l.cost, l.counted)
				}
				from, to := c.pcOff[l.head], c.unrolled[l.head]
				var subs, back, cond, markers int
				adds := map[int]int{}
				for _, d := range decodeAll(t, c.bytes[from:to]) {
					d.off += from
					imm, _ := d.Args[1].(x86asm.Imm)
					switch {
					case d.Op == x86asm.SUB && d.Args[0] == x86asm.R15:
						subs++
						if int(imm) != u.k*u.cost {
							t.Errorf("loop at %d: %v, want a charge of %d", l.head, d.Inst, u.k*u.cost)
						}
					case d.Op == x86asm.ADD && d.Args[0] == x86asm.R15:
						adds[int(imm)]++
					case strings.HasPrefix(d.String(), l.marker):
						markers++
					}
					if _, ok := d.Args[0].(x86asm.Rel); ok && relTarget(d) == from {
						back++
					}
					if _, ok := d.Args[0].(x86asm.Rel); ok && d.Op != x86asm.JMP {
						cond++
					}
				}
				if subs != 1 || back != 1 || markers != u.k {
					t.Errorf("loop at %d: %d charges, %d jumps back to the head, %d copies; want 1, 1, %d", l.head, subs, back, markers, u.k)
				}
				if adds[u.k*u.cost] == 0 {
					t.Errorf("loop at %d: no refund of %d for a failed charge (%v)", l.head, u.k*u.cost, adds)
				}
				if l.counted {
					// The charge's jb, the guard's jb and jae, the jump
					// back, the ways out.
					if cond != 4+l.exits*u.k || l.exits == 0 && len(adds) != 1 {
						t.Errorf("loop at %d: %d conditional jumps, refunds %v; want %d, and the failed charge's", l.head, cond, adds, 4+l.exits*u.k)
					}
					continue
				}
				if cond != 1+(1+l.exits)*u.k {
					t.Errorf("loop at %d: %d conditional jumps, want %d", l.head, cond, 1+(1+l.exits)*u.k)
				}
				for i := 0; i < u.k-1; i++ {
					if adds[(u.k-1-i)*u.cost] == 0 {
						t.Errorf("loop at %d: no refund of %d after copy %d (%v)", l.head, (u.k-1-i)*u.cost, i, adds)
					}
				}
			}
		})
	}
}

// Budgets ending at every instruction and larger, with every small
// quantum (yields land between groups and in the original blocks), on
// inputs whose loops end after every copy of a group: the JIT runs out
// at the interpreter's pc, with its count, registers and memory, or ends
// as it does.
func TestUnrollBudgets(t *testing.T) {
	if !Supported() {
		t.Skip(ErrUnsupported)
	}
	bytes := func(n int, at int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i%5 + 1)
		}
		if at >= 0 {
			b[at] = 7
		}
		return b
	}
	var sums [][]byte
	for n := 0; n <= 2*unrollCopies+3; n++ {
		sums = append(sums, bytes(n, -1))
	}
	var early [][]byte
	for at := 0; at < 2*unrollCopies+2; at++ {
		early = append(early, bytes(2*unrollCopies+2, at))
	}
	for _, s := range []struct {
		name, src string
		inputs    [][]byte
	}{
		{"sieve", sieveSrc, [][]byte{{}, {1}, {0, 1, 2}, mod3(10), mod3(17), mod3(30), mod3(41)}},
		{"checksum", checksumSrc, sums},
		{"early exit", earlyExitSrc, append(early, sums...)},
		{"counted", countedSrc, sums},
		{"early exit, not counted", strings.Replace(earlyExitSrc, "jeq %r4, 7, found", "jeq %r4, 7, found\nadd %r3, 0", 1), append(early, sums...)},
	} {
		vp, err := vm.Load(mustAssemble(t, s.src), nil)
		if err != nil {
			t.Fatal(err)
		}
		if c := lowerVariant(t, s.src, true); len(c.unrolls) == 0 {
			t.Fatalf("%s: no loop unrolled", s.name)
		}
		for _, yield := range []uint64{0, 1, 2, 3, 4, 5, 7, 11, 13, 48, 49} {
			jp, err := Compile(vp, &Options{YieldEvery: yield})
			if err != nil {
				t.Fatal(err)
			}
			for _, in := range s.inputs {
				full, _ := vp.Run(&vm.Env{Mem: append([]byte(nil), in...)})
				// Up to a group's charge beyond the need: groups then run
				// to the loops' ends.
				for budget := uint64(1); budget <= full.Insns+unrollCopies*unrollSlots; budget++ {
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
			_, unrolls := backends[hostArch]().(unroller)
			if rw := jp.rwProg.Load(); unrolls && s.name == "sieve" && (rw == nil || len(rw.code.unrolls) != 3) {
				t.Errorf("sieve: the runs did not use the writable variant with 3 unrolled loops")
			}
			jp.Close()
		}
	}
}
