package jit

import (
	"encoding/binary"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/iovm/iovm/isa"
	"github.com/iovm/iovm/vm"
)

// Adversarial programs for loop versioning and unrolling: each probes an
// assumption of a guard (wrap-around, frame edges, aliases, exits between
// accesses, 32-bit counters) and must be versioned or unrolled, so that
// the comparison with the interpreter exercises the copies.
var adversarialSrcs = []struct {
	name, src       string
	version, unroll bool
	inputs          [][]uint64 // parameters (versionMem)
}{
	// An access through an invariant plus the induction variable (in
	// that order, through a copy), before and after its write, with a
	// step of 3 and a negative offset; the counter is another register.
	{"alias", `ldxdw %r8, [%r1+0]
ldxdw %r5, [%r1+8]
add %r5, %r1
ldxdw %r6, [%r1+16]
mov %r0, 0
loop:
mov %r4, %r5
add %r4, %r6
ldxb %r7, [%r4-1]
add %r0, %r7
add %r6, 3
mov %r4, %r5
add %r4, %r6
stxb [%r4-2], %r0
add %r8, -1
jne %r8, 0, loop
exit`, true, false, [][]uint64{{1, 24, 1}, {13, 24, 1}, {14, 24, 1}, {13, 24, 2}, {1, 24, 0}, {2, 64, 0}, {3, 0, 1<<64 - 2}, {3, 1<<64 - 8, 33}, {0, 24, 1}}},
	// A pointer counter against an end register: ends it misses, ends
	// below the start, ends at 2^63 and above.
	{"pointer end", `ldxdw %r3, [%r1+0]
add %r3, %r1
mov %r6, %r1
add %r6, 24
mov %r0, 0
loop:
ldxdw %r4, [%r6+0]
add %r0, %r4
add %r6, 8
jlt %r6, %r3, loop
exit`, true, false, [][]uint64{{64}, {63}, {65}, {60}, {24}, {8}, {0}, {1 << 63}, {1<<64 - 8}, {72}}},
	// An exit test in the middle: the store after it runs one iteration
	// fewer than the load before it; a second pointer moves on some
	// iterations only.
	{"mid exit", `ldxdw %r3, [%r1+0]
ldxdw %r7, [%r1+8]
add %r7, %r1
mov %r6, %r1
add %r6, 16
mov %r8, 0
mov %r0, 0
loop:
ldxb %r4, [%r6+0]
add %r8, 1
jge %r8, %r3, out
stxb [%r7+0], %r4
jset %r4, 1, skip
add %r7, 1
skip:
add %r6, 1
ja loop
out:
mov %r0, %r8
exit`, true, false, [][]uint64{{48, 16}, {49, 16}, {50, 16}, {48, 63}, {48, 64}, {2, 64}, {1, 64}, {0, 64}, {1 << 63, 16}, {5, 62}}},
	// The counter written after a test at the top that counts up by 4
	// (the ceiling of a distance the step does not divide).
	{"while up", `ldxdw %r2, [%r1+0]
ldxdw %r3, [%r1+8]
mov %r0, 0
top:
jge %r2, %r3, done
mov %r4, %r1
add %r4, %r2
ldxw %r5, [%r4+0]
add %r0, %r5
add %r2, 4
ja top
done:
exit`, true, false, [][]uint64{{16, 60}, {16, 61}, {16, 62}, {16, 64}, {17, 63}, {20, 16}, {1<<64 - 4, 8}, {16, 1<<63 - 1}}},
	// Stores through r10 plus a counter from -n up to 0: the bottom of
	// the entry frame and below it.
	{"frame edge", `ldxdw %r6, [%r1+0]
mov %r0, 0
loop:
mov %r4, %r10
add %r4, %r6
stxb [%r4+0], %r6
ldxb %r5, [%r4+0]
add %r0, %r5
add %r6, 1
jne %r6, 0, loop
exit`, true, false, [][]uint64{{1<<64 - 1}, {1<<64 - 512}, {1<<64 - 513}, {1<<64 - 600}, {1<<64 - 4096}, {1<<64 - 5000}, {0}, {1}}},
	// The same in a local function called at depth 1 and 2: the frame's
	// bottom is not the stack's.
	{"local frame", `ldxdw %r6, [%r1+0]
mov %r1, %r6
call local f
mov %r7, %r0
ldxdw %r1, [%r10-8]
mov %r1, %r6
call local g
add %r0, %r7
exit
g:
call local f
exit
f:
mov %r0, 0
mov %r6, %r1
loop:
mov %r4, %r10
add %r4, %r6
stxb [%r4+7], %r6
ldxb %r5, [%r4+7]
add %r0, %r5
add %r6, 1
jne %r6, 0, loop
exit`, true, false, [][]uint64{{1<<64 - 1}, {1<<64 - 500}, {1<<64 - 519}, {1<<64 - 520}, {1<<64 - 1100}, {1<<64 - 1600}, {1<<64 - 4100}}},
	// A count-down against a register limit with jge: limits 0, 1, and
	// above the start; the accesses go down from the end.
	{"down jge", `ldxdw %r2, [%r1+0]
ldxdw %r3, [%r1+8]
mov %r6, %r1
add %r6, 63
mov %r0, 0
loop:
ldxb %r4, [%r6+0]
add %r0, %r4
stxb [%r6+0], %r2
add %r6, -1
add %r2, -1
jge %r2, %r3, loop
exit`, true, false, [][]uint64{{40, 0}, {40, 1}, {46, 1}, {47, 1}, {47, 2}, {3, 5}, {1<<64 - 1, 1<<64 - 1}, {1<<64 - 1, 1<<64 - 3}}},
	// Addresses that wrap around 2^64: an invariant base far above the
	// input plus a counter far below.
	{"wrap", `ldxdw %r5, [%r1+0]
add %r5, %r1
ldxdw %r6, [%r1+8]
ldxdw %r8, [%r1+16]
mov %r0, 0
loop:
mov %r4, %r6
add %r4, %r5
ldxh %r7, [%r4+0]
add %r0, %r7
sub %r6, -2
sub %r8, 1
jne %r8, 0, loop
exit`, true, false, [][]uint64{{1 << 40, 1<<64 - 1<<40 + 24, 20}, {1 << 40, 1<<64 - 1<<40 + 24, 21}, {1<<64 - 8, 32, 20}, {1<<64 - 8, 32, 1 << 33}, {8, 1<<64 - 2, 4}, {8, 1<<64 - 10, 4}}},
	// A counter going up by 8 to a register limit near 2^64: it steps
	// over the limit and wraps (the guard needs the limit below 2^63);
	// with jle, a limit of 2^64-1 never ends the loop.
	{"top limit", `ldxdw %r2, [%r1+0]
ldxdw %r3, [%r1+8]
mov %r6, %r1
add %r6, 16
mov %r0, 0
loop:
ldxb %r4, [%r6+0]
add %r0, %r4
stxb [%r6+0], %r0
add %r6, 1
add %r2, 8
jlt %r2, %r3, loop
exit`, true, false, [][]uint64{{1<<64 - 10, 1<<64 - 1}, {1<<64 - 10, 1<<64 - 2}, {1<<64 - 10, 1 << 63}, {1<<63 - 20, 1<<63 + 5}, {0, 40}, {1<<63 - 1, 1<<63 - 1}}},
	{"top limit jle", `ldxdw %r2, [%r1+0]
ldxdw %r3, [%r1+8]
mov %r6, %r1
add %r6, 16
mov %r0, 0
loop:
ldxb %r4, [%r6+0]
add %r0, %r4
add %r6, 1
add %r2, 8
jle %r2, %r3, loop
exit`, true, false, [][]uint64{{1<<64 - 10, 1<<64 - 1}, {1<<64 - 10, 1<<64 - 3}, {0, 1<<63 - 1}, {0, 40}}},
	// The same against the immediate -1 (2^64-1).
	{"top limit imm", `ldxdw %r2, [%r1+0]
mov %r6, %r1
add %r6, 16
mov %r0, 0
loop:
ldxb %r4, [%r6+0]
add %r0, %r4
add %r6, 1
add %r2, 8
jlt %r2, -1, loop
exit`, false, false, [][]uint64{{1<<64 - 10}, {1<<64 - 9}, {1<<64 - 400}}},
	// Counters of step 3: up to a limit they miss (jne never ends),
	// down through 0 (jgt wraps).
	{"step 3 jne", `ldxdw %r2, [%r1+0]
ldxdw %r3, [%r1+8]
mov %r6, %r1
add %r6, 16
mov %r0, 0
loop:
ldxb %r4, [%r6+0]
add %r0, %r4
add %r6, 1
add %r2, 3
jne %r2, %r3, loop
exit`, false, false, [][]uint64{{0, 10}, {0, 9}, {0, 300}, {1, 1}}},
	{"step 3 jgt", `ldxdw %r2, [%r1+0]
mov %r6, %r1
add %r6, 16
mov %r0, 0
loop:
ldxb %r4, [%r6+0]
add %r0, %r4
add %r6, 1
sub %r2, 3
jgt %r2, 0, loop
exit`, false, false, [][]uint64{{2}, {3}, {47}, {200}}},
	// Loops the analysis must reject, each of whose copies would run
	// unchecked off the input: an inner loop advancing the pointer
	// input[8] times per iteration; a counter not advanced on some
	// iterations (odd bytes); an address adding two induction variables.
	{"inner loop", `ldxdw %r8, [%r1+0]
ldxdw %r9, [%r1+8]
mov %r6, %r1
add %r6, 16
mov %r0, 0
loop:
stxb [%r6+0], %r0
mov %r7, %r9
inner:
add %r6, 1
add %r7, -1
jne %r7, 0, inner
add %r8, -1
jne %r8, 0, loop
exit`, false, false, [][]uint64{{4, 4}, {4, 12}, {40, 1}, {48, 1}, {49, 1}, {20, 3}}},
	{"skipped count", `ldxdw %r2, [%r1+0]
mov %r6, %r1
add %r6, 16
mov %r0, 0
loop:
jge %r0, %r2, out
ldxb %r4, [%r6+0]
stxb [%r6+0], %r0
add %r6, 1
jset %r4, 1, skip
add %r0, 1
skip:
ja loop
out:
exit`, false, false, [][]uint64{{10}, {24}, {30}, {48}}},
	{"two ivs", `ldxdw %r2, [%r1+0]
mov %r7, %r1
add %r7, 16
mov %r6, 0
loop:
mov %r4, %r7
add %r4, %r6
stxb [%r4+0], %r2
add %r7, 1
add %r6, 3
add %r2, -1
jne %r2, 0, loop
exit`, false, false, [][]uint64{{4}, {12}, {13}, {30}}},
	// A test skipped on odd bytes: jne misses its limit.
	{"skipped test", `ldxdw %r2, [%r1+0]
mov %r6, %r1
add %r6, 16
mov %r0, 0
loop:
ldxb %r4, [%r6+0]
stxb [%r6+0], %r0
add %r6, 1
add %r0, 1
jset %r4, 1, loop
jne %r0, %r2, loop
exit`, false, false, [][]uint64{{3}, {4}, {10}, {47}, {48}}},
	// A helper in the loop that shrinks the input to input[8] bytes:
	// the guard's check would not hold after it.
	{"shrinking call", `ldxdw %r8, [%r1+0]
ldxdw %r7, [%r1+8]
mov %r6, %r1
add %r6, 16
loop:
stxb [%r6+0], %r8
mov %r1, %r7
call 20
add %r6, 1
add %r8, -1
jne %r8, 0, loop
exit`, false, false, [][]uint64{{30, 20}, {30, 64}, {30, 45}, {30, 46}, {30, 47}}},
	// A group of accesses through an invariant base that goes on after
	// the loop (checked once at its first member, in the loop).
	{"group after", `ldxdw %r8, [%r1+0]
ldxdw %r5, [%r1+8]
add %r5, %r1
ldxdw %r9, [%r1+16]
mov %r6, %r1
mov %r0, 0
loop:
ldxb %r4, [%r5+0]
stxb [%r6+24], %r4
add %r0, %r4
add %r6, 1
add %r8, -1
jne %r8, 0, loop
ldxb %r4, [%r5+40]
add %r0, %r4
exit`, false, false, [][]uint64{{4, 16}, {4, 23}, {4, 24}, {4, 60}, {40, 0}, {41, 0}}},
	// Two versioned loops back to back: the first's copies are emitted
	// where the second's guard starts, and fall into it.
	{"back to back", `ldxdw %r8, [%r1+0]
ldxdw %r7, [%r1+8]
mov %r6, %r1
add %r6, 16
mov %r0, 0
one:
ldxb %r4, [%r6+0]
add %r0, %r4
add %r6, 1
add %r8, -1
jne %r8, 0, one
two:
stxb [%r6+0], %r0
add %r6, -2
add %r7, -1
jne %r7, 0, two
exit`, true, false, [][]uint64{{8, 4}, {8, 5}, {8, 30}, {47, 20}, {48, 1}, {48, 2}, {2, 0}}},
	// Counted unrolled loops: a 32-bit counter crossing 2^32, limits
	// with the top bit set, a 64-bit jle with the limit 2^64-1.
	{"counted32 wrap", `ldxdw %r3, [%r1+0]
ldxdw %r2, [%r1+8]
mov %r0, 0
loop:
stxdw [%r10-8], %r3
ldxdw %r4, [%r10-8]
add %r0, %r4
add %r3, 3
jlt32 %r3, %r2, loop
exit`, false, true, [][]uint64{{1<<32 - 40, 7}, {1<<32 - 40, 1<<32 - 1}, {1<<32 - 40, 1<<32 - 2}, {0, 50}, {1<<31 - 30, 1 << 31}, {1<<32 + 5, 40}, {1<<64 - 30, 20}}},
	{"counted imm", `ldxdw %r3, [%r1+0]
mov %r0, 0
loop:
stxdw [%r10-16], %r3
ldxdw %r4, [%r10-16]
add %r0, %r4
add %r3, 5
jle32 %r3, 0xfffffff0, loop
exit`, false, true, [][]uint64{{1<<32 - 100}, {1<<32 - 16}, {1<<32 - 15}, {1<<32 - 17}, {1<<64 - 100}}},
	{"counted jle max", `ldxdw %r3, [%r1+0]
mov %r0, 0
loop:
stxdw [%r10-16], %r3
ldxdw %r4, [%r10-16]
add %r0, %r4
add %r3, 7
jle %r3, -1, loop
exit`, false, true, [][]uint64{{1<<64 - 100}, {1<<64 - 8}, {1<<64 - 7}, {1<<64 - 57}}},
}

