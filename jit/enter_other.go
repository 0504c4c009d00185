//go:build !amd64 && !arm64

package jit

// hostArch is empty where no trampoline exists: Compile returns
// ErrUnsupported, Generate still works.
const hostArch = ""

func enter(code uintptr, st *state) { panic("jit: no native code on this GOARCH") }
