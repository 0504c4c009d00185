package jit

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/iovm/iovm/asm"
	"github.com/iovm/iovm/isa"
	"github.com/iovm/iovm/vm"
)

// Loops for versioning (version.go). Their inputs start with 64-bit
// parameters (counts, offsets); the rest is data.
var versionSrcs = []struct {
	name, src string
	want      string     // the versioned loops (versionSummary)
	inputs    [][]uint64 // parameters; memory is 64 bytes
}{
	// sort's inner loop: a count-down jne (0 wraps), a pointer going
	// down, loaded then stored, an early exit on data.
	{"down", `ldxdw %r8, [%r1+0]
ldxdw %r7, [%r1+8]
add %r7, %r1
mov %r0, 0
loop:
ldxw %r4, [%r7-4]
jeq32 %r4, 0xdead, out
add %r0, %r4
stxw [%r7+0], %r0
add %r8, -1
add %r7, -4
jne %r8, 0, loop
out:
exit`, "4-10 r8+-1 jne 0 >>0 down len 7 pre 7: r7 step -4 [-4,4) rw",
		[][]uint64{{3, 32}, {8, 32}, {9, 32}, {0, 32}, {2, 64}, {1, 64}, {2, 60}, {5, 1000}, {20, 44}, {20, 44, 0xdead}, {1 << 40, 40}, {1, 4}, {2, 4}}},
	// The copy loop: jlt against an invariant register, a store through
	// the induction variable plus an invariant register; a start at or
	// above the limit runs once, one at 2^64-1 wraps to 0 at the test.
	{"up", `ldxdw %r3, [%r1+0]
ldxdw %r5, [%r1+8]
ldxdw %r0, [%r1+16]
mov %r6, %r1
add %r6, 24
loop:
mov %r4, %r6
add %r4, %r5
ldxb %r7, [%r6+0]
stxb [%r4+0], %r7
add %r6, 1
add %r0, 1
jlt %r0, %r3, loop
exit`, "5-11 r0+1 jlt r3 >>0 up len 7 pre 7: r6 step 1 [0,1) r; r6+r5 step 1 [0,1) w",
		[][]uint64{{10, 20, 0}, {10, 30, 0}, {11, 30, 0}, {5, 0, 7}, {5, 0, 1<<64 - 1}, {1<<63 + 5, 0, 0}, {10, 1<<64 - 30, 0}, {40, 0, 0}, {41, 0, 0}, {0, 5, 0}}},
	// A pointer that is also the counter, step 4 against a register:
	// an end the step misses never ends the loop.
	{"step", `ldxdw %r3, [%r1+0]
add %r3, %r1
mov %r6, %r1
add %r6, 16
mov %r0, 0
loop:
ldxw %r4, [%r6+0]
add %r0, %r4
add %r6, 4
jne %r6, %r3, loop
exit`, "5-8 r6+4 jne r3 >>2 up len 4 pre 4: r6 step 4 [0,4) r",
		[][]uint64{{64}, {62}, {68}, {16}, {20}, {1 << 62}}},
	// A while loop: the test at the top (operands swapped: continue
	// while r2 > r3), counting down after the access, a ja back.
	{"while", `ldxdw %r2, [%r1+0]
ldxdw %r3, [%r1+8]
mov %r6, %r1
add %r6, %r2
mov %r0, 0
top:
jge %r3, %r2, done
ldxb %r4, [%r6+15]
add %r0, %r4
sub %r2, 1
sub %r6, 1
ja top
done:
exit`, "5-10 r2+0 jgt r3 >>0 down len 6 pre 6: r6 step -1 [16,16) r",
		[][]uint64{{40, 0}, {48, 0}, {49, 0}, {10, 20}, {5, 1<<64 - 1}, {48, 47}, {1 << 40, 0}}},
	// The same continuing while r2 >= r3: a limit of 0 never ends it.
	{"whilege", `ldxdw %r2, [%r1+0]
ldxdw %r3, [%r1+8]
mov %r6, %r1
add %r6, %r2
mov %r0, 0
top:
jgt %r3, %r2, done
ldxb %r4, [%r6+15]
add %r0, %r4
sub %r2, 1
sub %r6, 1
ja top
done:
exit`, "5-10 r2+0 jge r3 >>0 down len 6 pre 6: r6 step -1 [16,16) r",
		[][]uint64{{40, 1}, {48, 1}, {3, 0}, {10, 20}, {10, 10}}},
	// A pointer into the stack: the entry frame ends the stack region.
	{"stack", `ldxdw %r3, [%r1+0]
mov %r6, %r10
add %r6, -64
mov %r0, 0
loop:
stxdw [%r6+0], %r3
ldxdw %r4, [%r6+0]
add %r0, %r4
add %r6, 8
sub %r3, 1
jne %r3, 0, loop
exit`, "4-9 r3+-1 jne 0 >>0 down len 6 pre 6: r6 step 8 [0,8) rw",
		[][]uint64{{8}, {9}, {0}, {1}, {100}}},
	// A pointer written on some paths only (compaction).
	{"cond", `ldxdw %r3, [%r1+0]
mov %r6, %r1
add %r6, 16
mov %r7, %r1
ldxdw %r8, [%r1+8]
add %r7, %r8
mov %r0, 0
loop:
ldxb %r4, [%r6+0]
jset %r4, 1, skip
stxb [%r7+0], %r4
add %r7, 1
skip:
add %r6, 1
add %r0, 1
jlt %r0, %r3, loop
exit`, "7-13 r0+1 jlt r3 >>0 up len 7 pre 7: r6 step 1 [0,1) r; r7 step 1 [0,1) w",
		[][]uint64{{16, 40}, {16, 60}, {48, 16}, {49, 16}, {16, 63}, {1, 64}}},
	// An invariant address and a counter of step 2 against jle.
	{"jle", `ldxdw %r3, [%r1+0]
ldxdw %r5, [%r1+8]
add %r5, %r1
mov %r2, 0
mov %r0, 0
loop:
ldxw %r4, [%r5+0]
add %r0, %r4
add %r2, 2
jle %r2, %r3, loop
exit`, "5-8 r2+2 jle r3 >>1 up len 4 pre 4: r5 step 0 [0,4) r",
		[][]uint64{{10, 8}, {10, 60}, {10, 61}, {1 << 63, 8}, {1<<63 - 1, 8}, {0, 8}}},
	{"sort", sortSrc, "10-16 r0+1 jlt r3 >>0 up len 7 pre 7: r6 step 4 [0,4) r; r6+r5 step 4 [0,4) w | " +
		"25-32 r8+-1 jne 0 >>0 down len 8 pre 8: r7 step -4 [-4,4) rw | 59-66 r2+1 jlt r3 >>0 up len 8 pre 8: r1 step 4 [0,4) r",
		nil},
}

