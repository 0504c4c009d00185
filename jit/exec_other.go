//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || windows)

package jit

func allocExec(code []byte) ([]byte, error) { return nil, ErrUnsupported }

func freeExec(b []byte) error { return nil }
