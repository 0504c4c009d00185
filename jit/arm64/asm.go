// Package arm64 is an AArch64 instruction encoder for the iovm JIT.
//
// It covers what an eBPF backend needs: integer arithmetic and logic (with
// the bitmask-immediate encoding), shifts, moves of wide constants,
// compares and conditional selects, branches with labels, loads and stores
// of every size, byte reversal and extension, exclusive and LSE atomics,
// barriers and the cache-maintenance instructions. Each method appends one
// instruction (except where documented) to an Assembler; branches to a
// Label are patched when the label is bound. Code is always little-endian,
// whatever the data byte order of the CPU.
//
// Encodings follow the Arm Architecture Reference Manual (DDI 0487); the
// tests decode every form with golang.org/x/arch/arm64/arm64asm.
package arm64

import (
	"encoding/binary"
	"fmt"
)

// Reg is a general-purpose register number, 0..31. Register 31 is the zero
// register or the stack pointer depending on the instruction, as in the
// architecture; ZR and SP name the two readings.
type Reg uint8

// Registers.
const (
	R0 Reg = iota
	R1
	R2
	R3
	R4
	R5
	R6
	R7
	R8
	R9
	R10
	R11
	R12
	R13
	R14
	R15
	R16
	R17
	R18
	R19
	R20
	R21
	R22
	R23
	R24
	R25
	R26
	R27
	R28
	R29
	R30
	ZR Reg = 31 // zero register (in most operand positions)
	SP Reg = 31 // stack pointer (in base-register and ADD/SUB immediate positions)
	FP     = R29
	LR     = R30
)

// Size is the operand width of an instruction: W (32-bit) or X (64-bit).
type Size uint8

// Operand widths.
const (
	W Size = 0 // 32-bit: writes zero the upper half of the register
	X Size = 1 // 64-bit
)

func (s Size) sf() uint32 { return uint32(s&1) << 31 }

// Cond is a condition code for B.cond, CSEL and friends.
type Cond uint8

// Condition codes.
const (
	EQ Cond = iota // equal
	NE             // not equal
	HS             // unsigned higher or same (carry set)
	LO             // unsigned lower (carry clear)
	MI             // negative
	PL             // positive or zero
	VS             // overflow
	VC             // no overflow
	HI             // unsigned higher
	LS             // unsigned lower or same
	GE             // signed greater or equal
	LT             // signed less than
	GT             // signed greater than
	LE             // signed less or equal
	AL             // always
	NV             // always (reserved encoding)
)

// Invert returns the opposite condition.
func (c Cond) Invert() Cond { return c ^ 1 }

// Shift is the shift applied to the second register operand.
type Shift uint8

// Shift kinds.
const (
	LSL Shift = iota
	LSR
	ASR
	ROR
)

// Width is the size of a memory access in bytes: 1, 2, 4 or 8.
type Width uint8

// Label is a position in the code, bound once with Bind. Branches may refer
// to it before or after it is bound.
type Label int32

type fixKind uint8

const (
	fixB26     fixKind = iota // B, BL
	fixB19                    // B.cond, CBZ, CBNZ, LDR literal
	fixB14                    // TBZ, TBNZ
	fixADR21                  // ADR
	fixDelta32                // MOVZ+MOVK pair: byte distance from the instruction before
)

type fixup struct {
	at    int // instruction index
	label Label
	kind  fixKind
}

// Assembler accumulates instructions. The zero value is ready to use.
// Encoding errors (an operand out of range) are sticky and reported by Err
// and Finish, so emission code need not check each call.
type Assembler struct {
	code   []uint32
	labels []int // instruction index, -1 while unbound
	fixups []fixup
	err    error
}

// Err returns the first encoding error, if any.
func (a *Assembler) Err() error { return a.err }

func (a *Assembler) fail(format string, args ...any) {
	if a.err == nil {
		a.err = fmt.Errorf("arm64: "+format, args...)
	}
}

// Emit appends a raw instruction word.
func (a *Assembler) Emit(w uint32) { a.code = append(a.code, w) }

// Len returns the number of instructions emitted so far.
func (a *Assembler) Len() int { return len(a.code) }

// PC returns the byte offset of the next instruction.
func (a *Assembler) PC() int { return 4 * len(a.code) }

// Word returns the instruction at index i.
func (a *Assembler) Word(i int) uint32 { return a.code[i] }

// SetWord replaces the instruction at index i (for patching).
func (a *Assembler) SetWord(i int, w uint32) { a.code[i] = w }

// Reset empties the assembler, keeping its buffers.
func (a *Assembler) Reset() {
	a.code = a.code[:0]
	a.labels = a.labels[:0]
	a.fixups = a.fixups[:0]
	a.err = nil
}

// NewLabel returns a fresh unbound label.
func (a *Assembler) NewLabel() Label {
	a.labels = append(a.labels, -1)
	return Label(len(a.labels) - 1)
}

// Bind binds l to the next instruction.
func (a *Assembler) Bind(l Label) {
	if a.labels[l] >= 0 {
		a.fail("label %d bound twice", l)
		return
	}
	a.labels[l] = len(a.code)
}

// Bound reports whether l is bound, and where (byte offset).
func (a *Assembler) Bound(l Label) (int, bool) {
	i := a.labels[l]
	return 4 * i, i >= 0
}

// Finish resolves branches to labels and returns the code as bytes
// (little-endian, as AArch64 fetches instructions).
func (a *Assembler) Finish() ([]byte, error) {
	if err := a.Resolve(); err != nil {
		return nil, err
	}
	out := make([]byte, 4*len(a.code))
	for i, w := range a.code {
		binary.LittleEndian.PutUint32(out[4*i:], w)
	}
	return out, nil
}

