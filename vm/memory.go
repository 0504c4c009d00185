package vm

import "encoding/binary"

// Perm is the set of accesses a region allows.
type Perm uint8

// Permissions.
const (
	PermRead  Perm = 1 << iota
	PermWrite      //
	PermRW    = PermRead | PermWrite
)

// Region ids of the standard regions. An address is id<<32 | offset; id 0 is
// never mapped, so NULL and small integers fault.
const (
	RegionNone      = 0 // never mapped
	RegionStack     = 1 // all call frames of the run
	RegionInput     = 2 // the input (packet) memory
	RegionContext   = 3 // the context passed by the embedder
	RegionFirstUser = 4 // first id for embedder, global data and map regions
	// MaxRegions bounds the region table of one run.
	MaxRegions = 64
)

// Region is one piece of memory a program may touch. Its layout is fixed
// (the JIT reads it): Data's pointer at offset 0, its length at 8, Perm at 24;
// the size is 32 bytes.
type Region struct {
	Data []byte
	Perm Perm
	_    [7]byte
}

// Addr returns the eBPF address of offset off in region id.
func Addr(id uint32, off uint32) uint64 { return uint64(id)<<32 | uint64(off) }

// SplitAddr returns the region id and offset of an eBPF address.
func SplitAddr(addr uint64) (id uint32, off uint32) { return uint32(addr >> 32), uint32(addr) }

// Memory is the region table of one run, shared by the engine and the
// helpers it calls. Regions is indexed by region id.
type Memory struct {
	Regions [MaxRegions]Region
	// Order is the program's byte order.
	Order binary.ByteOrder
	// Value is Env.Value of the run.
	Value any
}

// Translate returns the size bytes at addr if the run may access them
// (write selects the permission checked). The error is a *Error of kind
// KindFault with PC -1; engines fill in the pc.
func (m *Memory) Translate(addr uint64, size int, write bool) ([]byte, error) {
	id, off := SplitAddr(addr)
	fault := func(k FaultKind) error {
		return &Error{Kind: KindFault, PC: -1, Fault: k, Addr: addr, Size: size, Write: write}
	}
	if id == RegionNone {
		return nil, fault(FaultNull)
	}
	if id >= MaxRegions || m.Regions[id].Data == nil {
		return nil, fault(FaultUnmapped)
	}
	r := &m.Regions[id]
	if size < 0 || uint64(off)+uint64(size) > uint64(len(r.Data)) {
		return nil, fault(FaultOutOfBounds)
	}
	need := PermRead
	if write {
		need = PermWrite
	}
	if r.Perm&need == 0 {
		return nil, fault(FaultPermission)
	}
	return r.Data[off : off+uint32(size) : off+uint32(size)], nil
}
