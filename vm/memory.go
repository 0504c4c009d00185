package vm

import (
	"encoding/binary"
	"errors"
)

// Perm is the set of accesses a region allows.
type Perm uint8

// Permissions.
const (
	PermRead  Perm = 1 << iota // loads (and the read half of atomics)
	PermWrite                  // stores (and the write half of atomics)
	PermRW    = PermRead | PermWrite
)

// Region ids of the standard regions. An address is id<<32 | offset; id 0 is
// never mapped, so NULL and small integers fault.
const (
	RegionNone      = 0 // never mapped
	RegionStack     = 1 // all call frames of the run
	RegionInput     = 2 // the input (packet) memory
	RegionContext   = 3 // the context passed by the embedder
	RegionFirstUser = 4 // first id for program, embedder, global data and map regions
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
// helpers it calls. Regions is indexed by region id. A Memory comes from
// Program.AcquireMemory and goes back with Program.ReleaseMemory, or from
// Program.NewMemory for a Runner; it belongs to one run (one goroutine) at
// a time, although the bytes of its regions may be shared with other runs.
type Memory struct {
	Regions [MaxRegions]Region
	// Order is the program's byte order.
	Order binary.ByteOrder
	// Value is Env.Value of the run.
	Value any
	// Env is the Env of the run (never nil during a run); helpers read it,
	// e.g. tail_call to run the next program on the same input.
	Env *Env
	// Caller, set by the engine for the run, lets helpers call a local
	// function of the running program (see CallLocal); nil when the engine
	// cannot.
	Caller LocalCaller
	// EngineState is the engine's own state of a run (a native-code
	// engine's register block, say), kept with the Memory between runs so
	// that a run takes a single pooled object. The interpreter does not use
	// it; nothing else may touch it.
	EngineState any

	stackDirty bool    // the stack may hold bytes written since it was cleared
	reuse      bool    // ResetMemory made the table, nothing changed it since and the stack is clean
	key        envKey  // the env of the last ResetMemory (see sameEnv)
	next       int     // next free region id for Map
	stack      []byte  // the stack region, StackSize*MaxCallDepth bytes
	frames     []frame // saved caller state of local calls (interpreter)
	big        bool    // Order is big-endian
	interp     state   // the interpreter's state of the run (Caller points to it)
}

// ErrRegionTableFull is returned by Memory.Map when all MaxRegions ids are in use.
var ErrRegionTableFull = errors.New("vm: region table full")

// Map maps data as a new region with permissions perm for the rest of the
// run and returns the address of its first byte. Helpers use it to hand
// memory to the program (a map value, a buffer); the program may keep the
// address until the run ends. The bytes are not copied.
func (m *Memory) Map(data []byte, perm Perm) (uint64, error) {
	if m.next < RegionFirstUser {
		m.next = RegionFirstUser
	}
	if m.next >= MaxRegions {
		return 0, ErrRegionTableFull
	}
	if data == nil {
		data = []byte{}
	}
	id := m.next
	m.next++
	m.reuse = false
	m.Regions[id] = Region{Data: data, Perm: perm}
	return Addr(uint32(id), 0), nil
}

// fault returns the fault of an access of size bytes at addr, or nil if the
// access is allowed.
func (m *Memory) fault(addr uint64, size int, write bool) *Error {
	id, off := SplitAddr(addr)
	k := FaultNone
	switch {
	case id == RegionNone:
		k = FaultNull
	case id >= MaxRegions || m.Regions[id].Data == nil:
		k = FaultUnmapped
	case size < 0 || uint64(off)+uint64(size) > uint64(len(m.Regions[id].Data)):
		k = FaultOutOfBounds
	case write && m.Regions[id].Perm&PermWrite == 0, !write && m.Regions[id].Perm&PermRead == 0:
		k = FaultPermission
	default:
		return nil
	}
	return &Error{Kind: KindFault, PC: -1, Fault: k, Addr: addr, Size: size, Write: write}
}

// Translate returns the size bytes at addr if the run may access them
// (write selects the permission checked). The error is a *Error of kind
// KindFault with PC -1; engines fill in the pc.
func (m *Memory) Translate(addr uint64, size int, write bool) ([]byte, error) {
	if e := m.fault(addr, size, write); e != nil {
		return nil, e
	}
	id, off := SplitAddr(addr)
	if write && id == RegionStack {
		m.stackDirty, m.reuse = true, false
	}
	return m.Regions[id].Data[off : off+uint32(size) : off+uint32(size)], nil
}

// Read returns the size readable bytes at addr (a view, not a copy).
func (m *Memory) Read(addr uint64, size int) ([]byte, error) { return m.Translate(addr, size, false) }

// Write returns the size writable bytes at addr (a view, not a copy).
func (m *Memory) Write(addr uint64, size int) ([]byte, error) { return m.Translate(addr, size, true) }

// CString returns the bytes of the NUL-terminated string at addr, without
// the NUL. It reads at most max bytes (NUL included) and fails if it finds
// no NUL before max bytes or the end of the region.
func (m *Memory) CString(addr uint64, max int) ([]byte, error) {
	if e := m.fault(addr, 1, false); e != nil {
		return nil, e
	}
	id, off := SplitAddr(addr)
	data := m.Regions[id].Data[off:]
	n := len(data)
	if max >= 0 && max < n {
		n = max
	}
	for i := 0; i < n; i++ {
		if data[i] == 0 {
			return data[:i:i], nil
		}
	}
	if n < len(data) {
		return nil, &Error{Kind: KindFault, PC: -1, Fault: FaultOutOfBounds, Addr: addr, Size: n, Reason: "string longer than its bound"}
	}
	return nil, &Error{Kind: KindFault, PC: -1, Fault: FaultOutOfBounds, Addr: addr + uint64(n), Size: 1, Reason: "string not terminated in its region"}
}

// Load reads a size-byte unsigned integer (1, 2, 4 or 8) at addr in the
// program's byte order.
func (m *Memory) Load(addr uint64, size int) (uint64, error) {
	b, err := m.Translate(addr, size, false)
	if err != nil {
		return 0, err
	}
	return getN(b, size, m.big), nil
}

// Store writes the low size bytes (1, 2, 4 or 8) of v at addr in the
// program's byte order.
func (m *Memory) Store(addr uint64, size int, v uint64) error {
	b, err := m.Translate(addr, size, true)
	if err != nil {
		return err
	}
	putN(b, size, v, m.big)
	return nil
}

// Stack returns the stack region of the run: all frames, frame k occupying
// the StackSize bytes below its frame pointer r10 = Addr(RegionStack,
// (MaxCallDepth-k)*StackSize). The caller may write it: the stack is then
// cleared before the next run on this Memory.
func (m *Memory) Stack() []byte {
	m.stackDirty, m.reuse = true, false
	return m.stack
}

func getN(b []byte, size int, big bool) uint64 {
	switch size {
	case 1:
		return uint64(b[0])
	case 2:
		if big {
			return uint64(binary.BigEndian.Uint16(b))
		}
		return uint64(binary.LittleEndian.Uint16(b))
	case 4:
		if big {
			return uint64(binary.BigEndian.Uint32(b))
		}
		return uint64(binary.LittleEndian.Uint32(b))
	}
	if big {
		return binary.BigEndian.Uint64(b)
	}
	return binary.LittleEndian.Uint64(b)
}

func putN(b []byte, size int, v uint64, big bool) {
	switch size {
	case 1:
		b[0] = byte(v)
	case 2:
		if big {
			binary.BigEndian.PutUint16(b, uint16(v))
		} else {
			binary.LittleEndian.PutUint16(b, uint16(v))
		}
	case 4:
		if big {
			binary.BigEndian.PutUint32(b, uint32(v))
		} else {
			binary.LittleEndian.PutUint32(b, uint32(v))
		}
	default:
		if big {
			binary.BigEndian.PutUint64(b, v)
		} else {
			binary.LittleEndian.PutUint64(b, v)
		}
	}
}
