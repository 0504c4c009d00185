package jit

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/iovm/iovm/isa"
	"github.com/iovm/iovm/verifier"
	"github.com/iovm/iovm/vm"
)

// ErrUnsupported is returned by Compile on a GOARCH or OS without a backend.
var ErrUnsupported = errors.New("jit: no native backend for this platform")

// ErrClosed is returned by Run after Close.
var ErrClosed = errors.New("jit: program closed")

// Options configure compilation.
type Options struct {
	// Blind enables constant blinding: immediates are stored xored with a
	// random key and unblinded at run time, so attacker-chosen constants
	// never appear in executable memory (against JIT spraying).
	Blind bool
	// YieldEvery is the number of instructions between returns to Go that
	// let a stop-the-world pause proceed (default 1<<16).
	YieldEvery uint64
}

// Supported reports whether this host can run native code.
func Supported() bool { return hostArch != "" && backends[hostArch] != nil && execSupported }

// Program is a program compiled to native code. It is safe for concurrent
// use; it implements vm.Executable.
type Program struct {
	vp      *vm.Program
	insns   isa.Program
	opts    vm.Options
	helpers *vm.Helpers
	code    *code
	exec    []byte
	entry   uintptr // address of the entry stub
	begin   uintptr // address of the first entry of a run (Starter), else entry
	start   uintptr // address of the code of pc 0
	quantum uint64
	jopts   Options
	closed  atomic.Bool
	mu      sync.Mutex
	// cbProg runs callbacks (see callbackProgram); nil until the first.
	cbProg atomic.Pointer[Program]
	// rwProg is the writable variant (see pick); nil until the first run
	// that can use it. rwOf is the Program a writable variant belongs to.
	rwProg atomic.Pointer[Program]
	rwOf   *Program
}

var _ vm.Executable = (*Program)(nil)

// Listing is the native code of a program, for disassembly.
type Listing struct {
	Arch string
	Code []byte
	// PC[pc] is the offset in Code of the native code of pc (-1 for the
	// second slot of a lddw); PC[len(PC)-1] is the end of the main code,
	// after which come stubs.
	PC    []int
	Start int // offset of pc 0's code; before it is the entry stub
}

// Generate compiles p for arch (a GOARCH with a backend, "" for the host)
// without making it executable.
func Generate(p *vm.Program, arch string, opts *Options) (*Listing, error) {
	if arch == "" {
		arch = runtime.GOARCH
	}
	c, err := generate(p, arch, opts)
	if err != nil {
		return nil, err
	}
	return &Listing{Arch: arch, Code: c.bytes, PC: c.pcOff, Start: c.start}, nil
}

func generate(p *vm.Program, arch string, opts *Options) (*code, error) {
	return generateWith(p, arch, opts, p.Facts())
}

// generateWith compiles p trusting the verifier's facts f.
func generateWith(p *vm.Program, arch string, opts *Options, f *verifier.Facts) (*code, error) {
	return generateVariant(p, arch, opts, f, false)
}

// generateVariant is generateWith, of the writable variant if writable.
func generateVariant(p *vm.Program, arch string, opts *Options, f *verifier.Facts, writable bool) (*code, error) {
	nb := backends[arch]
	if nb == nil {
		return nil, fmt.Errorf("%w (GOARCH %s)", ErrUnsupported, arch)
	}
	if opts == nil {
		opts = &Options{}
	}
	o := p.Options()
	cfg := Config{
		StackSize:    o.StackSize,
		MaxCallDepth: o.MaxCallDepth,
		BigEndian:    o.Order == binary.BigEndian,
		Blind:        opts.Blind,
		Key:          randKey,
		writable:     writable,
	}
	return lower(nb(), p.Resolved(), f, cfg)
}

// randKey returns a random blinding key in the int32 range.
func randKey() int64 {
	var b [4]byte
	rand.Read(b[:])
	return int64(int32(binary.LittleEndian.Uint32(b[:])))
}

// Compile compiles a loaded program to native code for the host. The
// result holds executable memory: Close it when done (a finalizer frees it
// otherwise).
func Compile(p *vm.Program, opts *Options) (*Program, error) {
	return compile(p, opts, p.Facts())
}

// compile is Compile trusting the verifier's facts f.
func compile(p *vm.Program, opts *Options, f *verifier.Facts) (*Program, error) {
	return compileVariant(p, opts, f, false)
}

