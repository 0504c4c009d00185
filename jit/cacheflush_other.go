//go:build !arm64

package jit

// flushCode is needed only where instruction caches are not coherent with
// data writes (arm64: see cacheflush_arm64.s).
func flushCode(b []byte) {}
