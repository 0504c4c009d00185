package isa

import (
	"errors"
	"fmt"
)

// Group is a conformance group of RFC 9669 §2.4.
type Group uint8

// Conformance groups. GroupCallX holds call-through-register, which is
// outside the RFC's groups.
const (
	GroupBase32 Group = iota + 1
	GroupBase64
	GroupAtomic32
	GroupAtomic64
	GroupDivMul32
	GroupDivMul64
	GroupPacket
	GroupCallX
)

var groupNames = map[Group]string{
	GroupBase32: "base32", GroupBase64: "base64", GroupAtomic32: "atomic32", GroupAtomic64: "atomic64",
	GroupDivMul32: "divmul32", GroupDivMul64: "divmul64", GroupPacket: "packet", GroupCallX: "callx",
}

// String returns the group's name as RFC 9669 spells it (base32, atomic64...).
func (g Group) String() string {
	if s, ok := groupNames[g]; ok {
		return s
	}
	return fmt.Sprintf("group(%d)", uint8(g))
}

// Version is the ISA version (the clang -mcpu level) that introduced an opcode.
type Version uint8

// ISA versions.
const (
	V1 Version = 1 // the original eBPF instruction set
	V2 Version = 2 // JLT, JLE, JSLT, JSLE
	V3 Version = 3 // JMP32 and the atomic operations beyond add
	V4 Version = 4 // sign extension, signed division, bswap, gotol
)

// String returns "v1" to "v4".
func (v Version) String() string { return fmt.Sprintf("v%d", uint8(v)) }

// Field is a set of instruction fields.
type Field uint8

// Instruction fields.
const (
	FieldDst Field = 1 << iota
	FieldSrc
	FieldOffset
	FieldImm
)

// OpInfo describes one valid opcode variant of RFC 9669: an opcode byte,
// together with the src, offset or imm value that selects the variant where
// the RFC's opcode table has one (lddw kinds, call kinds, signed division,
// sign-extending moves, byte-swap widths, atomic operations).
type OpInfo struct {
	Opcode  uint8
	Name    string // mnemonic in the conformance dialect of package asm
	Group   Group
	Version Version
	Uses    Field // fields holding operands; others (not in Fixed) must be zero
	Fixed   Field // fields whose value selects this variant
	Src     uint8 // value of src when FieldSrc is in Fixed
	Offset  int16 // value of offset when FieldOffset is in Fixed
	Imm     int64 // value of imm when FieldImm is in Fixed
}

// Template returns an instruction of this variant with the given registers
// (ignored where the variant has no such operand) and operands zero.
func (o OpInfo) Template(dst, src uint8) Instruction {
	ins := Instruction{Opcode: o.Opcode}
	if o.Uses&FieldDst != 0 {
		ins.Dst = dst
	}
	if o.Uses&FieldSrc != 0 {
		ins.Src = src
	}
	if o.Fixed&FieldSrc != 0 {
		ins.Src = o.Src
	}
	if o.Fixed&FieldOffset != 0 {
		ins.Offset = o.Offset
	}
	if o.Fixed&FieldImm != 0 {
		ins.Imm = o.Imm
	}
	return ins
}

var (
	opTable  []OpInfo
	byOpcode [256][]int
)

// Opcodes returns every valid opcode variant of RFC 9669 (and callx), in
// opcode order. The slice is shared; do not modify it.
func Opcodes() []OpInfo { return opTable }

// Lookup returns the variant an instruction encodes, matching the opcode and
// the selecting fields; it does not check registers or reserved fields.
func Lookup(ins Instruction) (OpInfo, bool) {
	for _, n := range byOpcode[ins.Opcode] {
		o := opTable[n]
		if o.Fixed&FieldSrc != 0 && ins.Src != o.Src {
			continue
		}
		if o.Fixed&FieldOffset != 0 && ins.Offset != o.Offset {
			continue
		}
		if o.Fixed&FieldImm != 0 && ins.Imm != o.Imm {
			continue
		}
		return o, true
	}
	return OpInfo{}, false
}

