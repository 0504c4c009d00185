// Package amd64 is an x86-64 machine code encoder: plain methods that append
// the bytes of one instruction each. It knows nothing about eBPF; the rules
// that map eBPF onto it live in package jit (amd64.go).
//
// Only the forms the JIT needs are here. Every method is checked by decoding
// its output with golang.org/x/arch/x86/x86asm in the tests.
package amd64

import "encoding/binary"

// Reg is a general-purpose register, numbered as in the ModRM encoding.
type Reg uint8

// Registers.
const (
	RAX Reg = iota
	RCX
	RDX
	RBX
	RSP
	RBP
	RSI
	RDI
	R8
	R9
	R10
	R11
	R12
	R13
	R14
	R15
)

var regNames = [...]string{"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"}

func (r Reg) String() string { return regNames[r&15] }

// Cond is a condition code (the low nibble of Jcc/SETcc/CMOVcc).
type Cond uint8

// Condition codes.
const (
	CondO  Cond = 0x0
	CondNO Cond = 0x1
	CondB  Cond = 0x2 // unsigned <
	CondAE Cond = 0x3 // unsigned >=
	CondE  Cond = 0x4
	CondNE Cond = 0x5
	CondBE Cond = 0x6 // unsigned <=
	CondA  Cond = 0x7 // unsigned >
	CondS  Cond = 0x8
	CondNS Cond = 0x9
	CondL  Cond = 0xc // signed <
	CondGE Cond = 0xd
	CondLE Cond = 0xe
	CondG  Cond = 0xf
)

// Mem is a memory operand [Base + Index*Scale + Disp]. Scale 0 means no
// index. RIP makes it [rip + Disp] (Base and Index ignored).
type Mem struct {
	Base  Reg
	Index Reg
	Scale uint8 // 0, 1, 2, 4 or 8
	Disp  int32
	RIP   bool
}

// M returns [base + disp].
func M(base Reg, disp int32) Mem { return Mem{Base: base, Disp: disp} }

// MI returns [base + index*scale + disp].
func MI(base, index Reg, scale uint8, disp int32) Mem {
	return Mem{Base: base, Index: index, Scale: scale, Disp: disp}
}

// ALU operation numbers (the /n of opcodes 0x81/0x83, and op<<3|1 for r/m,r forms).
type ALU uint8

// ALU operations.
const (
	ADD ALU = 0
	OR  ALU = 1
	ADC ALU = 2
	SBB ALU = 3
	AND ALU = 4
	SUB ALU = 5
	XOR ALU = 6
	CMP ALU = 7
)

// Shift operations (the /n of 0xC1/0xD3).
type Shift uint8

// Shifts.
const (
	ROL Shift = 0
	ROR Shift = 1
	SHL Shift = 4
	SHR Shift = 5
	SAR Shift = 7
)

// Asm accumulates machine code.
type Asm struct {
	B []byte
}

// Len returns the number of bytes emitted.
func (a *Asm) Len() int { return len(a.B) }

func (a *Asm) byte1(b ...byte) { a.B = append(a.B, b...) }

func (a *Asm) imm32(v int32) { a.B = binary.LittleEndian.AppendUint32(a.B, uint32(v)) }

// rex emits a REX prefix if needed. force is for byte registers SPL..DIL.
func (a *Asm) rex(w bool, reg, index, base Reg, force bool) {
	var b byte
	if w {
		b |= 8
	}
	if reg&8 != 0 {
		b |= 4
	}
	if index&8 != 0 {
		b |= 2
	}
	if base&8 != 0 {
		b |= 1
	}
	if b != 0 || force {
		a.byte1(0x40 | b)
	}
}

// opRR emits opcode with ModRM mod=11 (reg, rm both registers).
func (a *Asm) opRR(prefix byte, w bool, opc []byte, reg, rm Reg, byteOp bool) {
	if prefix != 0 {
		a.byte1(prefix)
	}
	force := byteOp && ((reg >= 4 && reg < 8) || (rm >= 4 && rm < 8))
	a.rex(w, reg, 0, rm, force)
	a.byte1(opc...)
	a.byte1(0xc0 | byte(reg&7)<<3 | byte(rm&7))
}

// opRM emits opcode with a memory ModRM operand.
func (a *Asm) opRM(prefix byte, w bool, opc []byte, reg Reg, m Mem, byteOp bool) {
	a.opRMImm(prefix, w, opc, reg, m, byteOp, 0)
}

