//go:build !linux

package jit

import "time"

// cpuTime cannot measure the thread's CPU time here.
func cpuTime() (time.Duration, bool) { return 0, false }
