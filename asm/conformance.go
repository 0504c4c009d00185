package asm

import (
	"fmt"
	"strings"

	"github.com/iovm/iovm/isa"
)

// byName maps conformance-dialect mnemonics to their opcode variants.
var byName = func() map[string][]isa.OpInfo {
	m := map[string][]isa.OpInfo{}
	for _, o := range isa.Opcodes() {
		m[o.Name] = append(m[o.Name], o)
	}
	return m
}()

// aliases are alternative spellings accepted by Assemble.
var aliases = map[string]string{
	"swap16": "bswap16", "swap32": "bswap32", "swap64": "bswap64",
	"gotol": "ja32", "jmp": "ja", "jmp32": "ja32",
	"ldxsw32": "ldxsw", "neg64": "neg", "mov64": "mov", "add64": "add", "sub64": "sub", "mul64": "mul",
	"div64": "div", "mod64": "mod", "or64": "or", "and64": "and", "xor64": "xor", "lsh64": "lsh",
	"rsh64": "rsh", "arsh64": "arsh", "sdiv64": "sdiv", "smod64": "smod",
}

// Names of the lddw kinds other than the plain 64-bit immediate (src 1..6),
// in both dialects: lddw %r1, map_fd(3) / r1 = map_fd(3) ll.
var lddwKinds = map[uint8]string{
	isa.LDDWMapFD: "map_fd", isa.LDDWMapValFD: "map_value_fd", isa.LDDWVarAddr: "var_addr",
	isa.LDDWCodeAddr: "code_addr", isa.LDDWMapIdx: "map_idx", isa.LDDWMapValIdx: "map_value_idx",
}

var lddwKindByName = func() map[string]uint8 {
	m := map[string]uint8{}
	for k, n := range lddwKinds {
		m[n] = k
	}
	return m
}()

// Assemble assembles text in the mnemonic dialect of the conformance data
// files (see the package documentation) into a program indexed by slot.
// Errors are *Error values carrying the line and column.
func Assemble(src string) (isa.Program, error) {
	return assemble(src, dialect{parse: parseConformance})
}

// Disassemble prints a program in the conformance dialect, one instruction
// per line, with numeric jump offsets; Assemble turns the text back into
// the same program. Slots that are not valid instructions print as .insn.
func Disassemble(p isa.Program) string { return disassemble(p, Format) }

// Format prints one instruction in the conformance dialect (jump and call
// targets as signed offsets).
func Format(ins isa.Instruction) string {
	o, ok := valid(ins)
	if !ok {
		return formatInsn(ins)
	}
	r := func(n uint8) string { return fmt.Sprintf("%%r%d", n) }
	mem := func(reg uint8, off int16) string {
		if off < 0 {
			return fmt.Sprintf("[%%r%d-%d]", reg, -int(off))
		}
		return fmt.Sprintf("[%%r%d+%d]", reg, off)
	}
	srcOperand := func() string {
		if ins.Source() == isa.SrcX {
			return r(ins.Src)
		}
		return fmtImm(ins.Imm)
	}
	switch ins.Class() {
	case isa.ClassALU, isa.ClassALU64:
		if op := ins.ALUOp(); op == isa.ALUNeg || op == isa.ALUEnd {
			return o.Name + " " + r(ins.Dst)
		}
		return o.Name + " " + r(ins.Dst) + ", " + srcOperand()
	case isa.ClassJMP, isa.ClassJMP32:
		switch {
		case ins.Opcode == isa.OpJA:
			return "ja " + fmtRel(int64(ins.Offset))
		case ins.Opcode == uint8(isa.ClassJMP32)|uint8(isa.JumpJA):
			return "ja32 " + fmtRel(ins.Imm)
		case ins.Opcode == isa.OpExit:
			return "exit"
		case ins.Opcode == isa.OpCallX:
			return "call " + r(ins.Dst)
		case ins.Opcode == isa.OpCall && ins.Src == isa.CallLocal:
			return "call local " + fmtRel(ins.Imm)
		case ins.Opcode == isa.OpCall && ins.Src == isa.CallHelperID:
			return "call btf " + fmtImm(ins.Imm)
		case ins.Opcode == isa.OpCall:
			return "call " + fmtImm(ins.Imm)
		}
		return o.Name + " " + r(ins.Dst) + ", " + srcOperand() + ", " + fmtRel(int64(ins.Offset))
	case isa.ClassLD:
		switch ins.Mode() {
		case isa.ModeABS:
			return o.Name + " " + fmtImm(ins.Imm)
		case isa.ModeIND:
			return o.Name + " " + r(ins.Src) + ", " + fmtImm(ins.Imm)
		}
		return "lddw " + r(ins.Dst) + ", " + formatLDDWValue(ins)
	case isa.ClassLDX:
		return o.Name + " " + r(ins.Dst) + ", " + mem(ins.Src, ins.Offset)
	case isa.ClassST:
		return o.Name + " " + mem(ins.Dst, ins.Offset) + ", " + fmtImm(ins.Imm)
	}
	return o.Name + " " + mem(ins.Dst, ins.Offset) + ", " + r(ins.Src) // STX, atomics
}

