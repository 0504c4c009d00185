//go:build !linux

package main

import "time"

// threadCPUTime reports that there is no thread CPU clock (bench --cpu).
func threadCPUTime() (time.Duration, bool) { return 0, false }
