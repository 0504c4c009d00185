package verifier

import (
	"fmt"
	"math"
	"strings"
)

// regType is the type of a register or spilled stack slot.
type regType uint8

const (
	tNone     regType = iota // uninitialized
	tScalar                  // a number
	tStack                   // pointer into a stack frame (s = offset from that frame's r10)
	tCtx                     // pointer into the context
	tInput                   // pointer into the input memory
	tInputEnd                // the input end (input start + length), s = offset from it
	tMapValue                // pointer into a map value or variable (maybe NULL when null is set)
	tMap                     // a map handle from lddw
)

var typeNames = [...]string{"?", "scalar", "fp", "ctx", "input", "input_end", "map_value", "map"}

// lenID is the scalar id of values equal to the input length (r2 at entry).
const lenID = 1

// value is the abstract content of a register or a spilled slot.
//
// Linked values: an id > lenID names an unknown integer base B, the same
// for every register and spill of a state carrying that id; a scalar with
// (id, delta) is exactly B + delta as an unsigned 64-bit value (no
// wraparound), an input pointer with (id, delta) is input + B + delta. A
// scalar with id 0 has delta 0; a scalar with lenID and delta d is the
// input length + d, exactly.
// pktRange relates bases to the length.
type value struct {
	typ   regType
	null  bool   // tMapValue: may be NULL
	frame uint8  // tStack: frame index
	obj   int32  // tMap, tMapValue: object index
	id    uint32 // tScalar, tInput: linked values (see below); tMapValue+null: null-check id
	delta int64  // tScalar, tInput with id: the constant added to the base (base_id + delta)
	s     scalar // tScalar: the value; pointers: the offset
}

func scalarValue(s scalar) value { return value{typ: tScalar, s: s} }
func unknownValue() value        { return scalarValue(unknownScalar()) }

func (v value) isPtr() bool { return v.typ >= tStack }

func (v value) String() string {
	switch v.typ {
	case tNone:
		return "?"
	case tScalar:
		s := v.s.String()
		if v.id == lenID && v.delta != 0 {
			s += fmt.Sprintf("=len%+d", v.delta)
		} else if v.id == lenID {
			s += "=len"
		} else if v.id != 0 && v.delta != 0 {
			s += fmt.Sprintf("#%d%+d", v.id, v.delta)
		} else if v.id != 0 {
			s += fmt.Sprintf("#%d", v.id)
		}
		return s
	}
	var b strings.Builder
	b.WriteString(typeNames[v.typ])
	if v.typ == tInput && v.id != 0 {
		fmt.Fprintf(&b, "#%d%+d", v.id, v.delta)
	}
	if v.typ == tStack && v.frame > 0 {
		fmt.Fprintf(&b, "@%d", v.frame)
	}
	if v.typ == tMap || v.typ == tMapValue {
		fmt.Fprintf(&b, "(obj%d)", v.obj)
	}
	if v.null {
		b.WriteString("_or_null")
		if v.id != 0 {
			fmt.Fprintf(&b, "#%d", v.id)
		}
	}
	if !(v.s.isConst() && v.s.val() == 0) {
		if v.s.isConst() {
			fmt.Fprintf(&b, "%+d", int64(v.s.val()))
		} else {
			fmt.Fprintf(&b, "+(%s)", v.s)
		}
	}
	return b.String()
}

// slot is 8 bytes of a stack frame, [-8(i+1), -8i) from r10 for slot i.
type slot struct {
	spill     value // the register spilled here, when spilled
	spilled   bool
	spillAt   uint8 // first byte of the spill in the slot
	spillSize uint8 // bytes of the spill (8 for any register; 1, 2, 4 for scalars)
	init      uint8 // bit b: byte b (from the low address) is initialized
}

type frame struct {
	regs     [11]value
	stack    []slot
	callsite int // pc of the call that created the frame, -1 for the entry frame
	fn       int // entry pc of the function
	// shared says stack may be shared with a clone (copy-on-write): call
	// own before writing to it.
	shared bool
}

