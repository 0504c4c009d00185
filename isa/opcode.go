package isa

// Class is the instruction class, the low three bits of the opcode.
type Class uint8

// Instruction classes (RFC 9669 §3.2).
const (
	ClassLD    Class = 0x00
	ClassLDX   Class = 0x01
	ClassST    Class = 0x02
	ClassSTX   Class = 0x03
	ClassALU   Class = 0x04
	ClassJMP   Class = 0x05
	ClassJMP32 Class = 0x06
	ClassALU64 Class = 0x07
)

var classNames = [8]string{"ld", "ldx", "st", "stx", "alu", "jmp", "jmp32", "alu64"}

// String returns the class's name in the RFC (ld, ldx, st, stx, alu, jmp, jmp32, alu64).
func (c Class) String() string { return classNames[c&7] }

// IsALU reports whether the class is ALU or ALU64.
func (c Class) IsALU() bool { return c == ClassALU || c == ClassALU64 }

// IsJump reports whether the class is JMP or JMP32.
func (c Class) IsJump() bool { return c == ClassJMP || c == ClassJMP32 }

// IsLoadStore reports whether the class is LD, LDX, ST or STX.
func (c Class) IsLoadStore() bool { return c <= ClassSTX }

// Source is the source bit of arithmetic and jump opcodes.
type Source uint8

// Source operands: the immediate (K) or the src register (X). For END, SrcK
// means "to little-endian" and SrcX "to big-endian".
const (
	SrcK Source = 0x00
	SrcX Source = 0x08
)

// ALUOp is the operation of an ALU or ALU64 opcode (opcode & 0xf0).
type ALUOp uint8

// Arithmetic operations (RFC 9669 §4.1).
const (
	ALUAdd  ALUOp = 0x00
	ALUSub  ALUOp = 0x10
	ALUMul  ALUOp = 0x20
	ALUDiv  ALUOp = 0x30
	ALUOr   ALUOp = 0x40
	ALUAnd  ALUOp = 0x50
	ALULsh  ALUOp = 0x60
	ALURsh  ALUOp = 0x70
	ALUNeg  ALUOp = 0x80
	ALUMod  ALUOp = 0x90
	ALUXor  ALUOp = 0xa0
	ALUMov  ALUOp = 0xb0
	ALUArsh ALUOp = 0xc0
	ALUEnd  ALUOp = 0xd0
)

// JumpOp is the operation of a JMP or JMP32 opcode (opcode & 0xf0).
type JumpOp uint8

// Jump operations (RFC 9669 §4.3).
const (
	JumpJA   JumpOp = 0x00
	JumpJEQ  JumpOp = 0x10
	JumpJGT  JumpOp = 0x20
	JumpJGE  JumpOp = 0x30
	JumpJSET JumpOp = 0x40
	JumpJNE  JumpOp = 0x50
	JumpJSGT JumpOp = 0x60
	JumpJSGE JumpOp = 0x70
	JumpCall JumpOp = 0x80
	JumpExit JumpOp = 0x90
	JumpJLT  JumpOp = 0xa0
	JumpJLE  JumpOp = 0xb0
	JumpJSLT JumpOp = 0xc0
	JumpJSLE JumpOp = 0xd0
)

// negations pairs each comparison with the one taken exactly when it is not.
var negations = map[JumpOp]JumpOp{
	JumpJEQ: JumpJNE, JumpJNE: JumpJEQ,
	JumpJGT: JumpJLE, JumpJLE: JumpJGT,
	JumpJGE: JumpJLT, JumpJLT: JumpJGE,
	JumpJSGT: JumpJSLE, JumpJSLE: JumpJSGT,
	JumpJSGE: JumpJSLT, JumpJSLT: JumpJSGE,
}

// Negate returns the comparison taken exactly when op is not; ok is false
// for JSET, whose negation is no jump operation, and for ops that are not
// comparisons.
func (op JumpOp) Negate() (n JumpOp, ok bool) {
	n, ok = negations[op]
	return n, ok
}