// Resolve patches every branch to a label; all labels used must be bound.
func (a *Assembler) Resolve() error {
	if a.err != nil {
		return a.err
	}
	for _, f := range a.fixups {
		t := a.labels[f.label]
		if t < 0 {
			a.fail("label %d used but not bound", f.label)
			return a.err
		}
		d := int64(t - f.at) // in instructions
		w := a.code[f.at]
		switch f.kind {
		case fixB26:
			if !fits(d, 26) {
				a.fail("branch out of range (%d instructions)", d)
				return a.err
			}
			w = w&^0x3ffffff | uint32(d)&0x3ffffff
		case fixB19:
			if !fits(d, 19) {
				a.fail("conditional branch out of range (%d instructions)", d)
				return a.err
			}
			w = w&^(0x7ffff<<5) | (uint32(d)&0x7ffff)<<5
		case fixB14:
			if !fits(d, 14) {
				a.fail("test branch out of range (%d instructions)", d)
				return a.err
			}
			w = w&^(0x3fff<<5) | (uint32(d)&0x3fff)<<5
		case fixDelta32:
			b := (d + 1) * 4 // from the ADR before the MOVZ
			if !fits(b, 32) {
				a.fail("far adr out of range (%d bytes)", b)
				return a.err
			}
			w = w&^(0xffff<<5) | (uint32(b)&0xffff)<<5
			w2 := a.code[f.at+1]
			a.code[f.at+1] = w2&^(0xffff<<5) | (uint32(b)>>16&0xffff)<<5
		case fixADR21:
			b := d * 4
			if !fits(b, 21) {
				a.fail("adr out of range (%d bytes)", b)
				return a.err
			}
			w = w&^(3<<29|0x7ffff<<5) | (uint32(b)&3)<<29 | (uint32(b>>2)&0x7ffff)<<5
		}
		a.code[f.at] = w
	}
	a.fixups = a.fixups[:0]
	return nil
}

func fits(v int64, bits uint) bool {
	return v >= -(1<<(bits-1)) && v < 1<<(bits-1)
}

func (a *Assembler) ref(l Label, k fixKind) {
	if int(l) < 0 || int(l) >= len(a.labels) {
		a.fail("unknown label %d", l)
		return
	}
	a.fixups = append(a.fixups, fixup{at: len(a.code), label: l, kind: k})
}

func rr(r Reg) uint32 { return uint32(r & 31) }

// --- Add/subtract ---

func (a *Assembler) addsubImm(base uint32, sz Size, rd, rn Reg, imm uint32) {
	switch {
	case imm < 1<<12:
		a.Emit(base | sz.sf() | imm<<10 | rr(rn)<<5 | rr(rd))
	case imm&0xfff == 0 && imm < 1<<24:
		a.Emit(base | sz.sf() | 1<<22 | (imm>>12)<<10 | rr(rn)<<5 | rr(rd))
	default:
		a.fail("add/sub immediate %#x not encodable", imm)
	}
}

// ImmAddSub reports whether imm fits an ADD/SUB immediate (12 bits,
// optionally shifted left by 12).
func ImmAddSub(imm uint64) bool {
	return imm < 1<<12 || imm&0xfff == 0 && imm < 1<<24
}

// ADDImm emits ADD rd, rn, #imm (rd and rn may be SP).
func (a *Assembler) ADDImm(sz Size, rd, rn Reg, imm uint32) { a.addsubImm(0x11000000, sz, rd, rn, imm) }

// ADDSImm emits ADDS rd, rn, #imm.
func (a *Assembler) ADDSImm(sz Size, rd, rn Reg, imm uint32) {
	a.addsubImm(0x31000000, sz, rd, rn, imm)
}

// SUBImm emits SUB rd, rn, #imm (rd and rn may be SP).
func (a *Assembler) SUBImm(sz Size, rd, rn Reg, imm uint32) { a.addsubImm(0x51000000, sz, rd, rn, imm) }

// SUBSImm emits SUBS rd, rn, #imm.
func (a *Assembler) SUBSImm(sz Size, rd, rn Reg, imm uint32) {
	a.addsubImm(0x71000000, sz, rd, rn, imm)
}

// CMPImm emits CMP rn, #imm.
func (a *Assembler) CMPImm(sz Size, rn Reg, imm uint32) { a.SUBSImm(sz, ZR, rn, imm) }

// CMNImm emits CMN rn, #imm.
func (a *Assembler) CMNImm(sz Size, rn Reg, imm uint32) { a.ADDSImm(sz, ZR, rn, imm) }

func (a *Assembler) shifted(base uint32, sz Size, rd, rn, rm Reg, sh Shift, amount uint8) {
	if amount >= 32<<sz {
		a.fail("shift amount %d too large", amount)
		return
	}
	a.Emit(base | sz.sf() | uint32(sh&3)<<22 | rr(rm)<<16 | uint32(amount)<<10 | rr(rn)<<5 | rr(rd))
}

// ADD emits ADD rd, rn, rm.
func (a *Assembler) ADD(sz Size, rd, rn, rm Reg) { a.shifted(0x0B000000, sz, rd, rn, rm, LSL, 0) }

// ADDShift emits ADD rd, rn, rm, <sh> #amount.
func (a *Assembler) ADDShift(sz Size, rd, rn, rm Reg, sh Shift, amount uint8) {
	a.shifted(0x0B000000, sz, rd, rn, rm, sh, amount)
}

// ADDS emits ADDS rd, rn, rm.
func (a *Assembler) ADDS(sz Size, rd, rn, rm Reg) { a.shifted(0x2B000000, sz, rd, rn, rm, LSL, 0) }

// SUB emits SUB rd, rn, rm.
func (a *Assembler) SUB(sz Size, rd, rn, rm Reg) { a.shifted(0x4B000000, sz, rd, rn, rm, LSL, 0) }