// Validate checks that the instruction is a valid encoding: a known opcode
// variant, registers r0..r10 where used, and zero reserved fields. It does
// not check control flow or writes to r10 (see package verifier).
func (i Instruction) Validate() error {
	o, ok := Lookup(i)
	if !ok {
		return i.unknownReason()
	}
	if o.Uses&FieldDst != 0 && i.Dst > R10 {
		return fmt.Errorf("invalid destination register r%d", i.Dst)
	}
	if o.Uses&FieldSrc != 0 && i.Src > R10 {
		return fmt.Errorf("invalid source register r%d", i.Src)
	}
	free := o.Uses | o.Fixed
	switch {
	case free&FieldDst == 0 && i.Dst != 0:
		return fmt.Errorf("%s: reserved dst field must be zero, have %d", o.Name, i.Dst)
	case free&FieldSrc == 0 && i.Src != 0:
		return fmt.Errorf("%s: reserved src field must be zero, have %d", o.Name, i.Src)
	case free&FieldOffset == 0 && i.Offset != 0:
		return fmt.Errorf("%s: reserved offset field must be zero, have %d", o.Name, i.Offset)
	case free&FieldImm == 0 && i.Imm != 0:
		return fmt.Errorf("%s: reserved imm field must be zero, have %d", o.Name, i.Imm)
	}
	return nil
}

// ErrUnknownOpcode is wrapped by validation errors for opcodes that are not
// part of the instruction set.
var ErrUnknownOpcode = errors.New("unknown opcode")

func (i Instruction) unknownReason() error {
	if len(byOpcode[i.Opcode]) == 0 {
		return fmt.Errorf("%w %#02x", ErrUnknownOpcode, i.Opcode)
	}
	o := opTable[byOpcode[i.Opcode][0]]
	switch {
	case o.Fixed&FieldSrc != 0:
		return fmt.Errorf("%w %#02x: invalid src %d", ErrUnknownOpcode, i.Opcode, i.Src)
	case o.Fixed&FieldOffset != 0:
		return fmt.Errorf("%w %#02x: invalid offset %d", ErrUnknownOpcode, i.Opcode, i.Offset)
	default:
		return fmt.Errorf("%w %#02x: invalid imm %d", ErrUnknownOpcode, i.Opcode, i.Imm)
	}
}

func add(o OpInfo) {
	byOpcode[o.Opcode] = append(byOpcode[o.Opcode], len(opTable))
	opTable = append(opTable, o)
}

var aluNames = map[ALUOp]string{
	ALUAdd: "add", ALUSub: "sub", ALUMul: "mul", ALUDiv: "div", ALUOr: "or", ALUAnd: "and",
	ALULsh: "lsh", ALURsh: "rsh", ALUNeg: "neg", ALUMod: "mod", ALUXor: "xor", ALUMov: "mov", ALUArsh: "arsh",
}

var jumpNames = map[JumpOp]string{
	JumpJEQ: "jeq", JumpJGT: "jgt", JumpJGE: "jge", JumpJSET: "jset", JumpJNE: "jne", JumpJSGT: "jsgt",
	JumpJSGE: "jsge", JumpJLT: "jlt", JumpJLE: "jle", JumpJSLT: "jslt", JumpJSLE: "jsle",
}

// AtomicName returns the conformance-dialect mnemonic of an atomic operation
// ("lock add", "lock fetch xor", "lock cmpxchg", ...) without the 32 suffix.
func AtomicName(op AtomicOp) string {
	switch op {
	case AtomicXchg:
		return "lock xchg"
	case AtomicCmpXchg:
		return "lock cmpxchg"
	}
	base := map[AtomicOp]string{AtomicAdd: "add", AtomicOr: "or", AtomicAnd: "and", AtomicXor: "xor"}[op&^AtomicFetch]
	if op&AtomicFetch != 0 {
		return "lock fetch " + base
	}
	return "lock " + base
}

// AtomicOps lists the valid atomic operations.
var AtomicOps = []AtomicOp{
	AtomicAdd, AtomicOr, AtomicAnd, AtomicXor,
	AtomicAdd | AtomicFetch, AtomicOr | AtomicFetch, AtomicAnd | AtomicFetch, AtomicXor | AtomicFetch,
	AtomicXchg, AtomicCmpXchg,
}

var sizeSuffix = map[Size]string{SizeB: "b", SizeH: "h", SizeW: "w", SizeDW: "dw"}