// compileVariant is compile, of the writable variant if writable.
func compileVariant(p *vm.Program, opts *Options, f *verifier.Facts, writable bool) (*Program, error) {
	if !Supported() {
		return nil, fmt.Errorf("%w (%s/%s)", ErrUnsupported, runtime.GOOS, runtime.GOARCH)
	}
	c, err := generateVariant(p, hostArch, opts, f, writable)
	if err != nil {
		return nil, err
	}
	exec, err := allocExec(c.bytes)
	if err != nil {
		return nil, fmt.Errorf("jit: executable memory: %w", err)
	}
	o := p.Options()
	jp := &Program{vp: p, insns: p.Resolved(), opts: o, helpers: o.Helpers, code: c, exec: exec, quantum: 1 << 16}
	if opts != nil {
		jp.jopts = *opts
		if opts.YieldEvery > 0 {
			jp.quantum = opts.YieldEvery
		}
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(exec)))
	jp.entry = base
	jp.begin = base
	if c.begin >= 0 {
		jp.begin = base + uintptr(c.begin)
	}
	jp.start = base + uintptr(c.start)
	runtime.SetFinalizer(jp, (*Program).Close)
	return jp, nil
}

// Interp returns the interpreted program this one was compiled from.
func (p *Program) Interp() *vm.Program { return p.vp }

// Listing returns the native code of p.
func (p *Program) Listing() *Listing {
	return &Listing{Arch: hostArch, Code: p.code.bytes, PC: p.code.pcOff, Start: p.code.start}
}

// Close frees the native code. Run must not be running or called after.
func (p *Program) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed.Swap(true) {
		return nil
	}
	runtime.SetFinalizer(p, nil)
	err := freeExec(p.exec)
	p.exec = nil
	for _, t := range [2]*Program{p.cbProg.Load(), p.rwProg.Load()} {
		if t != nil && t != p {
			if e := t.Close(); err == nil {
				err = e
			}
		}
	}
	return err
}

// pick returns the compilation of p for a run on m: the writable variant
// when the regions with WriteChecked stores are writable, else p. In the
// writable variant those stores are Proven: no permission test (see the
// package doc). Its assumption must hold until the run ends, and only a
// helper can change the region table during a run (Go's other work
// between entries does not): after each helper call exits checks it and
// moves the run to p at the helper's resume point when it no longer
// holds (afterHelper). Callbacks run the fact-free twin anyway.
func (p *Program) pick(m *vm.Memory) *Program {
	if !writable(m, p.code.wcRegions) {
		return p
	}
	if t := p.rwProg.Load(); t != nil {
		return t
	}
	return p.writableVariant()
}

// writable reports whether the regions in mask (bit id) allow writes.
func writable(m *vm.Memory, mask uint8) bool {
	return mask != 0 &&
		(mask&(1<<vm.RegionInput) == 0 || m.Regions[vm.RegionInput].Perm&vm.PermWrite != 0) &&
		(mask&(1<<vm.RegionContext) == 0 || m.Regions[vm.RegionContext].Perm&vm.PermWrite != 0)
}

// writableVariant compiles the writable variant of p, once, at the first
// run that can use it; p itself stands for it if that fails.
func (p *Program) writableVariant() *Program {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t := p.rwProg.Load(); t != nil {
		return t
	}
	if p.closed.Load() {
		return p // runner.Run reports ErrClosed
	}
	t, err := compileVariant(p.vp, &p.jopts, p.vp.Facts(), true)
	if err != nil {
		t = p
	} else {
		t.quantum = p.quantum
		t.rwOf = p
	}
	p.rwProg.Store(t)
	return t
}

// moveTo moves a run of p, stopped after the helper call at pc, to c, a
// compilation of the same program (its checked code or its code without
// facts), and runs it on: the resume address and the return addresses of
// the local calls in progress go to the same points in c.
func (p *Program) moveTo(c *Program, st *state, m *vm.Memory, pc int) (bool, *vm.Error) {
	stop := &vm.Error{Kind: vm.KindHelper, PC: pc, Reason: "the helper changed the memory regions in a way this program's native code cannot follow"}
	if !p.code.movable || !c.code.movable {
		// Never seen: calls end groups and combinations, so each is
		// lowered once. Stopping is safe; going on in p would not be.
		return false, stop
	}
	move := func(addr uint64, at, to []int) (uint64, bool) {
		for q, off := range at {
			if off != 0 && addr == uint64(p.entry)+uint64(off) {
				return uint64(c.entry) + uint64(to[q]), true
			}
		}
		return 0, false
	}
	// Translate everything before changing anything: a run that cannot
	// move stops with st as it was.
	resume, ok := move(st.resume, p.code.helperNext[pc:pc+1], c.code.helperNext[pc:pc+1])
	if !ok {
		return false, stop
	}
	rets := make([]uint64, st.depth) // a rare path: a helper changed the regions
	for i := range st.depth {
		if rets[i], ok = move(st.frameBuf[i].ret, p.code.localRet, c.code.localRet); !ok {
			return false, stop
		}
	}
	st.resume = resume
	for i := range st.depth {
		st.frameBuf[i].ret = rets[i]
	}
	return c.loop(st, m)
}

