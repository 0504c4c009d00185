//go:build !linux

package vm

import "time"

// cpuTime cannot measure the thread's CPU time here.
func cpuTime() (time.Duration, bool) { return 0, false }