// own makes the frame's stack its own before a write.
func (f *frame) own() {
	if f.shared {
		f.stack = append([]slot(nil), f.stack...)
		f.shared = false
	}
}

type state struct {
	frames   []*frame
	f0       frame     // storage for the first frame (one allocation per clone)
	fbuf     [1]*frame // storage for frames when there is one
	inputMin uint64    // the input is proven at least this long
	// pktRange holds the relations proven between bases of linked values
	// and the input length.
	pktRange []rel
	// sums holds the relations proven between two bases and the length.
	sums []sumRel
	// scaled holds the relations proven between a multiple of a base and
	// the length.
	scaled []scaledRel
}

// scaledRel says (base id << sh) + k <= len is proven: n = len >> sh on
// n = id. Like rel it names a base, not registers.
type scaledRel struct {
	id uint32
	sh uint8
	k  int64
}

// maxScaled bounds the scaled relations of a state.
const maxScaled = 8

// maxScaleShift bounds sh of a scaled relation: len < 2^32, so larger
// shifts only say the base is at most 0.
const maxScaleShift = 32

// scaledOf returns the scaled relation of base id.
func (st *state) scaledOf(id uint32) (scaledRel, bool) {
	for _, r := range st.scaled {
		if r.id == id {
			return r, true
		}
	}
	return scaledRel{}, false
}

// learnScaled records (base id << sh) + k <= len. One relation per base:
// the larger shift wins (with the same shift, the larger k), as the
// sort of loop these serve compares one counter against one bound.
func (st *state) learnScaled(id uint32, sh uint8, k int64) {
	if id <= lenID || sh == 0 || sh > maxScaleShift || k > maxDelta || k < -maxDelta {
		return
	}
	for i := range st.scaled {
		if r := &st.scaled[i]; r.id == id {
			if sh > r.sh || sh == r.sh && k > r.k {
				r.sh, r.k = sh, k
			}
			return
		}
	}
	if len(st.scaled) < maxScaled {
		st.scaled = append(st.scaled, scaledRel{id, sh, k})
	}
}

// sumRel says base a + base b + k <= len (the input end) is proven, for
// two different bases a < b: "n <= len - off" on n = a and off = b. Like
// rel it names bases, not registers, so it survives overwriting any
// register and needs no update until both bases are gone.
type sumRel struct {
	a, b uint32
	k    int64
}

// sumOf returns k of the relation between bases a and b.
func (st *state) sumOf(a, b uint32) (int64, bool) {
	if a > b {
		a, b = b, a
	}
	for _, r := range st.sums {
		if r.a == a && r.b == b {
			return r.k, true
		}
	}
	return 0, false
}

// maxSums bounds the sum relations of a state, so their cost stays small.
const maxSums = 8

// learnSum records base a + base b + k <= len.
func (st *state) learnSum(a, b uint32, k int64) {
	if a == b || a <= lenID || b <= lenID || k > maxDelta || k < -maxDelta {
		return
	}
	if a > b {
		a, b = b, a
	}
	for i := range st.sums {
		if r := &st.sums[i]; r.a == a && r.b == b {
			r.k = maxS(r.k, k)
			return
		}
	}
	if len(st.sums) < maxSums {
		st.sums = append(st.sums, sumRel{a, b, k})
	}
}

// learnDerived records base id + k <= len, a consequence of other
// relations: unlike learnRange it never lowers what the latest comparison
// proved (rel.last) below what is already known.
func (st *state) learnDerived(id uint32, k int64) {
	if k > maxDelta || k < -maxDelta {
		return
	}
	for i := range st.pktRange {
		if r := &st.pktRange[i]; r.id == id {
			if k > r.k {
				r.k, r.last = k, k
			}
			return
		}
	}
	st.pktRange = append(st.pktRange, rel{id, k, k})
}

// rel says base id + k <= len (the input end) is proven. last is the k of
// the latest comparison that proved a relation for id (at most k, or
// noCompare): what the loop around it may keep proving, used when widening
// shrinks k.
type rel struct {
	id      uint32
	k, last int64
}

