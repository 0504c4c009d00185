//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || windows)

package jit

const execSupported = false