// formatLDDWValue prints the operand of a lddw: the constant, or for the
// other kinds name(imm) or name(imm, next_imm).
func formatLDDWValue(ins isa.Instruction) string {
	if ins.Src == isa.LDDWImm {
		return fmtImm(ins.Imm)
	}
	lo, hi := int64(int32(uint32(ins.Imm))), int64(int32(uint32(uint64(ins.Imm)>>32)))
	if hi == 0 && ins.Src != isa.LDDWMapValFD && ins.Src != isa.LDDWMapValIdx {
		return fmt.Sprintf("%s(%s)", lddwKinds[ins.Src], fmtImm(lo))
	}
	return fmt.Sprintf("%s(%s, %s)", lddwKinds[ins.Src], fmtImm(lo), fmtImm(hi))
}

// parseLDDWKind parses "name(imm)" or "name(imm, next_imm)" after the
// kind's name, which the caller has consumed.
func parseLDDWKind(p *parser, kind uint8, ins *isa.Instruction) error {
	if err := p.expectOp("("); err != nil {
		return err
	}
	lo, err := p.imm32()
	if err != nil {
		return err
	}
	var hi int64
	if p.accept(",") {
		if hi, err = p.imm32(); err != nil {
			return err
		}
	}
	if err := p.expectOp(")"); err != nil {
		return err
	}
	ins.Src = kind
	ins.Imm = int64(uint64(uint32(lo)) | uint64(uint32(hi))<<32)
	return nil
}

// conformance-dialect operand helpers.

func (p *parser) reg() (uint8, error) {
	t := p.next()
	if t.kind == tIdent {
		if r, _, ok := regName(t.text, false); ok {
			return r, nil
		}
		if looksLikeReg(t.text) {
			return 0, p.errAt(t, "invalid register %s (r0..r10)", t.text)
		}
	}
	return 0, p.errAt(t, "expected a register, found %v", t)
}

func (p *parser) comma() error { return p.expectOp(",") }

// memOperand parses [%rN], [%rN+off] or [%rN-off].
func (p *parser) memOperand() (uint8, int16, error) {
	if err := p.expectOp("["); err != nil {
		return 0, 0, err
	}
	reg, err := p.reg()
	if err != nil {
		return 0, 0, err
	}
	var off int16
	if p.isOp("+") || p.isOp("-") {
		if off, err = p.off16(); err != nil {
			return 0, 0, err
		}
	}
	if err := p.expectOp("]"); err != nil {
		return 0, 0, err
	}
	return reg, off, nil
}

// pick returns the variant among vs with the given source bit.
func pick(vs []isa.OpInfo, src isa.Source) (isa.OpInfo, bool) {
	for _, o := range vs {
		if isa.Source(o.Opcode&0x08) == src {
			return o, true
		}
	}
	return isa.OpInfo{}, false
}