// opRMImm is opRM for instructions with immSize bytes of immediate after the
// operand (needed to compute RIP-relative displacements).
func (a *Asm) opRMImm(prefix byte, w bool, opc []byte, reg Reg, m Mem, byteOp bool, immSize int) {
	if prefix != 0 {
		a.byte1(prefix)
	}
	force := byteOp && reg >= 4 && reg < 8
	if m.RIP {
		a.rex(w, reg, 0, 0, force)
		a.byte1(opc...)
		a.byte1(byte(reg&7)<<3 | 5)
		a.imm32(m.Disp)
		return
	}
	idx := Reg(0)
	if m.Scale != 0 {
		idx = m.Index
	}
	a.rex(w, reg, idx, m.Base, force)
	a.byte1(opc...)
	var mod byte
	switch {
	case m.Disp == 0 && m.Base&7 != 5:
		mod = 0
	case m.Disp >= -128 && m.Disp <= 127:
		mod = 1
	default:
		mod = 2
	}
	if m.Scale != 0 || m.Base&7 == 4 {
		a.byte1(mod<<6 | byte(reg&7)<<3 | 4)
		var ss byte
		index := byte(4) // none
		if m.Scale != 0 {
			switch m.Scale {
			case 2:
				ss = 1
			case 4:
				ss = 2
			case 8:
				ss = 3
			}
			index = byte(m.Index & 7)
		}
		a.byte1(ss<<6 | index<<3 | byte(m.Base&7))
	} else {
		a.byte1(mod<<6 | byte(reg&7)<<3 | byte(m.Base&7))
	}
	switch mod {
	case 1:
		a.byte1(byte(int8(m.Disp)))
	case 2:
		a.imm32(m.Disp)
	}
}

// ALURR emits op dst, src (64-bit if w, else 32-bit).
func (a *Asm) ALURR(op ALU, w bool, dst, src Reg) {
	a.opRR(0, w, []byte{byte(op)<<3 | 1}, src, dst, false)
}

// ALURI emits op dst, imm (imm sign-extended to 64 bits when w).
func (a *Asm) ALURI(op ALU, w bool, dst Reg, imm int32) {
	if imm >= -128 && imm <= 127 {
		a.opRR(0, w, []byte{0x83}, Reg(op), dst, false)
		a.byte1(byte(int8(imm)))
		return
	}
	a.opRR(0, w, []byte{0x81}, Reg(op), dst, false)
	a.imm32(imm)
}

// ALURM emits op dst, [m].
func (a *Asm) ALURM(op ALU, w bool, dst Reg, m Mem) {
	a.opRM(0, w, []byte{byte(op)<<3 | 3}, dst, m, false)
}

// ALUMR emits op [m], src.
func (a *Asm) ALUMR(op ALU, w bool, m Mem, src Reg) {
	a.opRM(0, w, []byte{byte(op)<<3 | 1}, src, m, false)
}

// ALUMI emits op qword/dword [m], imm.
func (a *Asm) ALUMI(op ALU, w bool, m Mem, imm int32) {
	if imm >= -128 && imm <= 127 {
		a.opRMImm(0, w, []byte{0x83}, Reg(op), m, false, 1)
		a.byte1(byte(int8(imm)))
		return
	}
	a.opRMImm(0, w, []byte{0x81}, Reg(op), m, false, 4)
	a.imm32(imm)
}

// TestRR emits test a, b.
func (a *Asm) TestRR(w bool, x, y Reg) { a.opRR(0, w, []byte{0x85}, y, x, false) }

// TestRI emits test r, imm32 (sign-extended when w).
func (a *Asm) TestRI(w bool, r Reg, imm int32) {
	a.opRR(0, w, []byte{0xf7}, 0, r, false)
	a.imm32(imm)
}

// TestMI8 emits test byte [m], imm8.
func (a *Asm) TestMI8(m Mem, imm uint8) {
	a.opRMImm(0, false, []byte{0xf6}, 0, m, false, 1)
	a.byte1(imm)
}

// MovRR emits mov dst, src (32-bit moves zero-extend).
func (a *Asm) MovRR(w bool, dst, src Reg) { a.opRR(0, w, []byte{0x89}, src, dst, false) }

// MovRI32 emits mov dst32, imm (zero-extends to 64 bits).
func (a *Asm) MovRI32(dst Reg, imm uint32) {
	a.rex(false, 0, 0, dst, false)
	a.byte1(0xb8 + byte(dst&7))
	a.imm32(int32(imm))
}

