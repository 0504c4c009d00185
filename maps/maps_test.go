package maps

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"testing"
	"time"
)

func u32(v uint32) []byte { b := make([]byte, 4); binary.LittleEndian.PutUint32(b, v); return b }
func u64(v uint64) []byte { b := make([]byte, 8); binary.LittleEndian.PutUint64(b, v); return b }

func TestArray(t *testing.T) {
	m, err := New(Spec{Type: Array, KeySize: 4, ValueSize: 8, MaxEntries: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Update(u32(2), u64(42), UpdateAny); err != nil {
		t.Fatal(err)
	}
	v, err := m.Lookup(u32(2))
	if err != nil || !bytes.Equal(v, u64(42)) {
		t.Fatalf("lookup = %x, %v", v, err)
	}
	if _, err := m.Lookup(u32(4)); !errors.Is(err, ErrKeyNotExist) {
		t.Fatalf("out of range: %v", err)
	}
	if err := m.Update(u32(1), u64(1), UpdateNoExist); !errors.Is(err, ErrKeyExist) {
		t.Fatalf("noexist: %v", err)
	}
	if err := m.Delete(u32(1)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("delete: %v", err)
	}
	off, ok := m.LookupOffset(u32(2), 0)
	if !ok || binary.LittleEndian.Uint64(m.Arena()[off:]) != 42 {
		t.Fatalf("offset %d %v", off, ok)
	}
	n := 0
	m.Iterate(func(k, v []byte) bool { n++; return true })
	if n != 4 {
		t.Fatalf("iterated %d", n)
	}
}

func TestHash(t *testing.T) {
	m, err := New(Spec{Type: Hash, KeySize: 4, ValueSize: 4, MaxEntries: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Update(u32(7), u32(1), UpdateExist); !errors.Is(err, ErrKeyNotExist) {
		t.Fatal(err)
	}
	for i := uint32(0); i < 2; i++ {
		if err := m.Update(u32(i), u32(i*10), UpdateNoExist); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Update(u32(9), u32(1), UpdateAny); !errors.Is(err, ErrFull) {
		t.Fatalf("full: %v", err)
	}
	if err := m.Delete(u32(0)); err != nil {
		t.Fatal(err)
	}
	if err := m.Delete(u32(0)); !errors.Is(err, ErrKeyNotExist) {
		t.Fatal(err)
	}
	if err := m.Update(u32(9), u32(90), UpdateAny); err != nil {
		t.Fatal(err)
	}
	got := map[uint32]uint32{}
	m.Iterate(func(k, v []byte) bool {
		got[binary.LittleEndian.Uint32(k)] = binary.LittleEndian.Uint32(v)
		return true
	})
	if len(got) != 2 || got[1] != 10 || got[9] != 90 {
		t.Fatalf("contents %v", got)
	}
	if Errno(ErrFull) != -7 || Errno(ErrKeyNotExist) != -2 {
		t.Fatal("errno")
	}
}

func TestLRU(t *testing.T) {
	m, err := New(Spec{Type: LRUHash, KeySize: 4, ValueSize: 4, MaxEntries: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i := uint32(0); i < 3; i++ {
		m.Update(u32(i), u32(i), UpdateAny)
	}
	m.LookupOffset(u32(0), 0) // 0 is now the most recent; 1 the least
	if err := m.Update(u32(3), u32(3), UpdateAny); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Lookup(u32(1)); !errors.Is(err, ErrKeyNotExist) {
		t.Fatalf("1 should be evicted: %v", err)
	}
	for _, k := range []uint32{0, 2, 3} {
		if _, err := m.Lookup(u32(k)); err != nil {
			t.Fatalf("%d: %v", k, err)
		}
	}
}

func TestPerCPU(t *testing.T) {
	m, err := New(Spec{Type: PerCPUArray, KeySize: 4, ValueSize: 4, MaxEntries: 1, NumCPU: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.UpdateCPU(u32(0), u32(5), UpdateAny, 1); err != nil {
		t.Fatal(err)
	}
	v, _ := m.Lookup(u32(0))
	if !bytes.Equal(v, append(append(u32(0), u32(5)...), u32(0)...)) {
		t.Fatalf("%x", v)
	}
	m.Update(u32(0), u32(1), UpdateAny)
	v, _ = m.Lookup(u32(0))
	if !bytes.Equal(v, bytes.Repeat(u32(1), 3)) {
		t.Fatalf("%x", v)
	}
}

func TestQueueStack(t *testing.T) {
	q, _ := New(Spec{Type: Queue, ValueSize: 4, MaxEntries: 2})
	s, _ := New(Spec{Type: Stack, ValueSize: 4, MaxEntries: 2})
	for _, m := range []*Map{q, s} {
		m.Push(u32(1), 0)
		m.Push(u32(2), 0)
		if err := m.Push(u32(3), 0); !errors.Is(err, ErrFull) {
			t.Fatal(err)
		}
		if err := m.Push(u32(3), UpdateExist); err != nil {
			t.Fatal(err)
		}
	}
	if v, _ := q.Pop(); binary.LittleEndian.Uint32(v) != 2 {
		t.Fatalf("queue pop %x", v)
	}
	if v, _ := s.Peek(); binary.LittleEndian.Uint32(v) != 3 {
		t.Fatalf("stack peek %x", v)
	}
	if v, _ := s.Pop(); binary.LittleEndian.Uint32(v) != 3 {
		t.Fatalf("stack pop %x", v)
	}
	s.Pop()
	if _, err := s.Pop(); !errors.Is(err, ErrKeyNotExist) {
		t.Fatal(err)
	}
}

func TestRing(t *testing.T) {
	m, err := New(Spec{Type: RingBuf, MaxEntries: 64})
	if err != nil {
		t.Fatal(err)
	}
	r := m.Ring()
	a, ok := r.Reserve(20) // 24 bytes
	if !ok {
		t.Fatal("reserve")
	}
	b, ok := r.Reserve(24)
	if !ok {
		t.Fatal("reserve b")
	}
	if _, ok := r.Reserve(24); ok {
		t.Fatal("reserve past capacity")
	}
	copy(m.Arena()[b:], "second")
	r.Commit(b, false)
	if _, ok := r.Poll(); ok {
		t.Fatal("first still busy, second must wait")
	}
	r.Commit(a, true)
	s, ok := r.Poll()
	if !ok || string(s[:6]) != "second" {
		t.Fatalf("poll %q %v", s, ok)
	}
	// Wrap: 48 consumed; reserving 24 at 48 would cross 64: skips to 0.
	c, ok := r.Reserve(24)
	if !ok || c != 0 {
		t.Fatalf("wrap reserve %d %v", c, ok)
	}
	done := make(chan []byte)
	go func() {
		s, _ := r.Read(context.Background())
		done <- s
	}()
	time.Sleep(10 * time.Millisecond)
	copy(m.Arena()[c:], "third")
	r.Commit(c, false)
	if s := <-done; string(s[:5]) != "third" {
		t.Fatalf("read %q", s)
	}
	if !r.Output([]byte("x")) || r.Query(RingAvailData) != 8 {
		t.Fatalf("avail %d", r.Query(RingAvailData))
	}
	r.Close()
}

func TestBadSpecs(t *testing.T) {
	for _, s := range []Spec{
		{Type: Array, KeySize: 8, ValueSize: 4, MaxEntries: 1},
		{Type: Hash, KeySize: 0, ValueSize: 4, MaxEntries: 1},
		{Type: Hash, KeySize: 4, ValueSize: 4, MaxEntries: 0},
		{Type: Hash, KeySize: 4, ValueSize: 1 << 20, MaxEntries: 1 << 20},
		{Type: RingBuf, MaxEntries: 100},
		{Type: 99, KeySize: 4, ValueSize: 4, MaxEntries: 1},
	} {
		if _, err := New(s); err == nil {
			t.Errorf("%+v accepted", s)
		}
	}
}

// FuzzOps runs random operation sequences on each map type against a simple
// model, checking they never panic and that hashes agree with the model.
func FuzzOps(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	f.Add([]byte{1, 0, 0, 1, 1, 0, 2, 0, 3, 3, 0, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		for _, typ := range []Type{Array, Hash, LRUHash, PerCPUHash, Queue, Stack, RingBuf} {
			spec := Spec{Type: typ, KeySize: 1, ValueSize: 2, MaxEntries: 4, NumCPU: 2}
			switch typ {
			case Array:
				spec.KeySize = 4
			case Queue, Stack:
				spec.KeySize = 0
			case RingBuf:
				spec = Spec{Type: RingBuf, MaxEntries: 32}
			}
			m, err := New(spec)
			if err != nil {
				t.Fatal(err)
			}
			model := map[byte][]byte{}
			var resv []uint32
			for i := 0; i+1 < len(ops); i += 2 {
				op, arg := ops[i]%8, ops[i+1]
				key := []byte{arg % 6}
				if typ == Array {
					key = u32(uint32(arg % 6))
				}
				val := []byte{arg, ^arg}
				switch op {
				case 0, 1, 2:
					err := m.Update(key, val, uint64(op))
					if typ == Hash && err == nil {
						model[key[0]] = val
					}
					m.Push(val, uint64(op))
				case 3:
					if m.Delete(key) == nil {
						delete(model, key[0])
					}
				case 4:
					v, err := m.Lookup(key)
					if typ == Hash {
						want, ok := model[key[0]]
						if ok != (err == nil) || (ok && !bytes.Equal(v, want)) {
							t.Fatalf("lookup %x = %x %v, model %x %v", key, v, err, want, ok)
						}
					}
					m.LookupOffset(key, int(arg))
				case 5:
					m.Pop()
					m.Peek()
					m.Iterate(func(k, v []byte) bool { return arg&1 == 0 })
				case 6:
					if r := m.Ring(); r != nil {
						if off, ok := r.Reserve(uint64(arg % 40)); ok {
							resv = append(resv, off)
						}
					}
				case 7:
					if r := m.Ring(); r != nil {
						if len(resv) > 0 {
							r.Commit(resv[0], arg&1 == 1)
							resv = resv[1:]
						}
						r.Poll()
						r.Query(uint64(arg % 4))
					}
				}
			}
			if typ == Hash && m.Len() != len(model) {
				t.Fatalf("len %d, model %d", m.Len(), len(model))
			}
		}
	})
}

func TestLRULarge(t *testing.T) {
	m, err := New(Spec{Type: LRUHash, KeySize: 4, ValueSize: 4, MaxEntries: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for i := uint32(0); i < 5000; i++ {
		if err := m.Update(u32(i), u32(i), UpdateAny); err != nil {
			t.Fatal(err)
		}
		m.LookupOffset(u32(7), 0) // keep key 7 hot
	}
	if m.Len() != 1000 {
		t.Fatalf("len %d", m.Len())
	}
	if _, err := m.Lookup(u32(7)); err != nil {
		t.Fatalf("the hot key was evicted: %v", err)
	}
	if _, err := m.Lookup(u32(0)); err == nil {
		t.Fatalf("the oldest key survived")
	}
}
