package verifier

import (
	"fmt"
	"strings"
	"testing"

	"github.com/iovm/iovm/isa"
)

// bigProgram returns a program of about n slots made of blocks that a
// packet filter compiles to: length-checked input loads, diamonds, stack
// spills and fills, bounded arithmetic and a stack-buffer index.
func bigProgram(tb testing.TB, n int) isa.Program {
	var b strings.Builder
	b.WriteString("mov %r0, %r2\nstdw [%r10-64], 0\nstdw [%r10-56], 0\n")
	for i := 0; i*14 < n; i++ {
		off := i % 32
		fmt.Fprintf(&b, "jlt %%r2, %d, s%d\n", off+4, i)
		fmt.Fprintf(&b, "ldxw %%r4, [%%r1+%d]\n", off)
		fmt.Fprintf(&b, "add %%r0, %%r4\n")
		fmt.Fprintf(&b, "s%d:\n", i)
		fmt.Fprintf(&b, "stxdw [%%r10-%d], %%r0\n", 8*(i%6+1))
		fmt.Fprintf(&b, "ldxdw %%r5, [%%r10-%d]\n", 8*(i%6+1))
		fmt.Fprintf(&b, "and %%r5, 15\n")
		fmt.Fprintf(&b, "jgt %%r5, 9, t%d\n", i)
		fmt.Fprintf(&b, "mov %%r6, %%r10\nadd %%r6, -64\nadd %%r6, %%r5\nldxb %%r7, [%%r6+0]\n")
		fmt.Fprintf(&b, "xor %%r0, %%r7\n")
		fmt.Fprintf(&b, "t%d:\n", i)
		fmt.Fprintf(&b, "mul32 %%r0, 3\nrsh %%r0, 1\n")
	}
	b.WriteString("exit\n")
	p, err := AssembleForTest(b.String())
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// nestedLoops is three nested counting loops (8 x 8 x 8) whose body indexes
// a stack buffer with the counters.
const nestedLoops = `
stdw [%r10-64], 0
stdw [%r10-56], 0
stdw [%r10-48], 0
stdw [%r10-40], 0
stdw [%r10-32], 0
stdw [%r10-24], 0
stdw [%r10-16], 0
stdw [%r10-8], 0
mov %r0, 0
mov %r1, 0
l1:
mov %r2, 0
l2:
mov %r3, 0
l3:
mov %r4, %r1
lsh %r4, 3
add %r4, %r3
mov %r5, %r10
add %r5, -64
add %r5, %r4
ldxb %r6, [%r5+0]
add %r0, %r6
add %r3, 1
jlt %r3, 8, l3
add %r2, 1
jlt %r2, 8, l2
add %r1, 1
jlt %r1, 8, l1
exit
`

func TestBenchPrograms(t *testing.T) {
	p := bigProgram(t, 100000)
	f, err := Verify(p, &Config{Mode: Strict})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("big program: %d slots, %d instructions processed", len(p), f.Insns)
	q, _ := AssembleForTest(nestedLoops)
	f, err = Verify(q, &Config{Mode: Strict})
	if err != nil {
		t.Fatal(err)
	}
	if !f.LoopsBounded {
		t.Error("nested loops not proven bounded")
	}
	for pc := range q {
		if q[pc].Class() == isa.ClassLDX && !f.Access[pc].Proven {
			t.Errorf("nested loops: access at pc %d not proven", pc)
		}
	}
	t.Logf("nested loops: %d instructions processed", f.Insns)
}

func BenchmarkVerify100k(b *testing.B) {
	p := bigProgram(b, 100000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Verify(p, &Config{Mode: Strict}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(p)), "slots")
}

func BenchmarkVerify100kChecked(b *testing.B) {
	p := bigProgram(b, 100000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Verify(p, &Config{Mode: Checked}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNestedLoops(b *testing.B) {
	p, err := AssembleForTest(nestedLoops)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		if _, err := Verify(p, &Config{Mode: Strict}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnboundedLoopStrict(b *testing.B) {
	// Runs into the complexity limit: the cost of a rejection.
	p, _ := AssembleForTest("call 2\nmov %r1, %r0\nloop:\nsub %r1, 1\njne %r1, 0, loop\nmov %r0, 0\nexit")
	for i := 0; i < b.N; i++ {
		Verify(p, &Config{Mode: Strict, Helpers: SuiteHelpers, MaxInsns: 100000})
	}
}