// The adversarial loops agree with the interpreter (result, fault kind,
// pc and address, memory, instruction count) at every budget up to past
// the run's, for several yield quanta and read-only input.
func TestAdversarialLoops(t *testing.T) {
	if !Supported() {
		t.Skip(ErrUnsupported)
	}
	for _, s := range adversarialSrcs {
		hs := testHelpers()
		hs.Register(shrinkHelper(20))
		vp, err := vm.Load(mustAssemble(t, s.src), &vm.Options{Helpers: hs})
		if err != nil {
			t.Fatal(err)
		}
		c, err := generateVariant(vp, "amd64", nil, vp.Facts(), false)
		if err != nil {
			t.Fatal(err)
		}
		if s.version && len(c.versions) == 0 || s.unroll && len(c.unrolls) == 0 {
			t.Errorf("%s: versioned %d, unrolled %d", s.name, len(c.versions), len(c.unrolls))
		}
		sweep{yields: []uint64{0, 1, 3, 8, 41}, limit: 20000, dense: 200, near: 80, every: 29, past: 80}.run(t, s.name, vp, s.inputs)
	}
}

// A versioned loop after a helper that shrinks the input (the guard
// compares with the new length) and in a callback (the fact-free code,
// its registers from the helper), compared with the interpreter.
func TestAdversarialHelpers(t *testing.T) {
	if !Supported() {
		t.Skip(ErrUnsupported)
	}
	hs := testHelpers()
	hs.Register(shrinkHelper(20))
	hs.Register(loopHelper(10))
	const loop = `mov %r0, 0
loop:
ldxb %r4, [%r8+0]
add %r0, %r4
stxb [%r8+0], %r0
add %r8, 1
add %r7, -1
jne %r7, 0, loop
exit`
	shrink := mustAssemble(t, `mov %r6, %r1
ldxdw %r7, [%r6+8]
ldxdw %r8, [%r6+16]
ldxdw %r1, [%r6+0]
call 20
add %r8, %r6
`+loop)
	// f(i, p) runs the loop over p[8]+i bytes of the stack from its
	// r10-64 up (past its frame: the caller's, then the stack's end).
	// main calls f(0, input), then input[0] callbacks f(i, input).
	f := mustAssemble(t, `ldxdw %r7, [%r2+8]
add %r7, %r1
mov %r8, %r10
add %r8, -64
`+loop)
	callback := func(ctx ...isa.Instruction) isa.Program {
		main := isa.Program{}.Append(
			isa.Instruction{Opcode: 0xbf, Dst: 6, Src: 1},
			isa.Instruction{Opcode: 0xb7, Dst: 1, Imm: 0},
			isa.Instruction{Opcode: 0xbf, Dst: 2, Src: 6},
			isa.Instruction{Opcode: isa.OpCall, Src: isa.CallLocal, Imm: 8}, // f: 3+1+8
			isa.Instruction{Opcode: 0xbf, Dst: 7, Src: 0},
			isa.Instruction{Opcode: isa.OpLDDW, Dst: 2, Src: isa.LDDWCodeAddr, Imm: 6}, // f: 5+1+6
			isa.Instruction{Opcode: 0x79, Dst: 1, Src: 6},
		).Append(ctx...).Append(
			isa.Instruction{Opcode: isa.OpCall, Imm: 10},
			isa.Instruction{Opcode: 0x0f, Dst: 0, Src: 7},
			isa.Instruction{Opcode: isa.OpExit},
		)
		return append(main, f...)
	}
	cb := callback(isa.Instruction{Opcode: 0xbf, Dst: 3, Src: 6})
	opts := &vm.Options{Helpers: hs, ResolveLDDW: func(pc int, ins isa.Instruction) (uint64, error) {
		return uint64(pc + 1 + int(int32(ins.Imm))), nil
	}}
	for _, c := range []struct {
		name   string
		p      isa.Program
		inputs [][]uint64
	}{
		{"shrink", shrink, [][]uint64{{64, 40, 24}, {64, 41, 24}, {40, 16, 24}, {40, 17, 24}, {32, 16, 16}, {24, 1, 24}, {24, 0, 24}, {63, 39, 24}}},
		{"callback", cb, [][]uint64{{1, 40}, {3, 60}, {2, 64}, {2, 65}, {2, 600}, {1, 1500}, {4, 0}, {0, 5}}},
	} {
		vp, err := vm.Load(c.p, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, yield := range []uint64{0, 2, 7} {
			jp, err := Compile(vp, &Options{YieldEvery: yield})
			if err != nil {
				t.Fatal(err)
			}
			for _, params := range c.inputs {
				for _, ro := range []bool{false, true} {
					in := versionMem(params)
					full, _ := vp.Run(&vm.Env{Mem: append([]byte(nil), in...), MemReadOnly: ro, Budget: 20000})
					for budget := uint64(1); budget <= full.Insns+40; budget += 1 + budget/50 {
						for _, b := range []uint64{budget, 20000} {
							m1, m2 := append([]byte(nil), in...), append([]byte(nil), in...)
							r1, e1 := vp.Run(&vm.Env{Mem: m1, MemReadOnly: ro, Budget: b})
							r2, e2 := jp.Run(&vm.Env{Mem: m2, MemReadOnly: ro, Budget: b})
							what := fmt.Sprintf("%s: yield %d, params %v, read-only %v, budget %d", c.name, yield, params, ro, b)
							compare(t, what, r1, e1, r2, e2, m1, m2)
							if r1.Insns != r2.Insns {
								t.Fatalf("%s: %d instructions, want %d", what, r2.Insns, r1.Insns)
							}
						}
					}
				}
			}
			// Callbacks run the code without facts (amd64 versions).
			vc := jp.code
			if c.name == "callback" {
				vc = nil
				if cb := jp.cbProg.Load(); cb != nil {
					vc = cb.code
				}
			}
			if _, ok := backends[hostArch]().(Versioner); ok && (vc == nil || len(vc.versions) == 0) {
				t.Fatalf("%s: no loop versioned %v %s", c.name, vc == nil, versionSummary(jp.code))
			}
			jp.Close()
		}
	}
}

// genVersionLoop returns a random loop for versioning and inputs'
// parameters: the counter's start, the limit, the pointer's offset from
// its base (r1 or r10), the invariant.
func genVersionLoop(r *rand.Rand) (string, [][]uint64) {
	var b strings.Builder
	w := func(f string, a ...any) { fmt.Fprintf(&b, f+"\n", a...) }
	pick := func(xs ...string) string { return xs[r.Intn(len(xs))] }
	p := pick("%r6", "%r7")
	c := pick("%r2", "%r3", "%r8")
	samePtr := r.Intn(5) == 0
	if samePtr {
		c = p
	}
	// params: [0] counter start, [1] limit, [2] pointer start offset, [3] inv
	w("ldxdw %%r9, [%%r1+0]")
	base := pick("%r1", "%r1", "%r10")
	w("mov %s, %s", p, base)
	w("ldxdw %%r4, [%%r1+16]")
	w("add %s, %%r4", p)
	if !samePtr {
		w("mov %s, %%r9", c)
	}
	inv := r.Intn(3) == 0
	if inv {
		w("ldxdw %%r5, [%%r1+24]")
	}
	limReg := r.Intn(2) == 0
	lim := pick(fmt.Sprint(r.Intn(40)), "-1", "-8", "0x7fffffff", "0")
	if limReg {
		w("ldxdw %%r3, [%%r1+8]")
		if c == "%r3" {
			c = "%r2"
			w("mov %s, %%r9", c)
		}
		if samePtr || r.Intn(3) == 0 {
			w("add %%r3, %s", base)
		}
		lim = "%r3"
	}
	w("mov %%r0, 0")
	cstep := []int{1, 2, 4, 8, -1, -1, -2, -4, 1, -1, 3, -3}[r.Intn(12)]
	pstep := []int{1, 2, 3, 4, 8, -1, -2, -3, -4, -8, 0}[r.Intn(11)]
	if samePtr {
		pstep = cstep
	}
	op := pick("jne", "jlt", "jle", "jgt", "jge", "jne")
	negs := map[string]string{"jne": "jeq", "jlt": "jge", "jle": "jgt", "jgt": "jle", "jge": "jlt"}
	mid := r.Intn(2) == 0 // the test in the middle, a ja back
	// Items: accesses (a), the pointer's write (p), the counter's (c),
	// the test (t, if mid).
	items := []string{"a", "p"}
	if r.Intn(2) == 0 {
		items = append(items, "a")
	}
	if !samePtr {
		items = append(items, "c")
	}
	if mid {
		items = append(items, "t")
	}
	r.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
	w("loop:")
	skips := 0
	for _, it := range items {
		switch it {
		case "a":
			reg := p
			if inv {
				w("mov %%r4, %s", p)
				w("add %%r4, %%r5")
				reg = "%r4"
			}
			size := pick("b", "h", "w", "dw")
			off := r.Intn(24) - 12
			switch r.Intn(3) {
			case 0:
				w("ldx%s %%r4, [%s%+d]", size, reg, off)
				w("add %%r0, %%r4")
			case 1:
				w("stx%s [%s%+d], %%r0", size, reg, off)
			default:
				w("ldx%s %%r4, [%s%+d]", size, reg, off)
				w("add %%r4, 1")
				w("stx%s [%s%+d], %%r4", size, reg, off)
				w("add %%r0, %%r4")
			}
		case "p":
			cond := !samePtr && r.Intn(4) == 0
			if cond {
				w("jset %%r0, 1, skip%d", skips)
			}
			if r.Intn(2) == 0 {
				w("add %s, %d", p, pstep)
			} else {
				w("sub %s, %d", p, -pstep)
			}
			if cond {
				w("skip%d:", skips)
				skips++
			}
		case "c":
			w("add %s, %d", c, cstep)
		case "t":
			w("%s %s, %s, out", negs[op], c, lim)
		}
	}
	if mid {
		w("ja loop")
	} else {
		w("%s %s, %s, loop", op, c, lim)
	}
	w("out:")
	w("exit")
	var params [][]uint64
	for range 6 {
		cs := uint64(r.Intn(40))
		switch r.Intn(6) {
		case 0:
			cs = -uint64(r.Intn(40))
		case 1:
			cs = uint64(r.Int63()) << uint(r.Intn(2))
		}
		l := uint64(r.Intn(48))
		switch r.Intn(6) {
		case 0:
			l = -uint64(r.Intn(40))
		case 1:
			l = uint64(r.Int63()) << uint(r.Intn(2))
		case 2:
			l = 0
		}
		po := uint64(r.Intn(256))
		if base == "%r10" {
			po = -uint64(r.Intn(600))
		}
		if r.Intn(8) == 0 {
			po = uint64(r.Int63()) << uint(r.Intn(2))
		}
		iv := uint64(r.Intn(16)) - 8
		if r.Intn(6) == 0 {
			iv = uint64(r.Int63()) << uint(r.Intn(2))
		}
		params = append(params, []uint64{cs, l, po, iv})
	}
	return b.String(), params
}

// Random loops for versioning (tests at the top, in the middle or at the
// end, counters also pointers, register limits at or above 2^63, a
// pointer plus an invariant, pointers moved on some paths, steps that do
// not divide the distance, starts and limits that wrap) agree with the
// interpreter in both byte orders, with read-only input, yields and
// budgets in the loop.
func TestAdversarialVersionGen(t *testing.T) {
	if !Supported() {
		t.Skip(ErrUnsupported)
	}
	r := rand.New(rand.NewSource(genSeed))
	versioned := 0
	for i := 0; i < genCount; i++ {
		src, params := genVersionLoop(r)
		o := &vm.Options{Helpers: testHelpers()}
		if i%2 == 1 {
			o.Order = binary.BigEndian // Versioned accesses swap too
		}
		vp, err := vm.Load(mustAssemble(t, src), o)
		if err != nil {
			t.Fatalf("%v\n%s", err, src)
		}
		c, err := generateVariant(vp, "amd64", nil, vp.Facts(), false)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.versions) > 0 {
			versioned++
		}
		for _, yield := range []uint64{0, 3} {
			jp, err := Compile(vp, &Options{YieldEvery: yield})
			if err != nil {
				t.Fatal(err)
			}
			for _, ps := range params {
				for _, ro := range []bool{false, true} {
					in := append(versionMem(ps), make([]byte, 192)...)
					full, _ := vp.Run(&vm.Env{Mem: append([]byte(nil), in...), MemReadOnly: ro, Budget: 4000})
					budgets := []uint64{4000, full.Insns, full.Insns + 1, full.Insns - 1, uint64(r.Intn(int(full.Insns) + 20)), uint64(r.Intn(int(full.Insns) + 20))}
					for _, budget := range budgets {
						if budget == 0 {
							continue
						}
						m1, m2 := append([]byte(nil), in...), append([]byte(nil), in...)
						r1, e1 := vp.Run(&vm.Env{Mem: m1, MemReadOnly: ro, Budget: budget})
						r2, e2 := jp.Run(&vm.Env{Mem: m2, MemReadOnly: ro, Budget: budget})
						what := fmt.Sprintf("yield %d params %x ro %v budget %d versions %s\n%s", yield, ps, ro, budget, versionSummary(c), src)
						compare(t, what, r1, e1, r2, e2, m1, m2)
						if r1.Insns != r2.Insns {
							t.Fatalf("%s: %d instructions, want %d", what, r2.Insns, r1.Insns)
						}
					}
				}
			}
			jp.Close()
		}
	}
	if versioned < genCount/3 {
		t.Errorf("versioned %d of %d loops", versioned, genCount)
	}
}

