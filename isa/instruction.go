package isa

import (
	"encoding/binary"
	"fmt"
)

// SlotSize is the size in bytes of one instruction slot.
const SlotSize = 8

// Instruction is one eBPF instruction.
//
// Imm holds the immediate sign-extended to 64 bits; for a wide lddw it holds
// the whole 64-bit constant (low 32 bits from the first slot, high 32 bits
// from the second).
type Instruction struct {
	Opcode uint8
	Dst    uint8
	Src    uint8
	Offset int16
	Imm    int64
}

// Program is a decoded program indexed by slot: p[pc] is the instruction
// that starts at slot pc, so jump targets (pc + 1 + offset) index it
// directly. A wide lddw at pc occupies pc and pc+1; p[pc+1] is then its
// continuation, an Instruction with Opcode 0 that engines skip (see
// IsContinuation).
type Program []Instruction

// Class returns the instruction class.
func (i Instruction) Class() Class { return Class(i.Opcode & 0x07) }

// Source returns the source bit of an ALU or jump opcode.
func (i Instruction) Source() Source { return Source(i.Opcode & 0x08) }

// ALUOp returns the operation of an ALU or ALU64 opcode.
func (i Instruction) ALUOp() ALUOp { return ALUOp(i.Opcode & 0xf0) }

// JumpOp returns the operation of a JMP or JMP32 opcode.
func (i Instruction) JumpOp() JumpOp { return JumpOp(i.Opcode & 0xf0) }

// Mode returns the mode of a load or store opcode.
func (i Instruction) Mode() Mode { return Mode(i.Opcode & 0xe0) }

// Size returns the access size of a load or store opcode.
func (i Instruction) Size() Size { return Size(i.Opcode & 0x18) }

// IsWide reports whether the instruction is a lddw taking two slots.
func (i Instruction) IsWide() bool { return i.Opcode == OpLDDW }

// Slots returns the number of slots the instruction occupies: 2 for lddw, else 1.
func (i Instruction) Slots() int {
	if i.IsWide() {
		return 2
	}
	return 1
}

// IsContinuation reports whether p[pc] is the second slot of a wide lddw.
func (p Program) IsContinuation(pc int) bool {
	return pc > 0 && pc < len(p) && p[pc-1].IsWide() && p[pc].Opcode == 0
}

// Imm32 returns the immediate truncated to its 32-bit encoded value.
func (i Instruction) Imm32() int32 { return int32(i.Imm) }

// String formats the raw fields of the instruction; package asm prints mnemonics.
func (i Instruction) String() string {
	return fmt.Sprintf("{op=%#02x dst=r%d src=r%d off=%d imm=%d}", i.Opcode, i.Dst, i.Src, i.Offset, i.Imm)
}

// Order returns the byte order of a program, little- or big-endian.
type Order = binary.ByteOrder

// DecodeError reports an invalid encoding at a slot.
type DecodeError struct {
	Slot   int    // slot index of the offending instruction
	Reason string // what is wrong
}

// Error formats the slot and the reason.
func (e *DecodeError) Error() string {
	return fmt.Sprintf("slot %d: %s", e.Slot, e.Reason)
}

func decodeSlot(b []byte, order binary.ByteOrder) Instruction {
	var dst, src uint8
	if order == binary.BigEndian {
		dst, src = b[1]>>4, b[1]&0x0f
	} else {
		dst, src = b[1]&0x0f, b[1]>>4
	}
	return Instruction{
		Opcode: b[0],
		Dst:    dst,
		Src:    src,
		Offset: int16(order.Uint16(b[2:4])),
		Imm:    int64(int32(order.Uint32(b[4:8]))),
	}
}

// DecodeRaw splits b into slots without validating opcodes: every slot
// becomes one Instruction, and lddw constants are not joined. It fails only
// when len(b) is not a multiple of SlotSize.
func DecodeRaw(b []byte, order binary.ByteOrder) ([]Instruction, error) {
	if len(b)%SlotSize != 0 {
		return nil, &DecodeError{Slot: len(b) / SlotSize, Reason: fmt.Sprintf("program length %d is not a multiple of %d", len(b), SlotSize)}
	}
	out := make([]Instruction, len(b)/SlotSize)
	for n := range out {
		out[n] = decodeSlot(b[n*SlotSize:], order)
	}
	return out, nil
}

