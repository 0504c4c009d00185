package verifier_test

import (
	"encoding/binary"
	"errors"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/iovm/iovm/conformance"
	"github.com/iovm/iovm/isa"
	"github.com/iovm/iovm/verifier"
	"github.com/iovm/iovm/vm"
)

// gen builds a random program from a byte stream: straight-line code over
// scalars and pointers (input, stack, derived), forward branches (length
// checks, comparisons against the input end, bounds on scalars), bounded
// loops, helper calls and atomics, biased towards what the verifier must
// reason about.
type gen struct {
	b []byte
	i int
}

func (g *gen) byte() byte {
	if g.i >= len(g.b) {
		return 0
	}
	g.i++
	return g.b[g.i-1]
}

func (g *gen) n(k int) int { return int(g.byte()) % k }

func (g *gen) done() bool { return g.i >= len(g.b) }

var interesting = []int64{0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 255, 256, -1, -2, -8, -16, -512, 0x7fffffff, -0x80000000, 65535}

func (g *gen) imm() int64 {
	if g.n(3) == 0 {
		return int64(int32(uint32(g.byte()) | uint32(g.byte())<<8 | uint32(g.byte())<<16 | uint32(g.byte())<<24))
	}
	return interesting[g.n(len(interesting))]
}

func (g *gen) reg() uint8 { return uint8(g.n(10)) }

// linkedRegs returns two different registers for a linked pair (not the
// input pointer r6 or length r7 the generator keeps).
func (g *gen) linkedRegs() (x, y uint8) {
	regs := []uint8{3, 4, 5, 8, 9}
	x = regs[g.n(len(regs))]
	y = regs[g.n(len(regs))]
	if y == x {
		y = regs[(g.n(4)+1+int(x))%len(regs)]
		if y == x {
			y = 2
		}
	}
	return x, y
}

// addConst adds or subtracts a small constant to r, sometimes in 32 bits.
func (g *gen) addConst(r uint8) isa.Instruction {
	ins := isa.Instruction{Opcode: 0x07, Dst: r, Imm: int64(g.n(12)) - 4}
	switch g.n(6) {
	case 0:
		ins.Opcode = 0x04 // add32
	case 1:
		ins.Opcode = 0x17 // sub
	}
	return ins
}

