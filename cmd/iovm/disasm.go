package main

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/iovm/iovm/asm"
	"github.com/iovm/iovm/isa"
)

func init() {
	register(&command{
		name:  "disasm",
		usage: "[--dialect conformance|llvm] [--big-endian] [--section S] FILE",
		short: "disassemble eBPF bytecode (raw, hex text or ELF object)",
		run:   runDisasm,
	})
}

// runDisasm disassembles FILE ("-" for stdin): an ELF object (its
// executable sections, in the object's byte order, with its function
// symbols as labels), hex text, a .data file's "-- raw" section, or raw
// bytes. The text assembles back to the same bytes with iovm asm.
func runDisasm(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("disasm", stderr)
	dialectName := fs.String("dialect", "conformance", "output dialect: conformance or llvm")
	bigEndian := fs.Bool("big-endian", false, "decode raw or hex input as big-endian (ELF objects say their own order)")
	section := fs.String("section", "", "disassemble only the ELF section `name`")
	operands, err := parseFlags(fs, args)
	if err != nil {
		return 2
	}
	if len(operands) != 1 {
		fs.Usage()
		return 2
	}
	d, err := asm.ParseDialect(*dialectName)
	if err != nil {
		fmt.Fprintf(stderr, "iovm disasm: %v\n", err)
		return 2
	}
	name := operands[0]
	data, err := asmReadInput(name)
	if err != nil {
		fmt.Fprintf(stderr, "iovm disasm: %v\n", err)
		return 1
	}
	var order binary.ByteOrder = binary.LittleEndian
	if *bigEndian {
		order = binary.BigEndian
	}
	var chunks []disasmChunk
	if bytes.HasPrefix(data, []byte(elf.ELFMAG)) {
		chunks, err = disasmELF(data, *section)
	} else {
		if *section != "" {
			fmt.Fprintln(stderr, "iovm disasm: --section needs an ELF object")
			return 2
		}
		var code []byte
		code, err = disasmBytes(data)
		chunks = []disasmChunk{{code: code, order: order}}
	}
	if err != nil {
		fmt.Fprintf(stderr, "iovm disasm: %s: %v\n", name, err)
		return 1
	}
	var out strings.Builder
	for _, c := range chunks {
		if len(chunks) > 1 || c.name != "" {
			fmt.Fprintf(&out, "# section %s\n", c.name)
		}
		p, err := disasmDecode(c.code, c.order)
		if err != nil {
			fmt.Fprintf(stderr, "iovm disasm: %s: %s: %v\n", name, c.name, err)
			return 1
		}
		if verr := disasmValidate(p); verr != nil {
			fmt.Fprintf(stderr, "iovm disasm: warning: %s: %v (printed as .insn)\n", name, verr)
		}
		disasmWrite(&out, p, d, c.labels)
	}
	if _, err := io.WriteString(stdout, out.String()); err != nil {
		fmt.Fprintf(stderr, "iovm disasm: %v\n", err)
		return 1
	}
	return 0
}

// disasmChunk is a stretch of code to disassemble.
type disasmChunk struct {
	name   string
	code   []byte
	order  binary.ByteOrder
	labels map[int][]string // slot -> labels (function symbols)
}

var disasmIdentRE = regexp.MustCompile(`^[A-Za-z_.$][A-Za-z0-9_.$]*$`)

// disasmELF returns the executable sections of an ELF object, with the
// symbols that point into them as labels.
func disasmELF(data []byte, only string) ([]disasmChunk, error) {
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	syms, _ := f.Symbols() // an object without a symbol table has no labels
	seen := map[string]bool{}
	var chunks []disasmChunk
	for idx, s := range f.Sections {
		if s.Type != elf.SHT_PROGBITS || s.Flags&elf.SHF_EXECINSTR == 0 || s.Size == 0 {
			continue
		}
		if only != "" && s.Name != only {
			continue
		}
		code, err := s.Data()
		if err != nil {
			return nil, fmt.Errorf("section %s: %v", s.Name, err)
		}
		c := disasmChunk{name: s.Name, code: code, order: f.ByteOrder, labels: map[int][]string{}}
		for _, sym := range syms {
			typ := elf.ST_TYPE(sym.Info)
			if int(sym.Section) != idx || (typ != elf.STT_FUNC && typ != elf.STT_NOTYPE) ||
				sym.Value%isa.SlotSize != 0 || sym.Value > s.Size || !disasmIdentRE.MatchString(sym.Name) || seen[sym.Name] {
				continue
			}
			seen[sym.Name] = true
			slot := int(sym.Value / isa.SlotSize)
			c.labels[slot] = append(c.labels[slot], sym.Name)
		}
		chunks = append(chunks, c)
	}
	if len(chunks) == 0 {
		if only != "" {
			return nil, fmt.Errorf("no executable section %q", only)
		}
		return nil, errors.New("no executable sections")
	}
	return chunks, nil
}

