package jit

// hostArch is the GOARCH whose native code this build can run.
const hostArch = "amd64"

// enter runs native code at code on st until it returns to Go.
//
//go:noescape
func enter(code uintptr, st *state)