func (g *gen) program() isa.Program {
	var p isa.Program
	emit := func(ins ...isa.Instruction) { p = p.Append(ins...) }
	sizes := []isa.Size{isa.SizeB, isa.SizeH, isa.SizeW, isa.SizeDW}
	alu := []isa.ALUOp{isa.ALUAdd, isa.ALUSub, isa.ALUMul, isa.ALUDiv, isa.ALUOr, isa.ALUAnd, isa.ALULsh, isa.ALURsh, isa.ALUMod, isa.ALUXor, isa.ALUArsh}
	jumps := []isa.JumpOp{isa.JumpJEQ, isa.JumpJGT, isa.JumpJGE, isa.JumpJSET, isa.JumpJNE, isa.JumpJSGT, isa.JumpJSGE, isa.JumpJLT, isa.JumpJLE, isa.JumpJSLT, isa.JumpJSLE}
	// Keep the input pointer in r6 and its length in r7 (r1, r2 are
	// clobbered by calls); r0 starts at 0 so exit is initialized.
	emit(isa.Instruction{Opcode: 0xbf, Dst: 6, Src: 1}, isa.Instruction{Opcode: 0xbf, Dst: 7, Src: 2}, isa.Instruction{Opcode: 0xb7, Dst: 0})
	if g.n(8) != 0 {
		// Usually: every register and 64 bytes of stack initialized.
		for _, r := range []uint8{2, 3, 4, 5, 8, 9} {
			emit(isa.Instruction{Opcode: 0xb7, Dst: r, Imm: int64(g.n(16))})
		}
		for off := int16(-64); off < 0; off += 8 {
			emit(isa.Instruction{Opcode: uint8(isa.ClassST) | uint8(isa.ModeMEM) | uint8(isa.SizeDW), Dst: 10, Offset: off})
		}
	}
	type fwd struct{ at, left int }
	var pend []fwd  // forward jumps to patch: target after `left` more instructions
	var calls []int // local calls to patch to the callee
	for !g.done() && len(p) < 120 {
		start := len(p)
		cls := isa.ClassALU64
		if g.n(3) == 0 {
			cls = isa.ClassALU
		}
		switch g.n(28) {
		case 26, 27: // an array of 2^s-byte elements: n = len >> sh, a = data + (n << t), a + (i << s) with i < n
			emit(g.scaledArray()...)
		case 24, 25: // a length-prefixed record: n <= len - off, then data + off, data + off + n, off + n
			emit(g.record()...)
		case 23: // p + c compared with an input pointer end whose offset is (maybe) related to the length
			x, y := uint8(3+g.n(3)), uint8(3+g.n(3))
			var body []isa.Instruction
			body = append(body, isa.Instruction{Opcode: 0xbf, Dst: 8, Src: 6})
			switch g.n(4) {
			case 0: // a constant end
				body = append(body, isa.Instruction{Opcode: 0x07, Dst: 8, Imm: int64(g.n(24))})
			default:
				body = append(body, isa.Instruction{Opcode: 0x0f, Dst: 8, Src: x})
			}
			body = append(body, isa.Instruction{Opcode: 0xbf, Dst: 1, Src: 6})
			if g.n(3) == 0 {
				body = append(body, isa.Instruction{Opcode: 0x07, Dst: 1, Imm: int64(g.n(8))})
			} else {
				body = append(body, isa.Instruction{Opcode: 0x0f, Dst: 1, Src: y})
			}
			body = append(body, isa.Instruction{Opcode: 0xbf, Dst: 9, Src: 1})
			if g.n(5) == 0 { // p + unknown
				body = append(body, isa.Instruction{Opcode: 0x0f, Dst: 9, Src: uint8(3 + g.n(3))})
			} else {
				body = append(body, isa.Instruction{Opcode: 0x07, Dst: 9, Imm: int64(g.n(24)) - 2})
			}
			op := []isa.JumpOp{isa.JumpJGT, isa.JumpJGE, isa.JumpJLT, isa.JumpJLE, isa.JumpJSGT, isa.JumpJSLE}[g.n(6)]
			jc := isa.ClassJMP
			if g.n(6) == 0 {
				jc = isa.ClassJMP32
			}
			cmp := isa.Instruction{Opcode: uint8(jc) | uint8(op) | 0x08, Dst: 9, Src: 8, Offset: 1}
			if g.n(2) == 0 {
				cmp.Dst, cmp.Src = 8, 9
			}
			body = append(body, cmp)
			body = append(body, isa.Instruction{Opcode: uint8(isa.ClassLDX) | uint8(isa.ModeMEM) | uint8(sizes[g.n(4)]), Dst: 0, Src: []uint8{1, 9}[g.n(2)], Offset: int16(g.n(26)) - 3})
			if g.n(4) != 0 { // x <= len (or x < len) skips the rest otherwise
				lop := []isa.JumpOp{isa.JumpJGT, isa.JumpJGE}[g.n(2)]
				lc := isa.ClassJMP
				if g.n(8) == 0 {
					lc = isa.ClassJMP32
				}
				emit(isa.Instruction{Opcode: uint8(lc) | uint8(lop) | 0x08, Dst: x, Src: 7, Offset: int16(len(body))})
			}
			emit(body...)
		case 22: // two paths give x different bases and relations, then meet (pruning with a shift)
			x, y := g.linkedRegs()
			t, s, ca, cb := int64(g.n(8)), int64(g.n(4)), int64(g.n(5)), int64(g.n(5))
			ja := isa.Instruction{Opcode: 0x05}
			emit(isa.Instruction{Opcode: 0xbf, Dst: x, Src: 7}, isa.Instruction{Opcode: 0x17, Dst: x, Imm: t},
				isa.Instruction{Opcode: 0x57, Dst: x, Imm: 0x3ff})
			emit(isa.Instruction{Opcode: uint8(isa.ClassJMP) | uint8(isa.JumpJSET), Dst: 7, Imm: 1, Offset: 4})
			// A: y = x + ca < len
			emit(isa.Instruction{Opcode: 0xbf, Dst: y, Src: x}, isa.Instruction{Opcode: 0x07, Dst: y, Imm: ca})
			emit(isa.Instruction{Opcode: uint8(isa.ClassJMP) | uint8(isa.JumpJGE) | 0x08, Dst: y, Src: 7, Offset: 9})
			ja.Offset = 5
			emit(ja)
			// B: x <= 1000, linked, x += s, y = x + cb < len
			emit(isa.Instruction{Opcode: uint8(isa.ClassJMP) | uint8(isa.JumpJGT), Dst: x, Imm: 1000, Offset: 7})
			emit(isa.Instruction{Opcode: 0xbf, Dst: y, Src: x}, isa.Instruction{Opcode: 0x07, Dst: x, Imm: s})
			emit(isa.Instruction{Opcode: 0x07, Dst: y, Imm: s + cb})
			emit(isa.Instruction{Opcode: uint8(isa.ClassJMP) | uint8(isa.JumpJGE) | 0x08, Dst: y, Src: 7, Offset: 3})
			// join: input + x
			emit(isa.Instruction{Opcode: 0xbf, Dst: 1, Src: 6}, isa.Instruction{Opcode: 0x0f, Dst: 1, Src: x})
			emit(isa.Instruction{Opcode: uint8(isa.ClassLDX) | uint8(isa.ModeMEM) | uint8(isa.SizeB), Dst: 0, Src: 1, Offset: int16(g.n(5))})
		case 19, 20: // linked scalars: y = x + c compared with the length, then input + x
			x, y := g.linkedRegs()
			if g.n(2) == 0 {
				// x near the length, so runs hit the edge of what is proven.
				emit(isa.Instruction{Opcode: 0xbf, Dst: x, Src: 7}, isa.Instruction{Opcode: 0x17, Dst: x, Imm: int64(g.n(5))})
			}
			emit(isa.Instruction{Opcode: 0xbf, Dst: y, Src: x})
			emit(g.addConst(y))
			switch g.n(3) {
			case 0:
				emit(g.addConst(y))
			case 1: // two paths with other constants meet (join, pruning)
				emit(isa.Instruction{Opcode: uint8(isa.ClassJMP) | uint8(isa.JumpJEQ), Dst: uint8(g.n(6)), Imm: int64(g.n(4)), Offset: 2})
				emit(g.addConst(y), isa.Instruction{Opcode: 0x05, Offset: 1}, g.addConst(y))
			}
			switch g.n(6) {
			case 0: // break the link
				emit(isa.Instruction{Opcode: 0xb7, Dst: []uint8{x, y}[g.n(2)], Imm: int64(g.n(16))})
			case 1: // through a spill
				emit(isa.Instruction{Opcode: uint8(isa.ClassSTX) | uint8(isa.ModeMEM) | uint8(sizes[2+g.n(2)]), Dst: 10, Src: y, Offset: -8})
				emit(isa.Instruction{Opcode: uint8(isa.ClassLDX) | uint8(isa.ModeMEM) | uint8(sizes[2+g.n(2)]), Dst: y, Src: 10, Offset: -8})
			}
			op := []isa.JumpOp{isa.JumpJGE, isa.JumpJGT, isa.JumpJLT, isa.JumpJLE}[g.n(4)]
			jc := isa.ClassJMP
			if g.n(6) == 0 {
				jc = isa.ClassJMP32
			}
			ins := isa.Instruction{Opcode: uint8(jc) | uint8(op) | 0x08, Dst: y, Src: 7, Offset: 3}
			if g.n(2) == 0 {
				ins.Dst, ins.Src = 7, y
			}
			emit(ins)
			emit(isa.Instruction{Opcode: 0xbf, Dst: 1, Src: 6}, isa.Instruction{Opcode: 0x0f, Dst: 1, Src: []uint8{x, y}[g.n(2)]})
			emit(isa.Instruction{Opcode: uint8(isa.ClassLDX) | uint8(isa.ModeMEM) | uint8(sizes[g.n(3)]), Dst: 0, Src: 1, Offset: int16(g.n(8)) - 4})
		case 21: // loop over the input with a linked counter compared with the length
			x, y := g.linkedRegs()
			emit(isa.Instruction{Opcode: 0xb7, Dst: x, Imm: int64(g.n(3))})
			top := len(p)
			emit(isa.Instruction{Opcode: 0xbf, Dst: 1, Src: 6}, isa.Instruction{Opcode: 0x0f, Dst: 1, Src: x})
			emit(isa.Instruction{Opcode: uint8(isa.ClassLDX) | uint8(isa.ModeMEM) | uint8(sizes[g.n(2)]), Dst: 0, Src: 1, Offset: int16(g.n(6)) - 2})
			emit(isa.Instruction{Opcode: 0x07, Dst: x, Imm: int64(1 + g.n(3))})
			emit(isa.Instruction{Opcode: 0xbf, Dst: y, Src: x})
			emit(g.addConst(y))
			if g.n(4) == 0 {
				emit(isa.Instruction{Opcode: 0xbf, Dst: x, Src: y}, isa.Instruction{Opcode: 0x07, Dst: x, Imm: -int64(g.n(3))})
			}
			op := []isa.JumpOp{isa.JumpJLT, isa.JumpJLE}[g.n(2)]
			emit(isa.Instruction{Opcode: uint8(isa.ClassJMP) | uint8(op) | 0x08, Dst: y, Src: 7, Offset: int16(top - len(p) - 1)})
		case 17, 18: // index compared with the length, then input + index
			x := uint8(3 + g.n(3))
			op := []isa.JumpOp{isa.JumpJGE, isa.JumpJGT, isa.JumpJLT, isa.JumpJLE}[g.n(4)]
			ins := isa.Instruction{Opcode: uint8(isa.ClassJMP) | uint8(op) | 0x08, Dst: x, Src: 7, Offset: 3}
			if g.n(2) == 0 {
				ins.Dst, ins.Src = 7, x
			}
			emit(ins)
			emit(isa.Instruction{Opcode: 0xbf, Dst: 1, Src: 6}, isa.Instruction{Opcode: 0x0f, Dst: 1, Src: x})
			emit(isa.Instruction{Opcode: uint8(isa.ClassLDX) | uint8(isa.ModeMEM) | uint8(sizes[g.n(2)]), Dst: 0, Src: 1, Offset: int16(g.n(4)) - 1})
		case 16: // local call with a pointer argument
			switch g.n(3) {
			case 0:
				emit(isa.Instruction{Opcode: 0xbf, Dst: 1, Src: 10}, isa.Instruction{Opcode: 0x07, Dst: 1, Imm: -int64(8 * (1 + g.n(8)))})
			case 1:
				emit(isa.Instruction{Opcode: 0xbf, Dst: 1, Src: 6})
			default:
				emit(isa.Instruction{Opcode: 0xbf, Dst: 1, Src: 10}, isa.Instruction{Opcode: 0x07, Dst: 1, Imm: int64(g.imm() % 64)})
			}
			emit(isa.Instruction{Opcode: 0xbf, Dst: 2, Src: 7})
			calls = append(calls, len(p))
			emit(isa.Instruction{Opcode: isa.OpCall, Src: isa.CallLocal})
		case 14, 15: // guarded input access
			sz := sizes[g.n(4)]
			off := int16(g.n(24))
			if g.n(4) == 0 {
				off-- // sometimes one byte off
			}
			need := int64(off) + int64(sz.Bytes()) + int64(g.n(3)) - 1
			emit(isa.Instruction{Opcode: uint8(isa.ClassJMP) | uint8(isa.JumpJLT), Dst: 7, Imm: need, Offset: 1})
			if g.n(2) == 0 {
				emit(isa.Instruction{Opcode: uint8(isa.ClassLDX) | uint8(isa.ModeMEM) | uint8(sz), Dst: uint8(g.n(6)), Src: 6, Offset: off})
			} else {
				emit(isa.Instruction{Opcode: uint8(isa.ClassSTX) | uint8(isa.ModeMEM) | uint8(sz), Dst: 6, Src: uint8(g.n(10)), Offset: off})
			}
		case 0:
			emit(isa.Instruction{Opcode: uint8(cls) | 0xb0, Dst: g.reg(), Imm: g.imm()})
		case 1, 2:
			op := alu[g.n(len(alu))]
			emit(isa.Instruction{Opcode: uint8(cls) | uint8(op), Dst: g.reg(), Imm: g.imm()})
		case 3:
			op := alu[g.n(len(alu))]
			emit(isa.Instruction{Opcode: uint8(cls) | uint8(op) | 0x08, Dst: g.reg(), Src: g.reg()})
		case 4: // load
			base := []uint8{10, 10, 6, 8, g.reg()}[g.n(5)]
			off := int16(g.imm() % 64)
			if base == 10 || base == 8 && g.n(2) == 0 {
				off = -int16(g.n(64)) - 1
			}
			mode := isa.ModeMEM
			sz := sizes[g.n(4)]
			if sz != isa.SizeDW && g.n(4) == 0 {
				mode = isa.ModeMEMSX
			}
			emit(isa.Instruction{Opcode: uint8(isa.ClassLDX) | uint8(mode) | uint8(sz), Dst: g.reg(), Src: base, Offset: off})
		case 5: // store
			base := []uint8{10, 10, 6, g.reg()}[g.n(4)]
			off := int16(g.imm() % 64)
			if base == 10 {
				off = -int16(g.n(64)) - 1
			}
			sz := sizes[g.n(4)]
			if g.n(2) == 0 {
				emit(isa.Instruction{Opcode: uint8(isa.ClassST) | uint8(isa.ModeMEM) | uint8(sz), Dst: base, Offset: off, Imm: g.imm()})
			} else {
				emit(isa.Instruction{Opcode: uint8(isa.ClassSTX) | uint8(isa.ModeMEM) | uint8(sz), Dst: base, Src: g.reg(), Offset: off})
			}
		case 6, 7: // conditional forward jump
			op := jumps[g.n(len(jumps))]
			jc := isa.ClassJMP
			if g.n(4) == 0 {
				jc = isa.ClassJMP32
			}
			ins := isa.Instruction{Opcode: uint8(jc) | uint8(op), Dst: g.reg(), Imm: g.imm()}
			switch g.n(4) {
			case 0:
				ins.Opcode |= 0x08
				ins.Src, ins.Imm = g.reg(), 0
			case 1: // length check
				ins.Dst = 7
			}
			pend = append(pend, fwd{len(p), 1 + g.n(4)})
			emit(ins)
		case 8: // derive a pointer
			d := uint8(1 + g.n(5))
			emit(isa.Instruction{Opcode: 0xbf, Dst: d, Src: []uint8{10, 6}[g.n(2)]})
			if g.n(2) == 0 {
				emit(isa.Instruction{Opcode: 0x07, Dst: d, Imm: g.imm() % 80})
			} else {
				emit(isa.Instruction{Opcode: 0x0f, Dst: d, Src: g.reg()})
			}
		case 9: // input end comparison
			emit(isa.Instruction{Opcode: 0xbf, Dst: 8, Src: 6}, isa.Instruction{Opcode: 0x0f, Dst: 8, Src: 7})
			emit(isa.Instruction{Opcode: 0xbf, Dst: 9, Src: 6}, isa.Instruction{Opcode: 0x07, Dst: 9, Imm: int64(g.n(24))})
			op := []isa.JumpOp{isa.JumpJGT, isa.JumpJGE, isa.JumpJLT, isa.JumpJLE}[g.n(4)]
			pend = append(pend, fwd{len(p), 1 + g.n(4)})
			emit(isa.Instruction{Opcode: uint8(isa.ClassJMP) | uint8(op) | 0x08, Dst: 9, Src: 8})
		case 10: // helper
			switch g.n(3) {
			case 0:
				emit(isa.Instruction{Opcode: isa.OpCall, Imm: 2})
			case 1: // memfrob(stack, n)
				emit(isa.Instruction{Opcode: 0xbf, Dst: 1, Src: 10}, isa.Instruction{Opcode: 0x07, Dst: 1, Imm: -int64(8 * (1 + g.n(8)))},
					isa.Instruction{Opcode: 0xb7, Dst: 2, Imm: int64(g.n(72))}, isa.Instruction{Opcode: isa.OpCall, Imm: 1})
			default:
				emit(isa.Instruction{Opcode: 0xb7, Dst: 1, Imm: g.imm()}, isa.Instruction{Opcode: isa.OpCall, Imm: 3})
			}
		case 11: // bounded loop
			n := int64(1 + g.n(6))
			emit(isa.Instruction{Opcode: 0xb7, Dst: 9, Imm: 0})
			top := len(p)
			op := alu[g.n(len(alu))]
			emit(isa.Instruction{Opcode: 0x07 | uint8(op), Dst: uint8(g.n(9)), Imm: g.imm()})
			emit(isa.Instruction{Opcode: 0x07, Dst: 9, Imm: 1})
			emit(isa.Instruction{Opcode: 0xa5, Dst: 9, Imm: n, Offset: int16(top - len(p) - 1)})
		case 12: // atomic on the stack
			sz := []isa.Size{isa.SizeW, isa.SizeDW}[g.n(2)]
			op := isa.AtomicOps[g.n(len(isa.AtomicOps))]
			emit(isa.Instruction{Opcode: uint8(isa.ClassSTX) | uint8(isa.ModeATOMIC) | uint8(sz), Dst: 10, Src: uint8(1 + g.n(9)), Offset: -8 * int16(1+g.n(8)), Imm: int64(op)})
		case 13:
			switch g.n(4) {
			case 0:
				emit(isa.Instruction{Opcode: uint8(cls) | 0x80, Dst: g.reg()})
			case 1:
				emit(isa.Instruction{Opcode: 0xbf, Dst: g.reg(), Src: g.reg(), Offset: []int16{8, 16, 32}[g.n(3)]})
			case 2:
				emit(isa.Instruction{Opcode: 0xd4 | uint8(g.n(2))<<3, Dst: g.reg(), Imm: []int64{16, 32, 64}[g.n(3)]})
			default:
				emit(isa.Instruction{Opcode: uint8(cls) | uint8(isa.ALUDiv) | 0x08, Dst: g.reg(), Src: g.reg(), Offset: int16(g.n(2))})
			}
		}
		// Patch forward jumps whose target is now reached.
		added := 0
		for pc := start; pc < len(p); pc++ {
			if !p.IsContinuation(pc) {
				added++
			}
		}
		keep := pend[:0]
		for _, f := range pend {
			if f.at >= start {
				keep = append(keep, f)
				continue
			}
			f.left -= added
			if f.left <= 0 {
				p[f.at].Offset = int16(len(p) - f.at - 1)
				continue
			}
			keep = append(keep, f)
		}
		pend = keep
	}
	for _, f := range pend {
		p[f.at].Offset = int16(len(p) - f.at - 1)
	}
	p = p.Append(isa.Instruction{Opcode: isa.OpExit})
	if len(calls) == 0 {
		return p
	}
	// The callee: a few accesses through its pointer argument r1 (length
	// in r2) and its own frame, then exit with r0 set.
	fstart := len(p)
	for _, c := range calls {
		p[c].Imm = int64(fstart - c - 1)
	}
	for k := 2 + g.n(5); k > 0; k-- {
		sz := sizes[g.n(4)]
		off := int16(g.imm() % 32)
		switch g.n(6) {
		case 0:
			emit(isa.Instruction{Opcode: uint8(isa.ClassLDX) | uint8(isa.ModeMEM) | uint8(sz), Dst: uint8(3 + g.n(3)), Src: 1, Offset: off})
		case 1:
			emit(isa.Instruction{Opcode: uint8(isa.ClassST) | uint8(isa.ModeMEM) | uint8(sz), Dst: 1, Offset: off, Imm: g.imm()})
		case 2:
			emit(isa.Instruction{Opcode: uint8(isa.ClassSTX) | uint8(isa.ModeMEM) | uint8(isa.SizeDW), Dst: 10, Src: uint8(1 + g.n(2)), Offset: -8 * int16(1+g.n(4))})
		case 3:
			emit(isa.Instruction{Opcode: uint8(isa.ClassLDX) | uint8(isa.ModeMEM) | uint8(isa.SizeDW), Dst: uint8(3 + g.n(3)), Src: 10, Offset: -8 * int16(1+g.n(4))})
		case 4: // length-guarded access when r1 is the input
			emit(isa.Instruction{Opcode: uint8(isa.ClassJMP) | uint8(isa.JumpJLT), Dst: 2, Imm: int64(off) + int64(sz.Bytes()), Offset: 1})
			emit(isa.Instruction{Opcode: uint8(isa.ClassLDX) | uint8(isa.ModeMEM) | uint8(sz), Dst: 0, Src: 1, Offset: off})
		default:
			emit(isa.Instruction{Opcode: 0x07, Dst: uint8(1 + g.n(2)), Imm: g.imm() % 16})
		}
	}
	emit(isa.Instruction{Opcode: 0xb7, Dst: 0, Imm: g.imm()}, isa.Instruction{Opcode: isa.OpExit})
	return p
}

