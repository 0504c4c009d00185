// Package elf loads eBPF programs from relocatable ELF objects (clang
// -target bpf -c), links them, and instantiates their maps and global data
// for iovm's engines.
//
// Parse reads an object in either byte order: every global function of an
// executable section other than .text is a program, and so is every global
// function of .text (static functions are sub-programs; a section without
// global functions is one program starting at its first instruction, named
// after its first function or the section); local
// calls and function references (callbacks) across functions and sections
// are linked into one isa.Program per entry, the entry function first and its
// callees after it, as libbpf does. Maps come from the BTF-described .maps
// section (type, key and value sizes from __uint/__type, max_entries, flags)
// and the legacy "maps" section (struct bpf_map_def); global data sections
// (.data, .rodata, .bss and their named sub-sections such as .rodata.str1.1)
// become one-element arrays, the ".rodata" ones read-only, as in libbpf.
//
// Linking rewrites R_BPF_64_64 relocations of lddw into the standard forms:
// a map reference becomes lddw src 5 (map by index, imm = index in
// Object.Maps), a global variable lddw src 6 (map value by index, imm =
// index, second imm = offset in the section), a function reference lddw
// src 4 (code address, imm relative to the next instruction like a local
// call); R_BPF_64_32 relocations of calls become local calls. So the linked
// program says exactly what it touches and the verifier can check it.
//
// Run-time model (NewCollection): each entry i of Object.Maps owns region id
// vm.RegionFirstUser+i, passed to vm.Load in Options.Regions, so every run
// of every program of the collection sees the same memory: a global data
// section is its bytes (read-only for .rodata); an array or hash map its
// value arena (see package maps), so map values returned by lookups are
// checked region addresses that programs use in place and with atomics; a
// ring buffer its sample data; other maps an empty region. Loading resolves
// lddw src 5 to the map's handle (helpers.MapHandle: a token whose region id
// is never mapped, so dereferencing it faults), src 6 to the address of the
// value (element 0 of an array) and src 4 to the target pc, which the
// callback helpers (bpf_loop, for_each_map_elem) pass to the engine.
//
// Packet programs (XDP-style) get a context of two 64-bit addresses, data
// and data_end, over the input region: see PacketContext.
//
// Hostile objects (wrong class, machine or type, truncated or overlapping
// sections, bad symbol or relocation indices and types, out-of-range
// offsets, absurd sizes) give errors, never panics; Config.MaxMemory bounds
// what an object's maps may allocate.
//
// Not supported: maps of maps, static initialization of program arrays in
// .maps (fill them from Go with maps.Map.SetProgram), externs (kconfig,
// ksyms), CO-RE relocations of .BTF.ext (they describe kernel types) and
// BPF-to-BPF calls through function pointers other than helper callbacks.
package elf

import (
	"bytes"
	delf "debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/iovm/iovm/isa"
	"github.com/iovm/iovm/maps"
)

// Relocation types of EM_BPF.
const (
	R_BPF_NONE        = 0
	R_BPF_64_64       = 1  // lddw: map, global data or function address
	R_BPF_64_ABS64    = 2  // data
	R_BPF_64_ABS32    = 3  // data
	R_BPF_64_NODYLD32 = 4  // .BTF.ext
	R_BPF_64_32       = 10 // call imm
)

// Limits on hostile objects.
const (
	MaxObjectSize = 256 << 20 // bytes of an object file
	MaxGlobalSize = 64 << 20  // bytes of one global data section (.bss included)
	MaxMaps       = 60        // maps and data sections: region ids RegionFirstUser..63
)

// Object is a parsed, linked object: its programs and the maps and global
// data they use. It holds no run-time state.
type Object struct {
	Order    binary.ByteOrder
	License  string
	Programs []*ProgramSpec
	// Maps are the maps and global data sections; lddw src 5/6 name them by
	// index in this slice.
	Maps []*MapSpec
}

