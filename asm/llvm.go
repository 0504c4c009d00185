package asm

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/iovm/iovm/isa"
)

// AssembleLLVM assembles text in the LLVM pseudo-C dialect (what
// llvm-objdump -d prints for BPF) into a program indexed by slot. It also
// takes llvm-objdump output as is. Errors are *Error values.
func AssembleLLVM(src string) (isa.Program, error) {
	return assemble(src, dialect{llvm: true, parse: parseLLVM, prepare: prepareLLVM})
}

// DisassembleLLVM prints a program in the LLVM pseudo-C dialect, one
// instruction per line as llvm-objdump -d prints it (see the package
// documentation for the differences); AssembleLLVM turns the text back
// into the same program.
func DisassembleLLVM(p isa.Program) string { return disassemble(p, FormatLLVM) }

var llvmALUOps = map[isa.ALUOp]string{
	isa.ALUAdd: "+=", isa.ALUSub: "-=", isa.ALUMul: "*=", isa.ALUDiv: "/=", isa.ALUOr: "|=",
	isa.ALUAnd: "&=", isa.ALULsh: "<<=", isa.ALURsh: ">>=", isa.ALUMod: "%=", isa.ALUXor: "^=",
	isa.ALUMov: "=", isa.ALUArsh: "s>>=",
}

var llvmALUByOp = func() map[string]isa.ALUOp {
	m := map[string]isa.ALUOp{}
	for k, v := range llvmALUOps {
		m[v] = k
	}
	return m
}()

var llvmJumpOps = map[isa.JumpOp]string{
	isa.JumpJEQ: "==", isa.JumpJGT: ">", isa.JumpJGE: ">=", isa.JumpJSET: "&", isa.JumpJNE: "!=",
	isa.JumpJSGT: "s>", isa.JumpJSGE: "s>=", isa.JumpJLT: "<", isa.JumpJLE: "<=", isa.JumpJSLT: "s<",
	isa.JumpJSLE: "s<=",
}

var llvmJumpByOp = func() map[string]isa.JumpOp {
	m := map[string]isa.JumpOp{}
	for k, v := range llvmJumpOps {
		m[v] = k
	}
	return m
}()

var llvmAtomicOps = map[isa.AtomicOp]string{
	isa.AtomicAdd: "add", isa.AtomicOr: "or", isa.AtomicAnd: "and", isa.AtomicXor: "xor",
}

var llvmLockOps = map[isa.AtomicOp]string{
	isa.AtomicAdd: "+=", isa.AtomicOr: "|=", isa.AtomicAnd: "&=", isa.AtomicXor: "^=",
}

var sizeTypes = map[isa.Size]string{isa.SizeB: "8", isa.SizeH: "16", isa.SizeW: "32", isa.SizeDW: "64"}