// scaledArray returns an array walk in the shape of bench/sort.c: n =
// (len + e) >> sh (or / 2^sh), a = data or data + (n << t), a counter i
// (from the input, or counting in a loop) compared with n, sometimes off
// by one, 32-bit or signed, moved or overwritten after the check, and an
// access at a + (i << s) + c, so the scales and offsets land on both sides
// of the edges.
func (g *gen) scaledArray() []isa.Instruction {
	const n, a, i, y, q = 3, 8, 4, 5, 1
	sizes := []isa.Size{isa.SizeB, isa.SizeH, isa.SizeW, isa.SizeDW}
	var b []isa.Instruction
	var toEnd []int
	emit := func(ins ...isa.Instruction) { b = append(b, ins...) }
	skip := func(ins isa.Instruction) { toEnd = append(toEnd, len(b)); emit(ins) }
	mov := func(d, s uint8) isa.Instruction { return isa.Instruction{Opcode: 0xbf, Dst: d, Src: s} }
	skip(isa.Instruction{Opcode: uint8(isa.ClassJMP) | uint8(isa.JumpJLT), Dst: 7, Imm: int64(g.n(12))})
	sh := int64(1 + g.n(4))
	emit(mov(n, 7))
	if e := int64(g.n(7)) - 3; e != 0 && g.n(2) == 0 {
		emit(isa.Instruction{Opcode: 0x07, Dst: n, Imm: e})
	}
	switch g.n(8) {
	case 0:
		emit(isa.Instruction{Opcode: 0x37, Dst: n, Imm: 1 << sh}) // div
	case 1:
		emit(isa.Instruction{Opcode: 0x74, Dst: n, Imm: sh}) // rsh32
	default:
		emit(isa.Instruction{Opcode: 0x77, Dst: n, Imm: sh})
	}
	emit(mov(a, 6))
	if g.n(3) != 0 {
		emit(mov(y, n), isa.Instruction{Opcode: 0x67, Dst: y, Imm: int64(1 + g.n(3))}, isa.Instruction{Opcode: 0x0f, Dst: a, Src: y})
	}
	check := func() {
		op, dst, src := isa.JumpJGE, uint8(i), uint8(n)
		switch g.n(6) {
		case 0:
			op = isa.JumpJGT // off by one
		case 1:
			op, dst, src = isa.JumpJLE, n, i
		case 2:
			op, dst, src = isa.JumpJLT, n, i // off by one
		}
		jc := isa.ClassJMP
		if g.n(10) == 0 {
			jc = isa.ClassJMP32
		}
		if g.n(10) == 0 {
			op = map[isa.JumpOp]isa.JumpOp{isa.JumpJGT: isa.JumpJSGT, isa.JumpJGE: isa.JumpJSGE, isa.JumpJLT: isa.JumpJSLT, isa.JumpJLE: isa.JumpJSLE}[op]
		}
		skip(isa.Instruction{Opcode: uint8(jc) | uint8(op) | 0x08, Dst: dst, Src: src})
	}
	access := func() {
		emit(mov(y, i))
		if s := int64(g.n(4)); s != 0 {
			emit(isa.Instruction{Opcode: 0x67, Dst: y, Imm: s})
		}
		emit(mov(q, a), isa.Instruction{Opcode: 0x0f, Dst: q, Src: y})
		sz, off := sizes[g.n(4)], int16(g.n(12))-2
		if g.n(3) == 0 {
			emit(isa.Instruction{Opcode: uint8(isa.ClassSTX) | uint8(isa.ModeMEM) | uint8(sz), Dst: q, Src: 0, Offset: off})
		} else {
			emit(isa.Instruction{Opcode: uint8(isa.ClassLDX) | uint8(isa.ModeMEM) | uint8(sz), Dst: 0, Src: q, Offset: off})
		}
	}
	if g.n(3) == 0 { // for (i = c; i < n; i++)
		emit(isa.Instruction{Opcode: 0xb7, Dst: i, Imm: int64(g.n(3))})
		top := len(b)
		check()
		access()
		emit(isa.Instruction{Opcode: 0x07, Dst: i, Imm: 1})
		emit(isa.Instruction{Opcode: 0x05, Offset: int16(top - len(b) - 1)})
	} else {
		emit(isa.Instruction{Opcode: uint8(isa.ClassLDX) | uint8(isa.ModeMEM) | uint8(sizes[g.n(2)]), Dst: i, Src: 6, Offset: int16(g.n(4))})
		check()
		switch g.n(8) {
		case 0:
			emit(isa.Instruction{Opcode: 0x07, Dst: i, Imm: int64(g.n(3)) - 1})
		case 1:
			emit(isa.Instruction{Opcode: uint8(isa.ClassLDX) | uint8(isa.ModeMEM) | uint8(isa.SizeB), Dst: i, Src: 6, Offset: 0})
		}
		access()
	}
	for _, at := range toEnd {
		b[at].Offset = int16(len(b) - at - 1)
	}
	return b
}

