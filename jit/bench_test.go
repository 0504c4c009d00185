package jit

import (
	"runtime"
	"testing"
	"time"

	"github.com/iovm/iovm/asm"
	"github.com/iovm/iovm/internal/benchprogs"
	"github.com/iovm/iovm/vm"
)

// timeRuns returns the mean time of one run of x on env over about d.
func timeRuns(x vm.Executable, env *vm.Env, d time.Duration) float64 {
	n := 1
	for {
		t0 := time.Now()
		for i := 0; i < n; i++ {
			x.Run(env)
		}
		el := time.Since(t0)
		if el >= d {
			return float64(el.Nanoseconds()) / float64(n)
		}
		n *= 2
	}
}

// BenchmarkPrograms runs the corpus on both engines. The jit sub-benchmarks
// report ns/insn and x-interp, the interpreter's time divided by the JIT's.
func BenchmarkPrograms(b *testing.B) {
	if !Supported() {
		b.Skip(ErrUnsupported)
	}
	for _, bp := range benchprogs.Programs {
		p, err := asm.Assemble(bp.Src)
		if err != nil {
			b.Fatal(err)
		}
		vp, err := vm.Load(p, nil)
		if err != nil {
			b.Fatal(err)
		}
		jp, err := Compile(vp, nil)
		if err != nil {
			b.Fatal(err)
		}
		env := &vm.Env{Mem: bp.Mem()}
		want, err := vp.Run(env)
		if err != nil {
			b.Fatal(err)
		}
		if bp.Want != 0 && want.R0 != bp.Want {
			b.Fatalf("%s: r0 = %d, want %d", bp.Name, want.R0, bp.Want)
		}
		if got, err := jp.Run(env); err != nil || got != want {
			b.Fatalf("%s: jit %+v %v, interp %+v", bp.Name, got, err, want)
		}
		for _, e := range []struct {
			name string
			x    vm.Executable
		}{{"interp", vp}, {"jit", jp}} {
			b.Run(bp.Name+"/"+e.name, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					e.x.Run(env)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(uint64(b.N)*want.Insns), "ns/insn")
				if e.name == "jit" {
					b.StopTimer()
					ti := timeRuns(vp, env, 100*time.Millisecond)
					b.ReportMetric(ti/(float64(b.Elapsed().Nanoseconds())/float64(b.N)), "x-interp")
				}
			})
		}
		jp.Close()
	}
}

// BenchmarkTrivial is the cost of one Run of a two-instruction program.
func BenchmarkTrivial(b *testing.B) {
	benchRuns(b, trivialProgram(b), &vm.Env{})
}

// trivialProgram compiles "mov r0, 1; exit", closed when b ends.
func trivialProgram(b *testing.B) *Program {
	if !Supported() {
		b.Skip(ErrUnsupported)
	}
	p, _ := asm.Assemble("mov %r0, 1\nexit")
	vp, _ := vm.Load(p, nil)
	jp, err := Compile(vp, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { jp.Close() })
	return jp
}

// BenchmarkHelperCall is the round trip of one helper call (exit to Go,
// call, re-entry), measured over a loop of 1000 calls.
func BenchmarkHelperCall(b *testing.B) {
	if !Supported() {
		b.Skip(ErrUnsupported)
	}
	p, _ := asm.Assemble("mov %r6, 1000\nloop:\ncall 2\nsub %r6, 1\njne %r6, 0, loop\nexit")
	vp, err := vm.Load(p, &vm.Options{Helpers: testHelpers()})
	if err != nil {
		b.Fatal(err)
	}
	jp, err := Compile(vp, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer jp.Close()
	env := &vm.Env{}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		jp.Run(env)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/call")
}

func TestTrivialAllocs(t *testing.T) {
	if !Supported() || testing.Short() || raceEnabled {
		t.Skip()
	}
	p, _ := asm.Assemble("mov %r0, 1\nexit")
	vp, _ := vm.Load(p, nil)
	jp, err := Compile(vp, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer jp.Close()
	env := &vm.Env{}
	jp.Run(env)
	if n := testing.AllocsPerRun(100, func() { jp.Run(env) }); n != 0 {
		t.Errorf("%v allocations per run", n)
	}
}

// BenchmarkTrivialRunner is BenchmarkTrivial on a Runner.
func BenchmarkTrivialRunner(b *testing.B) {
	benchRuns(b, trivialProgram(b).NewRunner(), &vm.Env{})
}

// benchRuns runs b.N runs of x on env and reports, besides wall time,
// cpu-ns/op: the CPU time of the thread per run, which a loaded machine
// disturbs less (coarse: use -benchtime of a second or more).
func benchRuns(b *testing.B, x interface {
	Run(*vm.Env) (vm.Result, error)
}, env *vm.Env) {
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