// FormatLLVM prints one instruction in the LLVM pseudo-C dialect, with
// jump and call targets as signed offsets.
func FormatLLVM(ins isa.Instruction) string {
	if _, ok := valid(ins); !ok {
		return formatInsn(ins)
	}
	r := func(n uint8) string { return fmt.Sprintf("r%d", n) }
	w := func(n uint8) string { return fmt.Sprintf("w%d", n) }
	mem := func(reg uint8, off int16) string {
		if off < 0 {
			return fmt.Sprintf("r%d - %d", reg, -int(off))
		}
		return fmt.Sprintf("r%d + %d", reg, off)
	}
	ptr := func(sign string) string { return fmt.Sprintf("*(%s%s *)", sign, sizeTypes[ins.Size()]) }
	dec := func(v int64) string { return fmt.Sprint(v) }
	switch ins.Class() {
	case isa.ClassALU, isa.ClassALU64:
		reg := r
		if ins.Class() == isa.ClassALU {
			reg = w
		}
		op := ins.ALUOp()
		switch op {
		case isa.ALUNeg:
			return fmt.Sprintf("%s = -%s", reg(ins.Dst), reg(ins.Dst))
		case isa.ALUEnd:
			name := "le"
			if ins.Class() == isa.ClassALU64 {
				name = "bswap"
			} else if ins.Source() == isa.SrcX {
				name = "be"
			}
			return fmt.Sprintf("%s = %s%d %s", r(ins.Dst), name, ins.Imm, r(ins.Dst))
		}
		src := dec(ins.Imm)
		if ins.Source() == isa.SrcX {
			src = reg(ins.Src)
		}
		sym := llvmALUOps[op]
		switch {
		case (op == isa.ALUDiv || op == isa.ALUMod) && ins.Offset == 1:
			sym = "s" + sym
		case op == isa.ALUMov && ins.Offset != 0:
			src = fmt.Sprintf("(s%d)%s", ins.Offset, src)
		}
		return fmt.Sprintf("%s %s %s", reg(ins.Dst), sym, src)
	case isa.ClassJMP, isa.ClassJMP32:
		switch {
		case ins.Opcode == isa.OpJA:
			return "goto " + fmtRel(int64(ins.Offset))
		case ins.Opcode == uint8(isa.ClassJMP32)|uint8(isa.JumpJA):
			return "gotol " + fmtRel(ins.Imm)
		case ins.Opcode == isa.OpExit:
			return "exit"
		case ins.Opcode == isa.OpCallX:
			return "callx " + r(ins.Dst)
		case ins.Opcode == isa.OpCall && ins.Src == isa.CallLocal:
			if ins.Imm < 0 {
				return fmt.Sprintf("call pc%d", ins.Imm)
			}
			return fmt.Sprintf("call pc+%d", ins.Imm)
		case ins.Opcode == isa.OpCall && ins.Src == isa.CallHelperID:
			return "call btf " + dec(ins.Imm)
		case ins.Opcode == isa.OpCall:
			return "call " + dec(ins.Imm)
		}
		reg := r
		if ins.Class() == isa.ClassJMP32 {
			reg = w
		}
		src := dec(ins.Imm)
		if ins.Source() == isa.SrcX {
			src = reg(ins.Src)
		}
		return fmt.Sprintf("if %s %s %s goto %s", reg(ins.Dst), llvmJumpOps[ins.JumpOp()], src, fmtRel(int64(ins.Offset)))
	case isa.ClassLD:
		switch ins.Mode() {
		case isa.ModeABS:
			return fmt.Sprintf("r0 = %sskb[%d]", ptr("u"), ins.Imm)
		case isa.ModeIND:
			if ins.Imm != 0 {
				return fmt.Sprintf("r0 = %sskb[%s%s]", ptr("u"), r(ins.Src), llvmSigned(ins.Imm))
			}
			return fmt.Sprintf("r0 = %sskb[%s]", ptr("u"), r(ins.Src))
		}
		if ins.Src != isa.LDDWImm {
			return fmt.Sprintf("%s = %s ll", r(ins.Dst), formatLDDWValue(ins))
		}
		return fmt.Sprintf("%s = %d ll", r(ins.Dst), ins.Imm)
	case isa.ClassLDX:
		sign := "u"
		if ins.Mode() == isa.ModeMEMSX {
			sign = "s"
		}
		return fmt.Sprintf("%s = %s(%s)", r(ins.Dst), ptr(sign), mem(ins.Src, ins.Offset))
	case isa.ClassST:
		return fmt.Sprintf("%s(%s) = %d", ptr("u"), mem(ins.Dst, ins.Offset), ins.Imm)
	}
	if ins.Mode() == isa.ModeMEM {
		return fmt.Sprintf("%s(%s) = %s", ptr("u"), mem(ins.Dst, ins.Offset), r(ins.Src))
	}
	// Atomics.
	op := isa.AtomicOp(ins.Imm)
	reg, suffix := r, "_64"
	if ins.Size() == isa.SizeW {
		reg, suffix = w, "32_32"
	}
	switch {
	case op == isa.AtomicXchg:
		return fmt.Sprintf("%s = xchg%s(%s, %s)", reg(ins.Src), suffix, mem(ins.Dst, ins.Offset), reg(ins.Src))
	case op == isa.AtomicCmpXchg:
		return fmt.Sprintf("%s = cmpxchg%s(%s, %s, %s)", reg(0), suffix, mem(ins.Dst, ins.Offset), reg(0), reg(ins.Src))
	case op&isa.AtomicFetch != 0:
		return fmt.Sprintf("%s = atomic_fetch_%s((%s *)(%s), %s)", reg(ins.Src), llvmAtomicOps[op&^isa.AtomicFetch],
			"u"+sizeTypes[ins.Size()], mem(ins.Dst, ins.Offset), reg(ins.Src))
	}
	return fmt.Sprintf("lock %s(%s) %s %s", ptr("u"), mem(ins.Dst, ins.Offset), llvmLockOps[op], r(ins.Src))
}