// SUBShift emits SUB rd, rn, rm, <sh> #amount.
func (a *Assembler) SUBShift(sz Size, rd, rn, rm Reg, sh Shift, amount uint8) {
	a.shifted(0x4B000000, sz, rd, rn, rm, sh, amount)
}

// SUBS emits SUBS rd, rn, rm.
func (a *Assembler) SUBS(sz Size, rd, rn, rm Reg) { a.shifted(0x6B000000, sz, rd, rn, rm, LSL, 0) }

// CMP emits CMP rn, rm.
func (a *Assembler) CMP(sz Size, rn, rm Reg) { a.SUBS(sz, ZR, rn, rm) }

// CMN emits CMN rn, rm.
func (a *Assembler) CMN(sz Size, rn, rm Reg) { a.ADDS(sz, ZR, rn, rm) }

// NEG emits NEG rd, rm.
func (a *Assembler) NEG(sz Size, rd, rm Reg) { a.SUB(sz, rd, ZR, rm) }

// ADDExtUXTW emits ADD rd, rn, wm, UXTW: adds the zero-extended low 32 bits
// of rm to rn (rd and rn may be SP).
func (a *Assembler) ADDExtUXTW(rd, rn, rm Reg) {
	a.Emit(0x8B200000 | rr(rm)<<16 | 2<<13 | rr(rn)<<5 | rr(rd))
}

// SUBExtUXTW emits SUB rd, rn, wm, UXTW: subtracts the zero-extended low
// 32 bits of rm from rn (rd and rn may be SP).
func (a *Assembler) SUBExtUXTW(rd, rn, rm Reg) {
	a.Emit(0xCB200000 | rr(rm)<<16 | 2<<13 | rr(rn)<<5 | rr(rd))
}

// ADDExtSXTW emits ADD rd, rn, wm, SXTW: adds the sign-extended low 32
// bits of rm to rn.
func (a *Assembler) ADDExtSXTW(rd, rn, rm Reg) {
	a.Emit(0x8B200000 | rr(rm)<<16 | 6<<13 | rr(rn)<<5 | rr(rd))
}

// --- Multiply and divide ---

// MADD emits MADD rd, rn, rm, ra (rd = ra + rn*rm).
func (a *Assembler) MADD(sz Size, rd, rn, rm, ra Reg) {
	a.Emit(0x1B000000 | sz.sf() | rr(rm)<<16 | rr(ra)<<10 | rr(rn)<<5 | rr(rd))
}

// MSUB emits MSUB rd, rn, rm, ra (rd = ra - rn*rm).
func (a *Assembler) MSUB(sz Size, rd, rn, rm, ra Reg) {
	a.Emit(0x1B008000 | sz.sf() | rr(rm)<<16 | rr(ra)<<10 | rr(rn)<<5 | rr(rd))
}

// MUL emits MUL rd, rn, rm.
func (a *Assembler) MUL(sz Size, rd, rn, rm Reg) { a.MADD(sz, rd, rn, rm, ZR) }

func (a *Assembler) dp2(op uint32, sz Size, rd, rn, rm Reg) {
	a.Emit(0x1AC00000 | sz.sf() | rr(rm)<<16 | op<<10 | rr(rn)<<5 | rr(rd))
}

// UDIV emits UDIV rd, rn, rm. Division by zero gives 0 (no trap).
func (a *Assembler) UDIV(sz Size, rd, rn, rm Reg) { a.dp2(0x02, sz, rd, rn, rm) }

// SDIV emits SDIV rd, rn, rm. Division by zero gives 0, MIN/-1 gives MIN.
func (a *Assembler) SDIV(sz Size, rd, rn, rm Reg) { a.dp2(0x03, sz, rd, rn, rm) }

// LSLV emits LSLV rd, rn, rm (the count is taken modulo the width).
func (a *Assembler) LSLV(sz Size, rd, rn, rm Reg) { a.dp2(0x08, sz, rd, rn, rm) }

// LSRV emits LSRV rd, rn, rm (the count is taken modulo the width).
func (a *Assembler) LSRV(sz Size, rd, rn, rm Reg) { a.dp2(0x09, sz, rd, rn, rm) }

// ASRV emits ASRV rd, rn, rm (the count is taken modulo the width).
func (a *Assembler) ASRV(sz Size, rd, rn, rm Reg) { a.dp2(0x0A, sz, rd, rn, rm) }

// RORV emits RORV rd, rn, rm.
func (a *Assembler) RORV(sz Size, rd, rn, rm Reg) { a.dp2(0x0B, sz, rd, rn, rm) }

// --- Logical ---

// AND emits AND rd, rn, rm.
func (a *Assembler) AND(sz Size, rd, rn, rm Reg) { a.shifted(0x0A000000, sz, rd, rn, rm, LSL, 0) }

// ANDS emits ANDS rd, rn, rm.
func (a *Assembler) ANDS(sz Size, rd, rn, rm Reg) { a.shifted(0x6A000000, sz, rd, rn, rm, LSL, 0) }

// TST emits TST rn, rm.
func (a *Assembler) TST(sz Size, rn, rm Reg) { a.ANDS(sz, ZR, rn, rm) }

// BIC emits BIC rd, rn, rm (rd = rn &^ rm).
func (a *Assembler) BIC(sz Size, rd, rn, rm Reg) { a.shifted(0x0A200000, sz, rd, rn, rm, LSL, 0) }

// ORR emits ORR rd, rn, rm.
func (a *Assembler) ORR(sz Size, rd, rn, rm Reg) { a.shifted(0x2A000000, sz, rd, rn, rm, LSL, 0) }

// ORRShift emits ORR rd, rn, rm, <sh> #amount.
func (a *Assembler) ORRShift(sz Size, rd, rn, rm Reg, sh Shift, amount uint8) {
	a.shifted(0x2A000000, sz, rd, rn, rm, sh, amount)
}

