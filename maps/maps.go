// Package maps implements eBPF maps in userspace: array, hash, LRU hash,
// their per-CPU variants, ring buffer, queue, stack and program array. Maps
// are safe for concurrent use from Go and from programs running at once.
//
// Memory model. A map whose values programs can address (array, hash, LRU
// hash and their per-CPU forms) keeps all its elements in one preallocated
// byte arena, which the loader maps into every run as a region (see
// Map.Arena). A lookup from a program returns the eBPF address of the value
// inside that region, so programs read, write and use atomics on map values
// in place, through the engines' checked memory accesses, exactly as in
// Linux. Element i lives at i*SlotSize(); its key is stored at the start of
// the slot (so for_each_map_elem can pass a key pointer) and its values
// follow, each rounded up to 8 bytes. As in Linux, a pointer obtained by a
// lookup stays valid memory after the element is deleted (the slot may be
// reused by a later insertion). A program holding a value pointer can reach
// the whole arena of that map (never another map's memory): the sandbox
// guarantee is per region; the verifier, in Strict mode, keeps accesses
// within the value. The ring buffer's arena holds the sample data that
// bpf_ringbuf_reserve hands out.
//
// Per-CPU maps. A userspace VM has no CPUs of its own, so a per-CPU map
// holds NumCPU independent copies of each value (by default
// runtime.GOMAXPROCS(0) when the map is created). A program run uses the
// copy of the "CPU" its helpers are configured with (package helpers: by
// default CPU 0; an embedder running one worker goroutine per CPU slot gives
// each its own). From Go, Lookup returns all copies concatenated and Update
// takes either one value (written to every copy) or all copies, like the
// Linux syscall.
//
// Concurrency. Map operations from Go and from helpers are serialized by
// the map; programs access values in place without locks, as in Linux, so
// concurrent programs should update shared values with atomic instructions,
// and a Go Lookup concurrent with a program's plain stores may see a value
// half written.
//
// Byte order. Keys of arrays and program arrays are 32-bit indices in the
// map's byte order (Spec.Order, default little-endian), the program's.
//
// Errors follow Linux: ErrKeyNotExist (ENOENT), ErrKeyExist (EEXIST), ErrFull
// (E2BIG), ErrInvalid (EINVAL); Errno maps them to the negative errno a
// helper returns.
package maps

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// Type is a map type, with the numbers of Linux's enum bpf_map_type.
type Type uint32

// Map types.
const (
	Hash          Type = 1
	Array         Type = 2
	ProgArray     Type = 3
	PerCPUHash    Type = 5
	PerCPUArray   Type = 6
	LRUHash       Type = 9
	LRUPerCPUHash Type = 10
	Queue         Type = 22
	Stack         Type = 23
	RingBuf       Type = 27
)

var typeNames = map[Type]string{Hash: "hash", Array: "array", ProgArray: "prog_array", PerCPUHash: "percpu_hash",
	PerCPUArray: "percpu_array", LRUHash: "lru_hash", LRUPerCPUHash: "lru_percpu_hash", Queue: "queue",
	Stack: "stack", RingBuf: "ringbuf"}

// String returns the type's name in lower case, as Linux spells it without
// the BPF_MAP_TYPE_ prefix (hash, array, lru_percpu_hash...).
func (t Type) String() string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("type(%d)", uint32(t))
}

// PerCPU reports whether maps of type t keep one value per CPU.
func (t Type) PerCPU() bool { return t == PerCPUHash || t == PerCPUArray || t == LRUPerCPUHash }

// Update flags (Linux BPF_ANY, BPF_NOEXIST, BPF_EXIST).
const (
	UpdateAny     = 0 // create or replace
	UpdateNoExist = 1 // create only
	UpdateExist   = 2 // replace only
)

// Errors of map operations.
var (
	ErrKeyNotExist = errors.New("key does not exist")
	ErrKeyExist    = errors.New("key already exists")
	ErrFull        = errors.New("map is full")
	ErrInvalid     = errors.New("invalid argument")
	ErrNotSupp     = errors.New("operation not supported by this map type")
	ErrClosed      = errors.New("map closed")
)

