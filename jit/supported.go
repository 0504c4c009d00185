//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly || windows

package jit

// execSupported: this OS can map executable memory.
const execSupported = true