// llvmSigned prints " + v" or " - |v|".
func llvmSigned(v int64) string {
	if v < 0 {
		return fmt.Sprintf(" - %d", -v)
	}
	return fmt.Sprintf(" + %d", v)
}

var (
	objdumpInsn   = regexp.MustCompile(`^\s*[0-9]+:\s+(?:[0-9a-fA-F]{2} )*[0-9a-fA-F]{2}\t\s*(.*)$`)
	objdumpNoRaw  = regexp.MustCompile(`^\s*[0-9]+:\s+(.*)$`)
	objdumpSymbol = regexp.MustCompile(`^[0-9a-fA-F]+ <([^>]+)>:\s*$`)
	objdumpReloc  = regexp.MustCompile(`^\s*[0-9a-fA-F]+:\s+R_[A-Z0-9_]+`)
	objdumpAnnot  = regexp.MustCompile(`\s+<[^<>\s]+>\s*$`)
	directiveLine = regexp.MustCompile(`^\s*\.[A-Za-z_][\w.$]*(\s|$)`)
)

// prepareLLVM strips what llvm-objdump adds around instructions (address,
// raw bytes, symbol annotations, headers, relocations) and assembler
// directives, and turns symbol lines into labels.
func prepareLLVM(line string) (string, int, []string) {
	trimmed := strings.TrimSpace(line)
	switch {
	case trimmed == "":
		return "", 0, nil
	case strings.HasPrefix(trimmed, "Disassembly of section "), strings.Contains(trimmed, "file format "):
		return "", 0, nil
	case objdumpReloc.MatchString(line):
		return "", 0, nil
	}
	if m := objdumpSymbol.FindStringSubmatch(trimmed); m != nil {
		return "", 0, []string{m[1]}
	}
	if directiveLine.MatchString(line) && !strings.HasPrefix(strings.ToLower(trimmed), ".insn") {
		return "", 0, nil
	}
	start := 0
	if m := objdumpInsn.FindStringSubmatchIndex(line); m != nil {
		start = m[2]
	} else if m := objdumpNoRaw.FindStringSubmatchIndex(line); m != nil {
		start = m[2]
	}
	return objdumpAnnot.ReplaceAllString(line[start:], ""), utf8.RuneCountInString(line[:start]), nil
}

// LLVM-dialect operand helpers.

// llvmReg parses r0..r10 or w0..w10; it reports whether it was a w name.
func (p *parser) llvmReg() (uint8, bool, error) {
	t := p.next()
	if t.kind == tIdent {
		if r, isW, ok := regName(t.text, true); ok {
			return r, isW, nil
		}
		if looksLikeReg(t.text) {
			return 0, false, p.errAt(t, "invalid register %s (r0..r10, w0..w10)", t.text)
		}
	}
	return 0, false, p.errAt(t, "expected a register, found %v", t)
}

// llvmMem parses "reg", "reg + off" or "reg - off" (no parentheses).
func (p *parser) llvmMem() (uint8, int16, error) {
	reg, _, err := p.llvmReg()
	if err != nil {
		return 0, 0, err
	}
	var off int16
	if p.isOp("+") || p.isOp("-") {
		at := p.peek()
		negate := p.next().text == "-"
		mag, neg, _, err := p.signed()
		if err != nil {
			return 0, 0, err
		}
		if off, err = fit16(p, at, mag, neg != negate); err != nil {
			return 0, 0, err
		}
	}
	return reg, off, nil
}

