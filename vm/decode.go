package vm

import (
	"encoding/binary"
	"fmt"

	"github.com/iovm/iovm/isa"
)

// insn is the pre-decoded form of one slot: an internal opcode that folds
// the class, operation, source, size, byte order and special cases
// together, the registers, and operands ready to use.
type insn struct {
	op  uint8
	dst uint8
	src uint8
	_   uint8
	off int32  // memory offset, or absolute target pc of a jump or local call
	imm uint64 // immediate, prepared for the operation (see predecode)
}

// frame is the caller state a local call saves.
type frame struct {
	ret    int
	r6, r7 uint64
	r8, r9 uint64
}

// Internal opcodes. K takes the immediate, X the src register.
const (
	opInvalid uint8 = iota // imm indexes invalidReasons
	opNop

	opAdd64K
	opAdd64X
	opSub64K
	opSub64X
	opMul64K
	opMul64X
	opDiv64K // imm != 0
	opDiv64X
	opSDiv64K // imm != 0
	opSDiv64X
	opMod64K // imm != 0
	opMod64X
	opSMod64K // imm != 0
	opSMod64X
	opOr64K
	opOr64X
	opAnd64K
	opAnd64X
	opLsh64K // imm masked
	opLsh64X
	opRsh64K
	opRsh64X
	opArsh64K
	opArsh64X
	opXor64K
	opXor64X
	opMov64K
	opMov64X
	opNeg64
	opMovSX8to64
	opMovSX16to64
	opMovSX32to64
	opBswap16
	opBswap32
	opBswap64

	opAdd32K
	opAdd32X
	opSub32K
	opSub32X
	opMul32K
	opMul32X
	opDiv32K
	opDiv32X
	opSDiv32K
	opSDiv32X
	opMod32K
	opMod32X
	opSMod32K
	opSMod32X
	opOr32K
	opOr32X
	opAnd32K
	opAnd32X
	opLsh32K
	opLsh32X
	opRsh32K
	opRsh32X
	opArsh32K
	opArsh32X
	opXor32K
	opXor32X
	opMov32K
	opMov32X
	opNeg32
	opMovSX8to32
	opMovSX16to32
	opZext16
	opZext32

	opJA
	opJEQK
	opJEQX
	opJGTK
	opJGTX
	opJGEK
	opJGEX
	opJSETK
	opJSETX
	opJNEK
	opJNEX
	opJSGTK
	opJSGTX
	opJSGEK
	opJSGEX
	opJLTK
	opJLTX
	opJLEK
	opJLEX
	opJSLTK
	opJSLTX
	opJSLEK
	opJSLEX
	opJEQ32K
	opJEQ32X
	opJGT32K
	opJGT32X
	opJGE32K
	opJGE32X
	opJSET32K
	opJSET32X
	opJNE32K
	opJNE32X
	opJSGT32K
	opJSGT32X
	opJSGE32K
	opJSGE32X
	opJLT32K
	opJLT32X
	opJLE32K
	opJLE32X
	opJSLT32K
	opJSLT32X
	opJSLE32K
	opJSLE32X

	opLddw
	opCall      // imm indexes Program.helpers
	opCallUnk   // helper id imm not registered
	opCallLocal // off = target
	opCallX
	opExit

	opLdxB
	opLdxHLE
	opLdxHBE
	opLdxWLE
	opLdxWBE
	opLdxDWLE
	opLdxDWBE
	opLdxSB
	opLdxSHLE
	opLdxSHBE
	opLdxSWLE
	opLdxSWBE
	opStB
	opStHLE
	opStHBE
	opStWLE
	opStWBE
	opStDWLE
	opStDWBE
	opStxB
	opStxHLE
	opStxHBE
	opStxWLE
	opStxWBE
	opStxDWLE
	opStxDWBE
	opAtomicW // imm = atomic op
	opAtomicDW
	opLdAbsB
	opLdAbsH
	opLdAbsW
	opLdIndB
	opLdIndH
	opLdIndW

	numOps
)

// Invalid control flow: why an engine stops at a slot the verifier rejects
// (reachable only in programs loaded past it). Every engine words them alike.
const (
	InvalidFallOff    = iota // fell off the end of the program
	InvalidLddwMiddle        // jump into the middle of a lddw
	InvalidJumpRange         // jump target out of the program
	InvalidCallRange         // call target out of the program
)