// Errno returns the negative Linux errno for an error of this package, as a
// helper returns it in r0 (0 for nil).
func Errno(err error) int64 {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrKeyNotExist):
		return -2 // ENOENT
	case errors.Is(err, ErrKeyExist):
		return -17 // EEXIST
	case errors.Is(err, ErrFull):
		return -7 // E2BIG
	case errors.Is(err, ErrNotSupp):
		return -95 // EOPNOTSUPP
	}
	return -22 // EINVAL
}

// Spec describes a map.
type Spec struct {
	Name       string
	Type       Type
	KeySize    uint32
	ValueSize  uint32
	MaxEntries uint32 // for RingBuf: the data size in bytes, a power of two
	Flags      uint32
	// NumCPU is the number of copies of per-CPU maps; 0 means
	// runtime.GOMAXPROCS(0) at creation.
	NumCPU int
	// Order is the byte order of array indices; nil means little-endian.
	Order binary.ByteOrder
}

// Limits on map sizes, to keep a hostile object from exhausting memory.
const (
	MaxKeySize   = 512
	MaxValueSize = 1 << 20
	MaxArenaSize = 1 << 30 // bytes of one map's arena
)

func round8(n uint32) uint32 { return (n + 7) &^ 7 }

// MemorySize returns the bytes a map of this spec preallocates (its arena),
// or for queues and stacks the most their values can hold; NumCPU 0 counts
// as runtime.GOMAXPROCS(0). It saturates instead of overflowing.
func (s Spec) MemorySize() uint64 {
	ncpu := uint64(1)
	if s.Type.PerCPU() {
		ncpu = uint64(s.NumCPU)
		if s.NumCPU <= 0 {
			ncpu = uint64(runtime.GOMAXPROCS(0))
		}
	}
	var per uint64
	switch s.Type {
	case RingBuf:
		return uint64(s.MaxEntries)
	case Queue, Stack:
		per = uint64(s.ValueSize)
	case ProgArray:
		per = 16
	default:
		per = uint64(round8(s.KeySize)) + uint64(round8(s.ValueSize))*ncpu
	}
	if per != 0 && uint64(s.MaxEntries) > (1<<62)/per {
		return 1 << 62
	}
	return per * uint64(s.MaxEntries)
}

// Map is an eBPF map. Its methods are safe for concurrent use.
type Map struct {
	spec  Spec
	ncpu  int
	kstr  uint32 // key stride in a slot
	vstr  uint32 // value stride
	slot  uint32 // slot size
	arena []byte

	mu      sync.RWMutex
	index   map[string]uint32 // hash: key -> slot
	free    []uint32          // hash: free slots
	lruTick atomic.Uint64
	stamps  []atomic.Uint64 // LRU: last use per slot

	q     *queue
	rb    *Ring
	progs []atomic.Pointer[progEntry]
}

