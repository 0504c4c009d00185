package maps

import "sync"

type queue struct {
	mu    sync.Mutex
	stack bool
	max   int
	vsize int
	items [][]byte // oldest first
}

func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// Push adds value to a queue or stack. When the map is full, flags
// UpdateExist (Linux BPF_EXIST) drops the oldest value to make room;
// otherwise Push fails with ErrFull.
func (m *Map) Push(value []byte, flags uint64) error {
	q := m.q
	if q == nil {
		return ErrNotSupp
	}
	if len(value) != q.vsize || (flags != UpdateAny && flags != UpdateExist) {
		return ErrInvalid
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) >= q.max {
		if flags != UpdateExist {
			return ErrFull
		}
		q.items = q.items[1:]
	}
	q.items = append(q.items, append([]byte(nil), value...))
	return nil
}

// Pop removes and returns the next value: the oldest of a queue, the newest
// of a stack. It fails with ErrKeyNotExist when the map is empty.
func (m *Map) Pop() ([]byte, error) { return m.take(true) }

// Peek returns the value Pop would return without removing it.
func (m *Map) Peek() ([]byte, error) { return m.take(false) }

func (m *Map) take(remove bool) ([]byte, error) {
	q := m.q
	if q == nil {
		return nil, ErrNotSupp
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 {
		return nil, ErrKeyNotExist
	}
	i := 0
	if q.stack {
		i = len(q.items) - 1
	}
	v := q.items[i]
	if remove {
		if q.stack {
			q.items = q.items[:i]
		} else {
			q.items[0] = nil
			q.items = q.items[1:]
		}
	}
	return v, nil
}

// progEntry is one slot of a program array.
type progEntry struct{ prog any }

// SetProgram stores prog (typically a vm.Executable) at index i of a program
// array; nil clears the slot.
func (m *Map) SetProgram(i uint32, prog any) error {
	if m.progs == nil {
		return ErrNotSupp
	}
	if i >= uint32(len(m.progs)) {
		return ErrKeyNotExist
	}
	if prog == nil {
		m.progs[i].Store(nil)
	} else {
		m.progs[i].Store(&progEntry{prog})
	}
	return nil
}

// Program returns the program at index i of a program array, or nil.
func (m *Map) Program(i uint32) any {
	if m.progs == nil || i >= uint32(len(m.progs)) {
		return nil
	}
	if e := m.progs[i].Load(); e != nil {
		return e.prog
	}
	return nil
}
