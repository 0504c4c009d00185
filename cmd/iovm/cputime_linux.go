package main

import (
	"time"

	"golang.org/x/sys/unix"
)

// threadCPUTime returns the CPU time used by the calling thread (bench --cpu).
func threadCPUTime() (time.Duration, bool) {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) != nil {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
