package elf

import (
	"fmt"
	"io"

	"github.com/iovm/iovm/helpers"
	"github.com/iovm/iovm/isa"
	"github.com/iovm/iovm/maps"
	"github.com/iovm/iovm/verifier"
	"github.com/iovm/iovm/vm"
)

// Config configures NewCollection.
type Config struct {
	// Trace receives trace_printk output; nil discards it.
	Trace io.Writer
	// CPU gives the CPU of a run for per-CPU maps and get_smp_processor_id;
	// nil means 0 (see package maps on per-CPU maps).
	CPU func(m *vm.Memory) int
	// NumCPU is the number of copies of per-CPU maps; 0 means GOMAXPROCS.
	NumCPU int
	// Maps replaces maps of the object by name with existing ones (for
	// example to share a map between objects); their specs must match.
	Maps map[string]*maps.Map
	// MaxMemory bounds the bytes the maps and global data of the object
	// may take (default DefaultMaxMemory), so a hostile object cannot
	// exhaust the host's memory.
	MaxMemory uint64
}

// DefaultMaxMemory is the default of Config.MaxMemory.
const DefaultMaxMemory = 1 << 30

// Collection is an object instantiated for running: its maps created, its
// global data copied into regions, and the standard helpers bound to them.
// Programs loaded from it share all of these, so one collection is one
// "application" whose programs and Go code communicate through maps.
type Collection struct {
	Object *Object
	// Maps holds the maps by index in Object.Maps; nil for global data.
	Maps []*maps.Map
	// Regions are the regions of Object.Maps, by index: region id
	// vm.RegionFirstUser+i. Global data regions hold the live variables.
	Regions []vm.Region
	// Helpers are the standard helpers bound to the maps. Register more (or
	// replacements) before loading programs.
	Helpers *vm.Helpers
}

// NewCollection creates the maps and global data of obj.
func NewCollection(obj *Object, cfg *Config) (*Collection, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	if len(obj.Maps) > MaxMaps {
		return nil, fmt.Errorf("%d maps: at most %d", len(obj.Maps), MaxMaps)
	}
	limit := cfg.MaxMemory
	if limit == 0 {
		limit = DefaultMaxMemory
	}
	var total uint64
	for _, ms := range obj.Maps {
		spec := ms.Spec
		spec.NumCPU = cfg.NumCPU
		if ms.Global {
			total += uint64(len(ms.Data))
		} else if cfg.Maps[ms.Name] == nil {
			total += spec.MemorySize()
		}
		if total > limit {
			return nil, fmt.Errorf("maps and global data need more than %d bytes (Config.MaxMemory)", limit)
		}
	}
	c := &Collection{Object: obj, Maps: make([]*maps.Map, len(obj.Maps)), Regions: make([]vm.Region, len(obj.Maps))}
	refs := make([]helpers.MapRef, len(obj.Maps))
	for i, ms := range obj.Maps {
		id := uint32(vm.RegionFirstUser + i)
		if ms.Global {
			perm := vm.PermRW
			if ms.ReadOnly {
				perm = vm.PermRead
			}
			c.Regions[i] = vm.Region{Data: append([]byte{}, ms.Data...), Perm: perm}
			continue
		}
		m := cfg.Maps[ms.Name]
		if m != nil {
			s := m.Spec()
			if s.Type != ms.Type || s.KeySize != ms.KeySize || s.ValueSize != ms.ValueSize || s.MaxEntries != ms.MaxEntries {
				return nil, fmt.Errorf("map %q: shared map has spec %+v, object wants %+v", ms.Name, s, ms.Spec)
			}
		} else {
			spec := ms.Spec
			spec.NumCPU = cfg.NumCPU
			var err error
			if m, err = maps.New(spec); err != nil {
				return nil, err
			}
		}
		c.Maps[i] = m
		refs[i] = helpers.MapRef{Map: m, Region: id}
		data := m.Arena()
		if data == nil {
			data = []byte{}
		}
		c.Regions[i] = vm.Region{Data: data, Perm: vm.PermRW}
	}
	c.Helpers = helpers.New(&helpers.Config{Maps: refs, Trace: cfg.Trace, CPU: cfg.CPU})
	return c, nil
}

// Map returns the map named name, or nil.
func (c *Collection) Map(name string) *maps.Map {
	if i := c.Object.MapIndex(name); i >= 0 {
		return c.Maps[i]
	}
	return nil
}

// Global returns the live bytes of the global data section named name (for
// example ".bss"), or nil. Programs may be writing them concurrently.
func (c *Collection) Global(name string) []byte {
	if i := c.Object.MapIndex(name); i >= 0 && c.Object.Maps[i].Global {
		return c.Regions[i].Data
	}
	return nil
}

