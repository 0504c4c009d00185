package jit_test

import (
	"encoding/binary"
	"math/rand"
	"testing"

	"github.com/iovm/iovm/isa"
	"github.com/iovm/iovm/jit"
)

// genCombine generates programs that assemble 2, 4 and 8-byte fields
// from byte loads of the input (near its end, or proven after a length
// check) and the stack, in either order and any load order, in one run of
// bytes or two apart, alone or interleaved with another field (sharing a
// temporary or not), with 32- or 64-bit shifts and ORs, and
// mutations that must keep the JIT from combining them or keep it exact:
// wrong shifts and offsets, sign-extending loads, instructions in between
// that read or write the temporaries or the base, stores, branches, and
// temporaries read afterwards.
func genCombine(s *byteSource) isa.Program {
	var p isa.Program
	add := func(ins isa.Instruction) { p = p.Append(ins) }
	alu := func(cls isa.Class, op isa.ALUOp, src isa.Source, d, r uint8, imm int64) {
		add(isa.Instruction{Opcode: uint8(cls) | uint8(op) | uint8(src), Dst: d, Src: r, Imm: imm})
	}
	regs := []uint8{0, 2, 3, 4, 5, 7, 8, 9}
	pick := func() uint8 { return regs[s.intn(len(regs))] }
	alu(isa.ClassALU64, isa.ALUMov, isa.SrcX, 6, 1, 0)
	add(isa.Instruction{Opcode: uint8(isa.ClassST) | uint8(isa.ModeMEM) | uint8(isa.SizeDW), Dst: 10, Offset: -8, Imm: s.imm()})
	add(isa.Instruction{Opcode: uint8(isa.ClassST) | uint8(isa.ModeMEM) | uint8(isa.SizeDW), Dst: 10, Offset: -16, Imm: s.imm()})
	for _, r := range regs {
		alu(isa.ClassALU64, isa.ALUMov, isa.SrcK, r, 0, s.imm())
	}
	rare := func() bool { return s.intn(40) == 0 }
	if s.intn(2) == 0 {
		// Proven input loads (crossing combinations are Proven or Frame).
		add(isa.Instruction{Opcode: uint8(isa.ClassJMP) | uint8(isa.JumpJGE), Dst: 2, Imm: 33, Offset: 1})
		add(isa.Instruction{Opcode: isa.OpExit})
	}
	// between returns a random instruction that may disturb a sequence.
	between := func(base, d, t uint8) []isa.Instruction {
		var out []isa.Instruction
		add := func(ins isa.Instruction) { out = append(out, ins) }
		alu := func(cls isa.Class, op isa.ALUOp, src isa.Source, d, r uint8, imm int64) {
			add(isa.Instruction{Opcode: uint8(cls) | uint8(op) | uint8(src), Dst: d, Src: r, Imm: imm})
		}
		switch s.intn(7) {
		case 0:
			alu(isa.ClassALU64, isa.ALUAdd, isa.SrcK, pick(), 0, s.imm())
		case 1:
			alu(isa.ClassALU64, isa.ALUAdd, isa.SrcX, pick(), []uint8{d, t, base}[s.intn(3)], 0)
		case 2:
			add(isa.Instruction{Opcode: uint8(isa.ClassST) | uint8(isa.ModeMEM) | uint8(isa.SizeB), Dst: base, Offset: memOff(s, base), Imm: s.imm()})
		case 3:
			if base != 10 {
				alu(isa.ClassALU64, isa.ALUAdd, isa.SrcK, base, 0, int64(s.intn(3)))
			}
		case 4:
			add(isa.Instruction{Opcode: uint8(isa.ClassJMP) | uint8(isa.JumpJEQ), Dst: pick(), Imm: s.imm() & 1, Offset: int16(s.intn(3))})
		case 5:
			alu(isa.ClassALU64, isa.ALUMov, isa.SrcX, pick(), d, 0)
		default:
			b := []uint8{6, 10}[s.intn(2)]
			add(isa.Instruction{Opcode: uint8(isa.ClassLDX) | uint8(isa.ModeMEM) | uint8(isa.SizeB), Dst: pick(), Src: b, Offset: memOff(s, b)})
		}
		return out
	}
	// field returns the instructions of one field into d through t: n
	// bytes in order be at base+off, or (parts) two runs of n/2 bytes in
	// their own orders at independent offsets (be32(p) << 32 | be32(q)).
	field := func(base, d, t uint8) [][]isa.Instruction {
		var steps [][]isa.Instruction // per byte
		var out []isa.Instruction
		emit := func(ins isa.Instruction) { out = append(out, ins) }
		n := []int{2, 4, 8}[s.intn(3)]
		h := n
		if n > 2 && s.intn(3) == 0 {
			h = n / 2
		}
		be := [2]bool{s.intn(2) == 0, s.intn(2) == 0}
		var off [2]int
		for i := range off {
			size := h
			if i == 1 {
				size = n - h
			}
			off[i] = s.intn(24)
			if base == 10 {
				off[i] = -16 + s.intn(16-max(size, 1)+1)
			}
		}
		cls := isa.ClassALU64
		if n <= 4 && s.intn(2) == 0 {
			cls = isa.ClassALU
		}
		order := make([]int, n) // the positions in load order
		for i := range order {
			j := s.intn(i + 1)
			order[i] = order[j]
			order[j] = i
		}
		alu := func(op isa.ALUOp, src isa.Source, d, r uint8, imm int64) {
			emit(isa.Instruction{Opcode: uint8(cls) | uint8(op) | uint8(src), Dst: d, Src: r, Imm: imm})
		}
		for i, k := range order {
			run, pos, size := 0, k, h
			if k >= h {
				run, pos, size = 1, k-h, n-h
			}
			o := off[run] + pos
			if be[run] {
				o = off[run] + size - 1 - pos
			}
			if rare() {
				o += 1 - int(base/10)*2 // a gap (or an overlap), in the frame
			}
			sh := int64(8 * k)
			if rare() {
				sh += int64([]int{1, 8, 32}[s.intn(3)])
			}
			mode := isa.ModeMEM
			if rare() {
				mode = isa.ModeMEMSX
			}
			r := t
			if i == 0 {
				r = d
			}
			emit(isa.Instruction{Opcode: uint8(isa.ClassLDX) | uint8(mode) | uint8(isa.SizeB), Dst: r, Src: base, Offset: int16(o)})
			if rare() {
				out = append(out, between(base, d, t)...)
			}
			if sh != 0 {
				alu(isa.ALULsh, isa.SrcK, r, 0, sh)
			}
			if rare() {
				out = append(out, between(base, d, t)...)
			}
			if i > 0 {
				alu(isa.ALUOr, isa.SrcX, d, t, 0)
			}
			steps, out = append(steps, out), nil
		}
		return steps
	}
	// use reads d (and maybe t) after a field.
	use := func(d, t uint8) {
		alu(isa.ClassALU64, isa.ALUXor, isa.SrcX, 0, d, 0)
		if s.intn(4) == 0 {
			alu(isa.ClassALU64, isa.ALUAdd, isa.SrcX, 0, t, 0)
		}
		if s.intn(4) == 0 {
			// A branch: the temporary may be read on one path only.
			add(isa.Instruction{Opcode: uint8(isa.ClassJMP) | uint8(isa.JumpJSET), Dst: d, Imm: 1, Offset: 1})
			alu(isa.ClassALU64, isa.ALUMul, isa.SrcX, 0, t, 0)
		}
	}
	// regs2 picks a destination and a different temporary, not r0 (the
	// result).
	regs2 := func() (uint8, uint8) {
		i := 1 + s.intn(len(regs)-1)
		j := 1 + (i+s.intn(len(regs)-2))%(len(regs)-1)
		return regs[i], regs[j]
	}
	base := func() uint8 { return []uint8{6, 6, 10}[s.intn(3)] }
	fields := 1 + s.intn(4)
	for f := 0; f < fields; f++ {
		b1 := base()
		d1, t1 := regs2()
		if s.intn(3) != 0 {
			for _, step := range field(b1, d1, t1) {
				for _, ins := range step {
					add(ins)
				}
			}
			use(d1, t1)
			continue
		}
		// Two fields interleaved a byte at a time (their ranges nest or
		// cross), maybe sharing the temporary.
		b2 := base()
		d2, t2 := regs2()
		for i := 0; i < 4 && (d2 == d1 || d2 == t1 || t2 == d1 || t2 == t1); i++ {
			d2, t2 = regs2()
		}
		if s.intn(3) == 0 {
			t2 = t1
		}
		a, b := field(b1, d1, t1), field(b2, d2, t2)
		for len(a)+len(b) > 0 {
			var step []isa.Instruction
			if len(b) == 0 || len(a) > 0 && s.intn(2) == 0 {
				step, a = a[0], a[1:]
			} else {
				step, b = b[0], b[1:]
			}
			for _, ins := range step {
				add(ins)
			}
		}
		use(d1, t1)
		use(d2, t2)
	}
	add(isa.Instruction{Opcode: isa.OpExit})
	return p
}

