// Package verifier proves eBPF programs safe and reports what it proved to
// the engines.
//
// Verification has two stages.
//
//  1. Structural validation, always on (see structure.go): every
//     instruction is a valid encoding, no instruction writes r10, jump and
//     call targets are inside the program and never the second slot of a
//     lddw, no reachable path falls off the end and the last instruction is
//     exit or an unconditional jump, the call graph has no recursion and at
//     most MaxCallDepth frames, r10-relative accesses stay inside the frame,
//     helper ids are known to Config.Helpers and lddw of maps or variables
//     name objects Config.Maps knows.
//  2. Abstract interpretation (see interp.go): a path- and branch-sensitive
//     depth-first exploration of every path, in the style of the Linux
//     verifier, over registers and stack slots typed as uninitialized,
//     scalar, or pointer to stack / context / input / input end / map value
//     / map (maybe NULL after a map lookup), with pointer offsets and scalars
//     kept as a known-bits domain (tnum) plus signed and unsigned 64- and
//     32-bit ranges. ALU32 is modelled exactly as "compute on the low 32
//     bits, zero-extend". Every conditional branch refines both outcomes.
//     Loops are unrolled (a bounded loop terminates the exploration because
//     its exit condition eventually becomes decided); a state at a loop head
//     subsumed by one of its own ancestors on the current path is a loop the
//     verifier cannot prove terminating: when equal, it is rejected in
//     Strict mode; otherwise exploration continues (the loop may still make
//     progress) until the exit condition decides or the budget runs out. In
//     Checked mode a loop head visited many times is widened instead, so
//     every program is analyzed quickly (LoopsBounded is then false).
//     States are remembered where paths meet; a new state subsumed by a
//     finished one is pruned (register liveness makes this effective), and
//     when several different states meet at one point outside loops they
//     are joined (hull, then widening), which keeps long programs with many
//     branches linear. Work is bounded by Config.MaxInsns.
//
// Modes: in Checked mode only stage 1 can reject; stage 2 records Facts
// (which accesses are proven in bounds, which divisors are non-zero, whether
// all loops terminate). If stage 2 runs out of budget in Checked mode, no
// access or loop is claimed proven. In Strict mode every unprovable access,
// read of uninitialized data, helper argument, or loop is a rejection.
//
// Entry convention (DESIGN.md): r1 points to the input memory and r2 holds
// its length when Config.ContextSize is zero; a scalar equal to r2 keeps
// that relation through copies, spills and branches, so
// "if r2 < 4 goto out; r0 = *(u32 *)(r1 + 0)" is proven, and r1 + r2 is the
// input end pointer, against which input pointers may be compared as Linux
// programs compare against data_end. When ContextSize is non-zero, r1 points
// to a context of that size and r2 is an unknown scalar. r1 may be NULL
// when the input is empty; an access is proven only when the length is
// proven large enough, so such accesses never run on NULL.
//
// Input pointers with a variable offset keep a base identity, and a
// comparison against the input end proves a range for every pointer with
// that base, as Linux does for packet pointers. A scalar compared with the
// length (i < r2) records the same relation, which input + i inherits, so
// loops over the whole input are proven in Checked mode (where widening
// ends the exploration); Strict mode needs a constant bound for the loop to
// terminate. Widening a loop head keeps these relations: a scalar whose
// comparison with the length gave it a new identity keeps it and its
// relation, a counter that changes while below the proven length L (at most
// m) gets the relation x + (L - m) <= len (so bottom-tested loops
// "do p[i] while (++i < len)" stay proven), and the length itself never
// widens beyond [0, MaxUint32].
//
// Linked scalars (Linux: scalar ids with BPF_ADD_CONST, sync_linked_regs):
// registers and spills holding the same unknown base plus a constant share
// an id and carry the constant (value.delta). A 64-bit mov copies both; a
// 64-bit add or sub of a constant keeps the id and moves the delta when no
// value of the register can wrap around (so each is exactly base + delta);
// any other write, 32-bit ALU included, breaks the link; spills and fills of
// the full value keep it. A comparison refines every register of the id,
// shifted by the difference of deltas, and x < len on x = base + d records
// base + d + 1 <= len, which input + x (delta d) and every other register of
// the id inherit. Unlike Linux, deltas accumulate (a linked register may be
// added to many times and copied again), so "i += 2; j = i_old + 3;
// if j < len" proves both bytes of p[i]. Pruning maps the old state's ids
// to the current ones with a shift of the base (old base = current base +
// shift, the same for every value of the id), and requires each relation
// old has, shifted; ids held by a single scalar and no relation are dropped
// at prune points, and relations of bases no live value holds are dropped.
// Joins keep a link only where both sides have the same id and delta.
// Widening compares relations register by register (a relation that moves
// along with its counter stays whole); a relation that shrinks relative to
// its register (an old one wearing off an iteration at a time) jumps to the
// latest comparison's relation (rel.last), which the loop re-establishes, or
// is dropped when no comparison proved one; after widenKeep widenings only
// links old has up to renaming and shift survive, so links only disappear
// and loop heads converge. The length is linked the same way: len + c
// (a copy of r2 plus a constant that cannot wrap, "i < len - 3") keeps
// lenID with delta c, so x < len + c records base + d - c + 1 <= len,
// input + (len + c) is the input end + c, and a bound on len + c bounds
// the length. A widened linked scalar is bounded by its
// relation (base + k <= len <= MaxUint32). The counter rule above also
// applies to a constant that replaces a linked value (an inner loop
// restarting), and registers holding the same constant get one id. An
// access proof through a linked pointer would hold even if linked values
// were only equal modulo 2^64: a relation pins the base to a compared value
// below 2^32, and deltas and pointer offsets stay within 2^40, so the
// no-wraparound rule for adds is a second line of defense.
//
// Two input pointers compared (unsigned, 64-bit) prove as a pointer
// compared with the input end does, when the upper one has a bound: on the
// branch where lo <= hi (lo < hi: one more byte), off(hi) + s <= len gives
// off(lo) + s <= len, recorded as a relation of lo's base (and a minimum
// length), so "if (p + 14 > end) goto bad" proves [p, p + 14) when end
// is an input pointer with a relation (s = k - delta) or a constant offset
// c (s = proven length - c). Sound because both offsets are required in
// [0, 2^40], so the addresses (the region base plus the offset, never
// wrapping) order as the offsets do; a relation on lo's base then bounds
// every pointer of that base, whose offsets differ from lo's by exactly
// the difference of deltas. 32-bit and signed compares, and compares with
// a scalar or another region, prove nothing; p + unknown gets a fresh
// base, so the bound is not carried back to p.
//
// Sum relations (no Linux counterpart) prove length-prefixed records:
// "if (n > len - off) break; p = data + off; end = p + n". A relation
// X + Y + k <= len names two bases (state.sums, at most 8), so like the
// relations above it holds whatever registers are overwritten later. It
// is created by len + e - x (x = X + d, when x <= len + e is proven by
// X's relation or by x's bound and the proven length, so the difference
// cannot wrap: the result is a fresh base C with C + X + d - e = len; an
// unlinked x gets a fresh base X first), and carried by comparisons: a linked scalar lo <= hi
// (unsigned, 64-bit; lo < hi: one more) inherits hi's relations, L + dl -
// dh + k <= len for hi's H + k <= len and L + Z + dl - dh + k <= len for
// H + Z + k <= len (an unlinked lo gets a fresh base first). It is used
// three ways: a comparison that raises X's minimum to m gives Y + k + m
// <= len ("n >= 14" proves 14 bytes at data + off), and x + y or the input
// pointer x plus the scalar y (bases X and Y, related) is exactly the
// fresh base E = X + Y + dx + dy, no wraparound possible, with E + k - dx
// - dy <= len (the next offset off + n, and end = p + n, which pointer
// compares then use as an input end). A comparison raising the minimum
// of a linked scalar with a relation raises the proven length too (X + k
// <= len and X >= m give len >= m + k). Pruning requires each relation of the old
// state whose bases both map to the current state (with the shifts of
// both bases); joins keep the relations both sides have (the smaller k);
// relations with a base no live value holds are dropped at prune points;
// widening drops them all (the loop body re-establishes them). At prune
// points every linked value is also bounded by its relation (B + k <= len
// <= MaxUint32), so a loop head whose value gets a new base each
// iteration (off = off + n) compares equal to the widened one.
//
// Scaled relations (no Linux counterpart) prove arrays of 2^s-byte
// elements counted by len >> sh, as bench/sort.c's "n = len / 8; a = data +
// 4n; a[i], i < n". A relation (B << sh) + k <= len (state.scaled, at most
// 8, one per base, 1 <= sh <= 32) names a base. It is created by (len + e)
// >> sh or (len + e) / 2^sh (unsigned): the result is a fresh base N with
// (N << sh) - e <= len and N - e <= len; carried by comparisons as the
// relations above (lo <= hi - strict: (L << sh) + ((dl - dh + strict) << sh)
// + k <= len), and raising the minimum m of a linked scalar with one
// raises the proven length to (m << sh) + k. It is used three ways: x << s
// (s <= sh, no bit shifted out) on x = X + d is exactly a fresh base Y with
// Y + k - (d << sh) + (2^(sh-s) - 1) min(Y) <= len (and, when s < sh, the
// scaled relation (Y << (sh - s)) + k - (d << sh) <= len); two linked values
// x, y (scalars, or an input pointer's offset and a scalar) whose bases have
// relations with sh >= 1 satisfy 2x + Kx <= len and 2y + Ky <= len (K = k
// - (d << sh), as 2x <= x << sh for x >= 0), so x + y <= len - (Kx + Ky) / 2
// cannot wrap and is exactly a fresh base E with E + ceil((Kx + Ky) / 2) <=
// len ("a + (i << 2)" with a = data + (n << 2)); and an access at o + off
// through an input pointer whose offset o has 2o + K <= len is in bounds
// when 2(off + size) - K <= the proven length ("a + 8" when n >= 3).
// Pruning requires each scaled relation of old whose base maps to the
// current state, with the same shift and k + (shift << sh); joins keep those
// both sides have (the smaller k); widening keeps, value by value, old's
// relation translated to the current delta (k_o + ((d - d_o) << sh)) when it
// is at most what st proves, so a loop-invariant n keeps its relation and a
// base moving down keeps one, while a base moving up loses it (a relation
// that pinned its id would keep the loop head from converging). Not
// tracked: a pointer moving in step with a counter (p += 4 with i++), so
// strength-reduced loops such as sort's copy, insertion and sum loops stay
// unproven; that needs an equality between a pointer's base, a counter's
// base and a third base (off(p) = a + (i << 2)).
//
// Limits: no relations between registers other than these are tracked
// (no order between two values is remembered, such as i <= i*i); stack contents are tracked to a depth of 8 KiB per frame; helpers
// with a zero prototype are trusted with any arguments (and forget every
// spill).
//
// Facts: Access[pc].Proven means the access is within its region on every
// path and permitted by the configuration (stores to the context only with
// ContextWritable, to the input unless InputReadOnly, to map values unless
// MapInfo.ReadOnly; atomics also aligned, assuming frames start 8-aligned).
// An engine whose input may be made read-only at run time (vm.Env
// MemReadOnly) must keep the permission check of input stores.
//
// Soundness is tested, not assumed: every program the fuzz target generates
// and Strict mode accepts runs without a fault on the interpreter, and no
// run faults at an access Checked mode claims proven (soundness_test.go,
// conformance_test.go).
//
// Pointers are plain 64-bit addresses in iovm's sandbox (region<<32 |
// offset), so leaking them as scalars (storing part of a pointer, ALU on a
// pointer) is allowed: the result is an unknown scalar, never a pointer.
package verifier