// holds reports whether the regions p's proofs are about are still as
// long and readable as when the run began (st.entryLen). Helpers get the
// Memory and may replace the input or the context (a packet helper that
// trims or grows the packet, say); the verifier proved accesses against
// the lengths at entry, so after a helper that shrank one, the run must
// go on in code without facts, as the interpreter checks every access.
func (p *Program) holds(st *state, m *vm.Memory) bool {
	for i, id := range [2]int{vm.RegionInput, vm.RegionContext} {
		if p.code.proven&(1<<id) != 0 {
			if r := &m.Regions[id]; len(r.Data) < st.entryLen[i] || r.Perm&vm.PermRead == 0 {
				return false
			}
		}
	}
	return true
}

// afterHelper moves a run of p stopped after the helper call at pc to
// the compilation the helper's changes to the regions require, if not p:
// code without facts when a proven region shrank, the checked code when
// the writable variant's regions became read-only. moved tells whether
// it did; the rest is the moved run's result.
func (p *Program) afterHelper(st *state, m *vm.Memory, pc int) (moved, callback bool, err *vm.Error) {
	if !p.holds(st, m) {
		base := p
		if p.rwOf != nil {
			base = p.rwOf
		}
		t, e := base.callbackProgram()
		if e != nil {
			return true, false, &vm.Error{Kind: vm.KindHelper, PC: pc, Reason: "cannot compile code without facts", Err: e}
		}
		callback, err = p.moveTo(t, st, m, pc)
		return true, callback, err
	}
	if p.rwOf != nil && !writable(m, p.code.wcRegions) {
		callback, err = p.moveTo(p.rwOf, st, m, pc)
		return true, callback, err
	}
	return false, false, nil
}

