package vm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"unsafe"

	"github.com/iovm/iovm/isa"
	"github.com/iovm/iovm/verifier"
)

// Defaults of Options.
const (
	DefaultStackSize    = 512
	DefaultMaxCallDepth = 8
	// MaxStack bounds StackSize*MaxCallDepth, the size of the stack region.
	MaxStack = 1 << 24
)

// Options configure loading a program.
type Options struct {
	// Order is the program's byte order for decoding, loads and stores
	// (default little-endian), independent of the host's.
	Order binary.ByteOrder
	// Helpers are the helpers the program may call; nil means none.
	Helpers *Helpers
	// StackSize is the size in bytes of each call frame (default 512).
	StackSize int
	// MaxCallDepth bounds nested frames, the entry frame included (default 8).
	MaxCallDepth int
	// Strict rejects programs the verifier cannot prove safe.
	Strict bool
	// ContextSize, when non-zero, says the program is run with a context of
	// that size in r1 instead of input memory and length in r1 and r2.
	ContextSize int
	// Regions are program-wide regions (global data, array map values)
	// mapped in every run at ids RegionFirstUser, RegionFirstUser+1, ...,
	// before Env.Regions. Their bytes are shared by all runs of the program.
	Regions []Region
	// ResolveLDDW gives the value of a lddw whose src is not 0 (a map, a map
	// value, a variable or a code address); ins.Imm holds the first slot's
	// imm in its low 32 bits and the second slot's in its high 32 bits.
	// Without it such a lddw is a load error.
	ResolveLDDW func(pc int, ins isa.Instruction) (uint64, error)
	// Maps tells the verifier what a lddw with a non-zero src names (see
	// verifier.Config.Maps); nil knows nothing, so the verifier rejects them.
	Maps func(kind uint8, imm int32) (verifier.MapInfo, bool)
}

// Program is a loaded, verified program. It is immutable and safe for
// concurrent use; each Run takes its state from a pool.
type Program struct {
	insns   isa.Program
	opts    Options
	facts   *verifier.Facts
	code    []insn       // pre-decoded, len(insns)+1 (a sentinel at the end)
	helpers []HelperFunc // helpers by call index (insn.imm of opCall)
	hinfo   []*Helper    // same index: the helper, for errors and traces
	// pool holds the Memory of runs, each with its engine's state
	// (Memory.EngineState). A per-program slot taken with an atomic
	// compare-and-swap was tried instead: its two locked instructions per
	// run cost as much as the pool's Get and Put on amd64, and it keeps a
	// Memory alive forever.
	pool sync.Pool // *Memory
	// noStackWrites: no run writes the stack, the program having no store,
	// no atomic and no call but local ones (no helper gets the Memory).
	noStackWrites bool
	// callsHelpers: the program has helper calls, so its runs hand the
	// Memory to code that may change it.
	callsHelpers bool
	// maxEnvRegions is the number of Env.Regions that fit the region table.
	maxEnvRegions int
	// r10 is r10 at entry, the top of frame 0.
	r10 uint64
}

// Env is what one run gets: its memory, budget and embedder value. A nil
// *Env is an empty one.
type Env struct {
	// Mem is the input memory: r1 = its address, r2 = its length (both 0
	// when Mem is empty). It is writable by the program unless MemReadOnly
	// is set.
	Mem         []byte
	MemReadOnly bool
	// Context, when non-nil, is mapped as the context region and r1 = its
	// address (r2 = 0) instead of Mem; Mem then stays mapped for the legacy
	// packet loads. It is writable unless ContextReadOnly is set.
	Context         []byte
	ContextReadOnly bool
	// Regions are extra regions mapped after Options.Regions, from id
	// RegionFirstUser + len(Options.Regions) up.
	Regions []Region
	// Budget is the maximum number of instructions to execute; 0 is unlimited.
	Budget uint64
	// Value is passed to helpers through Memory.Value.
	Value any
	// TailCalls is the number of tail calls that led to this run (set by
	// the tail_call helper, which runs the next program with it plus one).
	TailCalls int
	// Trace, when non-nil, receives each executed instruction and the
	// registers it changed (interpreter only).
	Trace io.Writer
}

