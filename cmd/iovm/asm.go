package main

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/iovm/iovm/asm"
	"github.com/iovm/iovm/isa"
)

func init() {
	register(&command{
		name:  "asm",
		usage: "[-o OUT] [--hex] [--dialect auto|conformance|llvm] [--big-endian] SRC",
		short: "assemble eBPF text (conformance or LLVM dialect) into bytecode",
		run:   runAsm,
	})
}

// runAsm assembles SRC ("-" for stdin). SRC may be a .data file, whose
// "-- asm" section is assembled. Output is raw bytes, or hex text with
// --hex (hex pairs separated by spaces on one line, as the plugin protocol
// of the conformance runner takes a program).
func runAsm(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("asm", stderr)
	out := fs.String("o", "", "write the output to `file` instead of stdout")
	hexOut := fs.Bool("hex", false, "write hex text instead of raw bytes")
	dialectName := fs.String("dialect", "auto", "source dialect: auto, conformance or llvm")
	bigEndian := fs.Bool("big-endian", false, "encode in big-endian byte order")
	operands, err := parseFlags(fs, args)
	if err != nil {
		return 2
	}
	if len(operands) != 1 {
		fs.Usage()
		return 2
	}
	name := operands[0]
	src, err := asmReadInput(name)
	if err != nil {
		fmt.Fprintf(stderr, "iovm asm: %v\n", err)
		return 1
	}
	text, lineBase, err := asmDataSection(string(src), name)
	if err != nil {
		fmt.Fprintf(stderr, "iovm asm: %s: %v\n", name, err)
		return 1
	}
	var prog isa.Program
	if *dialectName == "auto" {
		prog, _, err = asm.AssembleAuto(text)
	} else {
		d, derr := asm.ParseDialect(*dialectName)
		if derr != nil {
			fmt.Fprintf(stderr, "iovm asm: %v\n", derr)
			return 2
		}
		prog, err = asm.AssembleDialect(text, d)
	}
	if err != nil {
		if e, ok := err.(*asm.Error); ok {
			fmt.Fprintf(stderr, "%s:%d:%d: %s\n", name, e.Line+lineBase, e.Col, e.Msg)
		} else {
			fmt.Fprintf(stderr, "iovm asm: %s: %v\n", name, err)
		}
		return 1
	}
	var order binary.ByteOrder = binary.LittleEndian
	if *bigEndian {
		order = binary.BigEndian
	}
	code, err := isa.Encode(prog, order)
	if err != nil {
		fmt.Fprintf(stderr, "iovm asm: %s: %v\n", name, err)
		return 1
	}
	if *hexOut {
		code = []byte(asmHexText(code))
	}
	if *out == "" {
		_, err = stdout.Write(code)
	} else {
		err = os.WriteFile(*out, code, 0o644)
	}
	if err != nil {
		fmt.Fprintf(stderr, "iovm asm: %v\n", err)
		return 1
	}
	return 0
}

// asmReadInput reads a file, or stdin for "-".
func asmReadInput(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(name)
}

// asmDataSection returns the program text of src: the "-- asm" section when
// src is a .data file (reading "-- asm @ FILE" beside it), else src. It
// also returns the number of lines before the section, for error
// positions.
func asmDataSection(src, name string) (string, int, error) {
	lines := strings.Split(src, "\n")
	start, hasSections := -1, false
	for n, l := range lines {
		t := strings.TrimSpace(l)
		if !strings.HasPrefix(t, "-- ") {
			continue
		}
		hasSections = true
		header := strings.TrimSpace(t[3:])
		if header != "asm" && !strings.HasPrefix(header, "asm @") && !strings.HasPrefix(header, "asm@") {
			if start >= 0 {
				return strings.Join(lines[start:n], "\n"), start, nil
			}
			continue
		}
		if i := strings.Index(header, "@"); i >= 0 {
			file := strings.TrimSpace(header[i+1:])
			if !filepath.IsAbs(file) && name != "-" {
				file = filepath.Join(filepath.Dir(name), file)
			}
			b, err := os.ReadFile(file)
			if err != nil {
				return "", 0, err
			}
			return string(b), 0, nil
		}
		start = n + 1
	}
	switch {
	case start >= 0:
		return strings.Join(lines[start:], "\n"), start, nil
	case hasSections:
		return "", 0, fmt.Errorf("no -- asm section")
	}
	return src, 0, nil
}

// asmHexText formats code as hex pairs separated by spaces on one line, the
// form the plugin protocol of the conformance runner reads on stdin.
func asmHexText(code []byte) string {
	var b strings.Builder
	for i, c := range code {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%02x", c)
	}
	b.WriteByte('\n')
	return b.String()
}
