package vm

import (
	"runtime"
	"testing"

	"github.com/iovm/iovm/asm"
	"github.com/iovm/iovm/internal/benchprogs"
)

func BenchmarkInterp(b *testing.B) {
	for _, bp := range benchprogs.Programs {
		b.Run(bp.Name, func(b *testing.B) {
			p, err := asm.Assemble(bp.Src)
			if err != nil {
				b.Fatal(err)
			}
			prog, err := Load(p, nil)
			if err != nil {
				b.Fatal(err)
			}
			env := &Env{Mem: bp.Mem()}
			res, err := prog.Run(env)
			if err != nil {
				b.Fatal(err)
			}
			if bp.Want != 0 && res.R0 != bp.Want {
				b.Fatalf("r0 = %d, want %d", res.R0, bp.Want)
			}
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			b.ResetTimer()
			cpu0, cpuOK := cpuTime()
			for i := 0; i < b.N; i++ {
				prog.Run(env)
			}
			cpu1, _ := cpuTime()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(uint64(b.N)*res.Insns), "ns/insn")
			if cpuOK {
				// CPU time of the thread: what a run costs when the machine
				// is shared (coarse: use -benchtime of a second or more).
				b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(uint64(b.N)*res.Insns), "cpu-ns/insn")
			}
			b.ReportMetric(float64(res.Insns), "insns/run")
		})
	}
}

func TestBenchProgramsAllocate0(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("allocation counts need the pool (no -race) and time (no -short)")
	}
	for _, bp := range benchprogs.Programs {
		p, err := asm.Assemble(bp.Src)
		if err != nil {
			t.Fatal(err)
		}
		prog, err := Load(p, nil)
		if err != nil {
			t.Fatal(err)
		}
		env := &Env{Mem: bp.Mem()}
		if _, err := prog.Run(env); err != nil {
			t.Fatalf("%s: %v", bp.Name, err)
		}
		if n := testing.AllocsPerRun(20, func() { prog.Run(env) }); n != 0 {
			t.Errorf("%s: %v allocations per run", bp.Name, n)
		}
	}
}

// BenchmarkTrivial is the fixed cost of one interpreter Run: a
// two-instruction program.
func BenchmarkTrivial(b *testing.B) {
	p, _ := asm.Assemble("mov %r0, 1\nexit")
	prog, err := Load(p, nil)
	if err != nil {
		b.Fatal(err)
	}
	benchRuns(b, prog, &Env{})
}

// BenchmarkTrivialRunner is BenchmarkTrivial on a Runner.
func BenchmarkTrivialRunner(b *testing.B) {
	p, _ := asm.Assemble("mov %r0, 1\nexit")
	prog, err := Load(p, nil)
	if err != nil {
		b.Fatal(err)
	}
	benchRuns(b, prog.NewRunner(), &Env{})
}

// benchRuns runs b.N runs of x on env and reports, besides wall time,
// cpu-ns/op: the CPU time of the thread per run, which a loaded machine
// disturbs less (coarse: use -benchtime of a second or more).
func benchRuns(b *testing.B, x interface{ Run(*Env) (Result, error) }, env *Env) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, ok := cpuTime()
	for i := 0; i < b.N; i++ {
		x.Run(env)
	}
	if cpu1, _ := cpuTime(); ok {
		b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