// ProgramSpec is one linked program.
type ProgramSpec struct {
	Name    string // function name (section name for a section without symbols)
	Section string
	Insns   isa.Program
}

// MapSpec is a map or a global data section of an object.
type MapSpec struct {
	maps.Spec
	// Global is true for a data section (.data, .rodata, .bss...): Data is
	// its initial contents and the map is a one-element array of
	// len(Data) bytes.
	Global   bool
	ReadOnly bool // .rodata*
	Data     []byte
	Section  string
}

// Program returns the program whose function name is name, or nil.
func (o *Object) Program(name string) *ProgramSpec {
	for _, p := range o.Programs {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// ProgramBySection returns the program of section sec; it fails if the
// section holds none or several.
func (o *Object) ProgramBySection(sec string) (*ProgramSpec, error) {
	var found *ProgramSpec
	for _, p := range o.Programs {
		if p.Section == sec {
			if found != nil {
				return nil, fmt.Errorf("section %q holds several programs (%s, %s): choose one by function name", sec, found.Name, p.Name)
			}
			found = p
		}
	}
	if found == nil {
		return nil, fmt.Errorf("no program in section %q", sec)
	}
	return found, nil
}

// MapIndex returns the index in Maps of the map or data section named name.
func (o *Object) MapIndex(name string) int {
	for i, m := range o.Maps {
		if m.Name == name {
			return i
		}
	}
	return -1
}

// Open parses the object file at path.
func Open(path string) (*Object, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxObjectSize+1))
	if err != nil {
		return nil, err
	}
	o, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return o, nil
}

// ErrFormat wraps every error about a malformed or unsupported object.
var ErrFormat = errors.New("bad eBPF object")

type formatError struct{ msg string }

func (e *formatError) Error() string        { return e.msg }
func (e *formatError) Is(target error) bool { return target == ErrFormat }

func errorf(format string, args ...any) error {
	return &formatError{fmt.Sprintf(format, args...)}
}

// Parse parses and links a relocatable eBPF object.
func Parse(data []byte) (obj *Object, err error) {
	if len(data) > MaxObjectSize {
		return nil, errorf("object of %d bytes is too large", len(data))
	}
	defer func() {
		// debug/elf is robust, but a loader must never take the host down.
		if r := recover(); r != nil {
			obj, err = nil, errorf("malformed object: %v", r)
		}
	}()
	f, err := delf.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, errorf("not a valid ELF object: %v", err)
	}
	l := &linker{f: f, file: data}
	if err := l.parse(); err != nil {
		return nil, err
	}
	return l.obj, nil
}

type symbol struct {
	delf.Symbol
	shndx int
}

type linker struct {
	f      *delf.File
	file   []byte
	order  binary.ByteOrder
	obj    *Object
	syms   []symbol          // index = symbol table index (0 is the null symbol)
	secs   map[int][]byte    // contents of executable sections
	rels   map[int][]reloc   // by target section
	mapIdx map[int]int       // symbol index -> map index (maps and .maps symbols)
	mapOff map[[2]uint64]int // (section, offset) -> map index
	global map[int]int       // data section index -> map index
	funcs  map[int][]symbol  // function symbols by section, sorted by value
}

type reloc struct {
	off  uint64
	sym  uint32
	kind uint32
}

