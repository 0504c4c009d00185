//go:build linux

package vm

import (
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/iovm/iovm/asm"
	"github.com/iovm/iovm/internal/benchprogs"
)

// cpuTime returns the CPU time the calling thread has used (lock it to
// its OS thread); ok is false where it cannot be measured.
func cpuTime() (d time.Duration, ok bool) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_THREAD, &ru) != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}

// TestCPUTime measures the benchmark programs in CPU time of the thread
// (robust to a loaded machine, unlike wall time): IOVM_CPUTIME=N runs
// about N million instructions per measurement, best of 5.
func TestCPUTime(t *testing.T) {
	runs, _ := strconv.Atoi(os.Getenv("IOVM_CPUTIME"))
	if runs == 0 {
		t.Skip("set IOVM_CPUTIME=millions of instructions")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for _, bp := range benchprogs.Programs {
		p, _ := asm.Assemble(bp.Src)
		prog, err := Load(p, nil)
		if err != nil {
			t.Fatal(err)
		}
		env := &Env{Mem: bp.Mem()}
		res, _ := prog.Run(env)
		runs := int(uint64(runs) * 1e6 / res.Insns)
		best := time.Duration(1 << 62)
		for rep := 0; rep < 5; rep++ {
			start, _ := cpuTime()
			for i := 0; i < runs; i++ {
				prog.Run(env)
			}
			if end, _ := cpuTime(); end-start < best {
				best = end - start
			}
		}
		t.Logf("%-12s %6.3f ns/insn", bp.Name, float64(best.Nanoseconds())/float64(uint64(runs)*res.Insns))
	}
}
