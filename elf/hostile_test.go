package elf_test

import (
	"bytes"
	delf "debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/iovm/iovm/elf"
	"github.com/iovm/iovm/maps"
)

func readObj(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(corpus + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// section returns the file offset and size of section name of obj.
func section(t testing.TB, obj []byte, name string) (off, size int) {
	t.Helper()
	f, err := delf.NewFile(bytes.NewReader(obj))
	if err != nil {
		t.Fatal(err)
	}
	s := f.Section(name)
	if s == nil {
		t.Fatalf("no section %s", name)
	}
	return int(s.Offset), int(s.Size)
}

func TestHostileObjects(t *testing.T) {
	good := readObj(t, "xdp_filter.o")
	if _, err := elf.Parse(good); err != nil {
		t.Fatal(err)
	}
	relOff, _ := section(t, good, ".relxdp")
	textOff, _ := section(t, good, ".text")
	patch := func(f func(b []byte)) []byte {
		b := append([]byte(nil), good...)
		f(b)
		return b
	}
	le := binary.LittleEndian
	cases := map[string][]byte{
		"empty":          nil,
		"truncated":      good[:40],
		"half":           good[:len(good)/2],
		"wrong machine":  patch(func(b []byte) { le.PutUint16(b[18:], uint16(delf.EM_X86_64)) }),
		"32-bit class":   patch(func(b []byte) { b[4] = byte(delf.ELFCLASS32) }),
		"wrong order":    patch(func(b []byte) { b[5] = byte(delf.ELFDATA2MSB) }),
		"executable":     patch(func(b []byte) { le.PutUint16(b[16:], uint16(delf.ET_EXEC)) }),
		"bad reloc sym":  patch(func(b []byte) { le.PutUint32(b[relOff+12:], 0xffff) }),
		"null reloc sym": patch(func(b []byte) { le.PutUint32(b[relOff+12:], 0) }),
		"bad reloc type": patch(func(b []byte) { le.PutUint32(b[relOff+8:], 77) }),
		"bad reloc off":  patch(func(b []byte) { le.PutUint64(b[relOff:], 1<<40) }),
		"odd reloc off":  patch(func(b []byte) { le.PutUint64(b[relOff:], 3) }),
		"bad opcode":     patch(func(b []byte) { b[textOff] = 0xff }),
		"bad shoff":      patch(func(b []byte) { le.PutUint64(b[40:], 1<<50) }),
		"bad shnum":      patch(func(b []byte) { le.PutUint16(b[60:], 0xffff) }),
		"bad shstrndx":   patch(func(b []byte) { le.PutUint16(b[62:], 0xfff0) }),
	}
	for name, obj := range cases {
		o, err := elf.Parse(obj)
		if err == nil {
			t.Errorf("%s: accepted (%d programs)", name, len(o.Programs))
			continue
		}
		t.Logf("%s: %v", name, err)
	}
}

// FuzzParse parses mutated objects: never a panic; what parses must
// instantiate, and every lddw of its programs resolve or fail cleanly.
// (Loading runs the verifier, which has fuzz targets of its own.)
func FuzzParse(f *testing.F) {
	objs, _ := filepath.Glob(corpus + "*.o")
	for _, p := range objs {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := elf.Parse(data)
		if err != nil {
			if !errors.Is(err, elf.ErrFormat) {
				t.Fatalf("error %v is not ErrFormat", err)
			}
			return
		}
		c, err := elf.NewCollection(o, &elf.Config{NumCPU: 1, MaxMemory: 16 << 20})
		if err != nil {
			return
		}
		opts := c.Options(nil)
		for _, p := range o.Programs {
			for pc, ins := range p.Insns {
				if ins.IsWide() && ins.Src != 0 {
					opts.ResolveLDDW(pc, ins)
					opts.Maps(ins.Src, int32(ins.Imm))
				}
			}
		}
	})
}

// TestMapByOffset relocates a lddw against another map's symbol plus an
// offset (as section-symbol relocations do): the offset names the map.
func TestMapByOffset(t *testing.T) {
	obj := readObj(t, "legacy.o")
	relOff, _ := section(t, obj, ".relsocket")
	secOff, _ := section(t, obj, "socket")
	le := binary.LittleEndian
	// Second relocation (percpu, at offset 20 of "maps") -> symbol of hits + 20.
	hitsSym := le.Uint32(obj[relOff+12:])
	lddwAt := int(le.Uint64(obj[relOff+16:]))
	le.PutUint32(obj[relOff+16+12:], hitsSym)
	le.PutUint32(obj[secOff+lddwAt+4:], 20)
	o, err := elf.Parse(obj)
	if err != nil {
		t.Fatal(err)
	}
	p := o.Program("legacy")
	ins := p.Insns[lddwAt/8]
	if ins.Src != 5 || int(ins.Imm) != o.MapIndex("percpu") {
		t.Errorf("lddw = %v, want map %d", ins, o.MapIndex("percpu"))
	}
}

func TestCollectionMemoryLimit(t *testing.T) {
	o := &elf.Object{Order: binary.LittleEndian, Maps: []*elf.MapSpec{
		{Spec: maps.Spec{Name: "big", Type: maps.Hash, KeySize: 4, ValueSize: 1 << 20, MaxEntries: 1 << 20}},
	}}
	if _, err := elf.NewCollection(o, nil); err == nil {
		t.Fatal("a 1 TiB map was created")
	}
	o.Maps[0].MaxEntries = 4
	if _, err := elf.NewCollection(o, &elf.Config{MaxMemory: 1 << 20}); err == nil {
		t.Fatal("MaxMemory not enforced")
	}
	if _, err := elf.NewCollection(o, nil); err != nil {
		t.Fatal(err)
	}
}