import (
	"fmt"
	"strings"

	"github.com/iovm/iovm/isa"
)

// Mode selects how much the verifier demands.
type Mode uint8

const (
	// Checked accepts any structurally valid program and records in Facts
	// which accesses, divisions and loops it proved; engines keep runtime
	// checks (and the budget) where the proof is missing.
	Checked Mode = iota
	// Strict rejects any program it cannot prove memory-safe, initialized
	// and terminating.
	Strict
)

func (m Mode) String() string {
	if m == Strict {
		return "strict"
	}
	return "checked"
}

// ArgKind is the kind of a helper argument or return value.
type ArgKind uint8

// Helper argument and return kinds.
const (
	ArgNone             ArgKind = iota // unused
	ArgAnything                        // any initialized value
	ArgScalar                          // a scalar
	ArgPtrToMem                        // pointer to readable memory of the size in the next argument
	ArgPtrToWritableMem                // pointer to writable memory of the size in the next argument
	ArgSize                            // size of the memory in the previous argument
	ArgPtrToString                     // pointer to a NUL-terminated string
	ArgPtrToMap                        // pointer to a map (lddw of a map)
	ArgPtrToMapKey                     // pointer to memory of the map's key size
	ArgPtrToMapValue                   // pointer to memory of the map's value size
	ArgPtrToCtx                        // the context pointer
	RetScalar                          // returns a scalar
	RetMapValueOrNull                  // returns a pointer to a map value, or NULL
	RetVoid                            // returns nothing meaningful
)