// Result is the outcome of a successful run.
type Result struct {
	R0    uint64 // r0 at exit
	Insns uint64 // instructions executed (for the JIT, counted per basic block)
}

// Executable is a program ready to run on some engine: the interpreter
// (*Program) or native code (package jit).
type Executable interface {
	// Run runs the program on env; it is safe for concurrent use.
	Run(env *Env) (Result, error)
	// NewRunner returns a Runner of the program.
	NewRunner() Runner
	// Close releases what the engine holds (native code); the interpreter's is a no-op.
	Close() error
}

// Runner runs one program again and again, from one goroutine at a time.
// Its Run gives the same results and errors as the program's, at a lower
// fixed cost: a Runner owns the memory of its runs (stack, region table,
// engine state), which Executable.Run takes from a pool. It is not safe
// for concurrent use. Between runs it keeps the last Env's memory
// reachable.
type Runner interface {
	Run(env *Env) (Result, error)
}

var _ Executable = (*Program)(nil)

// Instructions returns the decoded program; do not modify it.
func (p *Program) Instructions() isa.Program { return p.insns }

// Resolved returns a copy of the program in which every lddw whose src is
// not 0 (a map, a map value, a variable or a code address) is a plain lddw
// (src 0) of the value Options.ResolveLDDW gave it: what native-code
// engines compile. Pcs and Facts are unchanged.
func (p *Program) Resolved() isa.Program {
	out := make(isa.Program, len(p.insns))
	copy(out, p.insns)
	for pc, ins := range out {
		if ins.IsWide() && ins.Src != isa.LDDWImm && !out.IsContinuation(pc) {
			out[pc].Src = isa.LDDWImm
			out[pc].Imm = int64(p.code[pc].imm)
		}
	}
	return out
}

// Options returns the options the program was loaded with, defaults filled in.
func (p *Program) Options() Options { return p.opts }

// Facts returns what the verifier proved about the program.
func (p *Program) Facts() *verifier.Facts { return p.facts }

// Close does nothing; it makes *Program an Executable.
func (p *Program) Close() error { return nil }

// LoadBytes decodes b in opts.Order (default little-endian) and loads it
// like Load. A decoding error is a *Error of kind KindLoad naming the slot.
func LoadBytes(b []byte, opts *Options) (*Program, error) {
	o := withDefaults(opts)
	insns, err := isa.Decode(b, o.Order)
	if err != nil {
		e := &Error{Kind: KindLoad, PC: -1, Reason: err.Error(), Err: err}
		var de *isa.DecodeError
		if errors.As(err, &de) {
			e.PC, e.Reason = de.Slot, de.Reason
		}
		return nil, e
	}
	return Load(insns, &o)
}

func withDefaults(opts *Options) Options {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Order == nil {
		o.Order = binary.LittleEndian
	}
	if o.StackSize <= 0 {
		o.StackSize = DefaultStackSize
	}
	if o.MaxCallDepth <= 0 {
		o.MaxCallDepth = DefaultMaxCallDepth
	}
	return o
}