// ORN emits ORN rd, rn, rm.
func (a *Assembler) ORN(sz Size, rd, rn, rm Reg) { a.shifted(0x2A200000, sz, rd, rn, rm, LSL, 0) }

// MVN emits MVN rd, rm.
func (a *Assembler) MVN(sz Size, rd, rm Reg) { a.ORN(sz, rd, ZR, rm) }

// EOR emits EOR rd, rn, rm.
func (a *Assembler) EOR(sz Size, rd, rn, rm Reg) { a.shifted(0x4A000000, sz, rd, rn, rm, LSL, 0) }

// MOV emits MOV rd, rm (ORR with the zero register; not for SP).
func (a *Assembler) MOV(sz Size, rd, rm Reg) { a.ORR(sz, rd, ZR, rm) }

// MOVSP emits MOV rd, rn as ADD rd, rn, #0, for moves to or from SP.
func (a *Assembler) MOVSP(rd, rn Reg) { a.ADDImm(X, rd, rn, 0) }

func (a *Assembler) logImm(opc uint32, sz Size, rd, rn Reg, imm uint64) {
	n, immr, imms, ok := EncodeBitmask(imm, sz == X)
	if !ok {
		a.fail("logical immediate %#x not encodable", imm)
		return
	}
	a.Emit(0x12000000 | sz.sf() | opc<<29 | n<<22 | immr<<16 | imms<<10 | rr(rn)<<5 | rr(rd))
}

// ANDImm emits AND rd, rn, #imm; imm must be a bitmask immediate (see
// EncodeBitmask). rd may be SP.
func (a *Assembler) ANDImm(sz Size, rd, rn Reg, imm uint64) { a.logImm(0, sz, rd, rn, imm) }

// ORRImm emits ORR rd, rn, #imm.
func (a *Assembler) ORRImm(sz Size, rd, rn Reg, imm uint64) { a.logImm(1, sz, rd, rn, imm) }

// EORImm emits EOR rd, rn, #imm.
func (a *Assembler) EORImm(sz Size, rd, rn Reg, imm uint64) { a.logImm(2, sz, rd, rn, imm) }

// ANDSImm emits ANDS rd, rn, #imm.
func (a *Assembler) ANDSImm(sz Size, rd, rn Reg, imm uint64) { a.logImm(3, sz, rd, rn, imm) }

// TSTImm emits TST rn, #imm.
func (a *Assembler) TSTImm(sz Size, rn Reg, imm uint64) { a.ANDSImm(sz, ZR, rn, imm) }

// EncodeBitmask returns the N:immr:imms fields encoding imm as a logical
// immediate of the given width, or ok = false when it has none. A bitmask
// immediate is a 2, 4, 8, 16, 32 or 64-bit element, replicated to fill the
// width, that is a rotated run of (1 to size-1) ones. For 32-bit
// operations only the low 32 bits of imm count.
func EncodeBitmask(imm uint64, is64 bool) (n, immr, imms uint32, ok bool) {
	if !is64 {
		imm = imm&0xffffffff | imm<<32
	}
	if imm == 0 || imm == ^uint64(0) {
		return 0, 0, 0, false
	}
	size := uint(64)
	for size > 2 {
		half := size / 2
		mask := uint64(1)<<half - 1
		if imm&mask != (imm>>half)&mask {
			break
		}
		size = half
	}
	mask := ^uint64(0) >> (64 - size)
	elt := imm & mask
	ones := uint(0)
	for x := elt; x != 0; x &= x - 1 {
		ones++
	}
	run := uint64(1)<<ones - 1
	for r := uint(0); r < size; r++ {
		// rotate run right by r within size bits
		rot := run
		if r != 0 {
			rot = (run>>r | run<<(size-r)) & mask
		}
		if rot == elt {
			s := (^uint32(size-1)<<1 | uint32(ones-1)) & 0x3f
			if size == 64 {
				n = 1
			}
			return n, uint32(r), s, true
		}
	}
	return 0, 0, 0, false
}

// DecodeBitmask returns the value of a logical immediate encoding, or
// ok = false for a reserved one.
func DecodeBitmask(n, immr, imms uint32, is64 bool) (uint64, bool) {
	v := n<<6 | (^imms & 0x3f)
	length := -1
	for i := 6; i >= 0; i-- {
		if v&(1<<uint(i)) != 0 {
			length = i
			break
		}
	}
	if length < 1 || (!is64 && n == 1) {
		return 0, false
	}
	size := uint(1) << uint(length)
	levels := uint32(size - 1)
	s, r := imms&levels, immr&levels
	if s == levels {
		return 0, false
	}
	mask := ^uint64(0) >> (64 - size)
	run := uint64(1)<<(s+1) - 1
	elt := run
	if r != 0 {
		elt = (run>>r | run<<(size-uint(r))) & mask
	}
	out := uint64(0)
	for i := uint(0); i < 64; i += size {
		out |= elt << i
	}
	if !is64 {
		out &= 0xffffffff
	}
	return out, true
}

// --- Bitfield, shifts by immediate, extensions ---

func (a *Assembler) bitfield(opc uint32, sz Size, rd, rn Reg, immr, imms uint8) {
	max := uint8(32 << sz)
	if immr >= max || imms >= max {
		a.fail("bitfield operands out of range")
		return
	}
	a.Emit(0x13000000 | sz.sf() | opc<<29 | uint32(sz)<<22 | uint32(immr)<<16 | uint32(imms)<<10 | rr(rn)<<5 | rr(rd))
}

// SBFM emits SBFM rd, rn, #immr, #imms.
func (a *Assembler) SBFM(sz Size, rd, rn Reg, immr, imms uint8) {
	a.bitfield(0, sz, rd, rn, immr, imms)
}