func init() {
	// ALU and ALU64, opcode order within each class.
	for _, class := range []Class{ClassALU, ClassALU64} {
		suffix, base, dm := "", GroupBase32, GroupDivMul32
		if class == ClassALU64 {
			suffix, base, dm = "", GroupBase64, GroupDivMul64
		} else {
			suffix = "32"
		}
		for op := ALUAdd; op <= ALUArsh; op += 0x10 {
			for _, src := range []Source{SrcK, SrcX} {
				opc := uint8(class) | uint8(op) | uint8(src)
				uses := FieldDst | FieldImm
				if src == SrcX {
					uses = FieldDst | FieldSrc
				}
				g := base
				if op == ALUMul || op == ALUDiv || op == ALUMod {
					g = dm
				}
				name := aluNames[op] + suffix
				switch op {
				case ALUNeg:
					if src == SrcX {
						continue
					}
					add(OpInfo{Opcode: opc, Name: name, Group: g, Version: V1, Uses: FieldDst})
				case ALUDiv, ALUMod:
					add(OpInfo{Opcode: opc, Name: name, Group: g, Version: V1, Uses: uses, Fixed: FieldOffset, Offset: 0})
					add(OpInfo{Opcode: opc, Name: "s" + name, Group: g, Version: V4, Uses: uses, Fixed: FieldOffset, Offset: 1})
				case ALUMov:
					add(OpInfo{Opcode: opc, Name: name, Group: g, Version: V1, Uses: uses, Fixed: FieldOffset, Offset: 0})
					if src == SrcX {
						widths := []int16{8, 16}
						to := "32"
						if class == ClassALU64 {
							widths, to = []int16{8, 16, 32}, "64"
						}
						for _, w := range widths {
							add(OpInfo{Opcode: opc, Name: fmt.Sprintf("movsx%d%s", w, to), Group: g, Version: V4, Uses: uses, Fixed: FieldOffset, Offset: w})
						}
					}
				default:
					add(OpInfo{Opcode: opc, Name: name, Group: g, Version: V1, Uses: uses})
				}
			}
		}
		// END: le/be in ALU, bswap in ALU64 (source bit 0 only).
		for _, w := range []int64{16, 32, 64} {
			g := GroupBase32
			if w == 64 {
				g = GroupBase64
			}
			if class == ClassALU {
				add(OpInfo{Opcode: uint8(ClassALU) | uint8(ALUEnd) | uint8(SrcK), Name: fmt.Sprintf("le%d", w), Group: g, Version: V1, Uses: FieldDst, Fixed: FieldImm, Imm: w})
			} else {
				add(OpInfo{Opcode: uint8(ClassALU64) | uint8(ALUEnd), Name: fmt.Sprintf("bswap%d", w), Group: g, Version: V4, Uses: FieldDst, Fixed: FieldImm, Imm: w})
			}
		}
		if class == ClassALU {
			for _, w := range []int64{16, 32, 64} {
				g := GroupBase32
				if w == 64 {
					g = GroupBase64
				}
				add(OpInfo{Opcode: uint8(ClassALU) | uint8(ALUEnd) | uint8(SrcX), Name: fmt.Sprintf("be%d", w), Group: g, Version: V1, Uses: FieldDst, Fixed: FieldImm, Imm: w})
			}
		}
	}

	// JMP and JMP32.
	add(OpInfo{Opcode: OpJA, Name: "ja", Group: GroupBase32, Version: V1, Uses: FieldOffset})
	add(OpInfo{Opcode: uint8(ClassJMP32) | uint8(JumpJA), Name: "ja32", Group: GroupBase32, Version: V4, Uses: FieldImm})
	for _, class := range []Class{ClassJMP, ClassJMP32} {
		for op := JumpJEQ; op <= JumpJSLE; op += 0x10 {
			if op == JumpCall || op == JumpExit {
				continue
			}
			for _, src := range []Source{SrcK, SrcX} {
				uses := FieldDst | FieldOffset | FieldImm
				if src == SrcX {
					uses = FieldDst | FieldSrc | FieldOffset
				}
				name, g, v := jumpNames[op], GroupBase64, V1
				if op >= JumpJLT {
					v = V2
				}
				if class == ClassJMP32 {
					name, g, v = name+"32", GroupBase32, V3
				}
				add(OpInfo{Opcode: uint8(class) | uint8(op) | uint8(src), Name: name, Group: g, Version: v, Uses: uses})
			}
		}
	}
	add(OpInfo{Opcode: OpCall, Name: "call", Group: GroupBase32, Version: V1, Uses: FieldImm, Fixed: FieldSrc, Src: CallHelper})
	add(OpInfo{Opcode: OpCall, Name: "call local", Group: GroupBase32, Version: V1, Uses: FieldImm, Fixed: FieldSrc, Src: CallLocal})
	add(OpInfo{Opcode: OpCall, Name: "call btf", Group: GroupBase32, Version: V1, Uses: FieldImm, Fixed: FieldSrc, Src: CallHelperID})
	add(OpInfo{Opcode: OpCallX, Name: "callx", Group: GroupCallX, Version: V1, Uses: FieldDst})
	add(OpInfo{Opcode: OpExit, Name: "exit", Group: GroupBase32, Version: V1})

	// LD: lddw kinds, legacy packet loads.
	for k := uint8(LDDWImm); k <= LDDWMapValIdx; k++ {
		add(OpInfo{Opcode: OpLDDW, Name: "lddw", Group: GroupBase64, Version: V1, Uses: FieldDst | FieldImm, Fixed: FieldSrc, Src: k})
	}
	for _, mode := range []Mode{ModeABS, ModeIND} {
		for _, size := range []Size{SizeW, SizeH, SizeB} {
			name := "ldabs" + sizeSuffix[size]
			uses := FieldImm
			if mode == ModeIND {
				name, uses = "ldind"+sizeSuffix[size], FieldSrc|FieldImm
			}
			add(OpInfo{Opcode: uint8(ClassLD) | uint8(mode) | uint8(size), Name: name, Group: GroupPacket, Version: V1, Uses: uses})
		}
	}
	// LDX, ST, STX.
	for _, size := range []Size{SizeW, SizeH, SizeB, SizeDW} {
		g := GroupBase32
		if size == SizeDW {
			g = GroupBase64
		}
		sfx := sizeSuffix[size]
		add(OpInfo{Opcode: uint8(ClassLDX) | uint8(ModeMEM) | uint8(size), Name: "ldx" + sfx, Group: g, Version: V1, Uses: FieldDst | FieldSrc | FieldOffset})
		if size != SizeDW {
			add(OpInfo{Opcode: uint8(ClassLDX) | uint8(ModeMEMSX) | uint8(size), Name: "ldxs" + sfx, Group: GroupBase64, Version: V4, Uses: FieldDst | FieldSrc | FieldOffset})
		}
		add(OpInfo{Opcode: uint8(ClassST) | uint8(ModeMEM) | uint8(size), Name: "st" + sfx, Group: g, Version: V1, Uses: FieldDst | FieldOffset | FieldImm})
		add(OpInfo{Opcode: uint8(ClassSTX) | uint8(ModeMEM) | uint8(size), Name: "stx" + sfx, Group: g, Version: V1, Uses: FieldDst | FieldSrc | FieldOffset})
	}
	for _, size := range []Size{SizeW, SizeDW} {
		g, sfx := GroupAtomic32, "32"
		if size == SizeDW {
			g, sfx = GroupAtomic64, ""
		}
		for _, op := range AtomicOps {
			v := V3
			if op == AtomicAdd {
				v = V1
			}
			add(OpInfo{Opcode: uint8(ClassSTX) | uint8(ModeATOMIC) | uint8(size), Name: AtomicName(op) + sfx, Group: g, Version: v,
				Uses: FieldDst | FieldSrc | FieldOffset, Fixed: FieldImm, Imm: int64(op)})
		}
	}

	// Keep the table in opcode order for readers.
	sortTable()
}

func sortTable() {
	// Stable insertion sort by opcode; the table is small and built once.
	for i := 1; i < len(opTable); i++ {
		for j := i; j > 0 && opTable[j].Opcode < opTable[j-1].Opcode; j-- {
			opTable[j], opTable[j-1] = opTable[j-1], opTable[j]
		}
	}
	for i := range byOpcode {
		byOpcode[i] = nil
	}
	for n, o := range opTable {
		byOpcode[o.Opcode] = append(byOpcode[o.Opcode], n)
	}
}
