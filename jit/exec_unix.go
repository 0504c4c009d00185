//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package jit

import "golang.org/x/sys/unix"

// allocExec copies code into fresh pages mapped read-write, then makes them
// read-execute: never writable and executable at once.
func allocExec(code []byte) ([]byte, error) {
	size := (len(code) + unix.Getpagesize() - 1) &^ (unix.Getpagesize() - 1)
	b, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		return nil, err
	}
	copy(b, code)
	if err := unix.Mprotect(b, unix.PROT_READ|unix.PROT_EXEC); err != nil {
		unix.Munmap(b)
		return nil, err
	}
	flushCode(b)
	return b, nil
}

func freeExec(b []byte) error { return unix.Munmap(b) }