// disasmBytes turns the input into bytes: hex text (pairs or longer runs of
// hex digits, optional 0x, separated by blanks or commas, # comments),
// the "-- raw" section of a .data file (64-bit words, each a slot read as
// a little-endian integer), or else the raw bytes themselves.
func disasmBytes(data []byte) ([]byte, error) {
	text := string(data)
	if strings.Contains(text, "\n-- raw") || strings.HasPrefix(text, "-- raw") {
		return disasmRawSection(text)
	}
	if b, ok := disasmParseHex(text); ok {
		return b, nil
	}
	return data, nil
}

func disasmParseHex(text string) ([]byte, bool) {
	var out []byte
	for _, line := range strings.Split(text, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		for _, f := range strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '\t' || r == '\r' || r == ',' }) {
			f = strings.TrimPrefix(strings.TrimPrefix(f, "0x"), "0X")
			if len(f)%2 != 0 {
				return nil, false
			}
			b, err := hex.DecodeString(f)
			if err != nil {
				return nil, false
			}
			out = append(out, b...)
		}
	}
	return out, len(out) > 0
}

func disasmRawSection(text string) ([]byte, error) {
	var out []byte
	in := false
	for n, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "-- ") {
			in = strings.TrimSpace(t[3:]) == "raw"
			continue
		}
		if i := strings.IndexByte(t, '#'); i >= 0 {
			t = strings.TrimSpace(t[:i])
		}
		if !in || t == "" {
			continue
		}
		v, err := strconv.ParseUint(t, 0, 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: bad raw word %q", n+1, t)
		}
		out = binary.LittleEndian.AppendUint64(out, v)
	}
	return out, nil
}

// disasmDecode decodes code; where a slot is not a valid instruction it
// keeps the raw slot (printed as .insn) so that the text still assembles
// back to the same bytes.
func disasmDecode(code []byte, order binary.ByteOrder) (isa.Program, error) {
	if p, err := isa.Decode(code, order); err == nil {
		return p, nil
	}
	raw, err := isa.DecodeRaw(code, order)
	if err != nil {
		return nil, err
	}
	for pc := 0; pc < len(raw); pc++ {
		if !raw[pc].IsWide() {
			continue
		}
		if pc+1 >= len(raw) {
			return nil, &isa.DecodeError{Slot: pc, Reason: "lddw truncated: missing second slot"}
		}
		hi := raw[pc+1]
		if hi.Opcode != 0 || hi.Dst != 0 || hi.Src != 0 || hi.Offset != 0 {
			return nil, &isa.DecodeError{Slot: pc + 1, Reason: "second slot of lddw must have opcode, registers and offset zero"}
		}
		raw[pc].Imm = int64(uint64(uint32(raw[pc].Imm)) | uint64(uint32(hi.Imm))<<32)
		raw[pc+1] = isa.Instruction{}
		pc++
	}
	return raw, nil
}

// disasmValidate reports the first invalid slot of p.
func disasmValidate(p isa.Program) error {
	for pc := 0; pc < len(p); pc++ {
		if err := p[pc].Validate(); err != nil {
			return &isa.DecodeError{Slot: pc, Reason: err.Error()}
		}
		if p[pc].IsWide() {
			pc++
		}
	}
	return nil
}

// disasmWrite prints p with labels before the slots they name.
func disasmWrite(w *strings.Builder, p isa.Program, d asm.Dialect, labels map[int][]string) {
	format := asm.Format
	if d == asm.LLVM {
		format = asm.FormatLLVM
	}
	for pc := 0; pc < len(p); pc++ {
		for _, l := range labels[pc] {
			fmt.Fprintf(w, "%s:\n", l)
		}
		w.WriteString(format(p[pc]))
		if target, ok := disasmTarget(p[pc], pc); ok && len(labels[target]) > 0 {
			// Name the target as llvm-objdump does ("goto +3 <LBB0_2>"),
			// as a comment in the conformance dialect.
			if d == asm.LLVM {
				fmt.Fprintf(w, " <%s>", labels[target][0])
			} else {
				fmt.Fprintf(w, " # %s", labels[target][0])
			}
		}
		w.WriteByte('\n')
		if p[pc].IsWide() {
			pc++
			for _, l := range labels[pc] { // a symbol inside a lddw: keep it as a comment
				fmt.Fprintf(w, "# %s: (inside the lddw above)\n", l)
			}
		}
	}
	for _, l := range labels[len(p)] {
		fmt.Fprintf(w, "%s:\n", l)
	}
}

// disasmTarget returns the slot a jump or local call at pc goes to.
func disasmTarget(ins isa.Instruction, pc int) (int, bool) {
	if ins.Validate() != nil || !ins.Class().IsJump() {
		return 0, false
	}
	switch {
	case ins.Opcode == isa.OpExit || ins.Opcode == isa.OpCallX:
		return 0, false
	case ins.Opcode == isa.OpCall:
		if ins.Src != isa.CallLocal {
			return 0, false
		}
		return pc + 1 + int(ins.Imm), true
	case ins.Class() == isa.ClassJMP32 && ins.JumpOp() == isa.JumpJA:
		return pc + 1 + int(ins.Imm), true
	}
	return pc + 1 + int(ins.Offset), true
}