func (l *linker) parse() error {
	f := l.f
	if f.Class != delf.ELFCLASS64 {
		return errorf("ELF class %v: eBPF objects are 64-bit", f.Class)
	}
	if f.Machine != delf.EM_BPF {
		return errorf("ELF machine %v is not EM_BPF", f.Machine)
	}
	if f.Type != delf.ET_REL {
		return errorf("ELF type %v: want a relocatable object (ET_REL)", f.Type)
	}
	switch f.Data {
	case delf.ELFDATA2LSB:
		l.order = binary.LittleEndian
	case delf.ELFDATA2MSB:
		l.order = binary.BigEndian
	default:
		return errorf("ELF data encoding %v", f.Data)
	}
	l.obj = &Object{Order: l.order}
	if err := l.readSymbols(); err != nil {
		return err
	}
	l.secs = map[int][]byte{}
	l.rels = map[int][]reloc{}
	l.mapIdx = map[int]int{}
	l.mapOff = map[[2]uint64]int{}
	l.global = map[int]int{}
	var btfData []byte
	mapsSec, legacySec := -1, -1
	for i, s := range f.Sections {
		switch {
		case s.Type == delf.SHT_PROGBITS && s.Flags&delf.SHF_EXECINSTR != 0:
			b, err := l.sectionData(s)
			if err != nil {
				return err
			}
			if len(b)%isa.SlotSize != 0 {
				return errorf("section %q: size %d is not a multiple of %d", s.Name, len(b), isa.SlotSize)
			}
			l.secs[i] = b
		case s.Type == delf.SHT_REL:
			if err := l.readRels(s); err != nil {
				return err
			}
		case s.Type == delf.SHT_RELA:
			if int(s.Info) < len(f.Sections) && f.Sections[s.Info].Flags&delf.SHF_EXECINSTR != 0 {
				return errorf("section %q: RELA relocations are not used by eBPF", s.Name)
			}
		case s.Name == ".BTF":
			b, err := l.sectionData(s)
			if err != nil {
				return err
			}
			btfData = b
		case s.Name == ".maps":
			mapsSec = i
		case s.Name == "maps":
			legacySec = i
		case s.Name == "license":
			b, err := l.sectionData(s)
			if err != nil {
				return err
			}
			l.obj.License = string(bytes.TrimRight(b, "\x00"))
		case isDataSection(s.Name) && s.Flags&delf.SHF_ALLOC != 0:
			if err := l.addGlobal(i, s); err != nil {
				return err
			}
		}
	}
	if legacySec >= 0 {
		if err := l.legacyMaps(legacySec); err != nil {
			return err
		}
	}
	if mapsSec >= 0 {
		if btfData == nil {
			return errorf(".maps section without .BTF")
		}
		if err := l.btfMaps(mapsSec, btfData); err != nil {
			return err
		}
	}
	if len(l.obj.Maps) > MaxMaps {
		return errorf("%d maps and data sections: at most %d", len(l.obj.Maps), MaxMaps)
	}
	return l.linkAll()
}

func isDataSection(name string) bool {
	for _, p := range []string{".data", ".rodata", ".bss"} {
		if name == p || strings.HasPrefix(name, p+".") {
			return true
		}
	}
	return false
}

func (l *linker) sectionData(s *delf.Section) ([]byte, error) {
	if s.Type == delf.SHT_NOBITS {
		return nil, errorf("section %q has no data", s.Name)
	}
	if s.Offset > uint64(len(l.file)) || s.Size > uint64(len(l.file))-s.Offset {
		return nil, errorf("section %q (offset %d, size %d) is outside the file", s.Name, s.Offset, s.Size)
	}
	if s.Flags&delf.SHF_COMPRESSED != 0 {
		return nil, errorf("section %q is compressed", s.Name)
	}
	return l.file[s.Offset : s.Offset+s.Size], nil
}

func (l *linker) readSymbols() error {
	syms, err := l.f.Symbols()
	if err != nil && !errors.Is(err, delf.ErrNoSymbols) {
		return errorf("symbols: %v", err)
	}
	l.syms = make([]symbol, len(syms)+1)
	l.funcs = map[int][]symbol{}
	for i, s := range syms {
		l.syms[i+1] = symbol{Symbol: s, shndx: int(s.Section)}
		if delf.ST_TYPE(s.Info) == delf.STT_FUNC && int(s.Section) < len(l.f.Sections) && s.Section != delf.SHN_UNDEF {
			l.funcs[int(s.Section)] = append(l.funcs[int(s.Section)], l.syms[i+1])
		}
	}
	for _, fs := range l.funcs {
		sort.SliceStable(fs, func(a, b int) bool { return fs[a].Value < fs[b].Value })
	}
	return nil
}