// genCount and genSeed set the random loops the generators make:
// IOVM_ADV_N and IOVM_ADV_SEED override them for longer runs.
var genSeed, genCount = func() (int64, int) {
	n, _ := strconv.Atoi(os.Getenv("IOVM_ADV_N"))
	sd, _ := strconv.Atoi(os.Getenv("IOVM_ADV_SEED"))
	if n == 0 {
		n = 500
	}
	return int64(sd), n
}()

// genUnrollLoop returns a random loop for unrolling and inputs'
// parameters: the counter's start, the limit, a value stored.
func genUnrollLoop(r *rand.Rand) (string, [][]uint64) {
	var b strings.Builder
	w := func(f string, a ...any) { fmt.Fprintf(&b, f+"\n", a...) }
	pick := func(xs ...string) string { return xs[r.Intn(len(xs))] }
	iv := pick("%r3", "%r6")
	w("ldxdw %s, [%%r1+0]", iv)
	w("ldxdw %%r2, [%%r1+8]")
	w("ldxdw %%r7, [%%r1+16]")
	w("mov %%r0, 0")
	w("stxdw [%%r10-8], %%r7")
	w("stxdw [%%r10-16], %%r7")
	w("loop:")
	step := r.Intn(9) + 1
	if r.Intn(6) == 0 {
		step = -step
	}
	if r.Intn(8) == 0 {
		step = 1 << (20 + r.Intn(12))
	}
	items := []string{"s", "l", "iv"}
	for range r.Intn(3) {
		items = append(items, pick("s", "l", "x", "c", "m"))
	}
	r.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
	n := 0
	for _, it := range items {
		n++
		switch it {
		case "s":
			w("stx%s [%%r10%+d], %s", pick("dw", "w", "b"), -8*(1+r.Intn(2)), pick(iv, "%r0", "%r7"))
		case "l":
			w("ldx%s %%r4, [%%r10%+d]", pick("dw", "w", "h", "b"), -8*(1+r.Intn(2)))
			w("add %%r0, %%r4")
		case "iv":
			if r.Intn(2) == 0 {
				w("add %s, %d", iv, step)
			} else {
				w("sub %s, %d", iv, -step)
			}
		case "x": // an early exit
			w("%s %%r0, %d, out", pick("jeq", "jgt", "jset"), r.Intn(64))
		case "c": // a conditional block
			w("jset %%r0, %d, skip%d", 1<<r.Intn(3), n)
			w("add %%r0, 3")
			w("skip%d:", n)
		case "m": // writes the limit or the counter again, sometimes
			w("%s", pick("add %r2, 1", "add "+iv+", 1", "mov %r4, 7", "add32 "+iv+", 0"))
		}
	}
	lim := pick("%r2", "%r2", fmt.Sprint(r.Intn(100)), fmt.Sprint(-r.Intn(3)-1), "0x7ffffff0", "-16")
	w("%s %s, %s, loop", pick("jlt", "jle", "jlt32", "jle32", "jne", "jlt", "jle"), iv, lim)
	w("out:")
	w("exit")
	var params [][]uint64
	for range 5 {
		s := uint64(r.Intn(30))
		switch r.Intn(5) {
		case 0:
			s = -uint64(r.Intn(100))
		case 1:
			s = 1<<32 - uint64(r.Intn(100))
		case 2:
			s = 1<<31 - uint64(r.Intn(100))
		}
		l := uint64(r.Intn(80))
		switch r.Intn(5) {
		case 0:
			l = -uint64(r.Intn(100))
		case 1:
			l = 1<<32 - uint64(r.Intn(100))
		case 2:
			l = 1<<31 + uint64(r.Intn(100))
		}
		params = append(params, []uint64{s, l, uint64(r.Int63())})
	}
	return b.String(), params
}

