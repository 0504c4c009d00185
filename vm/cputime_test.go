//go:build unix

package vm

import (
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/iovm/iovm/asm"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_THREAD, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
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
	for _, bp := range benchPrograms {
		p, _ := asm.Assemble(bp.src)
		prog, err := Load(p, nil)
		if err != nil {
			t.Fatal(err)
		}
		env := &Env{Mem: bp.mem()}
		res, _ := prog.Run(env)
		runs := int(uint64(runs) * 1e6 / res.Insns)
		best := time.Duration(1 << 62)
		for rep := 0; rep < 5; rep++ {
			start := cpuTime()
			for i := 0; i < runs; i++ {
				prog.Run(env)
			}
			if d := cpuTime() - start; d < best {
				best = d
			}
		}
		t.Logf("%-12s %6.3f ns/insn", bp.name, float64(best.Nanoseconds())/float64(uint64(runs)*res.Insns))
	}
}
