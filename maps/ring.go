package maps

import (
	"context"
	"sync"
)

// Ring is the state of a ring buffer map (Linux BPF_MAP_TYPE_RINGBUF).
// Programs reserve samples in the map's arena (bpf_ringbuf_reserve), fill
// them in place and submit or discard them; Go reads submitted samples in
// order with Read (blocking) or Poll.
//
// Unlike Linux the arena holds only sample data: record headers live in Go,
// out of the program's reach, and a sample never wraps around the end of the
// arena (the space up to the end is skipped instead), so every sample is one
// contiguous piece of the region. Sizes are rounded up to 8 bytes.
type Ring struct {
	mu     sync.Mutex
	data   []byte
	size   uint64
	prod   uint64 // producer position (monotonic)
	cons   uint64 // consumer position (monotonic)
	recs   []ringRec
	notify chan struct{}
	closed bool
}

type ringRec struct {
	pos   uint64 // monotonic position of the sample
	len   uint32
	state uint8
}

const (
	recBusy = iota
	recCommitted
	recDiscarded
)

// Ring buffer query flags of bpf_ringbuf_query.
const (
	RingAvailData = 0
	RingSize      = 1
	RingConsPos   = 2
	RingProdPos   = 3
)

func newRing(n int) *Ring {
	return &Ring{data: make([]byte, n), size: uint64(n), notify: make(chan struct{}, 1)}
}

// Ring returns the ring buffer of a RingBuf map, or nil.
func (m *Map) Ring() *Ring { return m.rb }

// Reserve reserves n bytes and returns their offset in the arena; ok is
// false when there is no room.
func (r *Ring) Reserve(n uint64) (off uint32, ok bool) {
	if n == 0 || n > r.size {
		return 0, false
	}
	sz := (n + 7) &^ 7
	r.mu.Lock()
	defer r.mu.Unlock()
	start := r.prod
	if o := start % r.size; o+sz > r.size {
		start += r.size - o // skip to the start of the arena
	}
	if start+sz-r.cons > r.size {
		return 0, false
	}
	r.recs = append(r.recs, ringRec{pos: start, len: uint32(n)})
	r.prod = start + sz
	return uint32(start % r.size), true
}

// Commit submits (or, with discard, drops) the sample reserved at off. It
// reports whether off was a reserved, not yet committed sample.
func (r *Ring) Commit(off uint32, discard bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.recs {
		rec := &r.recs[i]
		if rec.state == recBusy && rec.pos%r.size == uint64(off) {
			rec.state = recCommitted
			if discard {
				rec.state = recDiscarded
			}
			select {
			case r.notify <- struct{}{}:
			default:
			}
			return true
		}
	}
	return false
}

// Output copies sample into the ring and submits it.
func (r *Ring) Output(sample []byte) bool {
	off, ok := r.Reserve(uint64(len(sample)))
	if !ok {
		return false
	}
	r.mu.Lock()
	copy(r.data[off:], sample)
	r.mu.Unlock()
	return r.Commit(off, false)
}

// Query returns the value bpf_ringbuf_query reports for flag.
func (r *Ring) Query(flag uint64) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch flag {
	case RingAvailData:
		return r.prod - r.cons
	case RingSize:
		return r.size
	case RingConsPos:
		return r.cons
	case RingProdPos:
		return r.prod
	}
	return 0
}

// Poll returns the next submitted sample (a copy) without waiting.
func (r *Ring) Poll() ([]byte, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.popLocked()
}

func (r *Ring) popLocked() ([]byte, bool) {
	for len(r.recs) > 0 && r.recs[0].state != recBusy {
		rec := r.recs[0]
		r.recs = r.recs[1:]
		r.cons = rec.pos + (uint64(rec.len)+7)&^7
		if rec.state == recCommitted {
			off := rec.pos % r.size
			return append([]byte(nil), r.data[off:off+uint64(rec.len)]...), true
		}
	}
	if len(r.recs) == 0 {
		r.recs = nil
	}
	return nil, false
}

// Read returns the next submitted sample, waiting for one until ctx is done
// or the ring is closed (then ErrClosed).
func (r *Ring) Read(ctx context.Context) ([]byte, error) {
	for {
		r.mu.Lock()
		s, ok := r.popLocked()
		closed := r.closed
		r.mu.Unlock()
		if ok {
			return s, nil
		}
		if closed {
			return nil, ErrClosed
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-r.notify:
		}
	}
}

// Close wakes readers; Read then returns ErrClosed once the ring is drained.
func (r *Ring) Close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}