// Swap returns the comparison of the operands in the other order: a op b
// is b op.Swap() a. Ops that do not care about the order return op.
func (op JumpOp) Swap() JumpOp {
	switch op {
	case JumpJGT:
		return JumpJLT
	case JumpJLT:
		return JumpJGT
	case JumpJGE:
		return JumpJLE
	case JumpJLE:
		return JumpJGE
	case JumpJSGT:
		return JumpJSLT
	case JumpJSLT:
		return JumpJSGT
	case JumpJSGE:
		return JumpJSLE
	case JumpJSLE:
		return JumpJSGE
	}
	return op
}

// Mode is the mode of a load or store opcode (opcode & 0xe0).
type Mode uint8

// Load and store modes (RFC 9669 §5).
const (
	ModeIMM    Mode = 0x00
	ModeABS    Mode = 0x20
	ModeIND    Mode = 0x40
	ModeMEM    Mode = 0x60
	ModeMEMSX  Mode = 0x80
	ModeATOMIC Mode = 0xc0
)

// Size is the access size of a load or store opcode (opcode & 0x18).
type Size uint8

// Access sizes.
const (
	SizeW  Size = 0x00
	SizeH  Size = 0x08
	SizeB  Size = 0x10
	SizeDW Size = 0x18
)

// Bytes returns the number of bytes the size accesses.
func (s Size) Bytes() int {
	switch s {
	case SizeW:
		return 4
	case SizeH:
		return 2
	case SizeB:
		return 1
	}
	return 8
}

// SizeOf returns the Size for an access of n bytes (1, 2, 4 or 8).
func SizeOf(n int) Size {
	switch n {
	case 1:
		return SizeB
	case 2:
		return SizeH
	case 4:
		return SizeW
	}
	return SizeDW
}

// AtomicOp is the operation of an atomic instruction, held in imm.
type AtomicOp int32

// Atomic operations (RFC 9669 §5.3). Fetch may be or-ed into Add, Or, And and Xor.
const (
	AtomicAdd     AtomicOp = 0x00
	AtomicOr      AtomicOp = 0x40
	AtomicAnd     AtomicOp = 0x50
	AtomicXor     AtomicOp = 0xa0
	AtomicFetch   AtomicOp = 0x01
	AtomicXchg    AtomicOp = 0xe0 | AtomicFetch
	AtomicCmpXchg AtomicOp = 0xf0 | AtomicFetch
)

// Call kinds, held in the src field of a CALL instruction.
const (
	CallHelper   = 0 // helper function by static id in imm
	CallLocal    = 1 // local function at pc + 1 + imm
	CallHelperID = 2 // helper function by BTF id in imm
)

// Kinds of lddw, held in its src field (RFC 9669 §5.4).
const (
	LDDWImm       = 0 // dst = imm64
	LDDWMapFD     = 1 // dst = map_by_fd(imm)
	LDDWMapValFD  = 2 // dst = map_val(map_by_fd(imm)) + next_imm
	LDDWVarAddr   = 3 // dst = var_addr(imm)
	LDDWCodeAddr  = 4 // dst = code_addr(imm)
	LDDWMapIdx    = 5 // dst = map_by_idx(imm)
	LDDWMapValIdx = 6 // dst = map_val(map_by_idx(imm)) + next_imm
)

// Register numbers.
const (
	R0  = 0
	R1  = 1
	R2  = 2
	R3  = 3
	R4  = 4
	R5  = 5
	R6  = 6
	R7  = 7
	R8  = 8
	R9  = 9
	R10 = 10 // read-only frame pointer

	// NumRegs is the number of registers, r0..r10.
	NumRegs = 11
)

// Frequently used whole opcodes.
const (
	OpLDDW  = uint8(ClassLD) | uint8(ModeIMM) | uint8(SizeDW) // 0x18
	OpCall  = uint8(ClassJMP) | uint8(JumpCall)               // 0x85
	OpExit  = uint8(ClassJMP) | uint8(JumpExit)               // 0x95
	OpJA    = uint8(ClassJMP) | uint8(JumpJA)                 // 0x05
	OpCallX = uint8(ClassJMP) | uint8(JumpCall) | uint8(SrcX) // 0x8d
)