func (l *linker) readRels(s *delf.Section) error {
	if int(s.Info) >= len(l.f.Sections) || s.Info == 0 {
		return errorf("relocation section %q: bad target section %d", s.Name, s.Info)
	}
	target := l.f.Sections[s.Info]
	if target.Flags&delf.SHF_EXECINSTR == 0 {
		return nil // .BTF, .BTF.ext, debug info, .maps initializers: not needed
	}
	b, err := l.sectionData(s)
	if err != nil {
		return err
	}
	if len(b)%16 != 0 {
		return errorf("relocation section %q: size %d is not a multiple of 16", s.Name, len(b))
	}
	rs := make([]reloc, 0, len(b)/16)
	for p := 0; p < len(b); p += 16 {
		info := l.order.Uint64(b[p+8:])
		rs = append(rs, reloc{off: l.order.Uint64(b[p:]), sym: uint32(info >> 32), kind: uint32(info)})
	}
	l.rels[int(s.Info)] = append(l.rels[int(s.Info)], rs...)
	return nil
}

func (l *linker) addMap(m *MapSpec) (int, error) {
	if len(l.obj.Maps) >= MaxMaps {
		return 0, errorf("more than %d maps and data sections", MaxMaps)
	}
	l.obj.Maps = append(l.obj.Maps, m)
	return len(l.obj.Maps) - 1, nil
}

func (l *linker) addGlobal(i int, s *delf.Section) error {
	if s.Size > MaxGlobalSize {
		return errorf("data section %q: %d bytes is too large", s.Name, s.Size)
	}
	if s.Size == 0 {
		return nil
	}
	var data []byte
	if s.Type == delf.SHT_NOBITS {
		data = make([]byte, s.Size)
	} else {
		b, err := l.sectionData(s)
		if err != nil {
			return err
		}
		data = append([]byte(nil), b...)
	}
	ro := s.Name == ".rodata" || strings.HasPrefix(s.Name, ".rodata.") || s.Flags&delf.SHF_WRITE == 0
	idx, err := l.addMap(&MapSpec{
		Spec: maps.Spec{Name: s.Name, Type: maps.Array, KeySize: 4, ValueSize: uint32(s.Size), MaxEntries: 1,
			Order: l.order},
		Global: true, ReadOnly: ro, Data: data, Section: s.Name,
	})
	l.global[i] = idx
	return err
}

// symbolsIn returns the indices of the object symbols of section sec.
func (l *linker) symbolsIn(sec int) []int {
	var out []int
	for i, s := range l.syms {
		if i > 0 && s.shndx == sec && delf.ST_TYPE(s.Info) != delf.STT_SECTION {
			out = append(out, i)
		}
	}
	return out
}

func (l *linker) legacyMaps(sec int) error {
	s := l.f.Sections[sec]
	b, err := l.sectionData(s)
	if err != nil {
		return err
	}
	syms := l.symbolsIn(sec)
	if len(syms) == 0 {
		return nil
	}
	size := len(b) / len(syms)
	if size < 20 || len(b)%len(syms) != 0 {
		return errorf("legacy maps section: %d bytes for %d maps", len(b), len(syms))
	}
	sort.Slice(syms, func(a, c int) bool { return l.syms[syms[a]].Value < l.syms[syms[c]].Value })
	for _, si := range syms {
		sym := l.syms[si]
		if sym.Value%uint64(size) != 0 || sym.Value+20 > uint64(len(b)) {
			return errorf("legacy map %q at bad offset %d", sym.Name, sym.Value)
		}
		d := b[sym.Value:]
		idx, err := l.addMap(&MapSpec{Spec: maps.Spec{
			Name: sym.Name, Type: maps.Type(l.order.Uint32(d)), KeySize: l.order.Uint32(d[4:]),
			ValueSize: l.order.Uint32(d[8:]), MaxEntries: l.order.Uint32(d[12:]), Flags: l.order.Uint32(d[16:]),
			Order: l.order,
		}, Section: s.Name})
		if err != nil {
			return err
		}
		l.mapIdx[si] = idx
		l.mapOff[[2]uint64{uint64(sec), sym.Value}] = idx
	}
	return nil
}

