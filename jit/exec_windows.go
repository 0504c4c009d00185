//go:build windows

package jit

import (
	"unsafe"

	"golang.org/x/sys/windows"
)

// allocExec copies code into fresh pages committed read-write, then makes
// them read-execute: never writable and executable at once.
func allocExec(code []byte) ([]byte, error) {
	size := uintptr(len(code)+4095) &^ 4095
	p, err := windows.VirtualAlloc(0, size, windows.MEM_COMMIT|windows.MEM_RESERVE, windows.PAGE_READWRITE)
	if err != nil {
		return nil, err
	}
	b := unsafe.Slice((*byte)(*(*unsafe.Pointer)(unsafe.Pointer(&p))), size)
	copy(b, code)
	var old uint32
	if err := windows.VirtualProtect(p, size, windows.PAGE_EXECUTE_READ, &old); err != nil {
		windows.VirtualFree(p, 0, windows.MEM_RELEASE)
		return nil, err
	}
	flushCode(b)
	return b, nil
}

func freeExec(b []byte) error {
	return windows.VirtualFree(uintptr(unsafe.Pointer(unsafe.SliceData(b))), 0, windows.MEM_RELEASE)
}
