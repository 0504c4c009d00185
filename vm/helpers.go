package vm

import (
	"errors"

	"github.com/iovm/iovm/verifier"
)

// ErrHalt, returned by a helper, ends the whole program at once with r0 set
// to the helper's return value. It is not reported as an error.
var ErrHalt = errors.New("halt")

// HelperFunc is the Go implementation of a helper. It receives r1..r5 and a
// Memory to turn eBPF addresses into byte slices; it returns r0 or an error.
type HelperFunc func(m *Memory, r1, r2, r3, r4, r5 uint64) (uint64, error)

// Helper is a helper function registered by id.
type Helper struct {
	ID    int32
	Name  string
	Fn    HelperFunc
	Proto verifier.HelperProto // argument kinds for the verifier; zero means unchecked
}

// Helpers is a set of helpers by id. The zero value is empty and usable.
// A Helpers must not change once a program loaded with it runs.
type Helpers struct {
	byID []*Helper // indexed by id; ids are small
	ext  map[int32]*Helper
}

// Register adds or replaces helper h.
func (hs *Helpers) Register(h Helper) {
	if h.ID >= 0 && h.ID < 1<<16 {
		for int(h.ID) >= len(hs.byID) {
			hs.byID = append(hs.byID, nil)
		}
		hs.byID[h.ID] = &h
		return
	}
	if hs.ext == nil {
		hs.ext = map[int32]*Helper{}
	}
	hs.ext[h.ID] = &h
}

// Lookup returns the helper with the given id, or nil.
func (hs *Helpers) Lookup(id int32) *Helper {
	if hs == nil {
		return nil
	}
	if id >= 0 && int(id) < len(hs.byID) {
		return hs.byID[id]
	}
	return hs.ext[id]
}

// Proto returns the verifier's prototype of helper id (named after the
// helper when its Proto has no name); false if there is none. It suits
// verifier.Config.Helpers.
func (hs *Helpers) Proto(id int32) (verifier.HelperProto, bool) {
	h := hs.Lookup(id)
	if h == nil {
		return verifier.HelperProto{}, false
	}
	pr := h.Proto
	if pr.Name == "" {
		pr.Name = h.Name
	}
	return pr, true
}

// All returns the registered helpers in id order.
func (hs *Helpers) All() []*Helper {
	var out []*Helper
	for _, h := range hs.byID {
		if h != nil {
			out = append(out, h)
		}
	}
	for _, h := range hs.ext {
		out = append(out, h)
	}
	return out
}
