package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/iovm/iovm/elf"
	"github.com/iovm/iovm/vm"
)

func init() { loadELF = loadELFObject }

// loadELFObject loads the program of an ELF object chosen by --func or
// --section (or its only program) with the object's maps, global data and
// the standard helpers (trace_printk prints on the command's stderr). Programs of
// sections named xdp* are packet programs: their context is
// elf.PacketContext over the input memory (the packet).
func loadELFObject(path string, data []byte, l *loadedProgram) error {
	o, err := elf.Parse(data)
	if err != nil {
		return err
	}
	names := func() string {
		var s []string
		for _, p := range o.Programs {
			s = append(s, p.Name+" ("+p.Section+")")
		}
		return strings.Join(s, ", ")
	}
	var p *elf.ProgramSpec
	switch {
	case elfFunc != "":
		if p = o.Program(elfFunc); p == nil {
			return fmt.Errorf("no program %q (have %s)", elfFunc, names())
		}
	case elfSection != "":
		if p, err = o.ProgramBySection(elfSection); err != nil {
			return fmt.Errorf("%w (have %s)", err, names())
		}
	case len(o.Programs) == 1:
		p = o.Programs[0]
	case len(o.Programs) == 0:
		return fmt.Errorf("the object holds no program")
	default:
		return fmt.Errorf("the object holds several programs, choose one with --section or --func: %s", names())
	}
	c, err := elf.NewCollection(o, &elf.Config{Trace: elfTrace})
	if err != nil {
		return err
	}
	base := &vm.Options{}
	if strings.HasPrefix(p.Section, "xdp") {
		base.ContextSize = elf.PacketContextSize
		l.Context = func(mem []byte) []byte { return elf.PacketContext(o.Order, len(mem)) }
	}
	l.Insns = p.Insns
	l.Opts = *c.Options(base)
	l.DumpMaps = func(w io.Writer) { dumpMaps(w, c) }
	return nil
}