// Options returns base (nil for defaults) completed for programs of the
// collection: byte order, helpers (c.Helpers unless base has some), the
// regions and the resolution of map, global and function references.
func (c *Collection) Options(base *vm.Options) *vm.Options {
	var o vm.Options
	if base != nil {
		o = *base
	}
	o.Order = c.Object.Order
	if o.Helpers == nil {
		o.Helpers = c.Helpers
	}
	o.Regions = append(append([]vm.Region(nil), c.Regions...), o.Regions...)
	o.ResolveLDDW = c.resolve
	o.Maps = c.verifierMaps
	return &o
}

func (c *Collection) resolve(pc int, ins isa.Instruction) (uint64, error) {
	switch ins.Src {
	case isa.LDDWCodeAddr:
		return uint64(int64(pc) + 1 + int64(int32(ins.Imm))), nil
	case isa.LDDWMapIdx, isa.LDDWMapValIdx:
		i := int(uint32(ins.Imm))
		if i >= len(c.Object.Maps) {
			return 0, fmt.Errorf("map index %d out of range", i)
		}
		ms := c.Object.Maps[i]
		if ins.Src == isa.LDDWMapIdx {
			if ms.Global {
				return 0, fmt.Errorf("map index %d is global data %s, not a map", i, ms.Name)
			}
			return helpers.MapHandle(i), nil
		}
		off := uint32(uint64(ins.Imm) >> 32)
		id := uint32(vm.RegionFirstUser + i)
		if ms.Global {
			if off >= uint32(len(c.Regions[i].Data)) {
				return 0, fmt.Errorf("offset %d outside %s", off, ms.Name)
			}
			return vm.Addr(id, off), nil
		}
		m := c.Maps[i]
		if m.Type() != maps.Array || off >= m.Spec().ValueSize {
			return 0, fmt.Errorf("map value reference to %s+%d: only inside the first value of an array", ms.Name, off)
		}
		base, _ := m.LookupOffset(make([]byte, 4), 0)
		return vm.Addr(id, base+off), nil
	}
	return 0, fmt.Errorf("lddw src %d is not supported", ins.Src)
}

func (c *Collection) verifierMaps(kind uint8, imm int32) (verifier.MapInfo, bool) {
	i := int(uint32(imm))
	if i >= len(c.Object.Maps) {
		return verifier.MapInfo{}, false
	}
	ms := c.Object.Maps[i]
	switch kind {
	case isa.LDDWMapIdx:
		if ms.Global {
			return verifier.MapInfo{}, false
		}
		return verifier.MapInfo{KeySize: int(ms.KeySize), ValueSize: int(ms.ValueSize)}, true
	case isa.LDDWMapValIdx:
		if !ms.Global && ms.Type != maps.Array {
			return verifier.MapInfo{}, false
		}
		return verifier.MapInfo{KeySize: int(ms.KeySize), ValueSize: int(ms.ValueSize), ReadOnly: ms.ReadOnly}, true
	}
	return verifier.MapInfo{}, false
}

// LoadProgram loads p, which must come from c.Object, with opts completed
// by Options.
func (c *Collection) LoadProgram(p *ProgramSpec, opts *vm.Options) (*vm.Program, error) {
	prog, err := vm.Load(p.Insns, c.Options(opts))
	if err != nil {
		return nil, fmt.Errorf("program %s: %w", p.Name, err)
	}
	return prog, nil
}

// Load loads the program whose function name is name.
func (c *Collection) Load(name string, opts *vm.Options) (*vm.Program, error) {
	p := c.Object.Program(name)
	if p == nil {
		return nil, fmt.Errorf("no program %q", name)
	}
	return c.LoadProgram(p, opts)
}

// LoadSection loads the program of section sec.
func (c *Collection) LoadSection(sec string, opts *vm.Options) (*vm.Program, error) {
	p, err := c.Object.ProgramBySection(sec)
	if err != nil {
		return nil, err
	}
	return c.LoadProgram(p, opts)
}

// PacketContextSize is the size of the context of packet programs.
const PacketContextSize = 16

// PacketContext returns the context iovm gives XDP-style programs: two
// 64-bit fields in the program's byte order, data (the address of the first
// byte of the packet, in the input region) and data_end (the address just
// past its last byte), so
//
//	struct xdp_md { __u64 data; __u64 data_end; };
//
// Run such a program with vm.Env{Mem: packet, Context: PacketContext(...)}
// and Options.ContextSize = PacketContextSize. (Linux's xdp_md has 32-bit
// fields that the kernel rewrites; iovm's addresses are 64-bit.)
func PacketContext(order interface{ PutUint64([]byte, uint64) }, packetLen int) []byte {
	b := make([]byte, PacketContextSize)
	order.PutUint64(b, vm.Addr(vm.RegionInput, 0))
	order.PutUint64(b[8:], vm.Addr(vm.RegionInput, uint32(packetLen)))
	return b
}