// HelperProto describes a helper function for the verifier. The zero
// HelperProto means "unchecked": the arguments may be anything (even
// uninitialized) and the result is an unknown scalar.
type HelperProto struct {
	Name string
	Args [5]ArgKind
	Ret  ArgKind
}

// MapInfo describes a map (or a global variable's memory) named by a lddw
// with src 1, 2, 3, 5 or 6.
type MapInfo struct {
	KeySize   int // bytes of a key (maps)
	ValueSize int // bytes of a value; for src 3 (variable) the size of its memory
	ReadOnly  bool
}

// Config describes the environment a program will run in.
type Config struct {
	Mode Mode
	// Helpers returns the prototype of helper id; ok is false for unknown
	// helpers, which are rejected. A nil Helpers knows no helpers.
	Helpers func(id int32) (proto HelperProto, ok bool)
	// BTFHelpers is the same for helpers called by BTF id (call src 2); nil
	// knows none.
	BTFHelpers func(id int32) (proto HelperProto, ok bool)
	// Maps resolves the object a lddw with a non-zero src names: kind is the
	// lddw src (1 map by fd, 2 map value by fd, 3 variable, 5 map by index,
	// 6 map value by index), imm the low 32 bits of its immediate. A nil Maps
	// knows no objects, so such lddw are rejected. (src 4, a code address,
	// needs no Maps: its target must be the start of an instruction.)
	Maps func(kind uint8, imm int32) (MapInfo, bool)
	// StackSize is the size in bytes of each call frame (default 512).
	StackSize int
	// MaxCallDepth bounds nested frames, the entry frame included
	// (default 8), as vm.Options.MaxCallDepth does.
	MaxCallDepth int
	// ContextSize, when non-zero, says r1 points to a context of that many
	// bytes and r2 is unspecified; when zero, r1 points to input memory whose
	// length is r2 (the conformance convention).
	ContextSize int
	// ContextWritable allows stores to the context; otherwise they are
	// rejected in Strict mode and never proven in Checked mode.
	ContextWritable bool
	// InputReadOnly says the input memory is read-only: stores to it are
	// rejected in Strict mode and never proven in Checked mode.
	InputReadOnly bool
	// MaxInsns bounds the work of the abstract interpretation in
	// instructions processed (default 1,000,000). In Strict mode running out
	// is a rejection; in Checked mode nothing is claimed proven.
	MaxInsns int
	// Log, when non-nil, receives one line per instruction processed by the
	// abstract interpretation with the state before it (see iovm verify --log).
	Log func(line string)
}

