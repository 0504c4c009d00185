package jit_test

import (
	"encoding/binary"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

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
