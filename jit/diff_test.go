package jit_test

import (
	"encoding/binary"
	"errors"
	"flag"
	"math/rand"
	"testing"

	"github.com/iovm/iovm/isa"
	"github.com/iovm/iovm/jit"
	"github.com/iovm/iovm/vm"
)

var diffN = flag.Int("diff.n", 3000, "number of generated programs in TestDiff")

// byteSource turns fuzzer bytes into choices; it yields zeros when empty.
type byteSource struct {
	b []byte
	r *rand.Rand
}

func (s *byteSource) intn(n int) int {
	if n <= 1 {
		return 0
	}
	if s.r != nil {
		return s.r.Intn(n)
	}
	var v uint32
	for i := 0; i < 4; i++ {
		v <<= 8
		if len(s.b) > 0 {
			v |= uint32(s.b[0])
			s.b = s.b[1:]
		}
	}
	return int(v % uint32(n))
}

func (s *byteSource) imm() int64 {
	switch s.intn(8) {
	case 0:
		return 0
	case 1:
		return -1
	case 2:
		return int64(int32(-1 << 31))
	case 3:
		return int64(s.intn(64))
	case 4:
		return int64(s.intn(1<<16)) - 1<<15
	default:
		return int64(int32(uint32(s.intn(1<<16)) | uint32(s.intn(1<<16))<<16))
	}
}

// genItem is one instruction of a generated program; jumps name their
// target item.
type genItem struct {
	ins    isa.Instruction
	target int // item index for jumps and local calls, -1 otherwise
}

const genMemSize = 64