// Access is what the verifier proved about one memory access.
type Access struct {
	Proven bool // the access is in bounds (and permitted) on every path
	// InBounds: the access is in bounds on every path; its permission
	// may be unproven (see vm: stores to the input, whose writability is
	// chosen per run). Proven implies InBounds.
	InBounds bool
	Region   Region // the region it touches, when InBounds
}

// Region names the kind of memory an access touches.
type Region uint8

// Regions.
const (
	RegionUnknown Region = iota
	RegionStack
	RegionInput
	RegionContext
	RegionMapValue
)

var regionNames = [...]string{"unknown", "stack", "input", "context", "map value"}

func (r Region) String() string {
	if int(r) < len(regionNames) {
		return regionNames[r]
	}
	return fmt.Sprintf("region(%d)", uint8(r))
}

// Facts is what the verifier learned, indexed by pc.
type Facts struct {
	Access     []Access // per pc, for loads, stores and atomics
	DivNonZero []bool   // per pc, for DIV/MOD with a register divisor
	// LoopsBounded is true when every loop was proven to terminate, so
	// engines may drop the budget check for termination.
	LoopsBounded bool
	// Loops says, for each loop head (the target of a backward jump),
	// whether that loop was proven to terminate; all false when the
	// analysis did not complete.
	Loops map[int]bool
	// FrameSize is the stack depth in bytes each function uses, by entry pc.
	FrameSize map[int]int
	// Funcs lists the entry pcs of local functions, 0 first.
	Funcs []int
	// Analyzed is true when the abstract interpretation completed; when
	// false (Checked mode only), Access and DivNonZero claim nothing.
	Analyzed bool
	// Insns is the number of instructions the abstract interpretation processed.
	Insns int
}