// Decode decodes and validates a program in the given byte order. Each slot
// must hold a valid instruction of RFC 9669 with its reserved fields zero;
// lddw constants are joined into the first slot's Imm.
func Decode(b []byte, order binary.ByteOrder) (Program, error) {
	raw, err := DecodeRaw(b, order)
	if err != nil {
		return nil, err
	}
	for pc := 0; pc < len(raw); pc++ {
		ins := raw[pc]
		if ins.Opcode == OpLDDW {
			if pc+1 >= len(raw) {
				return nil, &DecodeError{Slot: pc, Reason: "lddw truncated: missing second slot"}
			}
			hi := raw[pc+1]
			if hi.Opcode != 0 || hi.Dst != 0 || hi.Src != 0 || hi.Offset != 0 {
				return nil, &DecodeError{Slot: pc + 1, Reason: "second slot of lddw must have opcode, registers and offset zero"}
			}
			raw[pc].Imm = int64(uint64(uint32(ins.Imm)) | uint64(uint32(hi.Imm))<<32)
			raw[pc+1] = Instruction{}
			if err := raw[pc].Validate(); err != nil {
				return nil, &DecodeError{Slot: pc, Reason: err.Error()}
			}
			pc++
			continue
		}
		if err := ins.Validate(); err != nil {
			return nil, &DecodeError{Slot: pc, Reason: err.Error()}
		}
	}
	return raw, nil
}

// Encode encodes a program in the given byte order. Continuation slots of
// wide instructions are re-created from the lddw's Imm, whatever they hold.
// It fails if an instruction does not fit its encoding (registers above 15,
// an immediate that is not a sign-extended 32-bit value, a lddw in the last
// slot); it does not check validity otherwise, so any raw program round-trips.
func Encode(p []Instruction, order binary.ByteOrder) ([]byte, error) {
	out := make([]byte, 0, len(p)*SlotSize)
	for pc := 0; pc < len(p); pc++ {
		ins := p[pc]
		if ins.Dst > 15 || ins.Src > 15 {
			return nil, &DecodeError{Slot: pc, Reason: fmt.Sprintf("register out of range (dst %d, src %d)", ins.Dst, ins.Src)}
		}
		if ins.IsWide() {
			if pc+1 >= len(p) {
				return nil, &DecodeError{Slot: pc, Reason: "lddw in the last slot has no room for its second slot"}
			}
			lo := ins
			lo.Imm = int64(int32(uint32(ins.Imm)))
			out = appendSlot(out, lo, order)
			out = appendSlot(out, Instruction{Imm: int64(int32(uint32(uint64(ins.Imm) >> 32)))}, order)
			pc++
			continue
		}
		if ins.Imm != int64(int32(ins.Imm)) {
			return nil, &DecodeError{Slot: pc, Reason: fmt.Sprintf("immediate %d does not fit in 32 bits", ins.Imm)}
		}
		out = appendSlot(out, ins, order)
	}
	return out, nil
}

func appendSlot(out []byte, ins Instruction, order binary.ByteOrder) []byte {
	var b [SlotSize]byte
	b[0] = ins.Opcode
	if order == binary.BigEndian {
		b[1] = ins.Dst<<4 | ins.Src&0x0f
	} else {
		b[1] = ins.Src<<4 | ins.Dst&0x0f
	}
	order.PutUint16(b[2:4], uint16(ins.Offset))
	order.PutUint32(b[4:8], uint32(int32(ins.Imm)))
	return append(out, b[:]...)
}

// Wide returns the two-slot form of a lddw for building programs by hand:
// the instruction followed by its continuation.
func Wide(ins Instruction) []Instruction {
	return []Instruction{ins, {}}
}

// Append appends ins to p, adding the continuation slot after a lddw.
func (p Program) Append(ins ...Instruction) Program {
	for _, i := range ins {
		p = append(p, i)
		if i.IsWide() {
			p = append(p, Instruction{})
		}
	}
	return p
}