// llvmPtr parses "*(u32 *)" (or s32 for a sign-extending load) and
// returns the size and whether the type was signed.
func (p *parser) llvmPtr() (isa.Size, bool, error) {
	if err := p.expectOp("*"); err != nil {
		return 0, false, err
	}
	return p.llvmType()
}

// llvmType parses "(u32 *)" and returns the size and signedness.
func (p *parser) llvmType() (isa.Size, bool, error) {
	if err := p.expectOp("("); err != nil {
		return 0, false, err
	}
	t := p.next()
	var size isa.Size
	signed := false
	switch strings.ToLower(t.text) {
	case "u8":
		size = isa.SizeB
	case "u16":
		size = isa.SizeH
	case "u32":
		size = isa.SizeW
	case "u64":
		size = isa.SizeDW
	case "s8":
		size, signed = isa.SizeB, true
	case "s16":
		size, signed = isa.SizeH, true
	case "s32":
		size, signed = isa.SizeW, true
	default:
		return 0, false, p.errAt(t, "expected a type u8, u16, u32, u64, s8, s16 or s32, found %v", t)
	}
	if err := p.expectOp("*"); err != nil {
		return 0, false, err
	}
	if err := p.expectOp(")"); err != nil {
		return 0, false, err
	}
	return size, signed, nil
}

// llvmParenMem parses "(reg + off)".
func (p *parser) llvmParenMem() (uint8, int16, error) {
	if err := p.expectOp("("); err != nil {
		return 0, 0, err
	}
	reg, off, err := p.llvmMem()
	if err != nil {
		return 0, 0, err
	}
	return reg, off, p.expectOp(")")
}

func parseLLVM(p *parser, s *stmt) error {
	ins := &s.ins
	first := p.peek()
	if first.kind == tIdent && !looksLikeReg(first.text) {
		word := strings.ToLower(first.text)
		switch word {
		case "exit":
			p.next()
			ins.Opcode = isa.OpExit
			return nil
		case "goto", "gotol", "ja":
			p.next()
			var err error
			if word == "gotol" {
				ins.Opcode = uint8(isa.ClassJMP32) | uint8(isa.JumpJA)
				ins.Imm, err = p.target(s, targetImm)
				return err
			}
			ins.Opcode = isa.OpJA
			off, err := p.target(s, targetOffset)
			ins.Offset = int16(off)
			return err
		case "callx":
			p.next()
			reg, _, err := p.llvmReg()
			ins.Opcode, ins.Dst = isa.OpCallX, reg
			return err
		case "call":
			p.next()
			return parseLLVMCall(p, s)
		case "if":
			p.next()
			return parseLLVMIf(p, s)
		case "lock":
			p.next()
			return parseLLVMLock(p, s)
		case "ld_pseudo":
			p.next()
			return parseLDPseudo(p, s)
		}
		return p.errAt(first, "unknown instruction %q", first.text)
	}
	if first.kind == tOp && first.text == "<" && strings.EqualFold(p.peekAt(1).text, "unknown") {
		return p.errAt(first, "llvm-objdump could not decode this instruction; disassemble the object with iovm disasm")
	}
	if p.isOp("*") {
		return parseLLVMStore(p, s)
	}
	if first.kind != tIdent {
		return p.errAt(first, "expected an instruction, found %v", first)
	}
	dst, dstW, err := p.llvmReg()
	if err != nil {
		return err
	}
	opTok := p.next()
	if opTok.kind != tOp {
		return p.errAt(opTok, "expected an operator, found %v", opTok)
	}
	ins.Dst = dst
	if opTok.text == "=" {
		return parseLLVMAssign(p, s, dstW)
	}
	// Compound assignment: dst op= src|imm.
	sym := opTok.text
	signed := false
	if sym == "s/=" || sym == "s%=" {
		signed, sym = true, sym[1:]
	}
	op, ok := llvmALUByOp[sym]
	if !ok || sym == "=" {
		return p.errAt(opTok, "unknown operator %q", opTok.text)
	}
	return llvmALUOperand(p, s, op, dstW, signed, 0)
}

