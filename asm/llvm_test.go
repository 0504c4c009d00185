package asm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/iovm/iovm/isa"
)

// llvmMCDisassemble disassembles each instruction with llvm-mc and returns
// its text ("" where llvm-mc does not know the encoding). An exit after
// every instruction separates the outputs.
func llvmMCDisassemble(t *testing.T, prog []isa.Instruction, attr string) []string {
	t.Helper()
	var in strings.Builder
	for _, ins := range prog {
		b, err := isa.Encode(isa.Program{}.Append(ins, isa.Instruction{Opcode: isa.OpExit}), binary.LittleEndian)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range b {
			fmt.Fprintf(&in, "%#02x ", c)
		}
		in.WriteString("\n")
	}
	args := []string{"--disassemble", "-triple", "bpfel"}
	if attr != "" {
		args = append(args, "-mattr="+attr)
	}
	cmd := exec.Command("llvm-mc", args...)
	cmd.Stdin = strings.NewReader(in.String())
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("llvm-mc: %v", err)
	}
	var res []string
	cur := ""
	for _, line := range strings.Split(out.String(), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, ".text"):
		case line == "exit":
			res = append(res, cur)
			cur = ""
		default:
			cur = strings.Join(strings.Fields(line), " ")
		}
	}
	if len(res) != len(prog) {
		t.Fatalf("llvm-mc gave %d outputs for %d instructions", len(res), len(prog))
	}
	return res
}

// FormatLLVM matches llvm-mc (LLVM's instruction printer, as llvm-objdump
// uses it) for every instruction LLVM knows, except the documented
// differences.
func TestFormatLLVMMatchesLLVMMC(t *testing.T) {
	if _, err := exec.LookPath("llvm-mc"); err != nil {
		t.Skip("llvm-mc not installed")
	}
	var prog []isa.Instruction
	for _, o := range isa.Opcodes() {
		if o.Opcode == isa.OpExit {
			continue
		}
		prog = append(prog, operandValues(o)...)
	}
	plain := llvmMCDisassemble(t, prog, "")
	alu32 := llvmMCDisassemble(t, prog, "+alu32")
	checked, unknown := 0, map[string]bool{}
	for n, ins := range prog {
		want := plain[n]
		atomic32 := ins.Class() == isa.ClassSTX && ins.Mode() == isa.ModeATOMIC && ins.Size() == isa.SizeW
		if want == "" || atomic32 {
			// Without +alu32, LLVM 14 decodes every 32-bit atomic as
			// "lock ... +=", ignoring imm; with it, it decodes them right.
			want = alu32[n]
		}
		o, _ := isa.Lookup(ins)
		if want == "" {
			unknown[o.Name] = true
			continue
		}
		got := FormatLLVM(ins)
		switch {
		case atomic32 && isa.AtomicOp(ins.Imm)&isa.AtomicFetch == 0:
			// FormatLLVM names r registers in non-fetching atomics, as
			// llvm-objdump does by default; with +alu32 LLVM names w.
			got = strings.Replace(got, fmt.Sprintf("= r%d", ins.Src), fmt.Sprintf("= w%d", ins.Src), 1)
		case o.Version == isa.V4:
			// LLVM 14 predates v4 and decodes these ignoring the offset
			// field (sdiv as div, movsx as mov).
			continue
		case ins.Mode() == isa.ModeIND && ins.Class() == isa.ClassLD && ins.Imm != 0:
			// LLVM ignores the imm of an indirect packet load.
			continue
		case ins.Opcode == isa.OpCall && ins.Src != isa.CallHelper:
			// LLVM prints local calls and BTF-id calls like helper calls.
			got = fmt.Sprintf("call %d", ins.Imm)
		case ins.Opcode == isa.OpCallX:
			// LLVM 14 reads callx's register from imm; newer LLVM from dst.
			continue
		case ins.Opcode == isa.OpLDDW && ins.Src != isa.LDDWImm:
			// LLVM 14 prints "ld_pseudo r1, 1, 5" and drops the second imm.
			got = fmt.Sprintf("ld_pseudo r%d, %d, %d", ins.Dst, ins.Src, uint32(ins.Imm))
		}
		checked++
		if got != want {
			t.Errorf("%s %v: got %q, llvm-mc %q", o.Name, ins, got, want)
		}
	}
	var names []string
	for n := range unknown {
		names = append(names, n)
	}
	t.Logf("checked %d instructions against llvm-mc; unknown to LLVM 14: %v", checked, names)
}