func (l *linker) btfMaps(sec int, btfData []byte) error {
	bt, err := parseBTF(btfData, l.order)
	if err != nil {
		return errorf("%v", err)
	}
	defs, err := bt.mapDefs(".maps")
	if err != nil {
		return errorf("%v", err)
	}
	syms := l.symbolsIn(sec)
	for _, d := range defs {
		si := -1
		for _, i := range syms {
			if l.syms[i].Name == d.name {
				si = i
				break
			}
		}
		if si < 0 {
			return errorf("BTF map %q has no symbol in .maps", d.name)
		}
		idx, err := l.addMap(&MapSpec{Spec: maps.Spec{
			Name: d.name, Type: maps.Type(d.typ), KeySize: d.keySize, ValueSize: d.valueSize,
			MaxEntries: d.maxEntries, Flags: d.f, Order: l.order,
		}, Section: ".maps"})
		if err != nil {
			return err
		}
		l.mapIdx[si] = idx
		l.mapOff[[2]uint64{uint64(sec), l.syms[si].Value}] = idx
	}
	return nil
}

// unit is a function (or piece of a section) placed in a linked program.
type unit struct {
	sec        int
	start, end int // slots in the section
	base       int // first pc in the linked program
}

func (l *linker) linkAll() error {
	var secIdx []int
	for i := range l.secs {
		secIdx = append(secIdx, i)
	}
	sort.Ints(secIdx)
	for _, si := range secIdx {
		name := l.f.Sections[si].Name
		if name == ".text" {
			continue
		}
		var fs []symbol // programs: the global functions of the section
		for _, fn := range l.funcs[si] {
			if b := delf.ST_BIND(fn.Info); b == delf.STB_GLOBAL || b == delf.STB_WEAK {
				fs = append(fs, fn)
			}
		}
		if len(fs) == 0 && len(l.funcs[si]) > 0 {
			fs = l.funcs[si][:1]
		}
		if len(fs) == 0 {
			if len(l.secs[si]) == 0 {
				continue
			}
			p, err := l.link(name, si, 0)
			if err != nil {
				return err
			}
			l.obj.Programs = append(l.obj.Programs, p)
			continue
		}
		for _, fn := range fs {
			if fn.Value%isa.SlotSize != 0 || fn.Value >= uint64(len(l.secs[si])) {
				return errorf("function %q at bad offset %d in %q", fn.Name, fn.Value, name)
			}
			p, err := l.link(fn.Name, si, int(fn.Value/isa.SlotSize))
			if err != nil {
				return err
			}
			l.obj.Programs = append(l.obj.Programs, p)
		}
	}
	// Global functions of .text can be run by name too.
	if ti := l.textIndex(); ti >= 0 {
		for _, fn := range l.funcs[ti] {
			if delf.ST_BIND(fn.Info) != delf.STB_GLOBAL || fn.Value%isa.SlotSize != 0 || fn.Value >= uint64(len(l.secs[ti])) {
				continue
			}
			p, err := l.link(fn.Name, ti, int(fn.Value/isa.SlotSize))
			if err != nil {
				return err
			}
			l.obj.Programs = append(l.obj.Programs, p)
		}
	}
	return nil
}

func (l *linker) textIndex() int {
	for i := range l.secs {
		if l.f.Sections[i].Name == ".text" {
			return i
		}
	}
	return -1
}

