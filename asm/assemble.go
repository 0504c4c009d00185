package asm

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/iovm/iovm/isa"
)

// targetField says which field of an instruction a label resolves into.
type targetField uint8

const (
	targetNone   targetField = iota
	targetOffset             // jumps: 16-bit offset
	targetImm                // gotol, local calls: 32-bit imm
)

// stmt is one parsed instruction, possibly waiting for a label.
type stmt struct {
	ins   isa.Instruction
	line  int
	label token // label the target refers to (kind tIdent), if field != targetNone
	field targetField
}

// dialect parses one instruction from the tokens of a line.
type dialect struct {
	llvm  bool
	parse func(p *parser, s *stmt) error
	// prepare rewrites a raw source line before lexing (comments are
	// already removed); it returns "" to skip the line.
	// It also returns the number of characters removed from the front, to
	// keep error columns right, and labels the line defines.
	prepare func(line string) (string, int, []string)
}

// assemble runs the two passes common to both dialects: parse every line,
// recording labels, then resolve label references.
func assemble(src string, d dialect) (isa.Program, error) {
	labels := map[string]int{}
	labelLine := map[string]int{}
	var stmts []stmt
	pc := 0
	for n, raw := range strings.Split(src, "\n") {
		lineNo := n + 1
		line := stripComment(raw)
		var extraLabels []string
		colShift := 0
		if d.prepare != nil {
			line, colShift, extraLabels = d.prepare(line)
		}
		for _, l := range extraLabels {
			if _, dup := labels[l]; !dup {
				labels[l], labelLine[l] = pc, lineNo
			}
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		toks, err := lex(line, lineNo, d.llvm)
		if err != nil {
			if e, ok := err.(*Error); ok {
				e.Col += colShift
			}
			return nil, err
		}
		for n := range toks {
			toks[n].col += colShift
		}
		p := &parser{toks: toks, line: lineNo, end: colShift + utf8.RuneCountInString(line) + 1}
		// Labels: "name:" (possibly several, possibly before an instruction).
		for p.peek().kind == tIdent && p.peekAt(1).kind == tOp && p.peekAt(1).text == ":" {
			t := p.next()
			p.next()
			if prev, dup := labelLine[t.text]; dup {
				return nil, p.errAt(t, "label %q already defined on line %d", t.text, prev)
			}
			labels[t.text], labelLine[t.text] = pc, lineNo
		}
		if p.peek().kind == tEOF {
			continue
		}
		s := stmt{line: lineNo}
		first := p.peek()
		raw := first.kind == tIdent && strings.EqualFold(first.text, ".insn")
		if raw {
			p.next()
			err = parseInsnDirective(p, &s)
		} else {
			err = d.parse(p, &s)
		}
		if err != nil {
			return nil, err
		}
		if err := p.expectEnd(); err != nil {
			return nil, err
		}
		if !raw {
			// Label targets are filled in later; check with a zero target.
			if err := s.ins.Validate(); err != nil {
				return nil, p.errAt(first, "invalid instruction: %v", err)
			}
		}
		stmts = append(stmts, s)
		pc += s.ins.Slots()
	}

	prog := make(isa.Program, 0, pc)
	for _, s := range stmts {
		here := len(prog)
		if s.field != targetNone {
			target, ok := labels[s.label.text]
			if !ok {
				return nil, &Error{Line: s.line, Col: s.label.col, Msg: fmt.Sprintf("undefined label %q", s.label.text)}
			}
			rel := int64(target) - int64(here+1)
			switch s.field {
			case targetOffset:
				if rel != int64(int16(rel)) {
					return nil, &Error{Line: s.line, Col: s.label.col, Msg: fmt.Sprintf("label %q is too far away (%d slots) for a 16-bit offset", s.label.text, rel)}
				}
				s.ins.Offset = int16(rel)
			case targetImm:
				s.ins.Imm = rel
			}
		}
		prog = prog.Append(s.ins)
	}
	return prog, nil
}

// parseInsnDirective parses ".insn OPCODE, DST, SRC, OFFSET, IMM", the raw
// form both disassemblers use for slots that are not valid instructions.
func parseInsnDirective(p *parser, s *stmt) error {
	vals := make([]int64, 5)
	for n := range vals {
		if n > 0 {
			if err := p.expectOp(","); err != nil {
				return err
			}
		}
		var err error
		mag, neg, at, err := p.signed()
		if err != nil {
			return err
		}
		switch n {
		case 0, 1, 2:
			max := uint64(15)
			if n == 0 {
				max = 255
			}
			if neg || mag > max {
				return p.errAt(at, ".insn field %d out of range 0..%d", n+1, max)
			}
			vals[n] = int64(mag)
		case 3:
			o, err := fit16(p, at, mag, neg)
			if err != nil {
				return err
			}
			vals[n] = int64(o)
		case 4:
			if vals[0] == int64(isa.OpLDDW) {
				if neg {
					if mag > 1<<63 {
						return p.errAt(at, "immediate -%d does not fit in 64 bits", mag)
					}
					vals[n] = -int64(mag)
				} else {
					vals[n] = int64(mag)
				}
			} else if vals[n], err = fit32(p, at, mag, neg); err != nil {
				return err
			}
		}
	}
	s.ins = isa.Instruction{Opcode: uint8(vals[0]), Dst: uint8(vals[1]), Src: uint8(vals[2]), Offset: int16(vals[3]), Imm: vals[4]}
	return nil
}

// formatInsn prints the raw .insn directive for an instruction.
func formatInsn(ins isa.Instruction) string {
	return fmt.Sprintf(".insn %#02x, %d, %d, %d, %s", ins.Opcode, ins.Dst, ins.Src, ins.Offset, fmtImm(ins.Imm))
}

// fmtImm prints an immediate: decimal when small, hex otherwise.
func fmtImm(v int64) string {
	switch {
	case v >= -4096 && v <= 4096:
		return fmt.Sprint(v)
	case v < 0:
		return fmt.Sprintf("-%#x", uint64(-v))
	}
	return fmt.Sprintf("%#x", v)
}

// fmtRel prints a relative jump or call offset with its sign.
func fmtRel(v int64) string {
	if v >= 0 {
		return fmt.Sprintf("+%d", v)
	}
	return fmt.Sprint(v)
}

// disassemble prints a program one instruction per line, skipping the
// continuation slots of wide instructions.
func disassemble(p isa.Program, format func(isa.Instruction) string) string {
	var b strings.Builder
	for pc := 0; pc < len(p); pc++ {
		b.WriteString(format(p[pc]))
		b.WriteByte('\n')
		if p[pc].IsWide() {
			pc++
		}
	}
	return b.String()
}

// valid reports whether ins is a valid instruction and returns its variant.
func valid(ins isa.Instruction) (isa.OpInfo, bool) {
	if ins.Validate() != nil {
		return isa.OpInfo{}, false
	}
	if !ins.IsWide() && ins.Imm != int64(int32(ins.Imm)) {
		return isa.OpInfo{}, false
	}
	return isa.Lookup(ins)
}
