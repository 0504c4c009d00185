package main

import (
	"encoding/hex"
	"fmt"
	"io"

	"github.com/iovm/iovm/elf"
)

func init() {
	register(&command{
		name:  "maps",
		usage: "OBJECT.o",
		short: "list the maps, global data sections and programs of an eBPF ELF object",
		run:   runMaps,
	})
}

// runMaps lists the maps (index, name, type, key and value sizes, entries,
// flags) and the global data sections of an object, then its programs.
func runMaps(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("maps", stderr)
	files, err := parseFlags(fs, args)
	if err != nil {
		return 2
	}
	if len(files) != 1 {
		fmt.Fprintln(stderr, usageLine("maps"))
		return 2
	}
	o, err := elf.Open(files[0])
	if err != nil {
		fmt.Fprintf(stderr, "iovm maps: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%-3s %-20s %-16s %5s %7s %11s %s\n", "idx", "name", "type", "key", "value", "max_entries", "flags")
	for i, m := range o.Maps {
		if m.Global {
			ro := "rw"
			if m.ReadOnly {
				ro = "ro"
			}
			fmt.Fprintf(stdout, "%-3d %-20s %-16s %5s %7d %11s %s\n", i, m.Name, "global", "-", len(m.Data), "-", ro)
			continue
		}
		fmt.Fprintf(stdout, "%-3d %-20s %-16s %5d %7d %11d %#x\n", i, m.Name, m.Type, m.KeySize, m.ValueSize, m.MaxEntries, m.Flags)
	}
	fmt.Fprintln(stdout, "\nprograms:")
	for _, p := range o.Programs {
		fmt.Fprintf(stdout, "  %-24s section %-16s %d slots\n", p.Name, p.Section, len(p.Insns))
	}
	return 0
}

// dumpMapLimit bounds the elements dumpMaps prints per map.
const dumpMapLimit = 1000

// dumpMaps prints the contents of the maps and global data of c (for
// iovm run --dump-maps): one "key: value" line per element, in hex.
func dumpMaps(w io.Writer, c *elf.Collection) {
	for i, ms := range c.Object.Maps {
		if ms.Global {
			fmt.Fprintf(w, "%s (global, %d bytes):\n", ms.Name, len(c.Regions[i].Data))
			dumpHex(w, c.Regions[i].Data)
			continue
		}
		m := c.Maps[i]
		fmt.Fprintf(w, "%s (%s, %d elements):\n", ms.Name, ms.Type, m.Len())
		n := 0
		m.Iterate(func(k, v []byte) bool {
			if n++; n > dumpMapLimit {
				fmt.Fprintln(w, "  ...")
				return false
			}
			fmt.Fprintf(w, "  %s: %s\n", hex.EncodeToString(k), hex.EncodeToString(v))
			return true
		})
	}
}

func dumpHex(w io.Writer, b []byte) {
	for off := 0; off < len(b); off += 16 {
		end := min(off+16, len(b))
		fmt.Fprintf(w, "  %04x: % x\n", off, b[off:end])
	}
}
