package vm

import (
	"fmt"
	"io"
	"strings"

	"github.com/iovm/iovm/isa"
)

// tracer writes one line per executed instruction: the pc, the
// instruction and the registers it changed.
type tracer struct {
	p    *Program
	w    io.Writer
	pc   int // instruction being traced, -1 before the first
	prev [16]uint64
	buf  strings.Builder
}

func newTracer(p *Program, w io.Writer) *tracer { return &tracer{p: p, w: w, pc: -1} }

// step is called before the instruction at pc runs.
func (t *tracer) step(pc int, regs *[16]uint64) {
	t.flush(regs, "")
	t.pc = pc
	t.prev = *regs
}

func (t *tracer) finish(regs *[16]uint64, err *Error) {
	msg := ""
	if err != nil {
		msg = "  ! " + err.Error()
	}
	t.flush(regs, msg)
}

func (t *tracer) flush(regs *[16]uint64, msg string) {
	if t.pc < 0 {
		return
	}
	t.buf.Reset()
	fmt.Fprintf(&t.buf, "%5d: %-32s", t.pc, Disasm(t.p.insns[t.pc]))
	for r := 0; r <= isa.R10; r++ {
		if regs[r] != t.prev[r] {
			fmt.Fprintf(&t.buf, " r%d=%#x", r, regs[r])
		}
	}
	t.buf.WriteString(msg)
	t.buf.WriteByte('\n')
	io.WriteString(t.w, t.buf.String())
	t.pc = -1
}

// Disasm formats one instruction in the mnemonic dialect of the
// conformance data files (package asm has the full disassembler, with
// labels; this one is for traces and messages).
func Disasm(in isa.Instruction) string {
	o, ok := isa.Lookup(in)
	if !ok {
		return in.String()
	}
	reg := func(r uint8) string { return fmt.Sprintf("%%r%d", r) }
	mem := func(r uint8, off int16) string {
		if off < 0 {
			return fmt.Sprintf("[%%r%d-%d]", r, -int(off))
		}
		return fmt.Sprintf("[%%r%d+%d]", r, off)
	}
	rel := func(v int64) string {
		if v < 0 {
			return fmt.Sprint(v)
		}
		return fmt.Sprintf("+%d", v)
	}
	switch cls := in.Class(); {
	case cls.IsALU():
		switch {
		case in.ALUOp() == isa.ALUEnd || in.ALUOp() == isa.ALUNeg:
			return o.Name + " " + reg(in.Dst)
		case in.Source() == isa.SrcX:
			return o.Name + " " + reg(in.Dst) + ", " + reg(in.Src)
		}
		return fmt.Sprintf("%s %s, %d", o.Name, reg(in.Dst), in.Imm)
	case cls.IsJump():
		switch {
		case in.Opcode == isa.OpExit:
			return "exit"
		case in.Opcode == isa.OpCallX:
			return "call " + reg(in.Dst)
		case in.Opcode == isa.OpCall && in.Src == isa.CallLocal:
			return "call local " + rel(in.Imm)
		case in.Opcode == isa.OpCall:
			return fmt.Sprintf("call %d", in.Imm)
		case in.JumpOp() == isa.JumpJA && cls == isa.ClassJMP32:
			return "ja32 " + rel(in.Imm)
		case in.JumpOp() == isa.JumpJA:
			return "ja " + rel(int64(in.Offset))
		case in.Source() == isa.SrcX:
			return fmt.Sprintf("%s %s, %s, %s", o.Name, reg(in.Dst), reg(in.Src), rel(int64(in.Offset)))
		}
		return fmt.Sprintf("%s %s, %d, %s", o.Name, reg(in.Dst), in.Imm, rel(int64(in.Offset)))
	case cls == isa.ClassLD:
		switch in.Mode() {
		case isa.ModeIMM:
			if in.Src != 0 {
				return fmt.Sprintf("lddw %s, %#x ; src %d", reg(in.Dst), uint64(in.Imm), in.Src)
			}
			return fmt.Sprintf("lddw %s, %#x", reg(in.Dst), uint64(in.Imm))
		case isa.ModeIND:
			return fmt.Sprintf("%s %s, %d", o.Name, reg(in.Src), in.Imm)
		}
		return fmt.Sprintf("%s %d", o.Name, in.Imm)
	case cls == isa.ClassLDX:
		return fmt.Sprintf("%s %s, %s", o.Name, reg(in.Dst), mem(in.Src, in.Offset))
	case cls == isa.ClassST:
		return fmt.Sprintf("%s %s, %d", o.Name, mem(in.Dst, in.Offset), in.Imm)
	}
	return fmt.Sprintf("%s %s, %s", o.Name, mem(in.Dst, in.Offset), reg(in.Src))
}