// BFM emits BFM rd, rn, #immr, #imms.
func (a *Assembler) BFM(sz Size, rd, rn Reg, immr, imms uint8) { a.bitfield(1, sz, rd, rn, immr, imms) }

// UBFM emits UBFM rd, rn, #immr, #imms.
func (a *Assembler) UBFM(sz Size, rd, rn Reg, immr, imms uint8) {
	a.bitfield(2, sz, rd, rn, immr, imms)
}

// LSLImm emits LSL rd, rn, #sh.
func (a *Assembler) LSLImm(sz Size, rd, rn Reg, sh uint8) {
	w := uint8(32 << sz)
	sh &= w - 1
	a.UBFM(sz, rd, rn, (w-sh)&(w-1), w-1-sh)
}

// LSRImm emits LSR rd, rn, #sh.
func (a *Assembler) LSRImm(sz Size, rd, rn Reg, sh uint8) {
	w := uint8(32 << sz)
	a.UBFM(sz, rd, rn, sh&(w-1), w-1)
}

// ASRImm emits ASR rd, rn, #sh.
func (a *Assembler) ASRImm(sz Size, rd, rn Reg, sh uint8) {
	w := uint8(32 << sz)
	a.SBFM(sz, rd, rn, sh&(w-1), w-1)
}

// UBFX emits UBFX rd, rn, #lsb, #width.
func (a *Assembler) UBFX(sz Size, rd, rn Reg, lsb, width uint8) {
	a.UBFM(sz, rd, rn, lsb, lsb+width-1)
}

// SXTB emits SXTB rd, wn (sign-extend the low byte to the width).
func (a *Assembler) SXTB(sz Size, rd, rn Reg) { a.SBFM(sz, rd, rn, 0, 7) }

// SXTH emits SXTH rd, wn.
func (a *Assembler) SXTH(sz Size, rd, rn Reg) { a.SBFM(sz, rd, rn, 0, 15) }

// SXTW emits SXTW xd, wn.
func (a *Assembler) SXTW(rd, rn Reg) { a.SBFM(X, rd, rn, 0, 31) }

// UXTB emits UXTB wd, wn (zero-extends to 64 bits as a W write).
func (a *Assembler) UXTB(rd, rn Reg) { a.UBFM(W, rd, rn, 0, 7) }

// UXTH emits UXTH wd, wn (zero-extends to 64 bits as a W write).
func (a *Assembler) UXTH(rd, rn Reg) { a.UBFM(W, rd, rn, 0, 15) }

// --- Byte reversal ---

func (a *Assembler) dp1(op uint32, sz Size, rd, rn Reg) {
	a.Emit(0x5AC00000 | sz.sf() | op<<10 | rr(rn)<<5 | rr(rd))
}

// REV emits REV rd, rn: reverses the bytes of the whole W or X register.
func (a *Assembler) REV(sz Size, rd, rn Reg) {
	if sz == X {
		a.dp1(3, X, rd, rn)
	} else {
		a.dp1(2, W, rd, rn)
	}
}

// REV16 emits REV16 rd, rn: reverses the bytes in each halfword.
func (a *Assembler) REV16(sz Size, rd, rn Reg) { a.dp1(1, sz, rd, rn) }

// REV32 emits REV32 xd, xn: reverses the bytes in each word.
func (a *Assembler) REV32(rd, rn Reg) { a.dp1(2, X, rd, rn) }

// CLZ emits CLZ rd, rn.
func (a *Assembler) CLZ(sz Size, rd, rn Reg) { a.dp1(4, sz, rd, rn) }

// --- Wide moves ---

func (a *Assembler) movw(opc uint32, sz Size, rd Reg, imm uint16, shift uint8) {
	if shift%16 != 0 || shift >= 32<<sz {
		a.fail("move-wide shift %d invalid", shift)
		return
	}
	a.Emit(0x12800000 | sz.sf() | opc<<29 | uint32(shift/16)<<21 | uint32(imm)<<5 | rr(rd))
}

// MOVZ emits MOVZ rd, #imm, LSL #shift.
func (a *Assembler) MOVZ(sz Size, rd Reg, imm uint16, shift uint8) { a.movw(2, sz, rd, imm, shift) }

// MOVN emits MOVN rd, #imm, LSL #shift (rd = ^(imm << shift)).
func (a *Assembler) MOVN(sz Size, rd Reg, imm uint16, shift uint8) { a.movw(0, sz, rd, imm, shift) }

// MOVK emits MOVK rd, #imm, LSL #shift (replaces one halfword).
func (a *Assembler) MOVK(sz Size, rd Reg, imm uint16, shift uint8) { a.movw(3, sz, rd, imm, shift) }

// MOVConst loads the constant v into rd with the shortest sequence among
// MOVZ/MOVN plus MOVK, and ORR with a bitmask immediate. For W, only the
// low 32 bits of v count and the upper half of rd is zeroed.
func (a *Assembler) MOVConst(sz Size, rd Reg, v uint64) {
	halves := 4
	if sz == W {
		v &= 0xffffffff
		halves = 2
	}
	var zeros, ones int
	for i := 0; i < halves; i++ {
		switch uint16(v >> (16 * i)) {
		case 0:
			zeros++
		case 0xffff:
			ones++
		}
	}
	if zeros == halves {
		a.MOVZ(sz, rd, 0, 0)
		return
	}
	// One instruction when it is a bitmask immediate and MOVZ/MOVN would
	// need more than one.
	if zeros < halves-1 && ones < halves-1 {
		if _, _, _, ok := EncodeBitmask(v, sz == X); ok {
			a.ORRImm(sz, rd, ZR, v)
			return
		}
	}
	if ones > zeros {
		first := true
		for i := 0; i < halves; i++ {
			h := uint16(v >> (16 * i))
			if h == 0xffff {
				continue
			}
			if first {
				a.MOVN(sz, rd, ^h, uint8(16*i))
				first = false
			} else {
				a.MOVK(sz, rd, h, uint8(16*i))
			}
		}
		if first { // all ones
			a.MOVN(sz, rd, 0, 0)
		}
		return
	}
	first := true
	for i := 0; i < halves; i++ {
		h := uint16(v >> (16 * i))
		if h == 0 {
			continue
		}
		if first {
			a.MOVZ(sz, rd, h, uint8(16*i))
			first = false
		} else {
			a.MOVK(sz, rd, h, uint8(16*i))
		}
	}
}

