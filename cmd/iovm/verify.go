package main

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/iovm/iovm/isa"
	"github.com/iovm/iovm/verifier"
)

func init() {
	register(&command{
		name:  "verify",
		usage: "[--strict] [--log] [--ctx-size N] [--stack-size N] [--big-endian] PROG",
		short: "verify an eBPF program and print the verdict (and the abstract state with --log)",
		run:   runVerify,
	})
}

// runVerify verifies PROG (any format loadProgram reads) in checked mode,
// or strict mode with --strict, and prints the verdict: on acceptance a
// summary of the facts (accesses proven, loops, frame sizes); on rejection
// the failing pc, the instruction, the reason and the register state.
// --log prints the abstract state before each instruction processed.
// The exit status is 0 when accepted, 1 when rejected, 2 on usage errors.
func runVerify(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("verify", stderr)
	strict := fs.Bool("strict", false, "reject what cannot be proven (memory safety, initialization, termination)")
	logState := fs.Bool("log", false, "print the abstract state at each instruction processed")
	ctxSize := fs.Int("ctx-size", 0, "r1 points to a context of `N` bytes (0: r1 = input, r2 = its length)")
	stackSize := fs.Int("stack-size", 0, "bytes per call frame (default: the program's options, else 512)")
	bigEndian := fs.Bool("big-endian", false, "the program is big-endian")
	operands, err := parseFlags(fs, args)
	if err != nil {
		return 2
	}
	if len(operands) != 1 || *ctxSize < 0 || *stackSize < 0 {
		fs.Usage()
		return 2
	}
	l, err := loadProgram(operands[0], *bigEndian)
	if err != nil {
		fmt.Fprintf(stderr, "iovm verify: %v\n", err)
		return 1
	}
	cfg := &verifier.Config{
		Mode:         verifier.Checked,
		StackSize:    l.Opts.StackSize,
		MaxCallDepth: l.Opts.MaxCallDepth,
		ContextSize:  l.Opts.ContextSize,
		Maps:         l.Opts.Maps,
	}
	if *strict {
		cfg.Mode = verifier.Strict
	}
	if *ctxSize > 0 {
		cfg.ContextSize = *ctxSize
	}
	if *stackSize > 0 {
		cfg.StackSize = *stackSize
	}
	if l.Opts.Helpers != nil {
		cfg.Helpers = l.Opts.Helpers.Proto
	}
	if *logState {
		cfg.Log = func(line string) { fmt.Fprintln(stdout, line) }
	}
	facts, err := verifier.Verify(l.Insns, cfg)
	if err != nil {
		var e *verifier.Error
		if !errors.As(err, &e) {
			fmt.Fprintf(stdout, "rejected (%s): %v\n", cfg.Mode, err)
			return 1
		}
		fmt.Fprintf(stdout, "rejected (%s mode)\n", cfg.Mode)
		fmt.Fprintf(stdout, "  pc %d: %s\n", e.PC, verifier.FormatInsn(e.Insn))
		fmt.Fprintf(stdout, "  reason: %s\n", e.Reason)
		if e.State != "" {
			fmt.Fprintf(stdout, "  state: %s\n", e.State)
		}
		return 1
	}
	fmt.Fprintf(stdout, "accepted (%s mode)\n", cfg.Mode)
	printFacts(stdout, l.Insns, facts)
	return 0
}

func printFacts(w io.Writer, p isa.Program, f *verifier.Facts) {
	if !f.Analyzed {
		fmt.Fprintln(w, "  analysis incomplete: no access claimed proven")
	}
	total, proven := 0, 0
	var unproven []string
	for pc := range f.Access {
		if pc >= len(p) || !isMemAccess(p[pc]) || p.IsContinuation(pc) {
			continue
		}
		total++
		if f.Access[pc].Proven {
			proven++
		} else {
			unproven = append(unproven, fmt.Sprint(pc))
		}
	}
	fmt.Fprintf(w, "  memory accesses proven: %d of %d", proven, total)
	if len(unproven) > 0 {
		if len(unproven) > 20 {
			unproven = append(unproven[:20], "...")
		}
		fmt.Fprintf(w, " (unproven at pc %s)", strings.Join(unproven, " "))
	}
	fmt.Fprintln(w)
	divs, nz := 0, 0
	for pc := range f.DivNonZero {
		if pc < len(p) && isRegDiv(p[pc]) && !p.IsContinuation(pc) {
			divs++
			if f.DivNonZero[pc] {
				nz++
			}
		}
	}
	if divs > 0 {
		fmt.Fprintf(w, "  divisors proven non-zero: %d of %d\n", nz, divs)
	}
	fmt.Fprintf(w, "  loops bounded: %v", f.LoopsBounded)
	if len(f.Loops) > 0 {
		var heads []int
		for h := range f.Loops {
			heads = append(heads, h)
		}
		sort.Ints(heads)
		var parts []string
		for _, h := range heads {
			verdict := "bounded"
			if !f.Loops[h] {
				verdict = "unproven"
			}
			parts = append(parts, fmt.Sprintf("%d %s", h, verdict))
		}
		fmt.Fprintf(w, " (loop heads: %s)", strings.Join(parts, ", "))
	}
	fmt.Fprintln(w)
	var frames []string
	for _, fn := range f.Funcs {
		frames = append(frames, fmt.Sprintf("%d:%dB", fn, f.FrameSize[fn]))
	}
	fmt.Fprintf(w, "  functions (entry:frame): %s\n", strings.Join(frames, " "))
	fmt.Fprintf(w, "  instructions processed: %d\n", f.Insns)
}

func isMemAccess(ins isa.Instruction) bool {
	switch ins.Class() {
	case isa.ClassLDX, isa.ClassST, isa.ClassSTX:
		return true
	}
	return false
}

func isRegDiv(ins isa.Instruction) bool {
	op := ins.ALUOp()
	return ins.Class().IsALU() && ins.Source() == isa.SrcX && (op == isa.ALUDiv || op == isa.ALUMod)
}
