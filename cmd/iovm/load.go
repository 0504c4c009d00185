package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/iovm/iovm/asm"
	"github.com/iovm/iovm/conformance"
	"github.com/iovm/iovm/isa"
	"github.com/iovm/iovm/vm"
)

// loadedProgram is a program read from a file by loadProgram, with what
// the file says about running it. Loaders of new formats fill in what they
// know and may add fields (and read them in run.go).
type loadedProgram struct {
	// Insns is the decoded program.
	Insns isa.Program
	// Opts are the load options: byte order, helpers, program-wide
	// regions, lddw resolver, map information for the verifier.
	Opts vm.Options
	// Mem is the input memory the file carries (a .data file's "-- mem"),
	// nil when it has none; --mem replaces it.
	Mem []byte
	// Budget is the instruction budget the file asks for (a .data file's
	// "-- budget"), 0 for none; --budget replaces it.
	Budget uint64
	// Context, when non-nil, makes the run's context from its input
	// memory (an ELF packet program: see elf.PacketContext).
	Context func(mem []byte) []byte
	// DumpMaps, when non-nil, prints the maps and global data after a run
	// (run --dump-maps).
	DumpMaps func(w io.Writer)
}

// elfSection and elfFunc select the program of an ELF object (run
// --section, --func); both empty means the object's only program.
var elfSection, elfFunc string

// elfTrace receives the trace_printk output of ELF programs (stderr).
var elfTrace io.Writer = io.Discard

// loadELF loads an ELF object (data starts with the ELF magic). It is nil
// until the ELF loader's command-line support registers itself (from an
// init function in its own file); it fills l.Insns and l.Opts (its
// regions, helpers, ResolveLDDW and Maps) for the object's program.
var loadELF func(path string, data []byte, l *loadedProgram) error

// loadProgram reads the program at path ("-" for stdin):
//
//   - an ELF object (by its magic): through loadELF;
//   - a .data conformance file: its "-- asm" or "-- raw" section, its
//     "-- mem" and "-- budget" (conformance.ParseFile);
//   - a .asm or .s file: assembled (conformance dialect);
//   - anything else: hex text (pairs of hex digits separated by blanks or
//     commas, "#" comments) or raw bytecode, decoded in the program's order.
//
// bigEndian selects the program's byte order for raw and hex bytecode and
// for the run (an ELF object says its own). Every program gets the test
// helpers 0..5 of the conformance format unless its loader sets others.
func loadProgram(path string, bigEndian bool) (*loadedProgram, error) {
	var order binary.ByteOrder = binary.LittleEndian
	if bigEndian {
		order = binary.BigEndian
	}
	l := &loadedProgram{Opts: vm.Options{Order: order, Helpers: conformance.TestHelpers()}}
	if strings.EqualFold(filepath.Ext(path), ".data") {
		c, err := conformance.ParseFile(path)
		if err != nil {
			return nil, err
		}
		if c.Skip != "" {
			return nil, fmt.Errorf("%s: cannot run: %s", path, c.Skip)
		}
		p, err := c.Program()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		l.Insns, l.Mem, l.Budget = p, c.Mem, c.Budget
		return l, nil
	}
	data, err := asmReadInput(path)
	if err != nil {
		return nil, err
	}
	switch ext := strings.ToLower(filepath.Ext(path)); {
	case bytes.HasPrefix(data, []byte("\x7fELF")):
		if loadELF == nil {
			return nil, fmt.Errorf("%s: ELF objects are not supported yet", path)
		}
		if err := loadELF(path, data, l); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return l, nil
	case ext == ".asm" || ext == ".s":
		p, err := asm.Assemble(string(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		l.Insns = p
		return l, nil
	}
	code, err := disasmBytes(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p, err := isa.Decode(code, order)
	if err != nil {
		e := &vm.Error{Kind: vm.KindLoad, PC: -1, Reason: err.Error(), Err: err}
		var de *isa.DecodeError
		if errors.As(err, &de) {
			e.PC, e.Reason = de.Slot, de.Reason
		}
		return nil, fmt.Errorf("%s: %w", path, e)
	}
	l.Insns = p
	return l, nil
}

// readMem reads the input memory of --mem: hex text when the file is hex
// pairs (as in a .data "-- mem" section), else its raw bytes.
func readMem(path string) ([]byte, error) {
	data, err := asmReadInput(path)
	if err != nil {
		return nil, err
	}
	if b, ok := disasmParseHex(string(data)); ok && !bytes.ContainsFunc(data, func(r rune) bool { return r > 0x7e }) {
		return b, nil
	}
	return data, nil
}