// --- Conditional select ---

func (a *Assembler) csel(base uint32, sz Size, rd, rn, rm Reg, c Cond) {
	a.Emit(base | sz.sf() | rr(rm)<<16 | uint32(c&15)<<12 | rr(rn)<<5 | rr(rd))
}

// CSEL emits CSEL rd, rn, rm, cond (rd = cond ? rn : rm).
func (a *Assembler) CSEL(sz Size, rd, rn, rm Reg, c Cond) { a.csel(0x1A800000, sz, rd, rn, rm, c) }

// CSINC emits CSINC rd, rn, rm, cond (rd = cond ? rn : rm+1).
func (a *Assembler) CSINC(sz Size, rd, rn, rm Reg, c Cond) { a.csel(0x1A800400, sz, rd, rn, rm, c) }

// CSINV emits CSINV rd, rn, rm, cond (rd = cond ? rn : ^rm).
func (a *Assembler) CSINV(sz Size, rd, rn, rm Reg, c Cond) { a.csel(0x5A800000, sz, rd, rn, rm, c) }

// CSNEG emits CSNEG rd, rn, rm, cond (rd = cond ? rn : -rm).
func (a *Assembler) CSNEG(sz Size, rd, rn, rm Reg, c Cond) { a.csel(0x5A800400, sz, rd, rn, rm, c) }

// CSET emits CSET rd, cond (rd = cond ? 1 : 0).
func (a *Assembler) CSET(sz Size, rd Reg, c Cond) { a.CSINC(sz, rd, ZR, ZR, c.Invert()) }

// CSETM emits CSETM rd, cond (rd = cond ? -1 : 0).
func (a *Assembler) CSETM(sz Size, rd Reg, c Cond) { a.CSINV(sz, rd, ZR, ZR, c.Invert()) }

// --- Branches ---

// B emits B l.
func (a *Assembler) B(l Label) { a.ref(l, fixB26); a.Emit(0x14000000) }

// BL emits BL l.
func (a *Assembler) BL(l Label) { a.ref(l, fixB26); a.Emit(0x94000000) }

// Bcond emits B.cond l.
func (a *Assembler) Bcond(c Cond, l Label) { a.ref(l, fixB19); a.Emit(0x54000000 | uint32(c&15)) }

// CBZ emits CBZ rt, l.
func (a *Assembler) CBZ(sz Size, rt Reg, l Label) {
	a.ref(l, fixB19)
	a.Emit(0x34000000 | sz.sf() | rr(rt))
}

// CBNZ emits CBNZ rt, l.
func (a *Assembler) CBNZ(sz Size, rt Reg, l Label) {
	a.ref(l, fixB19)
	a.Emit(0x35000000 | sz.sf() | rr(rt))
}

func (a *Assembler) tb(base uint32, rt Reg, bit uint8, l Label) {
	if bit > 63 {
		a.fail("test bit %d out of range", bit)
		return
	}
	a.ref(l, fixB14)
	a.Emit(base | uint32(bit>>5)<<31 | uint32(bit&31)<<19 | rr(rt))
}

// TBZ emits TBZ rt, #bit, l.
func (a *Assembler) TBZ(rt Reg, bit uint8, l Label) { a.tb(0x36000000, rt, bit, l) }

// TBNZ emits TBNZ rt, #bit, l.
func (a *Assembler) TBNZ(rt Reg, bit uint8, l Label) { a.tb(0x37000000, rt, bit, l) }

// BR emits BR rn.
func (a *Assembler) BR(rn Reg) { a.Emit(0xD61F0000 | rr(rn)<<5) }

// BLR emits BLR rn.
func (a *Assembler) BLR(rn Reg) { a.Emit(0xD63F0000 | rr(rn)<<5) }

// RET emits RET (to the link register).
func (a *Assembler) RET() { a.RETReg(LR) }

// RETReg emits RET rn.
func (a *Assembler) RETReg(rn Reg) { a.Emit(0xD65F0000 | rr(rn)<<5) }

// ADR emits ADR rd, l.
func (a *Assembler) ADR(rd Reg, l Label) { a.ref(l, fixADR21); a.Emit(0x10000000 | rr(rd)) }

// ADRFar puts the address of l in rd with a ±2 GiB reach, using tmp:
// ADR rd, .; MOVZ/MOVK tmp, #delta; ADD rd, rd, wtmp, SXTW.
func (a *Assembler) ADRFar(rd, tmp Reg, l Label) {
	a.Emit(0x10000000 | rr(rd)) // ADR rd, .
	a.ref(l, fixDelta32)
	a.MOVZ(W, tmp, 0, 0)
	a.MOVK(W, tmp, 0, 16)
	a.ADDExtSXTW(rd, rd, tmp)
}

// BOffset emits B to a byte offset relative to this instruction.
func (a *Assembler) BOffset(off int32) {
	if off%4 != 0 || !fits(int64(off/4), 26) {
		a.fail("branch offset %d invalid", off)
		return
	}
	a.Emit(0x14000000 | uint32(off/4)&0x3ffffff)
}

// --- Loads and stores ---