// noCompare is rel.last of a relation no comparison proved.
const noCompare = math.MinInt64

// rangeOf returns k for base id.
func (st *state) rangeOf(id uint32) (int64, bool) {
	return rangeIn(st.pktRange, id)
}

// rangeIn is rangeOf on a list of relations.
func rangeIn(pr []rel, id uint32) (int64, bool) {
	for _, r := range pr {
		if r.id == id {
			return r.k, true
		}
	}
	return 0, false
}

// learnRange records base id + k <= len.
func (st *state) learnRange(id uint32, k int64) {
	for i := range st.pktRange {
		if r := &st.pktRange[i]; r.id == id {
			r.k, r.last = maxS(r.k, k), k
			return
		}
	}
	st.pktRange = append(st.pktRange, rel{id, k, k})
}

func (st *state) cur() *frame { return st.frames[len(st.frames)-1] }

func (st *state) clone() *state {
	n := &state{inputMin: st.inputMin}
	if len(st.pktRange) > 0 {
		n.pktRange = append([]rel(nil), st.pktRange...)
	}
	if len(st.sums) > 0 {
		n.sums = append([]sumRel(nil), st.sums...)
	}
	if len(st.scaled) > 0 {
		n.scaled = append([]scaledRel(nil), st.scaled...)
	}
	if len(st.frames) == 1 {
		n.f0 = *st.frames[0]
		n.f0.shared, st.frames[0].shared = true, true
		n.fbuf[0] = &n.f0
		n.frames = n.fbuf[:]
		return n
	}
	n.frames = make([]*frame, len(st.frames))
	for i, f := range st.frames {
		g := *f
		g.shared, f.shared = true, true
		n.frames[i] = &g
	}
	return n
}

// slotAt grows the frame's stack to hold slot i.
// maxTrackedSlots bounds the stack depth whose contents are tracked (8 KiB
// per frame): deeper bytes are never known initialized, so reading them is
// rejected in Strict mode, and the state stays small whatever the frame size.
const maxTrackedSlots = 1024

// slotAt returns slot i for writing, or nil beyond the tracked depth.
func (f *frame) slotAt(i int) *slot {
	if i >= maxTrackedSlots {
		return nil
	}
	f.own()
	for len(f.stack) <= i {
		f.stack = append(f.stack, slot{})
	}
	return &f.stack[i]
}

// regsString formats the registers of the current frame compactly.
func (st *state) regsString() string {
	var b strings.Builder
	f := st.cur()
	for r := 0; r < 10; r++ {
		if f.regs[r].typ == tNone {
			continue
		}
		fmt.Fprintf(&b, " r%d=%s", r, f.regs[r])
	}
	for i, s := range f.stack {
		switch {
		case s.spilled:
			fmt.Fprintf(&b, " fp%d=%s", -8*(i+1), s.spill)
		case s.init == 0xff:
			fmt.Fprintf(&b, " fp%d=mmmmmmmm", -8*(i+1))
		case s.init != 0:
			m := []byte("........")
			for k := 0; k < 8; k++ {
				if s.init&(1<<k) != 0 {
					m[k] = 'm'
				}
			}
			fmt.Fprintf(&b, " fp%d=%s", -8*(i+1), m)
		}
	}
	if st.inputMin > 0 {
		fmt.Fprintf(&b, " len>=%d", st.inputMin)
	}
	for _, r := range st.pktRange {
		fmt.Fprintf(&b, " #%d%+d<=end", r.id, r.k)
	}
	for _, r := range st.sums {
		fmt.Fprintf(&b, " #%d+#%d%+d<=end", r.a, r.b, r.k)
	}
	for _, r := range st.scaled {
		fmt.Fprintf(&b, " #%d<<%d%+d<=end", r.id, r.sh, r.k)
	}
	if len(st.frames) > 1 {
		fmt.Fprintf(&b, " frame=%d", len(st.frames)-1)
	}
	return strings.TrimSpace(b.String())
}