// versionSummary describes the versioned loops of c.
func versionSummary(c *code) string {
	var s []string
	for _, v := range c.versions {
		g := v.g
		lim := fmt.Sprint(g.Limit.Imm)
		if !g.Limit.IsImm {
			lim = fmt.Sprintf("r%d", g.Limit.Reg)
		}
		dir := "up"
		if g.Down {
			dir = "down"
		}
		op := map[isa.JumpOp]string{isa.JumpJNE: "jne", isa.JumpJLT: "jlt", isa.JumpJLE: "jle", isa.JumpJGT: "jgt", isa.JumpJGE: "jge"}[g.Op]
		d := fmt.Sprintf("%d-%d r%d+%d %s %s >>%d %s len %d pre %d:", v.head, v.end, g.Count, g.Adj, op, lim, g.Shift, dir, g.IterLen, g.Prepay)
		for i, r := range g.Ranges {
			base := fmt.Sprintf("r%d", r.IV)
			switch {
			case r.HasIV && r.HasInv:
				base += fmt.Sprintf("+r%d", r.Inv)
			case !r.HasIV:
				base = fmt.Sprintf("r%d", r.Inv)
			}
			rw := map[[2]bool]string{{true, false}: "r", {false, true}: "w", {true, true}: "rw"}[[2]bool{r.Read, r.Write}]
			if i > 0 {
				d += ";"
			}
			d += fmt.Sprintf(" %s step %d [%d,%d) %s", base, r.Step, r.Lo, r.Hi, rw)
		}
		s = append(s, d)
	}
	return strings.Join(s, " | ")
}

// The analysis finds the loops, counters, trip tests and address ranges
// above (without versioning, no loop: the test fails).
func TestVersionAnalysis(t *testing.T) {
	for _, s := range versionSrcs {
		p, err := asm.Assemble(s.src)
		if err != nil {
			t.Fatal(err)
		}
		c, err := lower(&amd64Backend{}, p, nil, Config{StackSize: 512, MaxCallDepth: 8, Key: randKey})
		if err != nil {
			t.Fatal(err)
		}
		if got := versionSummary(c); got != s.want {
			t.Errorf("%s:\n got %s\nwant %s", s.name, got, s.want)
		}
	}
}