// ldst opcode bases for (width, kind), unsigned-offset form; the
// register-offset and unscaled forms derive from it.
func ldstBase(width Width, kind uint32) (uint32, uint, bool) {
	var size uint32
	var scale uint
	switch width {
	case 1:
		size, scale = 0, 0
	case 2:
		size, scale = 1, 1
	case 4:
		size, scale = 2, 2
	case 8:
		size, scale = 3, 3
	default:
		return 0, 0, false
	}
	return size<<30 | 0x39000000 | kind<<22, scale, true
}

// Load/store kinds (the opc field).
const (
	kStore  = 0
	kLoad   = 1
	kLoadSX = 2 // sign-extend to 64 bits
	kLoadSW = 3 // sign-extend to 32 bits
)

func (a *Assembler) ldstImm(kind uint32, width Width, rt, rn Reg, off uint32) {
	base, scale, ok := ldstBase(width, kind)
	if !ok || (kind == kLoadSX && width == 8) {
		a.fail("bad load/store width %d", width)
		return
	}
	if off&(1<<scale-1) != 0 || off>>scale >= 1<<12 {
		a.fail("load/store offset %d not encodable for width %d", off, width)
		return
	}
	a.Emit(base | (off>>scale)<<10 | rr(rn)<<5 | rr(rt))
}

// Index extensions of the register-offset form (the option field).
const (
	extUXTW = 2 // index is the zero-extended low 32 bits of rm
	extLSL  = 3 // index is rm
)

func (a *Assembler) ldstReg(kind uint32, width Width, rt, rn, rm Reg, ext uint32) {
	base, _, ok := ldstBase(width, kind)
	if !ok || (kind == kLoadSX && width == 8) {
		a.fail("bad load/store width %d", width)
		return
	}
	// Clear bit 24 (unsigned offset), set bit 21 and the option field.
	a.Emit(base&^(1<<24) | 1<<21 | rr(rm)<<16 | ext<<13 | 2<<10 | rr(rn)<<5 | rr(rt))
}

func (a *Assembler) ldstUnscaled(kind uint32, width Width, rt, rn Reg, off int32) {
	base, _, ok := ldstBase(width, kind)
	if !ok || (kind == kLoadSX && width == 8) || off < -256 || off > 255 {
		a.fail("bad unscaled load/store (width %d, offset %d)", width, off)
		return
	}
	a.Emit(base&^(1<<24) | (uint32(off)&0x1ff)<<12 | rr(rn)<<5 | rr(rt))
}

// ImmLoadStore reports whether off fits the unsigned scaled offset of an
// access of the given width.
func ImmLoadStore(width Width, off int64) bool {
	return off >= 0 && off%int64(width) == 0 && off/int64(width) < 1<<12
}

// LDR emits a zero-extending load of width bytes: LDRB/LDRH wt, LDR wt or
// LDR xt, [rn, #off]. off is in bytes, a multiple of width, unsigned.
func (a *Assembler) LDR(width Width, rt, rn Reg, off uint32) { a.ldstImm(kLoad, width, rt, rn, off) }

// STR emits STRB/STRH/STR wt/STR xt, [rn, #off].
func (a *Assembler) STR(width Width, rt, rn Reg, off uint32) { a.ldstImm(kStore, width, rt, rn, off) }

// LDRSX emits LDRSB/LDRSH/LDRSW xt, [rn, #off]: sign-extends to 64 bits.
func (a *Assembler) LDRSX(width Width, rt, rn Reg, off uint32) {
	a.ldstImm(kLoadSX, width, rt, rn, off)
}

// LDRReg emits LDRB/LDRH/LDR rt, [rn, rm].
func (a *Assembler) LDRReg(width Width, rt, rn, rm Reg) { a.ldstReg(kLoad, width, rt, rn, rm, extLSL) }

// STRReg emits STRB/STRH/STR rt, [rn, rm].
func (a *Assembler) STRReg(width Width, rt, rn, rm Reg) { a.ldstReg(kStore, width, rt, rn, rm, extLSL) }

// LDRSXReg emits LDRSB/LDRSH/LDRSW xt, [rn, rm].
func (a *Assembler) LDRSXReg(width Width, rt, rn, rm Reg) {
	a.ldstReg(kLoadSX, width, rt, rn, rm, extLSL)
}

// LDRRegUXTW emits LDRB/LDRH/LDR rt, [rn, wm, UXTW]: the index is the low
// 32 bits of rm, zero-extended (an eBPF address's offset).
func (a *Assembler) LDRRegUXTW(width Width, rt, rn, rm Reg) {
	a.ldstReg(kLoad, width, rt, rn, rm, extUXTW)
}

// STRRegUXTW emits STRB/STRH/STR rt, [rn, wm, UXTW].
func (a *Assembler) STRRegUXTW(width Width, rt, rn, rm Reg) {
	a.ldstReg(kStore, width, rt, rn, rm, extUXTW)
}

// LDRSXRegUXTW emits LDRSB/LDRSH/LDRSW xt, [rn, wm, UXTW].
func (a *Assembler) LDRSXRegUXTW(width Width, rt, rn, rm Reg) {
	a.ldstReg(kLoadSX, width, rt, rn, rm, extUXTW)
}

// LDUR emits LDURB/LDURH/LDUR rt, [rn, #off] with a signed 9-bit byte offset.
func (a *Assembler) LDUR(width Width, rt, rn Reg, off int32) {
	a.ldstUnscaled(kLoad, width, rt, rn, off)
}

// STUR emits STURB/STURH/STUR rt, [rn, #off].
func (a *Assembler) STUR(width Width, rt, rn Reg, off int32) {
	a.ldstUnscaled(kStore, width, rt, rn, off)
}

// LDURSX emits LDURSB/LDURSH/LDURSW xt, [rn, #off].
func (a *Assembler) LDURSX(width Width, rt, rn Reg, off int32) {
	a.ldstUnscaled(kLoadSX, width, rt, rn, off)
}