// Random small loops over the stack, unrolled (counted: jlt, jle, in 32
// or 64 bits, against registers and immediates, counters near 2^31, 2^32
// and 2^64, large steps; or not: jne, limits or counters written again),
// with early exits and conditional blocks, agree with the interpreter at
// budgets that run out in the groups, with yields.
func TestAdversarialUnrollGen(t *testing.T) {
	if !Supported() {
		t.Skip(ErrUnsupported)
	}
	r := rand.New(rand.NewSource(genSeed))
	unrolled, counted := 0, 0
	for i := 0; i < genCount; i++ {
		src, params := genUnrollLoop(r)
		vp, err := vm.Load(mustAssemble(t, src), &vm.Options{Helpers: testHelpers()})
		if err != nil {
			t.Fatalf("%v\n%s", err, src)
		}
		c := lowerVariant(t, src, false)
		for _, u := range c.unrolls {
			unrolled++
			if u.counted {
				counted++
			}
		}
		for _, yield := range []uint64{0, 5} {
			jp, err := Compile(vp, &Options{YieldEvery: yield})
			if err != nil {
				t.Fatal(err)
			}
			for _, ps := range params {
				in := versionMem(ps)
				full, _ := vp.Run(&vm.Env{Mem: append([]byte(nil), in...), Budget: 3000})
				budgets := []uint64{3000, full.Insns, full.Insns + 1, full.Insns - 1}
				for range 6 {
					budgets = append(budgets, uint64(r.Intn(int(full.Insns)+60)))
				}
				for _, budget := range budgets {
					if budget == 0 {
						continue
					}
					m1, m2 := append([]byte(nil), in...), append([]byte(nil), in...)
					r1, e1 := vp.Run(&vm.Env{Mem: m1, Budget: budget})
					r2, e2 := jp.Run(&vm.Env{Mem: m2, Budget: budget})
					what := fmt.Sprintf("yield %d params %x budget %d\n%s", yield, ps, budget, src)
					compare(t, what, r1, e1, r2, e2, m1, m2)
					if r1.Insns != r2.Insns {
						t.Fatalf("%s: %d instructions, want %d", what, r2.Insns, r1.Insns)
					}
				}
			}
			jp.Close()
		}
	}
	if unrolled < genCount/2 || counted < genCount/8 {
		t.Errorf("unrolled %d (counted %d) of %d loops", unrolled, counted, genCount)
	}
}