func parseConformance(p *parser, s *stmt) error {
	mt := p.next()
	if mt.kind != tIdent {
		return p.errAt(mt, "expected a mnemonic, found %v", mt)
	}
	name := strings.ToLower(mt.text)
	if a, ok := aliases[name]; ok {
		name = a
	}
	ins := &s.ins
	switch name {
	case "lock", "lock32":
		// lock [fetch] op[32]; the 32 may also follow "lock" or "fetch".
		is32 := name == "lock32"
		var words []string
		for p.peek().kind == tIdent {
			w := strings.ToLower(p.next().text)
			if strings.HasSuffix(w, "32") {
				is32, w = true, strings.TrimSuffix(w, "32")
			}
			words = append(words, w)
		}
		if len(words) == 0 {
			t := p.peek()
			return p.errAt(t, "expected an atomic operation, found %v", t)
		}
		name = "lock " + strings.Join(words, " ")
		if is32 {
			name += "32"
		}
		if _, ok := byName[name]; !ok {
			return p.errAt(mt, "unknown atomic operation %q", name)
		}
	case "call", "callx":
		t := p.peek()
		switch {
		case t.kind == tIdent && strings.EqualFold(t.text, "local") && name == "call":
			p.next()
			ins.Opcode, ins.Src = isa.OpCall, isa.CallLocal
			imm, err := p.target(s, targetImm)
			ins.Imm = imm
			return err
		case t.kind == tIdent && strings.EqualFold(t.text, "btf") && name == "call":
			p.next()
			ins.Opcode, ins.Src = isa.OpCall, isa.CallHelperID
			imm, err := p.imm32()
			ins.Imm = imm
			return err
		case p.isReg() || name == "callx":
			r, err := p.reg()
			ins.Opcode, ins.Dst = isa.OpCallX, r
			return err
		}
		imm, err := p.imm32()
		ins.Opcode, ins.Imm = isa.OpCall, imm
		return err
	}
	vs, ok := byName[name]
	if !ok {
		return p.errAt(mt, "unknown mnemonic %q", mt.text)
	}
	o := vs[0]
	ins.Opcode = o.Opcode
	var err error
	switch isa.Class(o.Opcode & 7) {
	case isa.ClassALU, isa.ClassALU64:
		if ins.Dst, err = p.reg(); err != nil {
			return err
		}
		if op := isa.ALUOp(o.Opcode & 0xf0); op == isa.ALUNeg || op == isa.ALUEnd {
			*ins = o.Template(ins.Dst, 0)
			return nil
		}
		if err := p.comma(); err != nil {
			return err
		}
		at := p.peek()
		var src uint8
		var imm int64
		source := isa.SrcK
		if p.isReg() {
			source = isa.SrcX
			if src, err = p.reg(); err != nil {
				return err
			}
		} else if imm, err = p.imm32(); err != nil {
			return err
		}
		v, ok := pick(vs, source)
		if !ok {
			return p.errAt(at, "%s takes a register operand", name)
		}
		*ins = v.Template(ins.Dst, src)
		ins.Imm = imm
		return nil
	case isa.ClassJMP, isa.ClassJMP32:
		switch o.Opcode {
		case isa.OpJA:
			off, err := p.target(s, targetOffset)
			ins.Offset = int16(off)
			return err
		case uint8(isa.ClassJMP32) | uint8(isa.JumpJA):
			ins.Imm, err = p.target(s, targetImm)
			return err
		case isa.OpExit:
			return nil
		}
		if ins.Dst, err = p.reg(); err != nil {
			return err
		}
		if err := p.comma(); err != nil {
			return err
		}
		source := isa.SrcK
		if p.isReg() {
			source = isa.SrcX
			if ins.Src, err = p.reg(); err != nil {
				return err
			}
		} else if ins.Imm, err = p.imm32(); err != nil {
			return err
		}
		v, _ := pick(vs, source)
		ins.Opcode = v.Opcode
		if err := p.comma(); err != nil {
			return err
		}
		off, err := p.target(s, targetOffset)
		ins.Offset = int16(off)
		return err
	case isa.ClassLD:
		switch isa.Mode(o.Opcode & 0xe0) {
		case isa.ModeABS:
			ins.Imm, err = p.imm32()
			return err
		case isa.ModeIND:
			if ins.Src, err = p.reg(); err != nil {
				return err
			}
			if err := p.comma(); err != nil {
				return err
			}
			ins.Imm, err = p.imm32()
			return err
		}
		if ins.Dst, err = p.reg(); err != nil {
			return err
		}
		if err := p.comma(); err != nil {
			return err
		}
		if t := p.peek(); t.kind == tIdent {
			kind, ok := lddwKindByName[strings.ToLower(t.text)]
			if !ok {
				return p.errAt(t, "expected a 64-bit immediate, found %v", t)
			}
			p.next()
			return parseLDDWKind(p, kind, ins)
		}
		ins.Imm, err = p.imm64()
		return err
	case isa.ClassLDX:
		if ins.Dst, err = p.reg(); err != nil {
			return err
		}
		if err := p.comma(); err != nil {
			return err
		}
		ins.Src, ins.Offset, err = p.memOperand()
		return err
	case isa.ClassST:
		if ins.Dst, ins.Offset, err = p.memOperand(); err != nil {
			return err
		}
		if err := p.comma(); err != nil {
			return err
		}
		ins.Imm, err = p.imm32()
		return err
	}
	// STX and atomics.
	if ins.Dst, ins.Offset, err = p.memOperand(); err != nil {
		return err
	}
	if err := p.comma(); err != nil {
		return err
	}
	if ins.Src, err = p.reg(); err != nil {
		return err
	}
	if o.Fixed&isa.FieldImm != 0 {
		ins.Imm = o.Imm
	}
	return nil
}