// unitAt returns the extent of the function starting at slot of section sec.
func (l *linker) unitAt(sec, slot int) (start, end int, err error) {
	n := len(l.secs[sec]) / isa.SlotSize
	if slot < 0 || slot >= n {
		return 0, 0, errorf("call or reference to slot %d outside section %q", slot, l.f.Sections[sec].Name)
	}
	end = n
	for _, fn := range l.funcs[sec] {
		v := int(fn.Value / isa.SlotSize)
		if fn.Value%isa.SlotSize != 0 {
			continue
		}
		if v == slot && fn.Size > 0 && fn.Size%isa.SlotSize == 0 && fn.Value+fn.Size <= uint64(len(l.secs[sec])) {
			return slot, v + int(fn.Size/isa.SlotSize), nil
		}
		if v > slot && v < end {
			end = v
		}
	}
	return slot, end, nil
}

func (l *linker) link(name string, sec, slot int) (*ProgramSpec, error) {
	start, end, err := l.unitAt(sec, slot)
	if err != nil {
		return nil, err
	}
	units := []*unit{{sec: sec, start: start, end: end}}
	total := end - start
	find := func(sec, slot int) (int, error) {
		for _, u := range units {
			if u.sec == sec && slot >= u.start && slot < u.end {
				return u.base + slot - u.start, nil
			}
		}
		start, end, err := l.unitAt(sec, slot)
		if err != nil {
			return 0, err
		}
		if total+end-start > 1<<24 {
			return 0, errorf("program %q is too long", name)
		}
		units = append(units, &unit{sec: sec, start: start, end: end, base: total})
		total += end - start
		return total - (end - start), nil
	}
	out := make([]isa.Instruction, 0, total)
	for k := 0; k < len(units); k++ { // units grows while linking
		u := units[k]
		raw, err := isa.DecodeRaw(l.secs[u.sec][u.start*isa.SlotSize:u.end*isa.SlotSize], l.order)
		if err != nil {
			return nil, errorf("%v", err)
		}
		relAt := map[int]reloc{}
		for _, r := range l.rels[u.sec] {
			if r.off%isa.SlotSize != 0 || r.off >= uint64(len(l.secs[u.sec])) {
				return nil, errorf("section %q: relocation at bad offset %d", l.f.Sections[u.sec].Name, r.off)
			}
			s := int(r.off / isa.SlotSize)
			if s >= u.start && s < u.end {
				relAt[s-u.start] = r
			}
		}
		for i := 0; i < len(raw); i++ {
			pc := u.base + i
			ins := &raw[i]
			r, hasRel := relAt[i]
			if hasRel && r.kind == R_BPF_NONE {
				hasRel = false
			}
			switch {
			case ins.Opcode == isa.OpLDDW:
				if i+1 >= len(raw) {
					return nil, errorf("%s: lddw at slot %d truncated", name, u.start+i)
				}
				if hasRel {
					if r.kind != R_BPF_64_64 {
						return nil, errorf("%s: relocation type %d on lddw", name, r.kind)
					}
					if err := l.relocLDDW(raw, i, r, u, find); err != nil {
						return nil, fmt.Errorf("%s: pc %d: %w", name, pc, err)
					}
				} else if ins.Src == isa.LDDWCodeAddr {
					t, err := find(u.sec, u.start+i+1+int(int32(ins.Imm)))
					if err != nil {
						return nil, err
					}
					ins.Imm = int64(t - pc - 1)
				} else if ins.Src != isa.LDDWImm {
					return nil, errorf("%s: pc %d: lddw src %d without relocation", name, pc, ins.Src)
				}
				i++
			case ins.Opcode == isa.OpCall && ins.Src == isa.CallLocal:
				var tsec, tslot int
				if hasRel {
					if r.kind != R_BPF_64_32 {
						return nil, errorf("%s: relocation type %d on call", name, r.kind)
					}
					sym, err := l.sym(r.sym)
					if err != nil {
						return nil, err
					}
					if _, ok := l.secs[sym.shndx]; !ok || sym.Value%isa.SlotSize != 0 {
						return nil, errorf("%s: call to %q, which is not code", name, sym.Name)
					}
					tsec, tslot = sym.shndx, int(sym.Value/isa.SlotSize)+int(int32(ins.Imm))+1
				} else {
					tsec, tslot = u.sec, u.start+i+int(int32(ins.Imm))+1
				}
				t, err := find(tsec, tslot)
				if err != nil {
					return nil, fmt.Errorf("%s: pc %d: %w", name, pc, err)
				}
				ins.Imm = int64(t - pc - 1)
			case hasRel:
				return nil, errorf("%s: pc %d: relocation type %d on opcode %#x", name, pc, r.kind, ins.Opcode)
			}
		}
		out = append(out, raw...)
	}
	// Re-encode and decode: joins lddw and validates every instruction.
	enc := make([]byte, 0, len(out)*isa.SlotSize)
	for _, ins := range out {
		enc = appendRaw(enc, ins, l.order)
	}
	p, err := isa.Decode(enc, l.order)
	if err != nil {
		return nil, errorf("program %q: %v", name, err)
	}
	return &ProgramSpec{Name: name, Section: l.f.Sections[sec].Name, Insns: p}, nil
}

