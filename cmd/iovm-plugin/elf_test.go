package main

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// minimalELF returns a relocatable EM_BPF object whose only section besides
// the string table is an executable section holding code, as the
// conformance runner's --elf mode produces.
func minimalELF(code []byte, secName string) []byte {
	le := binary.LittleEndian
	shstr := append([]byte("\x00.shstrtab\x00"), append([]byte(secName), 0)...)
	const ehsize, shentsize = 64, 64
	codeOff := ehsize
	strOff := codeOff + len(code)
	shOff := (strOff + len(shstr) + 7) &^ 7
	out := make([]byte, shOff+3*shentsize)
	copy(out, "\x7fELF")
	out[4], out[5], out[6] = 2, 1, 1 // 64-bit, little-endian, version 1
	le.PutUint16(out[16:], 1)        // ET_REL
	le.PutUint16(out[18:], 247)      // EM_BPF
	le.PutUint32(out[20:], 1)
	le.PutUint64(out[40:], uint64(shOff))
	le.PutUint16(out[52:], ehsize)
	le.PutUint16(out[58:], shentsize)
	le.PutUint16(out[60:], 3) // sections
	le.PutUint16(out[62:], 1) // .shstrtab index
	copy(out[codeOff:], code)
	copy(out[strOff:], shstr)
	sh := func(i int, name, typ uint32, flags uint64, off, size int, align uint64) {
		b := out[shOff+i*shentsize:]
		le.PutUint32(b[0:], name)
		le.PutUint32(b[4:], typ)
		le.PutUint64(b[8:], flags)
		le.PutUint64(b[24:], uint64(off))
		le.PutUint64(b[32:], uint64(size))
		le.PutUint64(b[48:], align)
	}
	sh(1, 1, 3, 0, strOff, len(shstr), 1)                            // .shstrtab
	sh(2, uint32(len(".shstrtab")+2), 1, 0x6, codeOff, len(code), 8) // PROGBITS, ALLOC|EXECINSTR
	return out
}

func TestPluginELF(t *testing.T) {
	// ldxb r0, [r1+1]; add r0, 1; exit
	code := []byte{
		0x71, 0x10, 0x01, 0x00, 0, 0, 0, 0,
		0x07, 0x00, 0x00, 0x00, 1, 0, 0, 0,
		0x95, 0, 0, 0, 0, 0, 0, 0,
	}
	for _, sec := range []string{".text", "prog"} {
		obj := minimalELF(code, sec)
		var out, errb bytes.Buffer
		code := run([]string{"10 29 30", "--engine", "interp", "--elf"}, strings.NewReader(hexPairs(obj)), &out, &errb)
		if code != 0 || out.String() != "2a\n" {
			t.Errorf("section %s: status %d output %q stderr %q", sec, code, out.String(), errb.String())
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"--elf"}, strings.NewReader("00 01 02 03"), &out, &errb); code != 1 || errb.Len() == 0 {
		t.Errorf("bad ELF: status %d stderr %q", code, errb.String())
	}
}