// Load verifies a decoded program and prepares it to run. opts may be nil
// for the defaults (little-endian, 512-byte frames, 8 frames). Every
// instruction must be valid (isa.Instruction.Validate); errors, including
// the verifier's rejections, are *Error of kind KindLoad naming the pc.
// The program is copied, so p may be reused.
func Load(p isa.Program, opts *Options) (*Program, error) {
	o := withDefaults(opts)
	if o.StackSize%8 != 0 || o.StackSize*o.MaxCallDepth > MaxStack || o.StackSize > MaxStack || o.MaxCallDepth > MaxStack {
		return nil, &Error{Kind: KindLoad, PC: -1, Reason: fmt.Sprintf("bad stack: %d frames of %d bytes (frames must be multiples of 8, at most %d bytes in all)", o.MaxCallDepth, o.StackSize, MaxStack)}
	}
	if o.Order != binary.LittleEndian && o.Order != binary.BigEndian {
		return nil, &Error{Kind: KindLoad, PC: -1, Reason: fmt.Sprintf("byte order %v: only binary.LittleEndian and binary.BigEndian", o.Order)}
	}
	if RegionFirstUser+len(o.Regions) > MaxRegions {
		return nil, &Error{Kind: KindLoad, PC: -1, Reason: fmt.Sprintf("%d program regions: at most %d", len(o.Regions), MaxRegions-RegionFirstUser)}
	}
	if len(p) == 0 {
		return nil, &Error{Kind: KindLoad, PC: 0, Reason: "empty program"}
	}
	if len(p) > 1<<24 {
		return nil, &Error{Kind: KindLoad, PC: -1, Reason: fmt.Sprintf("program of %d slots is too long", len(p))}
	}
	insns := make(isa.Program, len(p))
	copy(insns, p)
	for pc := 0; pc < len(insns); pc++ {
		if err := insns[pc].Validate(); err != nil {
			return nil, &Error{Kind: KindLoad, PC: pc, Reason: err.Error(), Err: err}
		}
		if insns[pc].IsWide() {
			if pc+1 >= len(insns) {
				return nil, &Error{Kind: KindLoad, PC: pc, Reason: "lddw truncated: missing second slot"}
			}
			if insns[pc+1] != (isa.Instruction{}) {
				return nil, &Error{Kind: KindLoad, PC: pc + 1, Reason: "second slot of lddw must be zero (the constant is in the first slot's Imm)"}
			}
			pc++
		}
	}
	cfg := &verifier.Config{
		Mode:         verifier.Checked,
		StackSize:    o.StackSize,
		MaxCallDepth: o.MaxCallDepth,
		ContextSize:  o.ContextSize,
		Maps:         o.Maps,
	}
	if o.Strict {
		cfg.Mode = verifier.Strict
	}
	if o.Helpers != nil {
		cfg.Helpers = o.Helpers.Proto
	}
	facts, err := verifier.Verify(insns, cfg)
	if err != nil {
		e := &Error{Kind: KindLoad, PC: -1, Reason: err.Error(), Err: err}
		var ve *verifier.Error
		if errors.As(err, &ve) {
			e.PC, e.Reason = ve.PC, ve.Reason
			if ve.State != "" {
				e.Reason += " (" + ve.State + ")"
			}
		}
		return nil, e
	}
	writableAtRunTime(insns, facts)
	prog := &Program{insns: insns, opts: o, facts: facts, noStackWrites: neverWritesStack(insns), callsHelpers: callsHelpers(insns),
		maxEnvRegions: MaxRegions - RegionFirstUser - len(o.Regions), r10: Addr(RegionStack, uint32(o.StackSize*o.MaxCallDepth))}
	if err := prog.predecode(); err != nil {
		return nil, err
	}
	return prog, nil
}

// AcquireMemory returns the memory of a new run, from a pool: the stack
// (zeroed), the input memory, the context, Options.Regions and
// env.Regions mapped at their ids (regions beyond MaxRegions are dropped;
// Run reports them), Order and Value set. Give it back with ReleaseMemory.
//
// The stack is cleared only if a run (or the code that held the Memory)
// may have written it: a program without stores, atomics and helper calls
// cannot, so its runs skip the clearing. Code other than the program's own
// run that writes the stack must do it through Memory.Stack, Write, Store
// or Translate, which mark it for clearing.
func (p *Program) AcquireMemory(env *Env) *Memory {
	m, _ := p.AcquireMemoryChecked(env)
	return m
}

