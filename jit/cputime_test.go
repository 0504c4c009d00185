//go:build linux

package jit

import (
	"syscall"
	"time"
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