// MovRI64 loads a 64-bit constant into dst with the shortest form.
func (a *Asm) MovRI64(dst Reg, v uint64) {
	switch {
	case v == 0:
		a.ALURR(XOR, false, dst, dst)
	case v <= 0xffffffff:
		a.MovRI32(dst, uint32(v))
	case int64(v) >= -1<<31 && int64(v) < 1<<31:
		a.opRR(0, true, []byte{0xc7}, 0, dst, false)
		a.imm32(int32(v))
	default:
		a.rex(true, 0, 0, dst, false)
		a.byte1(0xb8 + byte(dst&7))
		a.B = binary.LittleEndian.AppendUint64(a.B, v)
	}
}

// Load emits a load of size bytes (1, 2, 4, 8) from m into dst, zero- or
// sign-extended to 64 bits.
func (a *Asm) Load(dst Reg, m Mem, size int, signed bool) {
	switch {
	case size == 1 && !signed:
		a.opRM(0, false, []byte{0x0f, 0xb6}, dst, m, false)
	case size == 1:
		a.opRM(0, true, []byte{0x0f, 0xbe}, dst, m, false)
	case size == 2 && !signed:
		a.opRM(0, false, []byte{0x0f, 0xb7}, dst, m, false)
	case size == 2:
		a.opRM(0, true, []byte{0x0f, 0xbf}, dst, m, false)
	case size == 4 && !signed:
		a.opRM(0, false, []byte{0x8b}, dst, m, false)
	case size == 4:
		a.opRM(0, true, []byte{0x63}, dst, m, false)
	default:
		a.opRM(0, true, []byte{0x8b}, dst, m, false)
	}
}

// Store emits a store of the low size bytes of src to m.
func (a *Asm) Store(m Mem, src Reg, size int) {
	switch size {
	case 1:
		a.opRM(0, false, []byte{0x88}, src, m, true)
	case 2:
		a.opRM(0x66, false, []byte{0x89}, src, m, false)
	case 4:
		a.opRM(0, false, []byte{0x89}, src, m, false)
	default:
		a.opRM(0, true, []byte{0x89}, src, m, false)
	}
}

// StoreImm emits a store of the low size bytes of imm to m (sign-extended for 8).
func (a *Asm) StoreImm(m Mem, imm int32, size int) {
	switch size {
	case 1:
		a.opRMImm(0, false, []byte{0xc6}, 0, m, false, 1)
		a.byte1(byte(imm))
	case 2:
		a.opRMImm(0x66, false, []byte{0xc7}, 0, m, false, 2)
		a.B = binary.LittleEndian.AppendUint16(a.B, uint16(imm))
	case 4:
		a.opRMImm(0, false, []byte{0xc7}, 0, m, false, 4)
		a.imm32(imm)
	default:
		a.opRMImm(0, true, []byte{0xc7}, 0, m, false, 4)
		a.imm32(imm)
	}
}

// Lea emits lea dst, [m].
func (a *Asm) Lea(dst Reg, m Mem) { a.opRM(0, true, []byte{0x8d}, dst, m, false) }

// LeaRIP emits lea dst, [rip+0] and returns the position of its rel32 field.
func (a *Asm) LeaRIP(dst Reg) int {
	a.opRM(0, true, []byte{0x8d}, dst, Mem{RIP: true}, false)
	return len(a.B) - 4
}

// IMulRR emits imul dst, src.
func (a *Asm) IMulRR(w bool, dst, src Reg) { a.opRR(0, w, []byte{0x0f, 0xaf}, dst, src, false) }

// IMulRRI emits imul dst, src, imm32.
func (a *Asm) IMulRRI(w bool, dst, src Reg, imm int32) {
	a.opRR(0, w, []byte{0x69}, dst, src, false)
	a.imm32(imm)
}

// Unary emits a group-3 operation (F7 /n) on r: 2 not, 3 neg, 4 mul, 5 imul,
// 6 div, 7 idiv.
func (a *Asm) Unary(n uint8, w bool, r Reg) { a.opRR(0, w, []byte{0xf7}, Reg(n), r, false) }

// Group-3 operation numbers for Unary.
const (
	NOT  = 2
	NEG  = 3
	DIV  = 6
	IDIV = 7
)

// CQO emits cqo (w) or cdq: sign-extend rax into rdx.
func (a *Asm) CQO(w bool) {
	if w {
		a.byte1(0x48)
	}
	a.byte1(0x99)
}

// ShiftRI emits a shift of r by an immediate count.
func (a *Asm) ShiftRI(op Shift, w bool, r Reg, n uint8) {
	a.opRR(0, w, []byte{0xc1}, Reg(op), r, false)
	a.byte1(n)
}