// New creates a map from spec.
func New(spec Spec) (*Map, error) {
	if spec.Order == nil {
		spec.Order = binary.LittleEndian
	}
	m := &Map{spec: spec, ncpu: 1}
	if spec.Type.PerCPU() {
		m.ncpu = spec.NumCPU
		if m.ncpu <= 0 {
			m.ncpu = runtime.GOMAXPROCS(0)
		}
		if m.ncpu > 1024 {
			return nil, fmt.Errorf("map %q: %d CPUs: %w", spec.Name, m.ncpu, ErrInvalid)
		}
		m.spec.NumCPU = m.ncpu
	}
	bad := func(what string) error {
		return fmt.Errorf("map %q (%s): %s: %w", spec.Name, spec.Type, what, ErrInvalid)
	}
	if spec.KeySize > MaxKeySize || spec.ValueSize > MaxValueSize {
		return nil, bad("key or value too large")
	}
	if spec.MaxEntries == 0 {
		return nil, bad("max_entries is 0")
	}
	switch spec.Type {
	case Array, PerCPUArray, ProgArray:
		if spec.KeySize != 4 {
			return nil, bad("key size must be 4")
		}
		if spec.ValueSize == 0 || (spec.Type == ProgArray && spec.ValueSize != 4) {
			return nil, bad("bad value size")
		}
	case Hash, PerCPUHash, LRUHash, LRUPerCPUHash:
		if spec.KeySize == 0 || spec.ValueSize == 0 {
			return nil, bad("key and value size must be non-zero")
		}
	case Queue, Stack:
		if spec.KeySize != 0 || spec.ValueSize == 0 {
			return nil, bad("key size must be 0, value size non-zero")
		}
		if uint64(spec.MaxEntries)*uint64(spec.ValueSize) > MaxArenaSize {
			return nil, bad("too large")
		}
		m.q = &queue{stack: spec.Type == Stack, max: int(spec.MaxEntries), vsize: int(spec.ValueSize)}
		return m, nil
	case RingBuf:
		if spec.KeySize != 0 || spec.ValueSize != 0 {
			return nil, bad("key and value size must be 0")
		}
		n := spec.MaxEntries
		if n < 16 || n&(n-1) != 0 || n > MaxArenaSize {
			return nil, bad("size must be a power of two from 16")
		}
		m.rb = newRing(int(n))
		m.arena = m.rb.data
		return m, nil
	default:
		return nil, bad("unsupported map type")
	}
	if spec.Type == ProgArray {
		m.progs = make([]atomic.Pointer[progEntry], spec.MaxEntries)
		return m, nil
	}
	m.kstr = round8(spec.KeySize)
	m.vstr = round8(spec.ValueSize)
	slot := uint64(m.kstr) + uint64(m.vstr)*uint64(m.ncpu)
	total := slot * uint64(spec.MaxEntries)
	if total > MaxArenaSize {
		return nil, bad("too large")
	}
	m.slot = uint32(slot)
	m.arena = make([]byte, total)
	switch spec.Type {
	case Array, PerCPUArray:
		for i := uint32(0); i < spec.MaxEntries; i++ {
			spec.Order.PutUint32(m.arena[i*m.slot:], i)
		}
	default:
		m.index = make(map[string]uint32)
		m.free = make([]uint32, spec.MaxEntries)
		for i := range m.free {
			m.free[i] = spec.MaxEntries - 1 - uint32(i)
		}
		if spec.Type == LRUHash || spec.Type == LRUPerCPUHash {
			m.stamps = make([]atomic.Uint64, spec.MaxEntries)
		}
	}
	return m, nil
}

// Spec returns the map's spec, defaults filled in.
func (m *Map) Spec() Spec { return m.spec }

// Type returns the map's type.
func (m *Map) Type() Type { return m.spec.Type }

// NumCPU returns the number of value copies: 1 unless the map is per-CPU.
func (m *Map) NumCPU() int { return m.ncpu }

// Arena returns the memory programs address: element slots for arrays and
// hashes, sample data for a ring buffer; nil for other types. The loader maps
// it as a read-write region; its length never changes.
func (m *Map) Arena() []byte { return m.arena }

// SlotSize returns the size of one element slot in the arena.
func (m *Map) SlotSize() uint32 { return m.slot }

func (m *Map) isArray() bool {
	return m.spec.Type == Array || m.spec.Type == PerCPUArray
}

func (m *Map) isHash() bool { return m.index != nil }

func (m *Map) isLRU() bool { return m.stamps != nil }

func (m *Map) valOff(slot uint32, cpu int) uint32 {
	return slot*m.slot + m.kstr + uint32(cpu)*m.vstr
}

func (m *Map) arrayIndex(key []byte) (uint32, bool) {
	if len(key) != 4 {
		return 0, false
	}
	i := m.spec.Order.Uint32(key)
	return i, i < m.spec.MaxEntries
}

func (m *Map) checkCPU(cpu int) int {
	if cpu < 0 || cpu >= m.ncpu {
		return 0
	}
	return cpu
}

