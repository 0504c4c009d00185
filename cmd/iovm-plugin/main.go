// Command iovm-plugin runs one eBPF program for the common conformance
// runner (bpf_conformance), following its plugin protocol:
//
//	iovm-plugin [MEMORY_HEX] [--engine interp|jit] [--elf] < PROGRAM_HEX
//
// The first argument, when it does not start with "--", is the input memory
// as hex pairs separated by white space. Standard input holds the program as
// hex pairs separated by any white space, or, with --elf, the bytes of an
// ELF object whose first program runs. The result r0 is printed in hex
// without a prefix, followed by a newline; any failure is reported on
// standard error with exit status 1 (2 for bad usage).
//
// The test helpers 0..5 of the conformance format are registered, and every
// run has conformance.DefaultBudget instructions, so no program hangs the
// runner.
package main

import (
	"bytes"
	delf "debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/iovm/iovm/conformance"
	"github.com/iovm/iovm/elf"
	"github.com/iovm/iovm/isa"
	"github.com/iovm/iovm/vm"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	r0, err := execute(args, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "iovm-plugin: %v\n", err)
		var ue *usageError
		if errors.As(err, &ue) {
			fmt.Fprintln(stderr, "usage: iovm-plugin [MEMORY_HEX] [--engine interp|jit] [--elf] < PROGRAM_HEX")
			return 2
		}
		return 1
	}
	fmt.Fprintf(stdout, "%x\n", r0)
	return 0
}

func execute(args []string, stdin io.Reader) (uint64, error) {
	var mem []byte
	if len(args) > 0 && !strings.HasPrefix(args[0], "--") {
		m, err := parseHex(args[0])
		if err != nil {
			return 0, fmt.Errorf("memory: %w", err)
		}
		mem = m
		args = args[1:]
	}
	engineName, isELF := "interp", false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--elf":
			isELF = true
		case a == "--engine":
			if i+1 >= len(args) {
				return 0, &usageError{"--engine needs a value"}
			}
			i++
			engineName = args[i]
		case strings.HasPrefix(a, "--engine="):
			engineName = strings.TrimPrefix(a, "--engine=")
		default:
			return 0, &usageError{fmt.Sprintf("unknown argument %q", a)}
		}
	}
	engine, ok := conformance.LookupEngine(engineName)
	if !ok {
		return 0, &usageError{fmt.Sprintf("engine %q is not available on this host (registered: %s)", engineName, strings.Join(conformance.EngineNames(), ", "))}
	}
	in, err := io.ReadAll(stdin)
	if err != nil {
		return 0, err
	}
	code, err := parseHex(string(in))
	if err != nil {
		return 0, fmt.Errorf("program: %w", err)
	}
	if isELF {
		return runELF(code, mem, engine)
	}
	p, err := conformance.Decode(code)
	if err != nil {
		return 0, err
	}
	res, err := conformance.ExecuteProgram(p, mem, 0, engine)
	if err != nil {
		return 0, err
	}
	return res.R0, nil
}

// runELF runs the first program of an ELF object, with its maps and global
// data, the test helpers replacing the standard ones. An object in which
// package elf finds no program (code in .text without a function symbol,
// as a bare wrapper of raw bytes may be) falls back to the first
// executable section without relocations, run as it is.
func runELF(obj []byte, mem []byte, e conformance.Engine) (uint64, error) {
	o, err := elf.Parse(obj)
	if err == nil && len(o.Programs) == 0 {
		err = errors.New("the ELF object holds no program")
	}
	if err != nil {
		p, ferr := firstExecSection(obj)
		if ferr != nil {
			return 0, err
		}
		res, err := conformance.ExecuteProgram(p, mem, 0, e)
		return res.R0, err
	}
	coll, err := elf.NewCollection(o, nil)
	if err != nil {
		return 0, err
	}
	opts := coll.Options(conformance.Options())
	x, err := e.Load(o.Programs[0].Insns, opts)
	if err != nil {
		return 0, err
	}
	defer x.Close()
	env := &vm.Env{Budget: conformance.DefaultBudget}
	if mem != nil {
		env.Mem = mem
	}
	res, err := x.Run(env)
	if err != nil {
		return 0, err
	}
	return res.R0, nil
}

// firstExecSection decodes the first non-empty executable section of a
// relocatable EM_BPF object that no relocation section applies to.
func firstExecSection(obj []byte) (p isa.Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("malformed object: %v", r)
		}
	}()
	f, err := delf.NewFile(bytes.NewReader(obj))
	if err != nil {
		return nil, err
	}
	if f.Machine != delf.EM_BPF || f.Class != delf.ELFCLASS64 {
		return nil, errors.New("not a 64-bit EM_BPF object")
	}
	relocated := map[uint32]bool{}
	for _, s := range f.Sections {
		if s.Type == delf.SHT_REL || s.Type == delf.SHT_RELA {
			relocated[s.Info] = true
		}
	}
	for i, s := range f.Sections {
		if s.Flags&delf.SHF_EXECINSTR == 0 || s.Size == 0 || s.Type != delf.SHT_PROGBITS {
			continue
		}
		if relocated[uint32(i)] {
			return nil, fmt.Errorf("section %s has relocations", s.Name)
		}
		b, err := s.Data()
		if err != nil {
			return nil, err
		}
		return isa.Decode(b, f.ByteOrder)
	}
	return nil, errors.New("no executable section")
}

// parseHex parses hex pairs separated by any white space ("b7 00 00 ..."),
// also accepting runs of pairs without separators.
func parseHex(s string) ([]byte, error) {
	var out bytes.Buffer
	for _, f := range strings.Fields(s) {
		f = strings.TrimPrefix(strings.TrimPrefix(f, "0x"), "0X")
		if len(f)%2 != 0 {
			return nil, fmt.Errorf("odd number of hex digits in %q", f)
		}
		b, err := hex.DecodeString(f)
		if err != nil {
			return nil, fmt.Errorf("bad hex %q", f)
		}
		out.Write(b)
	}
	return out.Bytes(), nil
}
