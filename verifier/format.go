package verifier

import (
	"fmt"

	"github.com/iovm/iovm/isa"
)

// FormatInsn formats an instruction in the conformance mnemonic dialect
// (jump targets as relative offsets), for logs and error messages.
func FormatInsn(ins isa.Instruction) string {
	o, ok := isa.Lookup(ins)
	if !ok {
		return ins.String()
	}
	mem := func(r uint8, off int16) string {
		if off < 0 {
			return fmt.Sprintf("[%%r%d-%d]", r, -int(off))
		}
		return fmt.Sprintf("[%%r%d+%d]", r, off)
	}
	switch c := ins.Class(); {
	case c.IsALU():
		switch {
		case ins.ALUOp() == isa.ALUEnd || ins.ALUOp() == isa.ALUNeg:
			return fmt.Sprintf("%s %%r%d", o.Name, ins.Dst)
		case ins.Source() == isa.SrcX:
			return fmt.Sprintf("%s %%r%d, %%r%d", o.Name, ins.Dst, ins.Src)
		}
		return fmt.Sprintf("%s %%r%d, %d", o.Name, ins.Dst, ins.Imm)
	case c.IsJump():
		switch ins.JumpOp() {
		case isa.JumpExit:
			return "exit"
		case isa.JumpCall:
			switch {
			case ins.Opcode == isa.OpCallX:
				return fmt.Sprintf("call %%r%d", ins.Dst)
			case ins.Src == isa.CallLocal:
				return fmt.Sprintf("call local %+d", ins.Imm32())
			}
			return fmt.Sprintf("call %d", ins.Imm32())
		case isa.JumpJA:
			if c == isa.ClassJMP32 {
				return fmt.Sprintf("ja32 %+d", ins.Imm32())
			}
			return fmt.Sprintf("ja %+d", ins.Offset)
		}
		if ins.Source() == isa.SrcX {
			return fmt.Sprintf("%s %%r%d, %%r%d, %+d", o.Name, ins.Dst, ins.Src, ins.Offset)
		}
		return fmt.Sprintf("%s %%r%d, %d, %+d", o.Name, ins.Dst, ins.Imm, ins.Offset)
	case c == isa.ClassLDX:
		return fmt.Sprintf("%s %%r%d, %s", o.Name, ins.Dst, mem(ins.Src, ins.Offset))
	case c == isa.ClassST:
		return fmt.Sprintf("%s %s, %d", o.Name, mem(ins.Dst, ins.Offset), ins.Imm)
	case c == isa.ClassSTX:
		return fmt.Sprintf("%s %s, %%r%d", o.Name, mem(ins.Dst, ins.Offset), ins.Src)
	case ins.IsWide():
		if ins.Src != 0 {
			return fmt.Sprintf("lddw %%r%d, %#x (src %d)", ins.Dst, uint64(ins.Imm), ins.Src)
		}
		return fmt.Sprintf("lddw %%r%d, %#x", ins.Dst, uint64(ins.Imm))
	case ins.Mode() == isa.ModeIND:
		return fmt.Sprintf("%s %%r%d, %d", o.Name, ins.Src, ins.Imm)
	}
	return fmt.Sprintf("%s %d", o.Name, ins.Imm)
}