// llvmALUOperand parses the source operand (register or immediate) of an
// ALU operation and completes the instruction.
func llvmALUOperand(p *parser, s *stmt, op isa.ALUOp, dstW, signed bool, sx int16) error {
	ins := &s.ins
	class := isa.ClassALU64
	if dstW {
		class = isa.ClassALU
	}
	ins.Opcode = uint8(class) | uint8(op)
	if signed {
		ins.Offset = 1
	}
	if sx != 0 || p.isReg() {
		at := p.peek()
		src, srcW, err := p.llvmReg()
		if err != nil {
			return err
		}
		if srcW != dstW {
			if !(op == isa.ALUMov && sx == 0 && srcW && !signed) {
				return p.errAt(at, "register %s does not match the width of the destination", at.text)
			}
			// "r2 = w3" (clang -S output): a 32-bit move, zero-extending.
			ins.Opcode = uint8(isa.ClassALU) | uint8(op)
		}
		ins.Opcode |= uint8(isa.SrcX)
		ins.Src = src
		ins.Offset += sx
		return nil
	}
	imm, err := p.imm32()
	ins.Imm = imm
	return err
}

func parseLLVMAssign(p *parser, s *stmt, dstW bool) error {
	ins := &s.ins
	t := p.peek()
	switch {
	case t.kind == tOp && t.text == "-" && p.peekAt(1).kind == tIdent:
		// dst = -dst
		p.next()
		at := p.peek()
		reg, w, err := p.llvmReg()
		if err != nil {
			return err
		}
		if reg != ins.Dst || w != dstW {
			return p.errAt(at, "negation must name the destination register")
		}
		ins.Opcode = uint8(isa.ClassALU64) | uint8(isa.ALUNeg)
		if dstW {
			ins.Opcode = uint8(isa.ClassALU) | uint8(isa.ALUNeg)
		}
		return nil
	case t.kind == tOp && t.text == "*":
		return parseLLVMLoad(p, s)
	case t.kind == tOp && t.text == "(":
		// dst = (s8)src
		p.next()
		tt := p.next()
		var sx int16
		switch strings.ToLower(tt.text) {
		case "s8":
			sx = 8
		case "s16":
			sx = 16
		case "s32":
			sx = 32
		default:
			return p.errAt(tt, "expected s8, s16 or s32, found %v", tt)
		}
		if err := p.expectOp(")"); err != nil {
			return err
		}
		return llvmALUOperand(p, s, isa.ALUMov, dstW, false, sx)
	case t.kind == tIdent && !looksLikeReg(t.text):
		name := strings.ToLower(t.text)
		if kind, ok := lddwKindByName[name]; ok {
			p.next()
			ins.Opcode = isa.OpLDDW
			if err := parseLDDWKind(p, kind, ins); err != nil {
				return err
			}
			return p.expectIdent("ll")
		}
		for _, pre := range []string{"bswap", "be", "le"} {
			if !strings.HasPrefix(name, pre) {
				continue
			}
			width := name[len(pre):]
			if width != "16" && width != "32" && width != "64" {
				break
			}
			p.next()
			at := p.peek()
			reg, _, err := p.llvmReg()
			if err != nil {
				return err
			}
			if reg != ins.Dst {
				return p.errAt(at, "byte swap must name the destination register")
			}
			switch pre {
			case "bswap":
				ins.Opcode = uint8(isa.ClassALU64) | uint8(isa.ALUEnd)
			case "be":
				ins.Opcode = uint8(isa.ClassALU) | uint8(isa.ALUEnd) | uint8(isa.SrcX)
			default:
				ins.Opcode = uint8(isa.ClassALU) | uint8(isa.ALUEnd)
			}
			ins.Imm = map[string]int64{"16": 16, "32": 32, "64": 64}[width]
			return nil
		}
		if nt := p.peekAt(1); nt.kind == tIdent && strings.EqualFold(nt.text, "ll") {
			return p.errAt(t, "unresolved symbol %q (relocations are not supported)", t.text)
		}
		switch {
		case strings.HasPrefix(name, "atomic_fetch_"):
			return parseLLVMFetch(p, s, name)
		case name == "xchg_64", name == "xchg32_32":
			return parseLLVMXchg(p, s, name)
		case name == "cmpxchg_64", name == "cmpxchg32_32":
			return parseLLVMCmpXchg(p, s, name)
		}
		return p.errAt(t, "unexpected %v", t)
	}
	if t.kind == tNum || t.kind == tOp && (t.text == "-" || t.text == "+") {
		// dst = imm [ll]
		save := p.pos
		mag, neg, at, err := p.signed()
		if err != nil {
			return err
		}
		if nt := p.peek(); nt.kind == tIdent && strings.EqualFold(nt.text, "ll") {
			p.next()
			ins.Opcode = isa.OpLDDW
			if neg {
				if mag > 1<<63 {
					return p.errAt(at, "immediate -%d does not fit in 64 bits", mag)
				}
				ins.Imm = -int64(mag)
			} else {
				ins.Imm = int64(mag)
			}
			if dstW {
				return p.errAt(at, "a 64-bit load needs an r register")
			}
			return nil
		}
		p.pos = save
	}
	return llvmALUOperand(p, s, isa.ALUMov, dstW, false, 0)
}

