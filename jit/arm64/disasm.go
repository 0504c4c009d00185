package arm64

import (
	"encoding/binary"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/arch/arm64/arm64asm"
)

// relTarget matches the PC-relative operand arm64asm prints (".+0x10");
// it prints backward targets as huge forward ones.
var relTarget = regexp.MustCompile(`\.\+0x[0-9a-f]+`)

// Disasm returns the GNU-syntax text of the instruction at code[0:4],
// whose address is pc; PC-relative targets are shown as absolute
// addresses. It adds what arm64asm lacks: the LSE atomics and IC IVAU.
func Disasm(code []byte, pc uint64) string {
	if len(code) < 4 {
		return "?"
	}
	w := binary.LittleEndian.Uint32(code)
	if s, ok := disasmExtra(w); ok {
		return s
	}
	inst, err := arm64asm.Decode(code[:4])
	if err != nil {
		return fmt.Sprintf(".word %#08x", w)
	}
	return relTarget.ReplaceAllStringFunc(strings.TrimSpace(arm64asm.GNUSyntax(inst)), func(m string) string {
		v, err := strconv.ParseUint(m[4:], 16, 64)
		if err != nil {
			return m
		}
		return fmt.Sprintf("%#x", pc+v)
	})
}

func regName(n uint32, x bool) string {
	switch {
	case n == 31 && x:
		return "xzr"
	case n == 31:
		return "wzr"
	case x:
		return fmt.Sprintf("x%d", n)
	}
	return fmt.Sprintf("w%d", n)
}

func baseName(n uint32) string {
	if n == 31 {
		return "sp"
	}
	return fmt.Sprintf("x%d", n)
}

func disasmExtra(w uint32) (string, bool) {
	size := w >> 30
	rs, rn, rt := (w>>16)&31, (w>>5)&31, w&31
	sizeSuffix := [4]string{"b", "h", "", ""}[size]
	switch {
	case w&0x3f200c00 == 0x38200000: // LDADD..LDUMIN, SWP
		ord := [4]string{"", "l", "a", "al"}[(w>>22)&3]
		var op string
		if w&0x8000 != 0 {
			if (w>>12)&7 != 0 {
				return "", false
			}
			op = "swp"
		} else {
			op = [8]string{"ldadd", "ldclr", "ldeor", "ldset", "ldsmax", "ldsmin", "ldumax", "ldumin"}[(w>>12)&7]
		}
		return fmt.Sprintf("%s%s%s %s, %s, [%s]", op, ord, sizeSuffix, regName(rs, size == 3), regName(rt, size == 3), baseName(rn)), true
	case w&0x3fa07c00 == 0x08a07c00: // CAS
		l, o0 := (w>>22)&1, (w>>15)&1
		ord := [4]string{"", "l", "a", "al"}[l<<1|o0]
		return fmt.Sprintf("cas%s%s %s, %s, [%s]", ord, sizeSuffix, regName(rs, size == 3), regName(rt, size == 3), baseName(rn)), true
	case w&^31 == 0xd50b7520:
		return fmt.Sprintf("ic ivau, %s", regName(rt, true)), true
	}
	return "", false
}