var invalidReasons = []string{
	"fell off the end of the program",
	"jump into the middle of a lddw",
	"jump target out of the program",
	"call target out of the program",
}

// InvalidReason returns the message of an Invalid* reason.
func InvalidReason(k uint64) string { return invalidReasons[k%uint64(len(invalidReasons))] }

const (
	invFallOff    = InvalidFallOff
	invLddwMiddle = InvalidLddwMiddle
	invJumpRange  = InvalidJumpRange
	invCallRange  = InvalidCallRange
)

var aluOps64 = map[isa.ALUOp][2]uint8{
	isa.ALUAdd: {opAdd64K, opAdd64X}, isa.ALUSub: {opSub64K, opSub64X}, isa.ALUMul: {opMul64K, opMul64X},
	isa.ALUOr: {opOr64K, opOr64X}, isa.ALUAnd: {opAnd64K, opAnd64X}, isa.ALULsh: {opLsh64K, opLsh64X},
	isa.ALURsh: {opRsh64K, opRsh64X}, isa.ALUXor: {opXor64K, opXor64X}, isa.ALUArsh: {opArsh64K, opArsh64X},
}

var aluOps32 = map[isa.ALUOp][2]uint8{
	isa.ALUAdd: {opAdd32K, opAdd32X}, isa.ALUSub: {opSub32K, opSub32X}, isa.ALUMul: {opMul32K, opMul32X},
	isa.ALUOr: {opOr32K, opOr32X}, isa.ALUAnd: {opAnd32K, opAnd32X}, isa.ALULsh: {opLsh32K, opLsh32X},
	isa.ALURsh: {opRsh32K, opRsh32X}, isa.ALUXor: {opXor32K, opXor32X}, isa.ALUArsh: {opArsh32K, opArsh32X},
}

// jumpOps[jmp32][op>>4] = {K, X}.
var jumpOps = [2][16][2]uint8{
	{
		isa.JumpJEQ >> 4: {opJEQK, opJEQX}, isa.JumpJGT >> 4: {opJGTK, opJGTX}, isa.JumpJGE >> 4: {opJGEK, opJGEX},
		isa.JumpJSET >> 4: {opJSETK, opJSETX}, isa.JumpJNE >> 4: {opJNEK, opJNEX}, isa.JumpJSGT >> 4: {opJSGTK, opJSGTX},
		isa.JumpJSGE >> 4: {opJSGEK, opJSGEX}, isa.JumpJLT >> 4: {opJLTK, opJLTX}, isa.JumpJLE >> 4: {opJLEK, opJLEX},
		isa.JumpJSLT >> 4: {opJSLTK, opJSLTX}, isa.JumpJSLE >> 4: {opJSLEK, opJSLEX},
	},
	{
		isa.JumpJEQ >> 4: {opJEQ32K, opJEQ32X}, isa.JumpJGT >> 4: {opJGT32K, opJGT32X}, isa.JumpJGE >> 4: {opJGE32K, opJGE32X},
		isa.JumpJSET >> 4: {opJSET32K, opJSET32X}, isa.JumpJNE >> 4: {opJNE32K, opJNE32X}, isa.JumpJSGT >> 4: {opJSGT32K, opJSGT32X},
		isa.JumpJSGE >> 4: {opJSGE32K, opJSGE32X}, isa.JumpJLT >> 4: {opJLT32K, opJLT32X}, isa.JumpJLE >> 4: {opJLE32K, opJLE32X},
		isa.JumpJSLT >> 4: {opJSLT32K, opJSLT32X}, isa.JumpJSLE >> 4: {opJSLE32K, opJSLE32X},
	},
}

// memOps[kind][size] = {little-endian, big-endian}; kind 0 LDX, 1 LDX sign-extending, 2 ST, 3 STX.
var memOps = [4][4][2]uint8{
	{isa.SizeB >> 3: {opLdxB, opLdxB}, isa.SizeH >> 3: {opLdxHLE, opLdxHBE}, isa.SizeW >> 3: {opLdxWLE, opLdxWBE}, isa.SizeDW >> 3: {opLdxDWLE, opLdxDWBE}},
	{isa.SizeB >> 3: {opLdxSB, opLdxSB}, isa.SizeH >> 3: {opLdxSHLE, opLdxSHBE}, isa.SizeW >> 3: {opLdxSWLE, opLdxSWBE}},
	{isa.SizeB >> 3: {opStB, opStB}, isa.SizeH >> 3: {opStHLE, opStHBE}, isa.SizeW >> 3: {opStWLE, opStWBE}, isa.SizeDW >> 3: {opStDWLE, opStDWBE}},
	{isa.SizeB >> 3: {opStxB, opStxB}, isa.SizeH >> 3: {opStxHLE, opStxHBE}, isa.SizeW >> 3: {opStxWLE, opStxWBE}, isa.SizeDW >> 3: {opStxDWLE, opStxDWBE}},
}