// record returns a record parse in the shape of bench/parse.c, whose
// checks are sometimes off by one, 32-bit or signed, in the wrong order or
// missing: off and n come from the input (or off from the length), n is
// compared with len + e - off, and the accesses go through data + off,
// data + n, end = data + off + n (compared with a pointer) or the next
// offset off + n. Jumps with Offset -1 skip to the end of the record.
func (g *gen) record() []isa.Instruction {
	const toEnd = -1
	ldx := func(sz isa.Size, dst, src uint8, off int16) isa.Instruction {
		return isa.Instruction{Opcode: uint8(isa.ClassLDX) | uint8(isa.ModeMEM) | uint8(sz), Dst: dst, Src: src, Offset: off}
	}
	jmpX := func(op isa.JumpOp, a, b uint8) isa.Instruction {
		jc := isa.ClassJMP
		if g.n(10) == 0 {
			jc = isa.ClassJMP32
		}
		if g.n(10) == 0 {
			op = map[isa.JumpOp]isa.JumpOp{isa.JumpJGT: isa.JumpJSGT, isa.JumpJGE: isa.JumpJSGE, isa.JumpJLT: isa.JumpJSLT, isa.JumpJLE: isa.JumpJSLE}[op]
		}
		return isa.Instruction{Opcode: uint8(jc) | uint8(op) | 0x08, Dst: a, Src: b, Offset: toEnd}
	}
	// skip jumps over the rest when "a > b" (or a >= b): in some order.
	skipGT := func(a, b uint8) isa.Instruction {
		switch g.n(4) {
		case 0:
			return jmpX(isa.JumpJGE, a, b)
		case 1:
			return jmpX(isa.JumpJLT, b, a)
		case 2:
			return jmpX(isa.JumpJLE, b, a)
		}
		return jmpX(isa.JumpJGT, a, b)
	}
	sizes := []isa.Size{isa.SizeB, isa.SizeH, isa.SizeW, isa.SizeDW}
	mask := int64([]int{7, 15, 63, 255}[g.n(4)])
	var b []isa.Instruction
	emit := func(ins ...isa.Instruction) { b = append(b, ins...) }
	const off, n, lm, p, end = 3, 4, 5, 1, 9
	emit(isa.Instruction{Opcode: uint8(isa.ClassJMP) | uint8(isa.JumpJLT), Dst: 7, Imm: 2, Offset: toEnd})
	if g.n(3) == 0 {
		emit(isa.Instruction{Opcode: 0xbf, Dst: off, Src: 7}, isa.Instruction{Opcode: 0x17, Dst: off, Imm: int64(g.n(8))})
	} else {
		emit(ldx(isa.SizeB, off, 6, 1), isa.Instruction{Opcode: 0x57, Dst: off, Imm: mask})
	}
	if g.n(2) == 0 {
		emit(ldx(isa.SizeB, n, 6, 0), isa.Instruction{Opcode: 0x57, Dst: n, Imm: mask})
	} else {
		// n = len - off - j computed in 32 bits: the verifier sees no
		// relation, and runs land exactly on the edges.
		emit(isa.Instruction{Opcode: 0xbf, Dst: n, Src: 7}, isa.Instruction{Opcode: 0x1c, Dst: n, Src: off},
			isa.Instruction{Opcode: 0x07, Dst: n, Imm: int64(g.n(4)) - 2})
	}
	if g.n(5) != 0 { // off + c <= len (c may be 0, 1, 2)
		c := int64(g.n(3))
		if c != 0 {
			emit(isa.Instruction{Opcode: 0xbf, Dst: 8, Src: off}, isa.Instruction{Opcode: 0x07, Dst: 8, Imm: c}, skipGT(8, 7))
		} else {
			emit(skipGT(off, 7))
		}
	}
	// lm = len + e - (off + d)
	e, d := int64(g.n(4))-1, int64(g.n(3))
	emit(isa.Instruction{Opcode: 0xbf, Dst: lm, Src: 7})
	if e != 0 {
		emit(isa.Instruction{Opcode: 0x07, Dst: lm, Imm: e})
	}
	sub := isa.Instruction{Opcode: 0x1f, Dst: lm, Src: off}
	if g.n(12) == 0 {
		sub.Opcode = 0x1c // sub32
	}
	if d != 0 {
		emit(isa.Instruction{Opcode: 0xbf, Dst: 8, Src: off}, isa.Instruction{Opcode: 0x07, Dst: 8, Imm: d})
		sub.Src = 8
	}
	emit(sub)
	if g.n(6) != 0 {
		emit(skipGT(n, lm))
	}
	if g.n(4) != 0 { // n >= k
		emit(isa.Instruction{Opcode: uint8(isa.ClassJMP) | uint8(isa.JumpJLT), Dst: n, Imm: int64(g.n(10)), Offset: toEnd})
	}
	if g.n(6) == 0 { // an overwrite after the checks
		emit(ldx(isa.SizeB, []uint8{off, n}[g.n(2)], 6, 0))
	}
	if g.n(3) == 0 { // n + c (linked to n)
		emit(isa.Instruction{Opcode: 0x07, Dst: n, Imm: int64(1 + g.n(2))})
	}
	acc := ldx(sizes[g.n(4)], 0, p, int16(g.n(10))-1)
	switch g.n(4) {
	case 0: // data + off
		emit(isa.Instruction{Opcode: 0xbf, Dst: p, Src: 6}, isa.Instruction{Opcode: 0x0f, Dst: p, Src: off}, acc)
	case 1: // data + n
		emit(isa.Instruction{Opcode: 0xbf, Dst: p, Src: 6}, isa.Instruction{Opcode: 0x0f, Dst: p, Src: n}, acc)
	case 2: // end = data + off + n; p + c <= end
		emit(isa.Instruction{Opcode: 0xbf, Dst: p, Src: 6}, isa.Instruction{Opcode: 0x0f, Dst: p, Src: off})
		emit(isa.Instruction{Opcode: 0xbf, Dst: end, Src: p}, isa.Instruction{Opcode: 0x0f, Dst: end, Src: n})
		emit(isa.Instruction{Opcode: 0xbf, Dst: 8, Src: p}, isa.Instruction{Opcode: 0x07, Dst: 8, Imm: int64(g.n(10))})
		emit(skipGT(8, end), acc)
	default: // the next record at off + n
		emit(isa.Instruction{Opcode: 0x0f, Dst: off, Src: n})
		emit(isa.Instruction{Opcode: 0xbf, Dst: lm, Src: 7}, isa.Instruction{Opcode: 0x1f, Dst: lm, Src: off})
		emit(ldx(isa.SizeB, n, 6, 0), isa.Instruction{Opcode: 0x57, Dst: n, Imm: mask})
		emit(skipGT(n, lm))
		emit(isa.Instruction{Opcode: uint8(isa.ClassJMP) | uint8(isa.JumpJLT), Dst: n, Imm: int64(g.n(10)), Offset: toEnd})
		emit(isa.Instruction{Opcode: 0xbf, Dst: p, Src: 6}, isa.Instruction{Opcode: 0x0f, Dst: p, Src: off}, acc)
	}
	for i := range b {
		if b[i].Class() == isa.ClassJMP || b[i].Class() == isa.ClassJMP32 {
			b[i].Offset = int16(len(b) - i - 1)
		}
	}
	return b
}