func (a *Assembler) pair(base uint32, rt, rt2, rn Reg, off int32) {
	if off%8 != 0 || off < -512 || off > 504 {
		a.fail("pair offset %d invalid", off)
		return
	}
	a.Emit(base | (uint32(off/8)&0x7f)<<15 | rr(rt2)<<10 | rr(rn)<<5 | rr(rt))
}

// STP emits STP xt, xt2, [rn, #off].
func (a *Assembler) STP(rt, rt2, rn Reg, off int32) { a.pair(0xA9000000, rt, rt2, rn, off) }

// LDP emits LDP xt, xt2, [rn, #off].
func (a *Assembler) LDP(rt, rt2, rn Reg, off int32) { a.pair(0xA9400000, rt, rt2, rn, off) }

// STPPre emits STP xt, xt2, [rn, #off]! (pre-index).
func (a *Assembler) STPPre(rt, rt2, rn Reg, off int32) { a.pair(0xA9800000, rt, rt2, rn, off) }

// LDPPost emits LDP xt, xt2, [rn], #off (post-index).
func (a *Assembler) LDPPost(rt, rt2, rn Reg, off int32) { a.pair(0xA8C00000, rt, rt2, rn, off) }

// --- Exclusives and atomics ---

func szBits(sz Size) uint32 { return uint32(2|sz&1) << 30 }

// LDXR emits LDXR rt, [rn].
func (a *Assembler) LDXR(sz Size, rt, rn Reg) { a.Emit(szBits(sz) | 0x085F7C00 | rr(rn)<<5 | rr(rt)) }

// LDAXR emits LDAXR rt, [rn] (acquire).
func (a *Assembler) LDAXR(sz Size, rt, rn Reg) {
	a.Emit(szBits(sz) | 0x085FFC00 | rr(rn)<<5 | rr(rt))
}

// STXR emits STXR ws, rt, [rn]; ws receives 0 on success.
func (a *Assembler) STXR(sz Size, rs, rt, rn Reg) {
	a.Emit(szBits(sz) | 0x08007C00 | rr(rs)<<16 | rr(rn)<<5 | rr(rt))
}

// STLXR emits STLXR ws, rt, [rn] (release).
func (a *Assembler) STLXR(sz Size, rs, rt, rn Reg) {
	a.Emit(szBits(sz) | 0x0800FC00 | rr(rs)<<16 | rr(rn)<<5 | rr(rt))
}

// LSE atomic operations (FEAT_LSE), all with acquire-release ordering.
const (
	opLDADD = 0x0000
	opLDCLR = 0x1000
	opLDEOR = 0x2000
	opLDSET = 0x3000
	opSWP   = 0x8000
)

func (a *Assembler) lse(op uint32, sz Size, rs, rt, rn Reg) {
	a.Emit(szBits(sz) | 0x38E00000 | op | rr(rs)<<16 | rr(rn)<<5 | rr(rt))
}

// LDADDAL emits LDADDAL rs, rt, [rn]: rt = old [rn]; [rn] += rs.
func (a *Assembler) LDADDAL(sz Size, rs, rt, rn Reg) { a.lse(opLDADD, sz, rs, rt, rn) }

// LDCLRAL emits LDCLRAL rs, rt, [rn]: [rn] &^= rs.
func (a *Assembler) LDCLRAL(sz Size, rs, rt, rn Reg) { a.lse(opLDCLR, sz, rs, rt, rn) }

// LDEORAL emits LDEORAL rs, rt, [rn]: [rn] ^= rs.
func (a *Assembler) LDEORAL(sz Size, rs, rt, rn Reg) { a.lse(opLDEOR, sz, rs, rt, rn) }

// LDSETAL emits LDSETAL rs, rt, [rn]: [rn] |= rs.
func (a *Assembler) LDSETAL(sz Size, rs, rt, rn Reg) { a.lse(opLDSET, sz, rs, rt, rn) }

// SWPAL emits SWPAL rs, rt, [rn]: rt = old [rn]; [rn] = rs.
func (a *Assembler) SWPAL(sz Size, rs, rt, rn Reg) { a.lse(opSWP, sz, rs, rt, rn) }

// CASAL emits CASAL rs, rt, [rn]: if [rn] == rs { [rn] = rt }; rs = old [rn].
func (a *Assembler) CASAL(sz Size, rs, rt, rn Reg) {
	a.Emit(szBits(sz) | 0x08E0FC00 | rr(rs)<<16 | rr(rn)<<5 | rr(rt))
}

// --- System ---

// DMBISH emits DMB ISH.
func (a *Assembler) DMBISH() { a.Emit(0xD5033BBF) }

// DSBISH emits DSB ISH.
func (a *Assembler) DSBISH() { a.Emit(0xD5033B9F) }

// ISB emits ISB.
func (a *Assembler) ISB() { a.Emit(0xD5033FDF) }

// NOP emits NOP.
func (a *Assembler) NOP() { a.Emit(0xD503201F) }

// BRK emits BRK #imm.
func (a *Assembler) BRK(imm uint16) { a.Emit(0xD4200000 | uint32(imm)<<5) }

// MRSCTR emits MRS xt, CTR_EL0 (cache type register: line sizes).
func (a *Assembler) MRSCTR(rt Reg) { a.Emit(0xD53B0020 | rr(rt)) }

// DCCVAU emits DC CVAU, xt (clean data cache line to the point of unification).
func (a *Assembler) DCCVAU(rt Reg) { a.Emit(0xD50B7B20 | rr(rt)) }

// ICIVAU emits IC IVAU, xt (invalidate instruction cache line).
func (a *Assembler) ICIVAU(rt Reg) { a.Emit(0xD50B7520 | rr(rt)) }