func (l *linker) sym(i uint32) (symbol, error) {
	if i == 0 || int(i) >= len(l.syms) {
		return symbol{}, errorf("relocation names symbol %d of %d", i, len(l.syms))
	}
	return l.syms[i], nil
}

// relocLDDW rewrites raw[i] (a lddw) for relocation r.
func (l *linker) relocLDDW(raw []isa.Instruction, i int, r reloc, u *unit, find func(sec, slot int) (int, error)) error {
	sym, err := l.sym(r.sym)
	if err != nil {
		return err
	}
	lo, hi := &raw[i], &raw[i+1]
	if lo.Src != isa.LDDWImm {
		return errorf("relocated lddw has src %d", lo.Src)
	}
	addend := uint64(uint32(lo.Imm))
	if sym.shndx == int(delf.SHN_UNDEF) || sym.shndx >= len(l.f.Sections) {
		return errorf("reference to undefined or special symbol %q (externs are not supported)", sym.Name)
	}
	// A map, by its symbol or by its section's symbol and an offset.
	idx, ok := l.mapOff[[2]uint64{uint64(sym.shndx), sym.Value + addend}]
	if !ok {
		idx, ok = l.mapIdx[int(r.sym)]
	}
	if ok {
		lo.Src, lo.Imm, hi.Imm = isa.LDDWMapIdx, int64(idx), 0
		return nil
	}
	if idx, ok := l.global[sym.shndx]; ok {
		off := sym.Value + addend
		if off >= uint64(len(l.obj.Maps[idx].Data)) {
			return errorf("reference to %q+%d outside section %s", sym.Name, addend, l.f.Sections[sym.shndx].Name)
		}
		lo.Src, lo.Imm, hi.Imm = isa.LDDWMapValIdx, int64(idx), int64(int32(uint32(off)))
		return nil
	}
	if _, ok := l.secs[sym.shndx]; ok {
		off := sym.Value + addend
		if off%isa.SlotSize != 0 {
			return errorf("function reference to misaligned offset %d", off)
		}
		t, err := find(sym.shndx, int(off/isa.SlotSize))
		if err != nil {
			return err
		}
		lo.Src, lo.Imm, hi.Imm = isa.LDDWCodeAddr, int64(t-(u.base+i)-1), 0
		return nil
	}
	return errorf("reference to symbol %q in section %q, which is neither a map, data nor code", sym.Name, l.f.Sections[sym.shndx].Name)
}

func appendRaw(out []byte, ins isa.Instruction, order binary.ByteOrder) []byte {
	var b [isa.SlotSize]byte
	b[0] = ins.Opcode
	if order == binary.BigEndian {
		b[1] = ins.Dst<<4 | ins.Src&0x0f
	} else {
		b[1] = ins.Src<<4 | ins.Dst&0x0f
	}
	order.PutUint16(b[2:4], uint16(ins.Offset))
	order.PutUint32(b[4:8], uint32(ins.Imm))
	return append(out, b[:]...)
}