// ShiftRCL emits a shift of r by cl.
func (a *Asm) ShiftRCL(op Shift, w bool, r Reg) { a.opRR(0, w, []byte{0xd3}, Reg(op), r, false) }

// Rol16 emits rol r16, 8 (swaps the two low bytes).
func (a *Asm) Rol16(r Reg) {
	a.opRR(0x66, false, []byte{0xc1}, Reg(ROL), r, false)
	a.byte1(8)
}

// Bswap emits bswap r (32- or 64-bit).
func (a *Asm) Bswap(w bool, r Reg) {
	a.rex(w, 0, 0, r, false)
	a.byte1(0x0f, 0xc8+byte(r&7))
}

// Movzx emits a zero-extension of the low 8 or 16 bits of src into dst.
func (a *Asm) Movzx(dst, src Reg, bits int) {
	if bits == 8 {
		a.opRR(0, false, []byte{0x0f, 0xb6}, dst, src, true)
		return
	}
	a.opRR(0, false, []byte{0x0f, 0xb7}, dst, src, false)
}

// Movsx emits a sign-extension of the low 8, 16 or 32 bits of src into dst
// (64-bit if w).
func (a *Asm) Movsx(w bool, dst, src Reg, bits int) {
	switch bits {
	case 8:
		a.opRR(0, w, []byte{0x0f, 0xbe}, dst, src, true)
	case 16:
		a.opRR(0, w, []byte{0x0f, 0xbf}, dst, src, false)
	default:
		a.opRR(0, true, []byte{0x63}, dst, src, false)
	}
}

// Cmov emits cmovcc dst, src.
func (a *Asm) Cmov(c Cond, w bool, dst, src Reg) {
	a.opRR(0, w, []byte{0x0f, 0x40 + byte(c)}, dst, src, false)
}

// Jcc emits a conditional jump with a rel32 displacement of 0 and returns
// the position of the rel32 field.
func (a *Asm) Jcc(c Cond) int {
	a.byte1(0x0f, 0x80+byte(c))
	a.imm32(0)
	return len(a.B) - 4
}

// Jmp emits jmp rel32 (0) and returns the position of the rel32 field.
func (a *Asm) Jmp() int {
	a.byte1(0xe9)
	a.imm32(0)
	return len(a.B) - 4
}

// JmpM emits jmp qword [m].
func (a *Asm) JmpM(m Mem) { a.opRM(0, false, []byte{0xff}, 4, m, false) }

// Ret emits ret.
func (a *Asm) Ret() { a.byte1(0xc3) }

// nops are the recommended multi-byte NOPs, by length.
var nops = [][]byte{
	1: {0x90},
	2: {0x66, 0x90},
	3: {0x0f, 0x1f, 0x00},
	4: {0x0f, 0x1f, 0x40, 0x00},
	5: {0x0f, 0x1f, 0x44, 0x00, 0x00},
	6: {0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00},
	7: {0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00},
	8: {0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
	9: {0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
}

// NopFill overwrites b (code already emitted) with as few NOPs as possible.
func NopFill(b []byte) {
	for len(b) > 0 {
		n := copy(b, nops[min(len(b), len(nops)-1)])
		b = b[n:]
	}
}

// Int3 emits int3.
func (a *Asm) Int3() { a.byte1(0xcc) }

// LockALUMR emits lock op [m], src for ADD, OR, AND, XOR (size 4 or 8).
func (a *Asm) LockALUMR(op ALU, w bool, m Mem, src Reg) {
	a.byte1(0xf0)
	a.ALUMR(op, w, m, src)
}

// LockXadd emits lock xadd [m], r.
func (a *Asm) LockXadd(w bool, m Mem, r Reg) { a.opRM(0xf0, w, []byte{0x0f, 0xc1}, r, m, false) }

// Xchg emits xchg [m], r (implicitly locked).
func (a *Asm) Xchg(w bool, m Mem, r Reg) { a.opRM(0, w, []byte{0x87}, r, m, false) }

// LockCmpxchg emits lock cmpxchg [m], r (compares with rax/eax).
func (a *Asm) LockCmpxchg(w bool, m Mem, r Reg) { a.opRM(0xf0, w, []byte{0x0f, 0xb1}, r, m, false) }

// PatchRel32 sets the rel32 field at pos so that it targets target (both
// offsets in the code).
func PatchRel32(code []byte, pos, target int) {
	binary.LittleEndian.PutUint32(code[pos:], uint32(int32(target-(pos+4))))
}