// parseLLVMLoad parses "*(u32 *)(r1 + 4)" (after "dst =") and the packet
// loads "*(u32 *)skb[imm]", "*(u32 *)skb[reg]", "*(u32 *)skb[reg + imm]".
func parseLLVMLoad(p *parser, s *stmt) error {
	ins := &s.ins
	at := p.peek()
	size, signed, err := p.llvmPtr()
	if err != nil {
		return err
	}
	if t := p.peek(); t.kind == tIdent && strings.EqualFold(t.text, "skb") {
		p.next()
		if signed || size == isa.SizeDW {
			return p.errAt(at, "packet loads take u8, u16 or u32")
		}
		if ins.Dst != 0 {
			return p.errAt(at, "packet loads write r0")
		}
		if err := p.expectOp("["); err != nil {
			return err
		}
		if p.isReg() {
			reg, _, err := p.llvmReg()
			if err != nil {
				return err
			}
			ins.Opcode = uint8(isa.ClassLD) | uint8(isa.ModeIND) | uint8(size)
			ins.Src = reg
			if p.isOp("+") || p.isOp("-") {
				negate := p.next().text == "-"
				mag, neg, at, err := p.signed()
				if err != nil {
					return err
				}
				if ins.Imm, err = fit32(p, at, mag, neg != negate); err != nil {
					return err
				}
			}
		} else {
			ins.Opcode = uint8(isa.ClassLD) | uint8(isa.ModeABS) | uint8(size)
			if ins.Imm, err = p.imm32(); err != nil {
				return err
			}
		}
		return p.expectOp("]")
	}
	mode := isa.ModeMEM
	if signed {
		mode = isa.ModeMEMSX
		if size == isa.SizeDW {
			return p.errAt(at, "no sign-extending 64-bit load")
		}
	}
	ins.Opcode = uint8(isa.ClassLDX) | uint8(mode) | uint8(size)
	ins.Src, ins.Offset, err = p.llvmParenMem()
	return err
}

// parseLLVMStore parses "*(u32 *)(r10 - 4) = r1" and "... = imm".
func parseLLVMStore(p *parser, s *stmt) error {
	ins := &s.ins
	at := p.peek()
	size, signed, err := p.llvmPtr()
	if err != nil {
		return err
	}
	if signed {
		return p.errAt(at, "stores take unsigned types")
	}
	if ins.Dst, ins.Offset, err = p.llvmParenMem(); err != nil {
		return err
	}
	if err := p.expectOp("="); err != nil {
		return err
	}
	if p.isReg() {
		ins.Opcode = uint8(isa.ClassSTX) | uint8(isa.ModeMEM) | uint8(size)
		ins.Src, _, err = p.llvmReg()
		return err
	}
	ins.Opcode = uint8(isa.ClassST) | uint8(isa.ModeMEM) | uint8(size)
	ins.Imm, err = p.imm32()
	return err
}