// Loops the analysis must leave alone.
func TestVersionRejects(t *testing.T) {
	for _, src := range []string{
		// The counter's step is a register.
		`mov %r0, 0
mov %r3, 1
loop:
ldxb %r4, [%r1+0]
add %r1, 1
add %r0, %r3
jlt %r0, %r2, loop
exit`,
		// A call in the loop.
		`mov %r6, 0
loop:
ldxb %r4, [%r1+0]
call 2
add %r6, 1
jlt %r6, 5, loop
exit`,
		// The limit changes in the loop.
		`mov %r0, 0
loop:
ldxb %r4, [%r1+0]
add %r1, 1
add %r0, 1
add %r2, -1
jlt %r0, %r2, loop
exit`,
		// A 32-bit test, and a signed one.
		`mov %r0, 0
loop:
ldxb %r4, [%r1+0]
add %r1, 1
add %r0, 1
jlt32 %r0, %r2, loop
exit`,
		`mov %r0, 0
loop:
ldxb %r4, [%r1+0]
add %r1, 1
add %r0, 1
jslt %r0, %r2, loop
exit`,
		// A count-up jgt, a count-down by 2 against jgt.
		`mov %r0, 0
loop:
ldxb %r4, [%r1+0]
add %r1, 1
add %r0, 1
jgt %r0, %r2, loop
exit`,
		`loop:
ldxb %r4, [%r1+0]
add %r1, 1
add %r2, -2
jgt %r2, 3, loop
exit`,
		// Another way into the loop.
		`mov %r0, 0
jeq %r2, 3, mid
loop:
ldxb %r4, [%r1+0]
mid:
add %r1, 1
add %r0, 1
jlt %r0, %r2, loop
exit`,
		// The counter's write is skipped on some iterations.
		`mov %r0, 0
loop:
ldxb %r4, [%r1+0]
add %r1, 1
jset %r4, 1, skip
add %r0, 1
skip:
jlt %r0, %r2, loop
exit`,
		// The test may be skipped: it does not bound the loop.
		`mov %r0, 0
loop:
ldxb %r4, [%r1+0]
add %r1, 1
add %r0, 1
jset %r4, 1, loop
jlt %r0, %r2, loop
exit`,
	} {
		p, err := asm.Assemble(src)
		if err != nil {
			t.Fatal(err)
		}
		c, err := lower(&amd64Backend{}, p, nil, Config{StackSize: 512, MaxCallDepth: 8, Key: randKey})
		if err != nil {
			t.Fatal(err)
		}
		if got := versionSummary(c); got != "" {
			t.Errorf("%s\nversioned: %s", src, got)
		}
	}
	// Blinding: the guard would hold the program's constants.
	c, err := lower(&amd64Backend{}, mustAssemble(t, sortSrc), nil, Config{StackSize: 512, MaxCallDepth: 8, Blind: true, Key: randKey})
	if err != nil {
		t.Fatal(err)
	}
	if got := versionSummary(c); got != "" {
		t.Errorf("blinded sort versioned: %s", got)
	}
}

// sweep compares the JIT with the interpreter (result, error, memory and
// instruction count) on vp for each yield quantum, each input
// (versionMem of its parameters), read-only or not, and each budget:
// every one up to dense, those within near of what the run needs and
// every every-th between, up to the need plus past, then limit, the
// budget of the full run.
type sweep struct {
	yields                          []uint64
	limit, dense, near, every, past uint64
}

func (sw sweep) run(t *testing.T, name string, vp *vm.Program, inputs [][]uint64) {
	t.Helper()
	for _, yield := range sw.yields {
		jp, err := Compile(vp, &Options{YieldEvery: yield})
		if err != nil {
			t.Fatal(err)
		}
		for _, params := range inputs {
			for _, ro := range []bool{false, true} {
				in := versionMem(params)
				full, _ := vp.Run(&vm.Env{Mem: append([]byte(nil), in...), MemReadOnly: ro, Budget: sw.limit})
				var budgets []uint64
				for b := uint64(1); b <= full.Insns+sw.past; b++ {
					if b <= sw.dense || b+sw.near >= full.Insns || b%sw.every == 0 {
						budgets = append(budgets, b)
					}
				}
				for _, budget := range append(budgets, sw.limit) {
					m1, m2 := append([]byte(nil), in...), append([]byte(nil), in...)
					r1, e1 := vp.Run(&vm.Env{Mem: m1, MemReadOnly: ro, Budget: budget})
					r2, e2 := jp.Run(&vm.Env{Mem: m2, MemReadOnly: ro, Budget: budget})
					what := fmt.Sprintf("%s: yield %d, params %#x, read-only %v, budget %d", name, yield, params, ro, budget)
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

// versionMem returns 64 bytes: the parameters, then data.
func versionMem(params []uint64) []byte {
	m := make([]byte, 64)
	for i := range m {
		m[i] = byte(i*7 + 3)
	}
	for i, v := range params {
		binary.LittleEndian.PutUint64(m[8*i:], v)
	}
	return m
}

// The versioned loops agree with the interpreter: result, fault (kind,
// pc, address), memory, instruction count; with read-only input (stores
// fail their guard), every small quantum (yields inside the copies), and
// every budget up to the run's (the copy whose charges cannot fail is
// taken only when the budget covers the loop).
func TestVersionRuns(t *testing.T) {
	if !Supported() {
		t.Skip(ErrUnsupported)
	}
	for _, s := range versionSrcs {
		if s.inputs == nil {
			continue // sort: TestChainBudgets
		}
		vp, err := vm.Load(mustAssemble(t, s.src), &vm.Options{Helpers: testHelpers()})
		if err != nil {
			t.Fatal(err)
		}
		// Small budgets run out before the loop, or in it (Go steps
		// what no charge covers); large ones leave more than a fault
		// needs.
		sweep{yields: []uint64{0, 1, 3, 7, 40}, limit: 3000, dense: 300, near: 50, every: 37, past: 60}.run(t, s.name, vp, s.inputs)
	}
}
