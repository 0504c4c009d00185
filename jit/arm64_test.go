package jit_test

import (
	"encoding/binary"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/iovm/iovm/asm"
	"github.com/iovm/iovm/conformance"
	"github.com/iovm/iovm/jit"
	"github.com/iovm/iovm/vm"
	"golang.org/x/arch/arm64/arm64asm"
)

// lseWord reports whether w is an LSE atomic (LDADD/LDCLR/LDEOR/LDSET/SWP
// or CAS, any size and ordering), which arm64asm does not decode.
func lseWord(w uint32) bool {
	return w&0x3f200c00 == 0x38200000 || w&0x3fa07c00 == 0x08a07c00
}

// TestArm64Generate compiles every conformance program for arm64 (on any
// host) in each code-generation mode and checks that every word decodes.
func TestArm64Generate(t *testing.T) {
	if testing.Short() && runtime.GOARCH == "arm64" {
		t.Skip("-short on arm64: the run tests execute this code")
	}
	paths, err := conformance.Collect([]string{"../conformance/testdata"})
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []struct {
		name       string
		lse, blind bool
		far        bool
	}{{"lse", true, false, false}, {"llsc", false, false, false}, {"blind-far", true, true, true}} {
		t.Run(mode.name, func(t *testing.T) {
			defer jit.SetArm64LSE(mode.lse)()
			if mode.far {
				defer jit.SetArm64Far(0)()
			}
			n := 0
			for i, path := range paths {
				if testing.Short() && i%8 != 0 {
					continue // under QEMU the run tests cover the rest
				}
				c, err := conformance.ParseFile(path)
				if err != nil || c.Skip != "" {
					continue
				}
				p, err := c.Program()
				if err != nil {
					continue
				}
				vp, err := vm.Load(p, conformance.Options())
				if err != nil {
					continue
				}
				name := strings.TrimSuffix(filepath.Base(path), ".data")
				l, err := jit.Generate(vp, "arm64", &jit.Options{Blind: mode.blind})
				if err != nil {
					t.Errorf("%s: %v", name, err)
					continue
				}
				if len(l.Code)%4 != 0 {
					t.Fatalf("%s: code size %d", name, len(l.Code))
				}
				for off := 0; off < len(l.Code); off += 4 {
					w := binary.LittleEndian.Uint32(l.Code[off:])
					if _, err := arm64asm.Decode(l.Code[off : off+4]); err != nil && !lseWord(w) {
						t.Errorf("%s: +%#x: %08x does not decode: %v", name, off, w, err)
						break
					}
				}
				n++
			}
			t.Logf("%d programs generated", n)
		})
	}
}

// TestArm64BlindingHidesConstants: with blinding, no 16-bit half of an
// immediate of the program appears in a move-wide or in any instruction
// word's immediate field; without it, they all do.
func TestArm64BlindingHidesConstants(t *testing.T) {
	p, err := asm.Assemble("mov %r0, 0x3c3c3c3c\nadd %r0, 0x5a5a5a5a\nlddw %r1, 0x7e7e7e7e7e7e1234\nxor %r0, %r1\njeq %r0, 0x6b6b6b6b, end\nstw [%r10-8], 0x4d4d4d4d\nend:\nexit")
	if err != nil {
		t.Fatal(err)
	}
	vp, err := vm.Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, blind := range []bool{false, true} {
		l, err := jit.Generate(vp, "arm64", &jit.Options{Blind: blind})
		if err != nil {
			t.Fatal(err)
		}
		found := map[uint16]bool{}
		for off := 0; off+4 <= len(l.Code); off += 4 {
			w := binary.LittleEndian.Uint32(l.Code[off:])
			if w&0x1f800000 == 0x12800000 { // MOVZ/MOVN/MOVK
				imm := uint16(w >> 5)
				if w>>29&3 == 0 {
					imm = ^imm // MOVN
				}
				found[imm] = true
			}
		}
		n := 0
		for _, c := range []uint16{0x3c3c, 0x5a5a, 0x7e7e, 0x6b6b, 0x4d4d} {
			if found[c] {
				n++
			}
		}
		if blind && n > 0 || !blind && n != 5 {
			t.Errorf("blind=%v: %d of 5 constants in the code", blind, n)
		}
	}
}
