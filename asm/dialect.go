package asm

import (
	"fmt"
	"strings"

	"github.com/iovm/iovm/isa"
)

// Dialect names one of the two text forms of this package.
type Dialect int

// Dialects.
const (
	Conformance Dialect = iota // mnemonic dialect of the conformance data files
	LLVM                       // pseudo-C dialect of llvm-objdump
)

// String returns the dialect's name, "conformance" or "llvm".
func (d Dialect) String() string {
	if d == LLVM {
		return "llvm"
	}
	return "conformance"
}

// ParseDialect returns the dialect named "conformance" or "llvm".
func ParseDialect(name string) (Dialect, error) {
	switch strings.ToLower(name) {
	case "conformance", "conf", "ubpf":
		return Conformance, nil
	case "llvm", "objdump", "pseudo-c", "c":
		return LLVM, nil
	}
	return 0, fmt.Errorf("unknown dialect %q (conformance or llvm)", name)
}

// AssembleDialect assembles src in the given dialect.
func AssembleDialect(src string, d Dialect) (isa.Program, error) {
	if d == LLVM {
		return AssembleLLVM(src)
	}
	return Assemble(src)
}

// DisassembleDialect prints p in the given dialect.
func DisassembleDialect(p isa.Program, d Dialect) string {
	if d == LLVM {
		return DisassembleLLVM(p)
	}
	return Disassemble(p)
}

// DetectDialect guesses the dialect of src from its instruction lines:
// assignments, "if ... goto", "goto" and "*(...)" are LLVM; a known
// mnemonic followed by operands is the conformance dialect. Lines valid in
// both ("exit", "call 1", labels) do not count; with no evidence either
// way it returns Conformance.
func DetectDialect(src string) Dialect {
	conf, llvm := 0, 0
	for _, raw := range strings.Split(src, "\n") {
		line := strings.TrimSpace(stripComment(raw))
		if m := objdumpInsn.FindStringSubmatch(raw); m != nil {
			llvm++
			continue
		}
		if line == "" || strings.HasSuffix(line, ":") || strings.HasPrefix(line, ".") {
			continue
		}
		word := strings.ToLower(strings.Fields(line)[0])
		switch {
		case strings.Contains(line, "=") || word == "if" || word == "goto" || word == "gotol" ||
			strings.HasPrefix(line, "*") || word == "ld_pseudo" || strings.HasPrefix(strings.ToLower(line), "call pc"):
			llvm++
		case word == "call" || word == "callx":
			if strings.Contains(line, "%") || strings.Contains(strings.ToLower(line), "local") {
				conf++
			}
		case word == "exit":
		case byName[word] != nil || aliases[word] != "" || word == "lock":
			conf++
		}
	}
	if llvm > conf {
		return LLVM
	}
	return Conformance
}

// AssembleAuto assembles src in the dialect DetectDialect finds; if that
// fails and the other dialect succeeds, it uses the other. It returns the
// dialect used, and on failure the error of the detected dialect.
func AssembleAuto(src string) (isa.Program, Dialect, error) {
	d := DetectDialect(src)
	p, err := AssembleDialect(src, d)
	if err == nil {
		return p, d, nil
	}
	other := LLVM
	if d == LLVM {
		other = Conformance
	}
	if q, err2 := AssembleDialect(src, other); err2 == nil {
		return q, other, nil
	}
	return nil, d, err
}
