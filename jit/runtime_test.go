package jit

import (
	"bytes"
	"fmt"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iovm/iovm/asm"
	"github.com/iovm/iovm/vm"
)

// loopProg sums the input bytes n times over, with stack traffic and a
// helper call per outer iteration, so it exercises memory, exits and yields.
const loopProg = `
	mov %r6, %r1
	mov %r7, %r2
	mov %r0, 0
	mov %r8, 2000
outer:
	mov %r3, 0
inner:
	mov %r4, %r6
	add %r4, %r3
	ldxb %r5, [%r4+0]
	add %r0, %r5
	stxdw [%r10-8], %r0
	ldxdw %r0, [%r10-8]
	add %r3, 1
	jlt %r3, %r7, inner
	mov %r9, %r0
	call 2
	mov %r0, %r9
	sub %r8, 1
	jne %r8, 0, outer
	exit
`

func compileLoop(t testing.TB) (*vm.Program, *Program) {
	t.Helper()
	if !Supported() {
		t.Skip(ErrUnsupported)
	}
	p, err := asm.Assemble(loopProg)
	if err != nil {
		t.Fatal(err)
	}
	vp, err := vm.Load(p, &vm.Options{Helpers: testHelpers()})
	if err != nil {
		t.Fatal(err)
	}
	jp, err := Compile(vp, &Options{YieldEvery: 1 << 12})
	if err != nil {
		t.Fatal(err)
	}
	return vp, jp
}

func loopMem() []byte {
	mem := make([]byte, 256)
	for i := range mem {
		mem[i] = byte(i * 7)
	}
	return mem
}

func runLoops(t *testing.T, jp *Program, want vm.Result, d time.Duration, workers int) int64 {
	var runs atomic.Int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				r, err := jp.Run(&vm.Env{Mem: loopMem()})
				if err != nil || r != want {
					t.Errorf("got %+v, %v; want %+v", r, err, want)
					return
				}
				runs.Add(1)
			}
		}()
	}
	wg.Wait()
	return runs.Load()
}

// TestGC runs native code while the collector runs and moves stacks.
func TestGC(t *testing.T) {
	vp, jp := compileLoop(t)
	defer jp.Close()
	want, err := vp.Run(&vm.Env{Mem: loopMem()})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var gcs atomic.Int64
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				runtime.GC()
				gcs.Add(1)
				_ = make([]byte, 1<<16) // garbage
			}
		}
	}()
	old := debug.SetGCPercent(1)
	n := runLoops(t, jp, want, 500*time.Millisecond, 2)
	debug.SetGCPercent(old)
	close(stop)
	t.Logf("%d runs, %d collections", n, gcs.Load())
}

// TestPreemption runs native code with more goroutines than Ps, so the
// scheduler sends preemption signals into native code.
func TestPreemption(t *testing.T) {
	vp, jp := compileLoop(t)
	defer jp.Close()
	want, _ := vp.Run(&vm.Env{Mem: loopMem()})
	stop := make(chan struct{})
	var spins atomic.Int64
	for i := 0; i < 2; i++ {
		go func() {
			for {
				select {
				case <-stop:
					return
				default:
					spins.Add(1)
				}
			}
		}()
	}
	n := runLoops(t, jp, want, 500*time.Millisecond, runtime.GOMAXPROCS(0)+1)
	close(stop)
	t.Logf("%d runs, %d spins", n, spins.Load())
}

// TestProfiling runs native code under the CPU profiler (SIGPROF lands in
// native code).
func TestProfiling(t *testing.T) {
	vp, jp := compileLoop(t)
	defer jp.Close()
	want, _ := vp.Run(&vm.Env{Mem: loopMem()})
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		t.Skip(err)
	}
	n := runLoops(t, jp, want, 500*time.Millisecond, 2)
	pprof.StopCPUProfile()
	t.Logf("%d runs, %d bytes of profile", n, buf.Len())
}

// TestYield checks that a long run does not hold stop-the-world pauses
// back: GC cycles complete while one long program runs, with short pauses.
func TestYield(t *testing.T) {
	if !Supported() {
		t.Skip(ErrUnsupported)
	}
	// A loaded machine may starve this goroutine while native code runs:
	// a longer run then gives the collector its chances. Without yields
	// the first cycle waits for the end of any run, so no length passes.
	for _, n := range []uint64{400000000, 1600000000, 6400000000} {
		cycles, worst := yieldRun(t, n)
		t.Logf("%d iterations: %d GC cycles completed during the run, longest pause %v", n, cycles, worst)
		if cycles >= 3 {
			return
		}
	}
	t.Errorf("fewer than 3 GC cycles completed while native code ran")
}

// yieldRun runs a loop of n iterations in native code and counts the GC
// cycles forced from this goroutine that completed during it (no timing
// is asserted: the machine may be loaded).
func yieldRun(t *testing.T, n uint64) (cycles int, worst time.Duration) {
	p, err := asm.Assemble(fmt.Sprintf("lddw %%r1, %d\nmov %%r0, 0\nloop:\nadd %%r0, 3\nsub %%r1, 1\njne %%r1, 0, loop\nexit", n))
	if err != nil {
		t.Fatal(err)
	}
	vp, err := vm.Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	jp, err := Compile(vp, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer jp.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		r, err := jp.Run(nil)
		if err != nil || r.R0 != 3*n {
			t.Errorf("got %+v, %v", r, err)
		}
	}()
	time.Sleep(20 * time.Millisecond)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	first := ms.NumGC
	for {
		select {
		case <-done:
			runtime.ReadMemStats(&ms)
			for k := first + 1; k <= ms.NumGC && k-first <= 256; k++ {
				worst = max(worst, time.Duration(ms.PauseNs[(k+255)%256]))
			}
			return cycles, worst
		default:
		}
		runtime.GC()
		select {
		case <-done:
		default:
			cycles++
		}
	}
}