// callbackProgram returns the program that runs callbacks from helpers
// (vm.LocalCaller): p compiled again without the verifier's facts, so
// every access is checked and every divisor tested. The facts hold for
// runs from pc 0, not for a function a helper enters at any pc with any
// r1..r5 (bpf_loop passes the program's own r3 to its callback); trusting
// them there would let a program reach host memory. It is compiled at the
// first callback, once.
func (p *Program) callbackProgram() (*Program, error) {
	if t := p.cbProg.Load(); t != nil {
		return t, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if t := p.cbProg.Load(); t != nil {
		return t, nil
	}
	if p.closed.Load() {
		return nil, ErrClosed
	}
	f := p.vp.Facts()
	if f == nil || !f.Analyzed {
		p.cbProg.Store(p)
		return p, nil
	}
	none := *f
	none.Analyzed = false // Access and DivNonZero then claim nothing
	t, err := compile(p.vp, &p.jopts, &none)
	if err != nil {
		return nil, err
	}
	t.quantum = p.quantum
	p.cbProg.Store(t)
	return t, nil
}

// newState returns a new state for runs on m, a Memory of p's vm.Program.
// It lives in m.EngineState, pooled with m, or in a runner: it depends only
// on the vm.Program (MaxCallDepth) and on m, so every jit.Program compiled
// from that vm.Program can use it.
func (p *Program) newState(m *vm.Memory) *state {
	st := &state{frameBuf: make([]frameRec, p.opts.MaxCallDepth)}
	st.frames = uint64(uintptr(unsafe.Pointer(&st.frameBuf[0])))
	st.mem = uint64(uintptr(unsafe.Pointer(&m.Regions[0])))
	st.stackBase = uint64(uintptr(unsafe.Pointer(unsafe.SliceData(m.Regions[vm.RegionStack].Data))))
	st.cb = caller{p: p, st: st, m: m}
	return st
}

// Run runs the program on env (nil for none) with the interpreter's
// semantics and errors. It allocates nothing unless it fails or a helper
// does.
func (p *Program) Run(env *vm.Env) (vm.Result, error) {
	// The same checks as the interpreter's (CheckEnv): too many regions, or
	// a context shorter than the verifier assumed (proven accesses are
	// unchecked). runner.Run checks p.closed.
	m, err := p.vp.AcquireMemoryChecked(env)
	if err != nil {
		p.vp.ReleaseMemory(m)
		return vm.Result{}, err
	}
	st, _ := m.EngineState.(*state)
	if st == nil {
		st = p.newState(m)
		m.EngineState = st
	}
	if st.cb.p != p { // the vm.Program's pool serves every Program compiled from it
		st.cb.p = p
		st.clean = false
	}
	m.Caller = &st.cb // ReleaseMemory dropped it
	r := runner{p: p, m: m, st: st, pooled: true}
	res, err := r.Run(env)
	p.vp.ReleaseMemory(m)
	return res, err
}

// NewRunner returns a Runner of p (see vm.Runner). Close ends its runs
// too.
func (p *Program) NewRunner() vm.Runner {
	m := p.vp.NewMemory()
	return &runner{p: p, m: m, st: p.newState(m)}
}

// emptyEnv is the Env of a run on a nil *vm.Env.
var emptyEnv vm.Env

// runner is the JIT's vm.Runner: a Program with a Memory and state of its
// own. Program.Run uses one on a pooled Memory.
type runner struct {
	p      *Program
	m      *vm.Memory
	st     *state // the state of runs on m
	pooled bool   // m comes from AcquireMemory, which prepared it
}

func (r *runner) Run(env *vm.Env) (vm.Result, error) {
	p, m, st := r.p, r.m, r.st
	if p.closed.Load() {
		return vm.Result{}, ErrClosed
	}
	if env == nil {
		env = &emptyEnv // the same one each time, so that m.Ready holds
	}
	if !r.pooled && !m.Ready(env) {
		if err := p.vp.ResetMemory(m, env); err != nil {
			return vm.Result{}, err
		}
	}
	if p.code.wcRegions != 0 {
		p = p.pick(m)
	}
	r1, r2, r10 := p.vp.EntryRegs(m)
	if !st.clean || st.regs[1] != r1 || st.regs[2] != r2 {
		p.setup(st, m, r1, r2, r10)
	}
	budget := uint64(math.MaxUint64)
	if env.Budget != 0 {
		budget = env.Budget
	}
	// The first entry is inline: most runs end there.
	give := min(budget, p.quantum)
	st.count = give
	if p.code.cache {
		fillCache(st, m)
	}
	enter(p.begin, st)
	used := give - st.count
	if st.reason != ExitDone {
		return r.exits(p, st, m, used, budget)
	}
	runtime.KeepAlive(p)
	return vm.Result{R0: st.regs[0], Insns: used}, nil
}

// setup prepares st for the first entry of a run with entry registers r1,
// r2 and r10. A run whose first entry ends the program (ExitDone) leaves
// st as setup made it but for r0 and the counter, and is then clean: the
// next run with the same r1 and r2 skips setup. That needs a first-entry
// stub (Starter), which zeroes the other registers itself; a full entry
// reads them all from st.
func (p *Program) setup(st *state, m *vm.Memory, r1, r2, r10 uint64) {
	if p.begin != p.entry {
		// The first-entry stub zeroes the other registers. (Zeroing
		// them here costs more: native code's loads of halves of the
		// wide stores stall.)
		st.regs[1], st.regs[2], st.regs[10] = r1, r2, r10
	} else {
		st.regs = [11]uint64{1: r1, 2: r2, 10: r10}
	}
	st.entryR, st.entryR1 = r1>>32, r1
	if st.entryR == 0 || st.entryR >= vm.MaxRegions {
		st.entryR = vm.RegionInput
	}
	st.hostFP = st.stackBase + uint64(uint32(r10))
	st.depth = 0
	st.resume = uint64(p.start)
	st.extra = 0
	if st.cbErr != nil {
		st.cbErr = nil
	}
	// Pointers are stored only where they change (write barriers).
	if m.Caller != vm.LocalCaller(&st.cb) {
		m.Caller = &st.cb
	}
	st.clean = p.begin != p.entry
}

// exits is Run of p (r.p or its writable variant) past a first entry that
// did not end the program: used instructions of budget charged so far.
func (r *runner) exits(p *Program, st *state, m *vm.Memory, used, budget uint64) (vm.Result, error) {
	st.clean = false // a helper may panic: the next run redoes setup
	st.entryLen = [2]int{len(m.Regions[vm.RegionInput].Data), len(m.Regions[vm.RegionContext].Data)}
	st.insns = used
	st.remaining = budget - used
	_, err := p.exits(st, m)
	runtime.KeepAlive(p)
	if err != nil {
		return vm.Result{Insns: st.insns}, err
	}
	return vm.Result{R0: st.regs[0], Insns: st.insns}, nil
}

// loop runs native code from st.resume until the program ends (or, in a
// callback, the function returns: callback true) or fails.
func (p *Program) loop(st *state, m *vm.Memory) (callback bool, err *vm.Error) {
	p.native(st, m)
	return p.exits(st, m)
}

// native runs native code from st.resume until its next exit to Go.
func (p *Program) native(st *state, m *vm.Memory) {
	give := min(st.remaining, p.quantum+st.extra)
	st.extra = 0
	st.count = give
	if p.code.cache {
		fillCache(st, m)
	}
	enter(p.entry, st)
	used := give - st.count
	st.insns += used
	st.remaining -= used
}

// exits acts on the exit of native code in st and re-enters it, until
// the program ends (or, in a callback, the function returns: callback
// true) or fails.
func (p *Program) exits(st *state, m *vm.Memory) (callback bool, err *vm.Error) {
	for ; ; p.native(st, m) {
		pc := int(st.pc)
		switch st.reason {
		case ExitDone:
			return false, nil
		case ExitCallback:
			return true, nil
		case ExitHelper:
			halt, err := p.callHelper(st, m, pc)
			if err != nil || halt {
				p.endAt(st, pc)
				return false, err
			}
			if p.code.proven != 0 || p.rwOf != nil {
				if moved, cb, err := p.afterHelper(st, m, pc); moved {
					return cb, err
				}
			}
		case ExitBudget:
			k := uint64(p.code.chain.charge[pc])
			if k == 0 { // a side entry into a chain's member (chain.go)
				k = uint64(p.restFrom(pc))
			}
			if st.remaining < k {
				if e := p.stepShort(st, m, pc); e != nil {
					return false, e
				}
				break
			}
			st.extra = k
			yieldPoint(st.pc)
		case ExitFault:
			p.endAt(st, pc)
			return false, p.fault(st, m, pc)
		case ExitLegacy:
			if !p.legacy(st, m, pc) {
				p.endAt(st, pc)
				return false, nil
			}
		case ExitAtomic:
			if e := p.atomicGo(st, m, pc); e != nil {
				p.endAt(st, pc)
				return false, e
			}
		case ExitDepth:
			p.endAt(st, pc)
			return false, &vm.Error{Kind: vm.KindFault, PC: pc, Fault: vm.FaultStackOverflow, Reason: fmt.Sprintf("call depth above %d", p.opts.MaxCallDepth)}
		case ExitInvalid:
			p.endAt(st, pc)
			return false, &vm.Error{Kind: vm.KindFault, PC: pc, Fault: vm.FaultInvalid, Reason: vm.InvalidReason(st.aux)}
		default:
			panic(fmt.Sprintf("jit: bad exit reason %d at pc %d", st.reason, pc))
		}
	}
}

// endAt gives back the charge of the instructions after pc in its basic
// block when the run ends at pc (a fault, a failing or halting helper, an
// out-of-bounds packet load): native code charged the whole block at its
// start, and the interpreter counts up to pc.
func (p *Program) endAt(st *state, pc int) {
	k := uint64(p.afterInBlock(pc))
	st.insns -= k
	st.remaining += k
}

// afterInBlock returns the number of instructions after pc in its basic
// block (its chain of blocks, when charged as one).
func (p *Program) afterInBlock(pc int) int {
	return max(p.restFrom(pc)-1, 0)
}

// restFrom returns the number of instructions from pc, included, to the
// end of its basic block (its chain of blocks, when charged as one).
func (p *Program) restFrom(pc int) int {
	i := 0 // instructions from the block's first pc to pc, excluded
	for l := pc; l >= 0; l-- {
		if p.insns.IsContinuation(l) {
			continue
		}
		if k := p.code.block[l]; k > 0 {
			return k - i + p.code.chain.after[l]
		}
		i++
	}
	return 0
}

// caller lets helpers call local functions of the running program
// (vm.LocalCaller), as bpf_loop does.
type caller struct {
	p  *Program
	st *state
	m  *vm.Memory
}

// CallLocal runs the function at pc in a new frame until it returns, as
// the interpreter does; a fault in it ends the whole run with its error.
func (c *caller) CallLocal(pc int, r1, r2, r3, r4, r5 uint64) (uint64, error) {
	st, m := c.st, c.m
	if pc < 0 || pc >= len(c.p.insns) || c.p.insns.IsContinuation(pc) {
		return 0, &vm.Error{Kind: vm.KindFault, PC: -1, Fault: vm.FaultBadCall, Reason: "callback to bad pc " + strconv.Itoa(pc)}
	}
	p, cerr := c.p.callbackProgram()
	if cerr != nil {
		return 0, fmt.Errorf("jit: callback: %w", cerr)
	}
	maxDepth := p.opts.MaxCallDepth
	if int(st.depth)+1 >= maxDepth {
		return 0, &vm.Error{Kind: vm.KindFault, PC: pc, Fault: vm.FaultStackOverflow, Reason: fmt.Sprintf("call depth above %d", maxDepth)}
	}
	saved := st.regs
	savedFP, savedDepth, savedResume := st.hostFP, st.depth, st.resume
	// The callee's exit pops this frame and lands on the callback-return stub.
	st.frameBuf[st.depth] = frameRec{r6: saved[6], r7: saved[7], r8: saved[8], r9: saved[9], r10: saved[10], hostFP: savedFP,
		ret: uint64(p.entry) + uint64(p.code.cbRet)}
	st.depth++
	off := uint32((maxDepth - int(st.depth)) * p.opts.StackSize)
	st.regs = [11]uint64{1: r1, 2: r2, 3: r3, 4: r4, 5: r5, 10: vm.Addr(vm.RegionStack, off)}
	st.hostFP = st.stackBase + uint64(off)
	st.resume = uint64(p.entry) + uint64(p.code.callOff[pc])
	var err *vm.Error
	// Native code charges a block at its first pc: a callback into the
	// middle of one is charged the rest of it here, as the interpreter
	// counts it.
	if k := uint64(p.restOfBlock(pc)); st.remaining < k {
		if err = p.stepShort(st, m, pc); err == nil {
			_, err = p.loop(st, m)
		}
	} else {
		st.insns += k
		st.remaining -= k
		_, err = p.loop(st, m)
	}
	r0 := st.regs[0]
	st.regs, st.hostFP, st.depth, st.resume = saved, savedFP, savedDepth, savedResume
	if err != nil {
		st.cbErr = err
		return 0, err
	}
	return r0, nil
}

// stepShort runs, in Go, the instructions from pc that the budget left
// cannot cover with the charge due at pc (a chain's, or the rest of one
// for a callback): the budget runs out in them (a KindBudget error), or a
// jump leaves the chain early and native code resumes at the next block
// (st.resume; the caller re-enters, as after an exit).
func (p *Program) stepShort(st *state, m *vm.Memory, pc int) *vm.Error {
	end, k, e := p.stepRegion(st, m, pc, st.remaining)
	if e != nil { // counted up to the faulting instruction, as endAt does
		st.insns += k + 1
		st.remaining -= k + 1
		return e
	}
	st.insns += k
	st.remaining -= k
	if st.remaining == 0 {
		return &vm.Error{Kind: vm.KindBudget, PC: end, Reason: "budget exhausted"}
	}
	st.resume = uint64(p.entry) + uint64(p.code.callOff[end])
	return nil
}

// restOfBlock returns the number of instructions native code would have
// charged from pc on when pc is inside a block or a chain of blocks
// charged together (chain.go): the rest of its block and the chain's
// blocks after it (0 when pc starts a block that charges itself).
func (p *Program) restOfBlock(pc int) int {
	if p.code.chain.charge[pc] > 0 {
		return 0
	}
	return p.restFrom(pc)
}

// Load verifies and loads p as vm.Load does, then compiles it for the host.
func Load(p isa.Program, opts *vm.Options) (*Program, error) {
	vp, err := vm.Load(p, opts)
	if err != nil {
		return nil, err
	}
	return Compile(vp, nil)
}

// yieldPoint is where a long run lets the scheduler in: its frame is too
// big for the compiler to drop the stack check, and a pending preemption
// (a stop-the-world, a GC stack scan) makes that check fail, so the
// goroutine is preempted here; otherwise it costs a call.
//
//go:noinline
func yieldPoint(x uint64) byte {
	var buf [256]byte
	buf[x%256] = 1
	return buf[(x+1)%256]
}