func protosOf(hs *vm.Helpers) func(int32) (verifier.HelperProto, bool) {
	return func(id int32) (verifier.HelperProto, bool) {
		h := hs.Lookup(id)
		if h == nil {
			return verifier.HelperProto{}, false
		}
		return h.Proto, true
	}
}

// checkSound verifies p in both modes and runs it on the interpreter: a
// program accepted in Strict mode must not fault, and no run may fault at
// an access Checked mode claims proven.
func checkSound(t *testing.T, p isa.Program, mem []byte) (strict bool) {
	t.Helper()
	hs := conformance.TestHelpers()
	cfg := &verifier.Config{Helpers: protosOf(hs), MaxInsns: 100000}
	facts, err := verifier.Verify(p, cfg)
	if err != nil {
		if strings.Contains(err.Error(), "internal verifier error") {
			t.Fatalf("verifier panicked: %v", err)
		}
		return false // structurally invalid: the generator can make such programs
	}
	scfg := *cfg
	scfg.Mode = verifier.Strict
	_, serr := verifier.Verify(p, &scfg)
	if serr != nil && strings.Contains(serr.Error(), "internal verifier error") {
		t.Fatalf("verifier panicked: %v", serr)
	}
	prog, err := vm.Load(p, &vm.Options{Helpers: hs})
	if err != nil {
		return false
	}
	for _, m := range [][]byte{mem, nil, mem[:len(mem)/2]} {
		env := &vm.Env{Mem: append([]byte(nil), m...), Budget: 1 << 20}
		_, rerr := prog.Run(env)
		var e *vm.Error
		if !errors.As(rerr, &e) || e.Kind != vm.KindFault {
			continue
		}
		if serr == nil {
			t.Fatalf("accepted in strict mode but faults with %d bytes of input: %v\n%s", len(m), rerr, dump(p))
		}
		if e.PC >= 0 && e.PC < len(facts.Access) && facts.Access[e.PC].Proven {
			t.Fatalf("faults at pc %d (%v), which checked mode claims proven\n%s", e.PC, rerr, dump(p))
		}
	}
	return serr == nil
}