// memOff returns an offset for a byte access through r6 (the input) or
// r10 (the frame).
func memOff(s *byteSource, base uint8) int16 {
	if base == 10 {
		return -1 - int16(s.intn(16))
	}
	return int16(s.intn(30))
}

// TestCombineDiff runs generated field-assembling programs on the
// interpreter and the JIT with inputs of every length up to past the
// fields, in both byte orders.
func TestCombineDiff(t *testing.T) {
	if !jit.Supported() {
		t.Skip(jit.ErrUnsupported)
	}
	n := 400
	if testing.Short() {
		n = 40
	}
	r := rand.New(rand.NewSource(2))
	for i := 0; i < n; i++ {
		s := &byteSource{r: r}
		p := genCombine(s)
		mem := make([]byte, []int{r.Intn(34), 33}[i%2])
		r.Read(mem)
		order := binary.ByteOrder(binary.LittleEndian)
		if i%3 == 2 {
			order = binary.BigEndian
		}
		why, ok, _ := diffOne(p, mem, order, variant(i, i/3, i/7))
		if !ok {
			t.Fatalf("program %d does not load:\n%s", i, listing(p))
		}
		if why != "" {
			t.Fatalf("program %d (%v, %d bytes) disagrees:\n%s\n%s", i, order, len(mem), why, listing(p))
		}
	}
}

// FuzzCombine is TestCombineDiff on programs generated from the fuzzer's
// bytes.
func FuzzCombine(f *testing.F) {
	if !jit.Supported() {
		f.Skip(jit.ErrUnsupported)
	}
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8})
	f.Add([]byte("load combining: be32 at the end"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := &byteSource{b: b}
		p := genCombine(s)
		mem := make([]byte, []int{s.intn(34), 33}[s.intn(2)])
		for i := range mem {
			mem[i] = byte(s.intn(256))
		}
		order := binary.ByteOrder(binary.LittleEndian)
		if len(b) > 0 && b[0]&1 == 1 {
			order = binary.BigEndian
		}
		why, ok, _ := diffOne(p, mem, order, variant(len(b), len(b)/3, len(b)/7))
		if !ok {
			t.Fatalf("does not load:\n%s", listing(p))
		}
		if why != "" {
			t.Fatalf("disagree (%d bytes):\n%s\n%s", len(mem), why, listing(p))
		}
	})
}