// AcquireMemoryChecked is AcquireMemory that also returns the error of
// CheckEnv(env), found while preparing m (as ResetMemory does), so that
// an engine need not check env apart. On an error, m must be released
// without running the program.
func (p *Program) AcquireMemoryChecked(env *Env) (*Memory, error) {
	m, _ := p.pool.Get().(*Memory)
	if m == nil {
		m = p.NewMemory()
	}
	if env == nil {
		env = &emptyEnv
	}
	// Past the fast path, which a released Memory never takes.
	return m, p.resetMemory(m, env)
}

// NewMemory returns a Memory for runs of p that is not pooled: the caller
// keeps it (a Runner does) and prepares each run on it with ResetMemory.
func (p *Program) NewMemory() *Memory {
	m := &Memory{
		stack:  make([]byte, p.opts.StackSize*p.opts.MaxCallDepth),
		frames: make([]frame, p.opts.MaxCallDepth),
		Order:  p.opts.Order,
		big:    p.opts.Order == binary.BigEndian,
	}
	m.Regions[RegionStack] = Region{Data: m.stack, Perm: PermRW}
	m.interp.dirty = true
	return m
}

// ResetMemory prepares m, from NewMemory, for a run on env exactly as
// AcquireMemory does, undoing what the previous run on m changed, and
// returns the error of CheckEnv(env): m must not be run then. m must not
// be in use by another run. It knows what a run changed from the
// Memory's methods (Map, Stack, Write, Store, Translate) and from the
// program's helper calls: code that changes m otherwise between runs
// (sets Regions, say) must undo it itself.
func (p *Program) ResetMemory(m *Memory, env *Env) error {
	if env == nil {
		env = &emptyEnv
	}
	if m.sameEnv(env) {
		m.setEnv(env)
		return nil
	}
	return p.resetMemory(m, env)
}

// sameEnv reports whether m is as the previous run, on the same memory as
// env's, left it: ResetMemory need only set the Env and Value.
func (m *Memory) sameEnv(env *Env) bool {
	return m.reuse && m.key.same(env)
}

// envKey is what ResetMemory made the region table from: the input's and
// the context's data address, length and read-only flag. The addresses
// are not pointers: the region table keeps that memory alive while it is
// mapped, and the key must not after.
type envKey struct {
	mem, ctx       uintptr
	memLen, ctxLen int
	memRO, ctxRO   bool
}

// same reports whether env, without regions, maps what k was made from.
// (Field by field: a comparison of structs calls a function.)
func (k *envKey) same(env *Env) bool {
	return len(env.Regions) == 0 &&
		k.mem == uintptr(unsafe.Pointer(unsafe.SliceData(env.Mem))) && k.memLen == len(env.Mem) && k.memRO == env.MemReadOnly &&
		k.ctx == uintptr(unsafe.Pointer(unsafe.SliceData(env.Context))) && k.ctxLen == len(env.Context) && k.ctxRO == env.ContextReadOnly
}

// Ready reports whether ResetMemory(m, env) would change nothing: m,
// which ResetMemory prepared for its previous run, is ready as it is for
// a run on env (the same Env, its memory unchanged, no Value, and nothing
// for ResetMemory to undo). An engine may then skip ResetMemory. It is
// small enough to be inlined.
func (m *Memory) Ready(env *Env) bool {
	return env != nil && m.reuse && m.Env == env && env.Value == nil && m.Value == nil && m.key.same(env)
}

// setEnv sets m.Env and m.Value for a run on env. It stores pointers only
// where they change: a store of a pointer costs a write-barrier check, and
// most runs repeat the previous one's env.
func (m *Memory) setEnv(env *Env) {
	if m.Env != env {
		m.Env = env
	}
	if env.Value != nil || m.Value != nil {
		m.Value = env.Value
	}
}