func dump(p isa.Program) string {
	var b strings.Builder
	for pc, ins := range p {
		if p.IsContinuation(pc) {
			continue
		}
		b.WriteString("  ")
		b.WriteString(itoa(pc))
		b.WriteString(": ")
		b.WriteString(verifier.FormatInsn(ins))
		b.WriteString("\n")
	}
	return b.String()
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// TestSoundnessRandom runs the soundness check on generated programs from
// fixed seeds (the fuzz target below explores further).
func TestSoundnessRandom(t *testing.T) {
	n := 3000
	if s := os.Getenv("IOVM_SOUNDNESS_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	if testing.Short() {
		n = 300
	}
	rng := rand.New(rand.NewSource(1))
	accepted := 0
	for i := 0; i < n; i++ {
		b := make([]byte, 20+rng.Intn(200))
		rng.Read(b)
		mem := make([]byte, rng.Intn(64))
		rng.Read(mem)
		g := &gen{b: b}
		if checkSound(t, g.program(), mem) {
			accepted++
		}
	}
	t.Logf("%d programs, %d accepted in strict mode", n, accepted)
}

// FuzzSoundness: go test ./verifier -run XXX -fuzz FuzzSoundness
func FuzzSoundness(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}, []byte{1, 2, 3, 4})
	f.Add([]byte{9, 0, 1, 2, 4, 1, 6, 4, 0, 6, 3}, []byte{0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0, 1})
	f.Fuzz(func(t *testing.T, b, mem []byte) {
		if len(mem) > 256 {
			mem = mem[:256]
		}
		g := &gen{b: b}
		checkSound(t, g.program(), mem)
	})
}

// FuzzVerify feeds arbitrary bytecode to Verify: it must never panic.
func FuzzVerify(f *testing.F) {
	f.Add([]byte{0xb7, 0, 0, 0, 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0}, false)
	f.Fuzz(func(t *testing.T, b []byte, strict bool) {
		raw, err := isa.DecodeRaw(b[:len(b)/8*8], binaryLE)
		if err != nil {
			return
		}
		p := isa.Program(raw)
		cfg := &verifier.Config{Helpers: protosOf(conformance.TestHelpers()), MaxInsns: 20000}
		if strict {
			cfg.Mode = verifier.Strict
		}
		if _, err := verifier.Verify(p, cfg); err != nil && strings.Contains(err.Error(), "internal verifier error") {
			t.Fatal(err)
		}
	})
}

var binaryLE = binary.LittleEndian