// predecode fills p.code from p.insns (valid instructions, lddw joined).
// Control-flow errors the verifier is expected to reject (bad targets,
// falling off the end) become opInvalid slots that fault when reached, so
// the interpreter is safe whatever the verifier lets through.
func (p *Program) predecode() error {
	n := len(p.insns)
	code := make([]insn, n+1)
	code[n] = insn{op: opInvalid, imm: invFallOff}
	big := p.opts.Order == binary.BigEndian
	ord := 0
	if big {
		ord = 1
	}
	helperIdx := map[int32]int{}
	target := func(pc int, rel int64) (int32, bool) {
		t := int64(pc) + 1 + rel
		if t < 0 || t >= int64(n) {
			return 0, false
		}
		if p.insns.IsContinuation(int(t)) {
			return 0, false
		}
		return int32(t), true
	}
	for pc := 0; pc < n; pc++ {
		in := p.insns[pc]
		c := insn{dst: in.Dst & 15, src: in.Src & 15, off: int32(in.Offset), imm: uint64(in.Imm)}
		switch cls := in.Class(); cls {
		case isa.ClassALU64, isa.ClassALU:
			is64 := cls == isa.ClassALU64
			x := 0
			if in.Source() == isa.SrcX {
				x = 1
			}
			op := in.ALUOp()
			if !is64 && x == 0 {
				c.imm = uint64(uint32(in.Imm))
			}
			switch op {
			case isa.ALULsh, isa.ALURsh, isa.ALUArsh:
				if is64 {
					c.imm &= 63
				} else {
					c.imm &= 31
				}
			}
			switch {
			case op == isa.ALUNeg:
				c.op = pick(is64, opNeg64, opNeg32)
			case op == isa.ALUMov:
				switch in.Offset {
				case 0:
					c.op = [2][2]uint8{{opMov32K, opMov32X}, {opMov64K, opMov64X}}[b2i(is64)][x]
				case 8:
					c.op = pick(is64, opMovSX8to64, opMovSX8to32)
				case 16:
					c.op = pick(is64, opMovSX16to64, opMovSX16to32)
				case 32:
					c.op = opMovSX32to64
				}
			case op == isa.ALUDiv || op == isa.ALUMod:
				signed := in.Offset == 1
				var ops [2]uint8
				switch {
				case op == isa.ALUDiv && is64:
					ops = [2]uint8{pick(signed, opSDiv64K, opDiv64K), pick(signed, opSDiv64X, opDiv64X)}
				case op == isa.ALUDiv:
					ops = [2]uint8{pick(signed, opSDiv32K, opDiv32K), pick(signed, opSDiv32X, opDiv32X)}
				case is64:
					ops = [2]uint8{pick(signed, opSMod64K, opMod64K), pick(signed, opSMod64X, opMod64X)}
				default:
					ops = [2]uint8{pick(signed, opSMod32K, opMod32K), pick(signed, opSMod32X, opMod32X)}
				}
				c.op = ops[x]
				if x == 0 && uint32(in.Imm) == 0 {
					// By zero: a quotient of 0, a remainder of the dividend.
					switch {
					case op == isa.ALUDiv:
						c.op, c.imm = pick(is64, opMov64K, opMov32K), 0
					case is64:
						c.op = opNop
					default:
						c.op = opZext32
					}
				}
			case op == isa.ALUEnd:
				c.op = endOp(cls, in.Source(), in.Imm, big)
			default:
				if is64 {
					c.op = aluOps64[op][x]
				} else {
					c.op = aluOps32[op][x]
				}
			}
		case isa.ClassJMP, isa.ClassJMP32:
			op := in.JumpOp()
			switch {
			case in.Opcode == isa.OpExit:
				c.op = opExit
			case in.Opcode == isa.OpCallX:
				c.op = opCallX
			case in.Opcode == isa.OpCall && in.Src == isa.CallLocal:
				t, ok := target(pc, in.Imm)
				if !ok {
					c.op, c.imm = opInvalid, invCallRange
					break
				}
				c.op, c.off = opCallLocal, t
			case in.Opcode == isa.OpCall && in.Src == isa.CallHelperID:
				// Helpers by BTF id are another namespace, which Helpers
				// does not hold (the verifier rejects these calls).
				c.op = opCallUnk
			case in.Opcode == isa.OpCall:
				id := int32(in.Imm)
				h := p.opts.Helpers.Lookup(id)
				if h == nil || h.Fn == nil {
					c.op = opCallUnk
					break
				}
				k, ok := helperIdx[id]
				if !ok {
					k = len(p.helpers)
					helperIdx[id] = k
					p.helpers = append(p.helpers, h.Fn)
					p.hinfo = append(p.hinfo, h)
				}
				c.op, c.imm = opCall, uint64(k)
			case op == isa.JumpJA:
				rel := int64(in.Offset)
				if cls == isa.ClassJMP32 {
					rel = in.Imm
				}
				t, ok := target(pc, rel)
				if !ok {
					c.op, c.imm = opInvalid, invJumpRange
					if t := int64(pc) + 1 + rel; t >= 0 && t < int64(n) {
						c.imm = invLddwMiddle
					}
					break
				}
				c.op, c.off = opJA, t
			default:
				t, ok := target(pc, int64(in.Offset))
				if !ok {
					c.op, c.imm = opInvalid, invJumpRange
					if t := int64(pc) + 1 + int64(in.Offset); t >= 0 && t < int64(n) {
						c.imm = invLddwMiddle
					}
					break
				}
				j32 := b2i(cls == isa.ClassJMP32)
				c.op, c.off = jumpOps[j32][op>>4][b2i(in.Source() == isa.SrcX)], t
				if j32 == 1 {
					c.imm = uint64(uint32(in.Imm))
				}
			}
		case isa.ClassLD:
			switch in.Mode() {
			case isa.ModeIMM: // lddw
				c.op = opLddw
				if in.Src != isa.LDDWImm {
					if p.opts.ResolveLDDW == nil {
						return &Error{Kind: KindLoad, PC: pc, Reason: fmt.Sprintf("lddw with src %d (a map or address) needs Options.ResolveLDDW", in.Src)}
					}
					v, err := p.opts.ResolveLDDW(pc, in)
					if err != nil {
						return &Error{Kind: KindLoad, PC: pc, Reason: err.Error(), Err: err}
					}
					c.imm = v
				}
				code[pc] = c
				pc++
				code[pc] = insn{op: opInvalid, imm: invLddwMiddle}
				continue
			case isa.ModeABS:
				c.op = [4]uint8{isa.SizeW >> 3: opLdAbsW, isa.SizeH >> 3: opLdAbsH, isa.SizeB >> 3: opLdAbsB}[in.Size()>>3]
			case isa.ModeIND:
				c.op = [4]uint8{isa.SizeW >> 3: opLdIndW, isa.SizeH >> 3: opLdIndH, isa.SizeB >> 3: opLdIndB}[in.Size()>>3]
			}
			c.imm = uint64(uint32(in.Imm))
		case isa.ClassLDX:
			k := 0
			if in.Mode() == isa.ModeMEMSX {
				k = 1
			}
			c.op = memOps[k][in.Size()>>3][ord]
		case isa.ClassST:
			c.op = memOps[2][in.Size()>>3][ord]
		case isa.ClassSTX:
			if in.Mode() == isa.ModeATOMIC {
				c.op = pick(in.Size() == isa.SizeDW, opAtomicDW, opAtomicW)
				c.imm = uint64(uint32(in.Imm))
			} else {
				c.op = memOps[3][in.Size()>>3][ord]
			}
		}
		code[pc] = c
	}
	p.code = code
	return nil
}

// endOp maps le/be/bswap to a width truncation or a byte swap, relative to
// the program's byte order.
func endOp(cls isa.Class, src isa.Source, width int64, big bool) uint8 {
	swap := cls == isa.ClassALU64 || (src == isa.SrcX) != big // bswap, or to the other order
	switch width {
	case 16:
		return pick(swap, opBswap16, opZext16)
	case 32:
		return pick(swap, opBswap32, opZext32)
	}
	return pick(swap, opBswap64, opNop)
}

func pick(c bool, a, b uint8) uint8 {
	if c {
		return a
	}
	return b
}

func b2i(c bool) int {
	if c {
		return 1
	}
	return 0
}