// genProgram generates a valid program: random arithmetic, memory accesses
// around the input and the stack, forward and backward jumps, helper and
// local calls, atomics. r6 holds the input pointer, r7 a stack pointer.
// With few, r8 and r9 are never used, r4 and r5 only implicitly (the
// amd64 backend pins per-run values in the host registers of unused ones) and the program first exits unless the
// input has genMemSize bytes, so that the verifier proves the accesses
// through r6 in bounds (Proven loads, WriteChecked stores).
func genProgram(s *byteSource, few bool) isa.Program {
	var items []genItem
	add := func(ins isa.Instruction) { items = append(items, genItem{ins: ins, target: -1}) }
	scalar := []uint8{0, 1, 2, 3, 4, 5, 8, 9}
	anyReg := []uint8{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	if few {
		scalar = scalar[:4] // r4 and r5 only if a helper call or legacy load implies them
		anyReg = []uint8{0, 1, 2, 3, 6, 7, 10}
	}
	pick := func(rs []uint8) uint8 { return rs[s.intn(len(rs))] }

	if few {
		add(isa.Instruction{Opcode: uint8(isa.ClassALU64) | uint8(isa.ALUMov), Dst: 0})
		add(isa.Instruction{Opcode: uint8(isa.ClassJMP) | uint8(isa.JumpJGE), Dst: 2, Imm: genMemSize, Offset: 1})
		add(isa.Instruction{Opcode: isa.OpExit})
	}
	first := len(items) + 3 // jumps land after the set-up of r6 and r7
	add(isa.Instruction{Opcode: uint8(isa.ClassALU64) | uint8(isa.ALUMov) | uint8(isa.SrcX), Dst: 6, Src: 1})
	add(isa.Instruction{Opcode: uint8(isa.ClassALU64) | uint8(isa.ALUMov) | uint8(isa.SrcX), Dst: 7, Src: 10})
	add(isa.Instruction{Opcode: uint8(isa.ClassALU64) | uint8(isa.ALUAdd), Dst: 7, Imm: -int64(8 * (1 + s.intn(32)))})
	keepR1 := few && s.intn(2) == 0 // r1 keeps the input pointer until written
	for _, r := range scalar {
		if r != 1 || !keepR1 {
			add(isa.Instruction{Opcode: uint8(isa.ClassALU64) | uint8(isa.ALUMov), Dst: r, Imm: s.imm()})
		}
	}
	n := 4 + s.intn(40)
	hasFunc := s.intn(4) == 0
	funcItem := -2
	for i := 0; i < n; i++ {
		switch k := s.intn(20); {
		case k < 7: // ALU
			cls := isa.ClassALU64
			if s.intn(2) == 0 {
				cls = isa.ClassALU
			}
			ops := []isa.ALUOp{isa.ALUAdd, isa.ALUSub, isa.ALUMul, isa.ALUDiv, isa.ALUOr, isa.ALUAnd, isa.ALULsh, isa.ALURsh, isa.ALUNeg, isa.ALUMod, isa.ALUXor, isa.ALUMov, isa.ALUArsh, isa.ALUEnd}
			op := ops[s.intn(len(ops))]
			ins := isa.Instruction{Opcode: uint8(cls) | uint8(op), Dst: pick(scalar)}
			if keepR1 && ins.Dst == 1 && s.intn(4) != 0 {
				ins.Dst = 0
			}
			switch op {
			case isa.ALUNeg:
			case isa.ALUEnd:
				ins.Imm = []int64{16, 32, 64}[s.intn(3)]
				if cls == isa.ClassALU && s.intn(2) == 0 {
					ins.Opcode |= uint8(isa.SrcX)
				}
			default:
				if s.intn(2) == 0 {
					ins.Opcode |= uint8(isa.SrcX)
					ins.Src = pick(anyReg)
				} else {
					ins.Imm = s.imm()
				}
				if (op == isa.ALUDiv || op == isa.ALUMod) && s.intn(2) == 0 {
					ins.Offset = 1
				}
				if op == isa.ALUMov && ins.Opcode&uint8(isa.SrcX) != 0 && s.intn(3) == 0 {
					ins.Offset = []int16{8, 16, 32}[s.intn(3)]
					if cls == isa.ClassALU && ins.Offset == 32 {
						ins.Offset = 16
					}
				}
			}
			add(ins)
		case k < 8:
			add(isa.Instruction{Opcode: isa.OpLDDW, Dst: pick(scalar), Imm: int64(uint64(s.imm())<<32 | uint64(uint32(s.imm())))})
		case k < 13 && keepR1 && s.intn(2) == 0:
			// clang's input addressing, r1 plus a bounded index (the
			// amd64 backend folds it into one access when r1 is unchanged
			// and the address register dead after).
			idx, a := pick([]uint8{0, 2, 3}), pick([]uint8{0, 2, 3})
			size := []isa.Size{isa.SizeB, isa.SizeH, isa.SizeW, isa.SizeDW}[s.intn(4)]
			add(isa.Instruction{Opcode: uint8(isa.ClassALU64) | uint8(isa.ALUAnd), Dst: idx, Imm: 15})
			if s.intn(8) == 0 {
				// r1 then points into the input, not at its start: no
				// more folds
				add(isa.Instruction{Opcode: uint8(isa.ClassALU64) | uint8(isa.ALUAdd), Dst: 1, Imm: int64(1 + s.intn(3))})
			}
			mov := isa.Instruction{Opcode: uint8(isa.ClassALU64) | uint8(isa.ALUMov) | uint8(isa.SrcX), Dst: a, Src: 1}
			sum := isa.Instruction{Opcode: uint8(isa.ClassALU64) | uint8(isa.ALUAdd) | uint8(isa.SrcX), Dst: a, Src: idx}
			if s.intn(2) == 0 {
				mov.Src, sum.Src = idx, 1
			}
			add(mov)
			add(sum)
			off := int16(s.intn(genMemSize - 16 - size.Bytes() + 1))
			switch s.intn(4) {
			case 3: // a combined load (le16 or be16, maybe and a second) into d, t dead after
				t := 5 - a // r2 or r3, not the base
				if a == 0 {
					t = pick([]uint8{2, 3})
				}
				d := pick([]uint8{0, 5 - t})
				hi := s.intn(2)
				add(isa.Instruction{Opcode: uint8(isa.ClassLDX) | uint8(isa.ModeMEM) | uint8(isa.SizeB), Dst: t, Src: a, Offset: off + int16(hi)})
				add(isa.Instruction{Opcode: uint8(isa.ClassLDX) | uint8(isa.ModeMEM) | uint8(isa.SizeB), Dst: d, Src: a, Offset: off + 1 - int16(hi)})
				add(isa.Instruction{Opcode: uint8(isa.ClassALU64) | uint8(isa.ALULsh), Dst: d, Imm: 8})
				add(isa.Instruction{Opcode: uint8(isa.ClassALU64) | uint8(isa.ALUOr) | uint8(isa.SrcX), Dst: d, Src: t})
				if s.intn(2) == 0 {
					// Then shifted and ORed with a second 16-bit field
					// elsewhere: a combination of two parts.
					off2 := int16(s.intn(genMemSize - 16 - 1))
					hi2 := int16(s.intn(2))
					add(isa.Instruction{Opcode: uint8(isa.ClassALU64) | uint8(isa.ALULsh), Dst: d, Imm: 16})
					add(isa.Instruction{Opcode: uint8(isa.ClassLDX) | uint8(isa.ModeMEM) | uint8(isa.SizeB), Dst: t, Src: a, Offset: off2 + hi2})
					add(isa.Instruction{Opcode: uint8(isa.ClassALU64) | uint8(isa.ALULsh), Dst: t, Imm: 8})
					add(isa.Instruction{Opcode: uint8(isa.ClassALU64) | uint8(isa.ALUOr) | uint8(isa.SrcX), Dst: d, Src: t})
					add(isa.Instruction{Opcode: uint8(isa.ClassLDX) | uint8(isa.ModeMEM) | uint8(isa.SizeB), Dst: t, Src: a, Offset: off2 + 1 - hi2})
					add(isa.Instruction{Opcode: uint8(isa.ClassALU64) | uint8(isa.ALUOr) | uint8(isa.SrcX), Dst: d, Src: t})
				}
				if d != 0 {
					add(isa.Instruction{Opcode: uint8(isa.ClassALU64) | uint8(isa.ALUXor) | uint8(isa.SrcX), Dst: 0, Src: d})
				}
				add(isa.Instruction{Opcode: uint8(isa.ClassALU64) | uint8(isa.ALUMov), Dst: t, Imm: s.imm()})
			case 0:
				add(isa.Instruction{Opcode: uint8(isa.ClassLDX) | uint8(isa.ModeMEM) | uint8(size), Dst: pick(scalar), Src: a, Offset: off})
			case 1:
				add(isa.Instruction{Opcode: uint8(isa.ClassST) | uint8(isa.ModeMEM) | uint8(size), Dst: a, Offset: off, Imm: s.imm()})
			default:
				add(isa.Instruction{Opcode: uint8(isa.ClassSTX) | uint8(isa.ModeMEM) | uint8(size), Dst: a, Src: pick(anyReg), Offset: off})
			}
		case k < 13 && s.intn(6) == 0: // a counted loop over memory
			genLoop(s, &items, scalar, anyReg)
		case k < 13: // memory
			size := []isa.Size{isa.SizeB, isa.SizeH, isa.SizeW, isa.SizeDW}[s.intn(4)]
			base := []uint8{6, 6, 6, 6, 7, 7, 10, 10, 10, 6}[s.intn(10)]
			if s.intn(40) == 0 {
				base = 0
			}
			sz := size.Bytes()
			var off int16
			switch base {
			case 6:
				off = int16(s.intn(genMemSize - sz + 1))
				if s.intn(10) == 0 {
					off = int16(s.intn(genMemSize+8)) - 2
				}
			case 7:
				off = int16(s.intn(8))
			case 10:
				off = -int16(sz + s.intn(512-sz+1))
				if s.intn(10) == 0 {
					off = int16(s.intn(16)) - 520
				}
			default:
				off = int16(s.intn(16))
			}
			if s.intn(4) != 0 {
				off &^= int16(sz - 1)
			}
			switch s.intn(5) {
			case 0, 1:
				mode := isa.ModeMEM
				if size != isa.SizeDW && s.intn(3) == 0 {
					mode = isa.ModeMEMSX
				}
				add(isa.Instruction{Opcode: uint8(isa.ClassLDX) | uint8(mode) | uint8(size), Dst: pick(scalar), Src: base, Offset: off})
			case 2:
				add(isa.Instruction{Opcode: uint8(isa.ClassST) | uint8(isa.ModeMEM) | uint8(size), Dst: base, Offset: off, Imm: s.imm()})
			case 3:
				add(isa.Instruction{Opcode: uint8(isa.ClassSTX) | uint8(isa.ModeMEM) | uint8(size), Dst: base, Src: pick(anyReg), Offset: off})
			default:
				if size == isa.SizeB || size == isa.SizeH {
					size = isa.SizeW
				}
				if s.intn(8) != 0 {
					off &^= int16(size.Bytes() - 1)
				}
				ops := []isa.AtomicOp{isa.AtomicAdd, isa.AtomicOr, isa.AtomicAnd, isa.AtomicXor, isa.AtomicAdd | isa.AtomicFetch,
					isa.AtomicOr | isa.AtomicFetch, isa.AtomicAnd | isa.AtomicFetch, isa.AtomicXor | isa.AtomicFetch, isa.AtomicXchg, isa.AtomicCmpXchg}
				add(isa.Instruction{Opcode: uint8(isa.ClassSTX) | uint8(isa.ModeATOMIC) | uint8(size), Dst: base, Src: pick(scalar), Offset: off, Imm: int64(ops[s.intn(len(ops))])})
			}
		case k < 17: // jumps
			cls := isa.ClassJMP
			if s.intn(3) == 0 {
				cls = isa.ClassJMP32
			}
			ops := []isa.JumpOp{isa.JumpJEQ, isa.JumpJGT, isa.JumpJGE, isa.JumpJSET, isa.JumpJNE, isa.JumpJSGT, isa.JumpJSGE, isa.JumpJLT, isa.JumpJLE, isa.JumpJSLT, isa.JumpJSLE, isa.JumpJA}
			op := ops[s.intn(len(ops))]
			ins := isa.Instruction{Opcode: uint8(cls) | uint8(op), Dst: pick(anyReg)}
			if op == isa.JumpJA {
				ins.Dst = 0
				if s.intn(2) == 0 {
					cls = isa.ClassJMP
					ins.Opcode = uint8(cls) | uint8(op)
				}
			} else if s.intn(2) == 0 {
				ins.Opcode |= uint8(isa.SrcX)
				ins.Src = pick(anyReg)
			} else {
				ins.Imm = s.imm()
			}
			t := len(items) + 1 + s.intn(6)
			if s.intn(8) == 0 {
				t = len(items) - s.intn(6) // a loop; the budget bounds it
				if op != isa.JumpJA && s.intn(2) == 0 {
					// a counted loop: "add iv, step; if iv < n" (unrolled
					// with one test per group)
					ins.Opcode = uint8(cls) | uint8([]isa.JumpOp{isa.JumpJLT, isa.JumpJLE}[s.intn(2)]) | ins.Opcode&uint8(isa.SrcX)
					ins.Dst = pick(scalar)
					add(isa.Instruction{Opcode: uint8(isa.ClassALU64) | uint8(isa.ALUAdd), Dst: ins.Dst, Imm: int64(1 + s.intn(4))})
				}
			}
			items = append(items, genItem{ins: ins, target: t})
		case k < 18:
			add(isa.Instruction{Opcode: isa.OpCall, Imm: int64(s.intn(2) * 2)}) // gather or no_op
		case k < 19 && hasFunc:
			items = append(items, genItem{ins: isa.Instruction{Opcode: isa.OpCall, Src: isa.CallLocal}, target: funcItem})
		default:
			add(isa.Instruction{Opcode: uint8(isa.ClassLD) | uint8(isa.ModeABS) | uint8([]isa.Size{isa.SizeB, isa.SizeH, isa.SizeW}[s.intn(3)]), Imm: int64(s.intn(genMemSize + 4))})
		}
	}
	add(isa.Instruction{Opcode: isa.OpExit})
	end := len(items)
	if hasFunc {
		fstart := len(items)
		for i := range items {
			if items[i].target == funcItem {
				items[i].target = fstart
			}
		}
		add(isa.Instruction{Opcode: uint8(isa.ClassALU64) | uint8(isa.ALUMov) | uint8(isa.SrcX), Dst: 0, Src: 1})
		add(isa.Instruction{Opcode: uint8(isa.ClassST) | uint8(isa.ModeMEM) | uint8(isa.SizeDW), Dst: 10, Offset: -8, Imm: s.imm()})
		add(isa.Instruction{Opcode: uint8(isa.ClassALU64) | uint8(isa.ALUAdd) | uint8(isa.SrcX), Dst: 0, Src: 2})
		add(isa.Instruction{Opcode: uint8(isa.ClassALU64) | uint8(isa.ALUMov), Dst: 6, Imm: s.imm()})
		add(isa.Instruction{Opcode: isa.OpExit})
	}
	// Clamp jump targets into the main body and lay out slots.
	slot := make([]int, len(items)+1)
	for i, it := range items {
		slot[i+1] = slot[i] + it.ins.Slots()
	}
	var p isa.Program
	for i, it := range items {
		ins := it.ins
		if it.target != -1 {
			t := it.target
			if ins.Src != isa.CallLocal || ins.Opcode != isa.OpCall {
				if t > end-1 {
					t = end - 1
				}
				if t < first {
					t = first
				}
			}
			rel := int64(slot[t] - slot[i] - 1)
			if ins.Opcode == isa.OpCall || (ins.Class() == isa.ClassJMP32 && ins.JumpOp() == isa.JumpJA) {
				ins.Imm = rel
			} else {
				ins.Offset = int16(rel)
			}
		}
		p = p.Append(ins)
	}
	return p
}

// genLoop appends a counted loop: a pointer into the input, the stack
// or nowhere, moved by a constant each iteration, accessed through, and
// a counter tested against a constant (some counts wrap around, some
// walk off the memory, some exit early): the loops the amd64 backend
// versions (jit/version.go).
func genLoop(s *byteSource, items *[]genItem, scalar, anyReg []uint8) {
	add := func(ins isa.Instruction) { *items = append(*items, genItem{ins: ins, target: -1}) }
	pick := func(rs []uint8) uint8 { return rs[s.intn(len(rs))] }
	// Three distinct registers (no retries: an exhausted fuzzer input
	// gives the same choice forever).
	i := s.intn(len(scalar))
	j := (i + 1 + s.intn(len(scalar)-1)) % len(scalar)
	k := (j + 1 + s.intn(len(scalar)-2)) % len(scalar)
	if k == i {
		k = (k + 1) % len(scalar)
	}
	c, ptr, d := scalar[i], scalar[j], scalar[k]
	alu := func(op isa.ALUOp, d uint8, imm int64) isa.Instruction {
		return isa.Instruction{Opcode: uint8(isa.ClassALU64) | uint8(op), Dst: d, Imm: imm}
	}
	base := []uint8{6, 6, 7, 10, 0}[s.intn(5)]
	add(isa.Instruction{Opcode: uint8(isa.ClassALU64) | uint8(isa.ALUMov) | uint8(isa.SrcX), Dst: ptr, Src: base})
	start := int64(s.intn(genMemSize+8)) - 4
	if base == 7 || base == 10 {
		start = -int64(s.intn(520))
	}
	add(alu(isa.ALUAdd, ptr, start))
	n := int64(s.intn(12))
	if s.intn(8) == 0 {
		n = s.imm()
	}
	step := []int64{1, 2, 4, 8, -1, -4, 0}[s.intn(7)]
	var test isa.Instruction
	var cstep int64
	switch s.intn(4) {
	case 0: // count down to 0 (0 wraps around)
		add(alu(isa.ALUMov, c, n))
		cstep = -1
		test = isa.Instruction{Opcode: uint8(isa.ClassJMP) | uint8(isa.JumpJNE), Dst: c}
	case 1: // count up to n
		add(alu(isa.ALUMov, c, int64(s.intn(3))))
		cstep = int64(1 + s.intn(2))
		test = isa.Instruction{Opcode: uint8(isa.ClassJMP) | uint8([]isa.JumpOp{isa.JumpJLT, isa.JumpJLE, isa.JumpJNE}[s.intn(3)]), Dst: c, Imm: n}
	default: // count down to a limit
		add(alu(isa.ALUMov, c, n))
		cstep = -1
		test = isa.Instruction{Opcode: uint8(isa.ClassJMP) | uint8([]isa.JumpOp{isa.JumpJGT, isa.JumpJGE}[s.intn(2)]), Dst: c, Imm: int64(s.intn(3))}
	}
	head := len(*items)
	size := []isa.Size{isa.SizeB, isa.SizeH, isa.SizeW, isa.SizeDW}[s.intn(4)]
	off := int16(s.intn(16)) - 8
	exit := -1
	switch s.intn(3) {
	case 0:
		add(isa.Instruction{Opcode: uint8(isa.ClassLDX) | uint8(isa.ModeMEM) | uint8(size), Dst: d, Src: ptr, Offset: off})
		if s.intn(2) == 0 { // an early exit on the data
			exit = len(*items)
			*items = append(*items, genItem{ins: isa.Instruction{Opcode: uint8(isa.ClassJMP) | uint8(isa.JumpJSET), Dst: d, Imm: int64(1 << s.intn(8))}})
		}
	case 1:
		add(isa.Instruction{Opcode: uint8(isa.ClassST) | uint8(isa.ModeMEM) | uint8(size), Dst: ptr, Offset: off, Imm: s.imm()})
	default:
		add(isa.Instruction{Opcode: uint8(isa.ClassSTX) | uint8(isa.ModeMEM) | uint8(size), Dst: ptr, Src: pick(anyReg), Offset: off})
	}
	add(alu(isa.ALUAdd, ptr, step))
	add(alu(isa.ALUAdd, c, cstep))
	*items = append(*items, genItem{ins: test, target: head})
	if exit >= 0 {
		(*items)[exit].target = len(*items)
	}
}

func genMem(s *byteSource) []byte {
	m := make([]byte, genMemSize)
	for i := range m {
		m[i] = byte(s.intn(256))
	}
	return m
}

// diffVariant varies how a generated program runs.
type diffVariant struct {
	blind    bool
	readOnly bool   // the input is mapped read-only
	yield    uint64 // jit.Options.YieldEvery (0: default): exits to Go and resumes at block starts
	budget   uint64 // the run's budget (0: 5000); small ones run out inside chains
}

// diffOne runs p on both engines; it returns "" when they agree, whether
// the program loaded, and the JIT's error.
func diffOne(p isa.Program, mem []byte, order binary.ByteOrder, v diffVariant) (string, bool, error) {
	opts := &vm.Options{Helpers: diffHelpers(), Order: order}
	vp, err := vm.Load(p, opts)
	if err != nil {
		return "", false, nil
	}
	jp, err := jit.Compile(vp, &jit.Options{Blind: v.blind, YieldEvery: v.yield})
	if err != nil {
		return "compile: " + err.Error(), true, nil
	}
	defer jp.Close()
	m1 := append([]byte(nil), mem...)
	m2 := append([]byte(nil), mem...)
	budget := v.budget
	if budget == 0 {
		budget = 5000
	}
	r1, e1 := vp.Run(&vm.Env{Mem: m1, MemReadOnly: v.readOnly, Budget: budget})
	r2, e2 := jp.Run(&vm.Env{Mem: m2, MemReadOnly: v.readOnly, Budget: budget})
	return differ(r1, e1, r2, e2, m1, m2), true, e2
}

// variant derives a run variant from three choices.
func variant(a, b, c int) diffVariant {
	v := diffVariant{blind: a%3 == 1, readOnly: b%5 == 2}
	if c%4 == 1 {
		v.yield = uint64(1 + c%13)
	}
	if b%7 == 3 {
		v.budget = uint64(1 + (a+c)%97)
	}
	return v
}

// pinCoverage counts the generated programs whose amd64 code keeps
// per-run values in registers, by what else they do.
type pinCoverage struct {
	delta, perm, spec                         int // programs pinning each kind
	fold, foldFault                           int // programs with folded accesses (any pins), ... that end with a fault
	helper, local, yield, readOnly, bigEndian int // programs pinning something that also do this
	fault, budget                             int // ... that end with a fault, or out of budget
}

func (c *pinCoverage) add(t *testing.T, p isa.Program, order binary.ByteOrder, v diffVariant, runErr error) {
	vp, err := vm.Load(p, &vm.Options{Helpers: diffHelpers(), Order: order})
	if err != nil {
		return
	}
	d, pe, sp, writes, err := jit.AMD64Pins(vp)
	if err != nil {
		t.Fatal(err)
	}
	var ve *vm.Error
	errors.As(runErr, &ve)
	if jit.AMD64Folds(vp) > 0 {
		c.fold++
		if ve != nil && ve.Kind == vm.KindFault {
			c.foldFault++
		}
	}
	if len(writes) > 0 {
		t.Fatalf("amd64 code writes pinned registers: %v\n%s", writes, listing(p))
	}
	if d+pe+sp == 0 {
		return
	}
	c.delta += min(d, 1)
	c.perm += min(pe, 1)
	c.spec += min(sp, 1)
	var helper, local bool
	for _, ins := range p {
		helper = helper || ins.Opcode == isa.OpCall && ins.Src != isa.CallLocal
		local = local || ins.Opcode == isa.OpCall && ins.Src == isa.CallLocal
	}
	for k, on := range map[*int]bool{&c.helper: helper, &c.local: local, &c.yield: v.yield != 0, &c.readOnly: v.readOnly && pe > 0, &c.bigEndian: order == binary.BigEndian,
		&c.fault: ve != nil && ve.Kind == vm.KindFault, &c.budget: ve != nil && ve.Kind == vm.KindBudget} {
		if on {
			*k++
		}
	}
}

// check fails unless every kind of pin and every path out of and back
// into native code was seen with pins.
func (c *pinCoverage) check(t *testing.T) {
	t.Logf("pinning: %+v", *c)
	for name, k := range map[string]int{"delta": c.delta, "perm": c.perm, "spec": c.spec, "helper": c.helper, "local": c.local,
		"yield": c.yield, "read-only": c.readOnly, "folded accesses": c.fold, "folded accesses and a fault": c.foldFault, "big-endian": c.bigEndian, "a fault": c.fault, "budget exhaustion": c.budget} {
		if k == 0 {
			t.Errorf("no generated program pins registers with %s", name)
		}
	}
}

func diffHelpers() *vm.Helpers {
	hs := &vm.Helpers{}
	hs.Register(vm.Helper{ID: 0, Name: "gather", Fn: func(m *vm.Memory, a, b, c, d, e uint64) (uint64, error) {
		return (a&0xff)<<32 | (b&0xff)<<24 | (c&0xff)<<16 | (d&0xff)<<8 | e&0xff, nil
	}})
	hs.Register(vm.Helper{ID: 2, Name: "no_op", Fn: func(m *vm.Memory, a, b, c, d, e uint64) (uint64, error) { return a ^ b, nil }})
	return hs
}

func listing(p isa.Program) string {
	s := ""
	for pc, ins := range p {
		s += hex(uint64(pc)) + " " + ins.String() + "\n"
	}
	return s
}

// TestDiff runs a fixed set of generated programs (deterministic seed) on
// the interpreter and the JIT, in both byte orders.
func TestDiff(t *testing.T) {
	if !jit.Supported() {
		t.Skip(jit.ErrUnsupported)
	}
	n := *diffN
	if testing.Short() {
		n /= 10
	}
	r := rand.New(rand.NewSource(1))
	loaded := 0
	var cov pinCoverage
	var ucov unrollCoverage
	for i := 0; i < n; i++ {
		s := &byteSource{r: r}
		few := i%3 == 2
		p := genProgram(s, few)
		mem := genMem(s)
		order := binary.ByteOrder(binary.LittleEndian)
		if i%4 == 3 {
			order = binary.BigEndian
		}
		v := variant(i, i/3, i/7)
		why, ok, err := diffOne(p, mem, order, v)
		if ok {
			loaded++
			if few {
				cov.add(t, p, order, v, err)
			}
			ucov.add(p, order, v, err)
		}
		if why != "" {
			t.Fatalf("program %d (%v) disagrees:\n%s\n%s", i, order, why, listing(p))
		}
	}
	if loaded < n/2 {
		t.Errorf("only %d of %d generated programs loaded", loaded, n)
	}
	t.Logf("%d of %d programs loaded and agree", loaded, n)
	cov.check(t)
	ucov.check(t)
}

// unrollCoverage counts the generated programs whose amd64 code (the
// variant their run used) unrolls loops, by what else they do.
type unrollCoverage struct {
	loops, counted, blocks int // programs unrolling a loop, a counted one, one of several blocks
	yield, budget, fault   int // ... run with yields, ending out of budget, with a fault
}

func (c *unrollCoverage) add(p isa.Program, order binary.ByteOrder, v diffVariant, runErr error) {
	vp, err := vm.Load(p, &vm.Options{Helpers: diffHelpers(), Order: order})
	if err != nil {
		return
	}
	loops, counted, blocks := jit.AMD64Unrolls(vp, !v.readOnly)
	if loops <= 0 {
		return
	}
	var ve *vm.Error
	errors.As(runErr, &ve)
	for k, on := range map[*int]bool{&c.loops: true, &c.counted: counted > 0, &c.blocks: blocks > 0, &c.yield: v.yield != 0,
		&c.budget: ve != nil && ve.Kind == vm.KindBudget, &c.fault: ve != nil && ve.Kind == vm.KindFault} {
		if on {
			*k++
		}
	}
}

// check fails unless unrolled loops were seen with each.
func (c *unrollCoverage) check(t *testing.T) {
	t.Logf("unrolling: %+v", *c)
	for name, k := range map[string]int{"any loop": c.loops, "a counted loop": c.counted, "a loop of several blocks": c.blocks,
		"yields": c.yield, "budget exhaustion": c.budget, "a fault": c.fault} {
		if k == 0 {
			t.Errorf("no generated program unrolls %s", name)
		}
	}
}

// FuzzDiff checks that the interpreter and the JIT agree on programs
// generated from the fuzzer's bytes.
func FuzzDiff(f *testing.F) {
	if !jit.Supported() {
		f.Skip(jit.ErrUnsupported)
	}
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8})
	f.Add([]byte("differential fuzzing of the jit"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := &byteSource{b: b}
		p := genProgram(s, len(b) > 0 && b[0]&2 != 0)
		mem := genMem(s)
		order := binary.ByteOrder(binary.LittleEndian)
		if len(b) > 0 && b[0]&1 == 1 {
			order = binary.BigEndian
		}
		var c [3]int
		for i := range c {
			if len(b) > i+1 {
				c[i] = int(b[i+1])
			}
		}
		if why, _, _ := diffOne(p, mem, order, variant(c[0], c[1], c[2])); why != "" {
			t.Fatalf("disagree:\n%s\n%s", why, listing(p))
		}
	})
}
