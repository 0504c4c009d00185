package jit

import "unsafe"

// hostArch is the GOARCH whose native code this build can run.
const hostArch = "arm64"

// enter runs native code at code on st until it returns to Go.
//
//go:noescape
func enter(code uintptr, st *state)

// flushCode makes freshly written code visible to instruction fetch.
func flushCode(b []byte) {
	if len(b) > 0 {
		p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
		flushICache(p, p+uintptr(len(b)))
	}
}

// flushICache cleans the data cache and invalidates the instruction cache
// over [start, end) (cacheflush_arm64.s).
func flushICache(start, end uintptr)