func atomicOpcode(size isa.Size) uint8 {
	return uint8(isa.ClassSTX) | uint8(isa.ModeATOMIC) | uint8(size)
}

// parseLLVMLock parses "lock *(u64 *)(r1 + 0) += r2" after "lock".
func parseLLVMLock(p *parser, s *stmt) error {
	ins := &s.ins
	at := p.peek()
	size, signed, err := p.llvmPtr()
	if err != nil {
		return err
	}
	if signed || (size != isa.SizeW && size != isa.SizeDW) {
		return p.errAt(at, "atomics take u32 or u64")
	}
	if ins.Dst, ins.Offset, err = p.llvmParenMem(); err != nil {
		return err
	}
	opTok := p.next()
	found := false
	for op, sym := range llvmLockOps {
		if opTok.kind == tOp && opTok.text == sym {
			ins.Imm, found = int64(op), true
		}
	}
	if !found {
		return p.errAt(opTok, "expected +=, |=, &= or ^=, found %v", opTok)
	}
	ins.Opcode = atomicOpcode(size)
	ins.Src, _, err = p.llvmReg()
	return err
}

// parseLLVMFetch parses "atomic_fetch_add((u64 *)(r1 + 0), r2)" after
// "dst =", where dst must equal the source register.
func parseLLVMFetch(p *parser, s *stmt, name string) error {
	ins := &s.ins
	nameTok := p.next()
	opName := strings.TrimPrefix(name, "atomic_fetch_")
	found := false
	for op, n := range llvmAtomicOps {
		if n == opName {
			ins.Imm, found = int64(op|isa.AtomicFetch), true
		}
	}
	if !found {
		return p.errAt(nameTok, "unknown atomic operation %q", name)
	}
	if err := p.expectOp("("); err != nil {
		return err
	}
	at := p.peek()
	size, signed, err := p.llvmType()
	if err != nil {
		return err
	}
	if signed || (size != isa.SizeW && size != isa.SizeDW) {
		return p.errAt(at, "atomics take u32 or u64")
	}
	result := ins.Dst
	if ins.Dst, ins.Offset, err = p.llvmParenMem(); err != nil {
		return err
	}
	if err := p.expectOp(","); err != nil {
		return err
	}
	at = p.peek()
	if ins.Src, _, err = p.llvmReg(); err != nil {
		return err
	}
	if ins.Src != result {
		return p.errAt(at, "the fetched value goes to the source register: write %s = %s(...)", at.text, name)
	}
	ins.Opcode = atomicOpcode(size)
	return p.expectOp(")")
}

// parseLLVMXchg parses "xchg_64(r1 + 0, r2)" after "r2 =".
func parseLLVMXchg(p *parser, s *stmt, name string) error {
	ins := &s.ins
	p.next()
	size := isa.SizeDW
	if name == "xchg32_32" {
		size = isa.SizeW
	}
	result := ins.Dst
	if err := p.expectOp("("); err != nil {
		return err
	}
	var err error
	if ins.Dst, ins.Offset, err = p.llvmMem(); err != nil {
		return err
	}
	if err := p.expectOp(","); err != nil {
		return err
	}
	at := p.peek()
	if ins.Src, _, err = p.llvmReg(); err != nil {
		return err
	}
	if ins.Src != result {
		return p.errAt(at, "xchg returns the old value in its source register")
	}
	ins.Opcode, ins.Imm = atomicOpcode(size), int64(isa.AtomicXchg)
	return p.expectOp(")")
}