// LookupOffset finds key for a program running on cpu and returns the
// offset in the arena of its value (of that CPU for per-CPU maps). It is
// what bpf_map_lookup_elem uses.
func (m *Map) LookupOffset(key []byte, cpu int) (uint32, bool) {
	cpu = m.checkCPU(cpu)
	switch {
	case m.isArray():
		i, ok := m.arrayIndex(key)
		if !ok {
			return 0, false
		}
		return m.valOff(i, cpu), true
	case m.isHash():
		if len(key) != int(m.spec.KeySize) {
			return 0, false
		}
		m.mu.RLock()
		s, ok := m.index[string(key)]
		m.mu.RUnlock()
		if !ok {
			return 0, false
		}
		if m.isLRU() {
			m.stamps[s].Store(m.lruTick.Add(1))
		}
		return m.valOff(s, cpu), true
	}
	return 0, false
}

// Lookup returns a copy of key's value; for per-CPU maps, the values of all
// CPUs concatenated.
func (m *Map) Lookup(key []byte) ([]byte, error) {
	if !m.isArray() && !m.isHash() {
		return nil, ErrNotSupp
	}
	if m.isHash() && len(key) != int(m.spec.KeySize) {
		return nil, ErrInvalid
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	var s uint32
	if m.isArray() {
		i, ok := m.arrayIndex(key)
		if !ok {
			return nil, ErrKeyNotExist
		}
		s = i
	} else {
		i, ok := m.index[string(key)]
		if !ok {
			return nil, ErrKeyNotExist
		}
		s = i
	}
	vs := int(m.spec.ValueSize)
	out := make([]byte, vs*m.ncpu)
	for c := 0; c < m.ncpu; c++ {
		off := m.valOff(s, c)
		copy(out[c*vs:], m.arena[off:off+uint32(vs)])
	}
	return out, nil
}

// Update sets key's value. value holds one value (written to every CPU's
// copy of a per-CPU map) or NumCPU values. flags is UpdateAny, UpdateNoExist
// or UpdateExist.
func (m *Map) Update(key, value []byte, flags uint64) error {
	return m.update(key, value, flags, -1)
}

// UpdateCPU is Update from a program running on cpu: value is one value,
// written to that CPU's copy; the other copies of a new element are zeroed.
func (m *Map) UpdateCPU(key, value []byte, flags uint64, cpu int) error {
	return m.update(key, value, flags, m.checkCPU(cpu))
}

func (m *Map) update(key, value []byte, flags uint64, cpu int) error {
	if !m.isArray() && !m.isHash() {
		return ErrNotSupp
	}
	if flags > UpdateExist {
		return ErrInvalid
	}
	vs := int(m.spec.ValueSize)
	if len(value) != vs && (cpu >= 0 || len(value) != vs*m.ncpu) {
		return ErrInvalid
	}
	write := func(s uint32, fresh bool) {
		for c := 0; c < m.ncpu; c++ {
			off := m.valOff(s, c)
			dst := m.arena[off : off+m.vstr]
			switch {
			case cpu >= 0 && c != cpu:
				if fresh {
					clear(dst)
				}
			case len(value) == vs:
				copy(dst, value)
				clear(dst[vs:])
			default:
				copy(dst, value[c*vs:(c+1)*vs])
				clear(dst[vs:])
			}
		}
	}
	if m.isArray() {
		i, ok := m.arrayIndex(key)
		if !ok {
			return ErrKeyNotExist
		}
		if flags == UpdateNoExist {
			return ErrKeyExist
		}
		m.mu.Lock()
		write(i, false)
		m.mu.Unlock()
		return nil
	}
	if len(key) != int(m.spec.KeySize) {
		return ErrInvalid
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.index[string(key)]
	switch {
	case ok && flags == UpdateNoExist:
		return ErrKeyExist
	case !ok && flags == UpdateExist:
		return ErrKeyNotExist
	}
	if !ok {
		if len(m.free) == 0 {
			if !m.isLRU() {
				return ErrFull
			}
			m.evictLocked()
		}
		s = m.free[len(m.free)-1]
		m.free = m.free[:len(m.free)-1]
		m.index[string(key)] = s
		k := m.arena[s*m.slot : s*m.slot+m.kstr]
		copy(k, key)
		clear(k[len(key):])
	}
	if m.isLRU() {
		m.stamps[s].Store(m.lruTick.Add(1))
	}
	write(s, !ok)
	return nil
}

// lruSample is the number of elements an LRU eviction compares.
const lruSample = 64

// evictLocked removes the least recently used element (LRU maps, mu held).
// Like Linux's, the LRU is approximate: it evicts the oldest of up to
// lruSample elements taken from a random starting point of the index, so it
// is exact for maps of up to lruSample elements and O(1) for large ones.
func (m *Map) evictLocked() {
	var victim string
	var best uint64
	n := 0
	for k, s := range m.index {
		if t := m.stamps[s].Load(); n == 0 || t < best {
			victim, best = k, t
		}
		if n++; n >= lruSample {
			break
		}
	}
	if n > 0 {
		m.deleteLocked(victim)
	}
}

func (m *Map) deleteLocked(k string) bool {
	s, ok := m.index[k]
	if !ok {
		return false
	}
	delete(m.index, k)
	m.free = append(m.free, s)
	return true
}

// Delete removes key. Array elements cannot be deleted (ErrInvalid, as Linux).
func (m *Map) Delete(key []byte) error {
	if m.spec.Type == ProgArray {
		i, ok := m.arrayIndex(key)
		if !ok {
			return ErrKeyNotExist
		}
		if m.progs[i].Swap(nil) == nil {
			return ErrKeyNotExist
		}
		return nil
	}
	if !m.isHash() {
		return ErrInvalid
	}
	if len(key) != int(m.spec.KeySize) {
		return ErrInvalid
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.deleteLocked(string(key)) {
		return ErrKeyNotExist
	}
	return nil
}

// Len returns the number of elements: MaxEntries for arrays, the element
// count for hashes, the queued values for queues and stacks.
func (m *Map) Len() int {
	switch {
	case m.isArray():
		return int(m.spec.MaxEntries)
	case m.isHash():
		m.mu.RLock()
		defer m.mu.RUnlock()
		return len(m.index)
	case m.q != nil:
		return m.q.len()
	}
	return 0
}

// Keys returns the keys of the map, in slot order (index order for arrays).
func (m *Map) Keys() [][]byte {
	var out [][]byte
	m.slots(func(k []byte, _ uint32) bool {
		out = append(out, append([]byte(nil), k...))
		return true
	})
	return out
}

// slots calls fn with each element's key (a copy) and slot until fn returns
// false. fn runs without the lock held, so it may call back into the map.
func (m *Map) slots(fn func(key []byte, slot uint32) bool) {
	switch {
	case m.isArray():
		for i := uint32(0); i < m.spec.MaxEntries; i++ {
			var k [4]byte
			m.spec.Order.PutUint32(k[:], i)
			if !fn(k[:], i) {
				return
			}
		}
	case m.isHash():
		m.mu.RLock()
		type kv struct {
			k string
			s uint32
		}
		all := make([]kv, 0, len(m.index))
		for k, s := range m.index {
			all = append(all, kv{k, s})
		}
		m.mu.RUnlock()
		slices.SortFunc(all, func(a, b kv) int { return cmp.Compare(a.s, b.s) })
		for _, e := range all {
			if !fn([]byte(e.k), e.s) {
				return
			}
		}
	}
}

// Iterate calls fn with each key and a copy of its value (all CPUs' values
// for per-CPU maps) until fn returns false. Elements added or deleted during
// the iteration may or may not be seen.
func (m *Map) Iterate(fn func(key, value []byte) bool) {
	m.slots(func(k []byte, _ uint32) bool {
		v, err := m.Lookup(k)
		if err != nil {
			return true // deleted meanwhile
		}
		return fn(k, v)
	})
}

// ForEachOffset calls fn with the arena offsets of each element's key and
// value (cpu's copy) until fn returns false; it is what for_each_map_elem
// uses. It returns the number of elements visited.
func (m *Map) ForEachOffset(cpu int, fn func(keyOff, valOff uint32) bool) int {
	cpu = m.checkCPU(cpu)
	n := 0
	m.slots(func(k []byte, s uint32) bool {
		if m.isHash() {
			m.mu.RLock()
			cur, ok := m.index[string(k)]
			m.mu.RUnlock()
			if !ok || cur != s {
				return true
			}
		}
		n++
		return fn(s*m.slot, m.valOff(s, cpu))
	})
	return n
}