// resetMemory is ResetMemory past its fast path.
func (p *Program) resetMemory(m *Memory, env *Env) error {
	var err error
	if len(env.Regions) > p.maxEnvRegions || len(env.Context) < p.opts.ContextSize {
		err = p.envError(env)
	}
	if m.stackDirty {
		clear(m.stack)
	}
	m.stackDirty = !p.noStackWrites
	if p.callsHelpers {
		// Helpers get the Memory: undo what they may have changed.
		m.interp.dirty = true // m.Caller, for the interpreter
		m.Regions[RegionNone] = Region{}
		m.Regions[RegionStack] = Region{Data: m.stack, Perm: PermRW}
		m.Order = p.opts.Order
		m.big = p.opts.Order == binary.BigEndian
	}
	m.setEnv(env)
	r := &m.Regions
	if env.Mem != nil {
		r[RegionInput] = Region{Data: env.Mem, Perm: permOf(env.MemReadOnly)}
	} else if r[RegionInput].Data != nil {
		r[RegionInput] = Region{}
	}
	if env.Context != nil {
		r[RegionContext] = Region{Data: env.Context, Perm: permOf(env.ContextReadOnly)}
	} else if r[RegionContext].Data != nil {
		r[RegionContext] = Region{}
	}
	n := RegionFirstUser
	if len(p.opts.Regions)+len(env.Regions) != 0 {
		n = p.mapRegions(m, env)
	}
	for i := n; i < m.next; i++ { // mapped by the previous run, not by this one
		r[i] = Region{}
	}
	m.next = n
	// Runs without helpers change nothing in m but the stack, so the next
	// run on the same memory finds m ready unless the stack needs clearing.
	m.reuse = !p.callsHelpers && !m.stackDirty && err == nil && len(env.Regions) == 0
	// Field by field: a composite literal goes through a temporary.
	k := &m.key
	k.mem = uintptr(unsafe.Pointer(unsafe.SliceData(env.Mem)))
	k.memLen = len(env.Mem)
	k.memRO = env.MemReadOnly
	k.ctx = uintptr(unsafe.Pointer(unsafe.SliceData(env.Context)))
	k.ctxLen = len(env.Context)
	k.ctxRO = env.ContextReadOnly
	return err
}

// mapRegions maps Options.Regions and env.Regions from RegionFirstUser up
// and returns the next free id.
func (p *Program) mapRegions(m *Memory, env *Env) int {
	n := RegionFirstUser
	for _, rs := range [2][]Region{p.opts.Regions, env.Regions} {
		for _, r := range rs {
			if n < MaxRegions {
				m.Regions[n] = r
				n++
			}
		}
	}
	return n
}

var emptyEnv Env

func permOf(readOnly bool) Perm {
	if readOnly {
		return PermRead
	}
	return PermRW
}

// ReleaseMemory returns m, from AcquireMemory, to the pool. m must not be
// used afterwards.
func (p *Program) ReleaseMemory(m *Memory) {
	// Drop the run's references (the pool may keep m until the next
	// garbage collections) and undo what code that held m may have
	// changed; ResetMemory redoes the rest. Stores are skipped where they
	// would change nothing: a store of a pointer costs a write-barrier check.
	r := &m.Regions
	if r[RegionNone].Data != nil || r[RegionNone].Perm != 0 {
		r[RegionNone] = Region{}
	}
	if r[RegionInput].Data != nil || r[RegionInput].Perm != 0 {
		r[RegionInput] = Region{}
	}
	if r[RegionContext].Data != nil || r[RegionContext].Perm != 0 {
		r[RegionContext] = Region{}
	}
	for i := RegionFirstUser; i < m.next; i++ {
		r[i] = Region{}
	}
	if s := &r[RegionStack]; unsafe.SliceData(s.Data) != unsafe.SliceData(m.stack) || len(s.Data) != len(m.stack) || s.Perm != PermRW {
		*s = Region{Data: m.stack, Perm: PermRW}
	}
	m.next = RegionFirstUser
	m.reuse = false
	if m.Value != nil {
		m.Value = nil
	}
	m.Env = nil
	if m.Caller != LocalCaller(&m.interp) { // the interpreter's is m's own
		m.Caller = nil
		m.interp.dirty = true
	}
	m.Order = p.opts.Order
	m.big = p.opts.Order == binary.BigEndian
	p.pool.Put(m)
}