// parseLLVMCmpXchg parses "cmpxchg_64(r1 + 0, r0, r2)" after "r0 =".
func parseLLVMCmpXchg(p *parser, s *stmt, name string) error {
	ins := &s.ins
	first := p.next()
	size := isa.SizeDW
	if name == "cmpxchg32_32" {
		size = isa.SizeW
	}
	if ins.Dst != 0 {
		return p.errAt(first, "cmpxchg returns the old value in r0")
	}
	if err := p.expectOp("("); err != nil {
		return err
	}
	var err error
	if ins.Dst, ins.Offset, err = p.llvmMem(); err != nil {
		return err
	}
	if err := p.expectOp(","); err != nil {
		return err
	}
	at := p.peek()
	if r0, _, err := p.llvmReg(); err != nil {
		return err
	} else if r0 != 0 {
		return p.errAt(at, "cmpxchg compares with r0")
	}
	if err := p.expectOp(","); err != nil {
		return err
	}
	if ins.Src, _, err = p.llvmReg(); err != nil {
		return err
	}
	ins.Opcode, ins.Imm = atomicOpcode(size), int64(isa.AtomicCmpXchg)
	return p.expectOp(")")
}

// parseLLVMCall parses what follows "call": N, pc+N, pc-N, btf N, a
// register (callx) or a label (local call).
func parseLLVMCall(p *parser, s *stmt) error {
	ins := &s.ins
	ins.Opcode = isa.OpCall
	t := p.peek()
	var err error
	switch {
	case t.kind == tIdent && strings.EqualFold(t.text, "pc") && (p.peekAt(1).text == "+" || p.peekAt(1).text == "-"):
		p.next()
		ins.Src = isa.CallLocal
		negate := p.next().text == "-"
		mag, neg, at, err := p.signed()
		if err != nil {
			return err
		}
		ins.Imm, err = fit32(p, at, mag, neg != negate)
		return err
	case t.kind == tIdent && strings.EqualFold(t.text, "btf"):
		p.next()
		ins.Src = isa.CallHelperID
		ins.Imm, err = p.imm32()
		return err
	case p.isReg():
		ins.Opcode = isa.OpCallX
		ins.Dst, _, err = p.llvmReg()
		return err
	case t.kind == tIdent:
		ins.Src = isa.CallLocal
		_, err = p.target(s, targetImm)
		return err
	}
	ins.Imm, err = p.imm32()
	return err
}

// parseLLVMIf parses "if dst op src|imm goto target" after "if".
func parseLLVMIf(p *parser, s *stmt) error {
	ins := &s.ins
	dst, dstW, err := p.llvmReg()
	if err != nil {
		return err
	}
	opTok := p.next()
	op, ok := llvmJumpByOp[opTok.text]
	if opTok.kind != tOp || !ok {
		return p.errAt(opTok, "expected a comparison, found %v", opTok)
	}
	class := isa.ClassJMP
	if dstW {
		class = isa.ClassJMP32
	}
	ins.Opcode, ins.Dst = uint8(class)|uint8(op), dst
	if p.isReg() {
		at := p.peek()
		src, srcW, err := p.llvmReg()
		if err != nil {
			return err
		}
		if srcW != dstW {
			return p.errAt(at, "register %s does not match the width of %s", at.text, "the first operand")
		}
		ins.Opcode |= uint8(isa.SrcX)
		ins.Src = src
	} else if ins.Imm, err = p.imm32(); err != nil {
		return err
	}
	if err := p.expectIdent("goto"); err != nil {
		return err
	}
	off, err := p.target(s, targetOffset)
	ins.Offset = int16(off)
	return err
}

// parseLDPseudo parses LLVM 14's "ld_pseudo r1, KIND, IMM" (and
// "ld_pseudo r1, KIND, IMM, NEXT_IMM").
func parseLDPseudo(p *parser, s *stmt) error {
	ins := &s.ins
	ins.Opcode = isa.OpLDDW
	var err error
	if ins.Dst, _, err = p.llvmReg(); err != nil {
		return err
	}
	if err := p.expectOp(","); err != nil {
		return err
	}
	mag, neg, at, err := p.signed()
	if err != nil {
		return err
	}
	if neg || mag < 1 || mag > isa.LDDWMapValIdx {
		return p.errAt(at, "lddw kind must be 1..%d", isa.LDDWMapValIdx)
	}
	ins.Src = uint8(mag)
	if err := p.expectOp(","); err != nil {
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
	ins.Imm = int64(uint64(uint32(lo)) | uint64(uint32(hi))<<32)
	return nil
}
