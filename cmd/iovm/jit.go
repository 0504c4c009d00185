package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"runtime"
	"strings"

	"golang.org/x/arch/x86/x86asm"

	"github.com/iovm/iovm/asm"
	"github.com/iovm/iovm/jit"
	a64 "github.com/iovm/iovm/jit/arm64"
	"github.com/iovm/iovm/vm"
)

func init() {
	register(&command{
		name:  "jit",
		usage: "--disasm [--arch amd64|arm64] [--blind] [--big-endian] [--section S | --func F] PROG",
		short: "compile a program to native code and print it beside each eBPF instruction",
		run:   runJIT,
	})
}

// nativeDisasm decodes one native instruction at code (address pc) and
// returns its text and length, per GOARCH.
var nativeDisasm = map[string]func(code []byte, pc uint64) (string, int){
	"amd64": func(code []byte, pc uint64) (string, int) {
		inst, err := x86asm.Decode(code, 64)
		if err != nil || inst.Len == 0 {
			return "?", 1
		}
		return x86asm.IntelSyntax(inst, pc, nil), inst.Len
	},
	"arm64": func(code []byte, pc uint64) (string, int) {
		if len(code) < 4 {
			return "?", len(code)
		}
		// arm64asm plus the LSE atomics it lacks; absolute branch targets.
		return a64.Disasm(code, pc), 4
	},
}

// runJIT prints the native code the JIT generates for PROG (for any
// architecture with a backend, whatever the host), each eBPF instruction
// followed by its native instructions, then the entry stub and the
// out-of-line stubs (budget, faults, exits).
func runJIT(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("jit", stderr)
	disasm := fs.Bool("disasm", false, "print the native code beside each eBPF instruction")
	arch := fs.String("arch", defaultJITArch(), "target `GOARCH` (amd64 or arm64)")
	blind := fs.Bool("blind", false, "blind constants")
	bigEndian := fs.Bool("big-endian", false, "the program is big-endian")
	fs.StringVar(&elfSection, "section", "", "ELF object: the program of section `S`")
	fs.StringVar(&elfFunc, "func", "", "ELF object: the program (function) named `F`")
	operands, err := parseFlags(fs, args)
	if err != nil {
		return 2
	}
	if len(operands) != 1 || !*disasm {
		fs.Usage()
		return 2
	}
	l, err := loadProgram(operands[0], *bigEndian)
	if err != nil {
		fmt.Fprintf(stderr, "iovm jit: %v\n", err)
		return 1
	}
	vp, err := vm.Load(l.Insns, &l.Opts)
	if err != nil {
		fmt.Fprintf(stderr, "iovm jit: %v\n", err)
		return 1
	}
	lst, err := jit.Generate(vp, *arch, &jit.Options{Blind: *blind})
	if err != nil {
		fmt.Fprintf(stderr, "iovm jit: %v\n", err)
		return 1
	}
	dis := nativeDisasm[lst.Arch]
	if dis == nil {
		fmt.Fprintf(stderr, "iovm jit: no disassembler for %s\n", lst.Arch)
		return 1
	}
	var b strings.Builder
	dump := func(from, to int) {
		for off := from; off < to; {
			text, n := dis(lst.Code[off:to], uint64(off))
			n = min(max(n, 1), to-off)
			fmt.Fprintf(&b, "    %5x  %-24s %s\n", off, hex.EncodeToString(lst.Code[off:off+n]), text)
			off += n
		}
	}
	insns := vp.Resolved()
	fmt.Fprintf(&b, "; %s, %d bytes of native code for %d slots\n; entry stub\n", lst.Arch, len(lst.Code), len(insns))
	dump(0, lst.Start)
	for pc, ins := range insns {
		off := lst.PC[pc]
		if off < 0 {
			continue
		}
		next := len(lst.Code)
		for q := pc + 1; q < len(lst.PC); q++ {
			if lst.PC[q] >= 0 {
				next = lst.PC[q]
				break
			}
		}
		fmt.Fprintf(&b, "%4d: %s\n", pc, asm.Format(ins))
		dump(off, next)
		if pc == len(insns)-1 {
			break
		}
	}
	fmt.Fprintf(&b, "; stubs\n")
	dump(lst.PC[len(lst.PC)-1], len(lst.Code))
	io.WriteString(stdout, b.String())
	return 0
}

func defaultJITArch() string {
	if nativeDisasm[runtime.GOARCH] != nil {
		return runtime.GOARCH
	}
	return "amd64"
}