// EntryRegs returns the registers at entry of a run on m: r1 and r2 (the
// context address and 0 when a context is mapped, else the input address
// and length, 0 and 0 without input) and r10, the top of frame 0.
func (p *Program) EntryRegs(m *Memory) (r1, r2, r10 uint64) {
	r10 = p.r10
	if m.Regions[RegionContext].Data != nil {
		return Addr(RegionContext, 0), 0, r10
	}
	if in := m.Regions[RegionInput].Data; len(in) > 0 {
		return Addr(RegionInput, 0), uint64(len(in)), r10
	}
	return 0, 0, r10
}

// envError is the error of an env that CheckEnv refuses.
func (p *Program) envError(env *Env) error {
	if env != nil && RegionFirstUser+len(p.opts.Regions)+len(env.Regions) > MaxRegions {
		return fmt.Errorf("vm: %d program and %d run regions: at most %d", len(p.opts.Regions), len(env.Regions), MaxRegions-RegionFirstUser)
	}
	// The verifier proved context accesses against ContextSize; a shorter
	// context would make those proofs (and the checks engines drop) wrong.
	if p.opts.ContextSize > 0 && (env == nil || len(env.Context) < p.opts.ContextSize) {
		n := 0
		if env != nil {
			n = len(env.Context)
		}
		return fmt.Errorf("vm: context of %d bytes, the program was loaded for %d", n, p.opts.ContextSize)
	}
	return nil
}

// CheckEnv reports whether env suits the program: its regions fit the
// region table and its context is at least Options.ContextSize bytes.
// Every engine calls it before a run. (Its fast path is two comparisons;
// the error is built apart.)
func (p *Program) CheckEnv(env *Env) error {
	if env == nil {
		env = &emptyEnv
	}
	if len(env.Regions) <= p.maxEnvRegions && len(env.Context) >= p.opts.ContextSize {
		return nil
	}
	return p.envError(env)
}

// neverWritesStack reports whether no run of insns can write the stack:
// it has no store or atomic (ST, STX classes) and no call but local ones,
// so no helper sees the run's Memory. (Local calls keep the caller's
// registers outside the stack region on every engine.)
func neverWritesStack(insns isa.Program) bool {
	for _, ins := range insns {
		switch ins.Class() {
		case isa.ClassST, isa.ClassSTX:
			return false
		case isa.ClassJMP, isa.ClassJMP32:
			if ins.Opcode&0xf0 == uint8(isa.JumpCall) && (ins.Opcode != isa.OpCall || ins.Src != isa.CallLocal) {
				return false
			}
		}
	}
	return true
}

// callsHelpers reports whether insns has a call other than a local one.
func callsHelpers(insns isa.Program) bool {
	for _, ins := range insns {
		if c := ins.Class(); (c == isa.ClassJMP || c == isa.ClassJMP32) && ins.Opcode&0xf0 == uint8(isa.JumpCall) &&
			(ins.Opcode != isa.OpCall || ins.Src != isa.CallLocal) {
			return true
		}
	}
	return false
}

// writableAtRunTime withdraws the proof of stores and atomics on the input
// and the context: whether those are writable is chosen per run
// (Env.MemReadOnly, Env.ContextReadOnly), after verification, so engines
// must keep the permission check there. The bounds proof stays
// (Access.InBounds), so engines may check only the permission.
func writableAtRunTime(insns isa.Program, facts *verifier.Facts) {
	for pc, ins := range insns {
		c := ins.Class()
		if (c != isa.ClassST && c != isa.ClassSTX) || pc >= len(facts.Access) {
			continue
		}
		if r := facts.Access[pc].Region; r == verifier.RegionInput || r == verifier.RegionContext {
			facts.Access[pc].Proven = false
		}
	}
}