// Error is a rejection: the pc, the instruction and the reason.
type Error struct {
	PC     int
	Insn   isa.Instruction
	Reason string
	State  string // abstract register state at PC, when known
}

func (e *Error) Error() string {
	return fmt.Sprintf("pc %d: %s", e.PC, e.Reason)
}

const (
	defaultStackSize    = 512
	defaultMaxCallDepth = 8
	defaultMaxInsns     = 1000000
	// MaxProgramSlots bounds the size of a program the verifier accepts.
	MaxProgramSlots = 1 << 20
)

func (c *Config) withDefaults() Config {
	var out Config
	if c != nil {
		out = *c
	}
	if out.StackSize <= 0 {
		out.StackSize = defaultStackSize
	}
	if out.MaxCallDepth <= 0 {
		out.MaxCallDepth = defaultMaxCallDepth
	}
	if out.MaxInsns <= 0 {
		out.MaxInsns = defaultMaxInsns
	}
	if out.ContextSize < 0 {
		out.ContextSize = 0
	}
	return out
}

// Verify checks p against cfg (nil means the defaults, Checked mode). In
// Checked mode it fails only on structural errors; in Strict mode also on
// anything it cannot prove. It never panics.
func Verify(p isa.Program, cfg *Config) (facts *Facts, err error) {
	c := cfg.withDefaults()
	defer func() {
		if r := recover(); r != nil {
			facts, err = nil, &Error{PC: 0, Reason: fmt.Sprintf("internal verifier error: %v", r)}
		}
	}()
	s, err := checkStructure(p, &c)
	if err != nil {
		return nil, err
	}
	facts = &Facts{
		Access:     make([]Access, len(p)),
		DivNonZero: make([]bool, len(p)),
		FrameSize:  map[int]int{},
		Loops:      map[int]bool{},
		Funcs:      append([]int(nil), s.funcs...),
	}
	for f, n := range s.frameSize {
		facts.FrameSize[f] = n
	}
	for _, l := range s.loops {
		facts.Loops[l[0]] = false
	}
	if s.unboundedCalls {
		// Recursion or too deep a call chain (Checked mode only): nothing is
		// proven; the engines keep every check and fault on overflow.
		return facts, nil
	}
	if err := analyze(p, &c, s, facts); err != nil {
		return nil, err
	}
	return facts, nil
}

func errorf(p isa.Program, pc int, format string, args ...any) *Error {
	e := &Error{PC: pc, Reason: fmt.Sprintf(format, args...)}
	if pc >= 0 && pc < len(p) {
		e.Insn = p[pc]
	}
	return e
}

// describe is a short mnemonic-free description used in messages.
func describe(ins isa.Instruction) string {
	if o, ok := isa.Lookup(ins); ok {
		return o.Name
	}
	return strings.TrimSpace(ins.String())
}
