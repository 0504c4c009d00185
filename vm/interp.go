package vm

import (
	"encoding/binary"
	"errors"
	"math"
	"math/bits"
)

// Run runs the program in the interpreter on env (nil for none). It is safe
// to call from many goroutines at once. A run that calls no allocating
// helper allocates nothing.
func (p *Program) Run(env *Env) (Result, error) {
	m, _ := p.pool.Get().(*Memory)
	if m == nil {
		m = p.NewMemory()
	}
	r := runner{p: p, m: m}
	res, err := r.Run(env)
	p.ReleaseMemory(m)
	return res, err
}

// rd returns the n bytes at a if the run may read them, else nil.
func (m *Memory) rd(a uint64, n uint64) []byte {
	if a>>32 >= MaxRegions {
		return nil
	}
	r := &m.Regions[a>>32]
	o := uint64(uint32(a))
	if o+n > uint64(len(r.Data)) || r.Perm&PermRead == 0 {
		return nil
	}
	return r.Data[o : o+n : o+n]
}

// wr returns the n bytes at a if the run may write them, else nil.
func (m *Memory) wr(a uint64, n uint64) []byte {
	if a>>32 >= MaxRegions {
		return nil
	}
	r := &m.Regions[a>>32]
	o := uint64(uint32(a))
	if o+n > uint64(len(r.Data)) || r.Perm&PermWrite == 0 {
		return nil
	}
	return r.Data[o : o+n : o+n]
}

// memFault returns the fault of a refused access at pc.
func (p *Program) memFault(m *Memory, pc int, a uint64, n int, write bool) *Error {
	e := m.fault(a, n, write)
	if e == nil { // cannot happen: the fast path refused the access
		e = &Error{Kind: KindFault, Fault: FaultOutOfBounds, Addr: a, Size: n, Write: write}
	}
	e.PC = pc
	return e
}

// state is what the interpreter loop keeps out of its registers: what
// the rare instructions and the slow paths need.
type state struct {
	p     *Program
	m     *Memory
	tr    *tracer
	left  uint64 // instructions left in the budget, when tracing
	rem   uint64 // instructions left otherwise, synced at helper calls (callbacks share it)
	depth int
	err   *Error
	// halted is set when a helper returned ErrHalt, haltR0 its r0: the run
	// ends at once, from a callback too.
	halted bool
	haltR0 uint64
	// dirty: the state needs resetState before a run (a run started on it
	// and did not end cleanly, say). When it is not set, the state is
	// reset for a run of p and m.Caller is the state.
	dirty bool
}

// slow runs before an instruction when the loop's budget counter is 0:
// the budget is exhausted, or the run is traced (the loop's counter is then
// kept at 0 and the true one is st.left). It returns the new value of the
// loop's counter and the pc, or -1 with st.err set when the run must stop.
//
//go:noinline
func (st *state) slow(pc int, regs *[16]uint64) (int, uint64) {
	if st.tr == nil || st.left == 0 {
		st.err = &Error{Kind: KindBudget, PC: pc, Reason: "budget exhausted"}
		st.rem = 0
		return -1, 0
	}
	st.left--
	st.tr.step(pc, regs)
	return pc, 1
}

// atomic runs an atomic instruction; it returns the next pc, or -1 after
// a fault.
//
//go:noinline
func (st *state) atomic(pc int, ins *insn, regs *[16]uint64) int {
	if e := st.p.atomic(st.m, ins, regs); e != nil {
		e.PC = pc
		st.err = e
		return -1
	}
	return pc + 1
}

// ldPacket runs a legacy packet load; it returns the next pc, or -1 when
// the load was out of bounds, which ends the program with r0 = 0.
//
//go:noinline
func (st *state) ldPacket(pc int, ins *insn, regs *[16]uint64) int {
	if !st.p.ldPacket(st.m, ins, regs) {
		regs[0] = 0
		return -1
	}
	return pc + 1
}

//go:noinline
func (st *state) invalid(pc int, ins *insn) {
	st.err = &Error{Kind: KindFault, PC: pc, Fault: FaultInvalid, Reason: InvalidReason(ins.imm)}
	if ins.op != opInvalid {
		st.err.Reason = "internal opcode " + itoa(int64(ins.op))
	}
}

//go:noinline
func (st *state) memFault(pc int, a uint64, n int, write bool, left uint64) {
	st.rem = left
	st.err = st.p.memFault(st.m, pc, a, n, write)
}

// call runs a helper call (opCall, opCallUnk, opCallX); it returns the
// next pc, or -1 when the run must stop (an error, or a halt with r0 set).
//
//go:noinline
func (st *state) call(pc int, ins *insn, regs *[16]uint64) int {
	p := st.p
	var h *Helper
	var fn HelperFunc
	switch ins.op {
	case opCall:
		h, fn = p.hinfo[ins.imm], p.helpers[ins.imm]
	case opCallUnk:
		st.err = &Error{Kind: KindFault, PC: pc, Fault: FaultBadCall, Helper: int32(ins.imm), Reason: "unknown helper " + itoa(int64(int32(ins.imm)))}
		return -1
	default:
		id := regs[ins.dst&15]
		if id <= math.MaxInt32 {
			h = p.opts.Helpers.Lookup(int32(id))
		}
		if h == nil || h.Fn == nil {
			st.err = &Error{Kind: KindFault, PC: pc, Fault: FaultBadCall, Helper: int32(id), Reason: "unknown helper " + itoa(int64(id))}
			return -1
		}
		fn = h.Fn
	}
	r0, err := fn(st.m, regs[1], regs[2], regs[3], regs[4], regs[5])
	regs[0] = r0
	if err != nil {
		if errors.Is(err, ErrHalt) {
			if st.halted { // a helper called from a callback halted
				regs[0] = st.haltR0
			}
			st.halted, st.haltR0 = true, regs[0]
			return -1
		}
		if st.err == nil { // else a callback of the helper faulted: keep its error
			st.err = &Error{Kind: KindHelper, PC: pc, Helper: h.ID, Reason: h.Name, Err: err}
		}
		return -1
	}
	return pc + 1
}

// callLocal enters the function at ins.off; it returns the next pc, or -1
// on a stack overflow.
//
//go:noinline
func (st *state) callLocal(pc int, ins *insn, regs *[16]uint64) int {
	m := st.m
	if st.depth+1 >= len(m.frames) {
		st.err = &Error{Kind: KindFault, PC: pc, Fault: FaultStackOverflow, Reason: "call depth above " + itoa(int64(len(m.frames)))}
		return -1
	}
	f := &m.frames[st.depth]
	f.ret = pc + 1
	f.r6, f.r7, f.r8, f.r9 = regs[6], regs[7], regs[8], regs[9]
	st.depth++
	regs[10] = Addr(RegionStack, uint32((len(m.frames)-st.depth)*len(m.stack)/len(m.frames)))
	return int(ins.off)
}

// ret returns from a local function and gives the pc to continue at.
//
//go:noinline
func (st *state) ret(regs *[16]uint64) int {
	m := st.m
	st.depth--
	f := &m.frames[st.depth]
	regs[6], regs[7], regs[8], regs[9] = f.r6, f.r7, f.r8, f.r9
	regs[10] = Addr(RegionStack, uint32((len(m.frames)-st.depth)*len(m.stack)/len(m.frames)))
	return f.ret
}

// Run checks env, prepares r's Memory for it (ResetMemory) and runs the
// program. Program.Run runs through a runner on a pooled Memory.
func (r *runner) Run(env *Env) (Result, error) {
	p, m := r.p, r.m
	if env == nil {
		env = &emptyEnv
	}
	// ResetMemory, its fast path inline.
	if m.sameEnv(env) {
		m.setEnv(env)
	} else if err := p.resetMemory(m, env); err != nil {
		return Result{}, err
	}
	if env.Trace != nil {
		return p.runTraced(m, env)
	}
	st := &m.interp // in the Memory, so a run allocates nothing
	if st.dirty {
		p.resetState(m)
	}
	st.dirty = true
	var regs [16]uint64
	regs[1], regs[2] = entryRegs(env)
	regs[10] = p.r10
	budget := env.Budget
	if budget == 0 {
		budget = math.MaxUint64
	}
	st.rem = budget
	p.loop(st, 0, &regs)
	n := budget - st.rem // instructions executed
	if st.err != nil {
		return Result{Insns: n}, st.err
	}
	// A run that ended without an error or a halt leaves st as resetState
	// would (depth 0, no error).
	st.dirty = st.halted
	return Result{R0: regs[0], Insns: n}, nil
}

// runTraced is runner.Run's run with Env.Trace set.
//
//go:noinline
func (p *Program) runTraced(m *Memory, env *Env) (Result, error) {
	var regs [16]uint64
	regs[1], regs[2] = entryRegs(env)
	regs[10] = p.r10
	p.resetState(m)
	st := &m.interp
	st.dirty = true // reset by the next run
	budget := env.Budget
	if budget == 0 {
		budget = math.MaxUint64
	}
	st.rem = budget
	st.tr = newTracer(p, env.Trace)
	st.left = budget
	p.loop(st, 0, &regs)
	st.tr.finish(&regs, st.err)
	st.tr = nil
	n := budget - st.left // instructions executed
	if e := st.err; e != nil {
		return Result{Insns: n}, e
	}
	return Result{R0: regs[0], Insns: n}, nil
}

// resetState resets the interpreter state in m for a run of p and makes
// it m's Caller. A run marks the state dirty until it ends cleanly, so
// that Run resets it only after an error, a halt or a panic, on a new
// Memory, or when something else may have changed m.Caller: helpers
// (resetMemory) or another engine (ReleaseMemory).
func (p *Program) resetState(m *Memory) {
	m.interp = state{p: p, m: m}
	// A store of a pointer costs a write-barrier check: only where it changes.
	if m.Caller != LocalCaller(&m.interp) {
		m.Caller = &m.interp
	}
}

// entryRegs returns r1 and r2 at entry of a run on env (see EntryRegs).
func entryRegs(env *Env) (r1, r2 uint64) {
	if env.Context != nil {
		return Addr(RegionContext, 0), 0
	}
	if len(env.Mem) > 0 {
		return Addr(RegionInput, 0), uint64(len(env.Mem))
	}
	return 0, 0
}

// CallLocal runs the local function at pc for a helper (vm.LocalCaller):
// a new frame on the run's stack, a nested loop until the function exits.
func (st *state) CallLocal(pc int, r1, r2, r3, r4, r5 uint64) (uint64, error) {
	p, m := st.p, st.m
	if pc < 0 || pc >= len(p.insns) || p.insns.IsContinuation(pc) {
		return 0, &Error{Kind: KindFault, PC: -1, Fault: FaultBadCall, Reason: "callback to bad pc " + itoa(int64(pc))}
	}
	if st.depth+1 >= len(m.frames) {
		return 0, &Error{Kind: KindFault, PC: pc, Fault: FaultStackOverflow, Reason: "call depth above " + itoa(int64(len(m.frames)))}
	}
	saved := st.depth
	var regs [16]uint64
	regs[1], regs[2], regs[3], regs[4], regs[5] = r1, r2, r3, r4, r5
	st.depth++
	regs[10] = Addr(RegionStack, uint32((len(m.frames)-st.depth)*len(m.stack)/len(m.frames)))
	p.loop(st, pc, &regs)
	st.depth = saved
	if st.err != nil {
		return 0, st.err
	}
	if st.halted {
		return 0, ErrHalt // the helper that called back passes it on
	}
	return regs[0], nil
}

// loop is the interpreter loop: it runs from pc until the function at the
// current depth exits (the program, or a callback) or the run stops. It
// keeps few variables live (code, pc, left, m, the registers) and moves
// everything rare out of line, so the compiler keeps them in machine
// registers.
func (p *Program) loop(st *state, pc int, regs *[16]uint64) {
	m := st.m
	code := p.code
	base := st.depth
	left := st.rem // instructions left; 0 sends the loop to st.slow
	if st.tr != nil {
		left = 0
	}

loop:
	for {
		// pc and left are never live across a call (calls take and return
		// them), so the compiler keeps them in registers without spilling.
		if left == 0 {
			if pc, left = st.slow(pc, regs); pc < 0 { // st.rem is 0: the budget is spent
				break loop
			}
		}
		left--
		ins := &code[pc]
		d, s := ins.dst&15, ins.src&15
		switch ins.op {
		case opNop:

		// ALU64
		case opAdd64K:
			regs[d] += ins.imm
		case opAdd64X:
			regs[d] += regs[s]
		case opSub64K:
			regs[d] -= ins.imm
		case opSub64X:
			regs[d] -= regs[s]
		case opMul64K:
			regs[d] *= ins.imm
		case opMul64X:
			regs[d] *= regs[s]
		case opDiv64K:
			regs[d] /= ins.imm
		case opDiv64X:
			if v := regs[s]; v != 0 {
				regs[d] /= v
			} else {
				regs[d] = 0
			}
		case opSDiv64K:
			regs[d] = uint64(int64(regs[d]) / int64(ins.imm))
		case opSDiv64X:
			if v := int64(regs[s]); v != 0 {
				regs[d] = uint64(int64(regs[d]) / v)
			} else {
				regs[d] = 0
			}
		case opMod64K:
			regs[d] %= ins.imm
		case opMod64X:
			if v := regs[s]; v != 0 {
				regs[d] %= v
			}
		case opSMod64K:
			regs[d] = uint64(int64(regs[d]) % int64(ins.imm))
		case opSMod64X:
			if v := int64(regs[s]); v != 0 {
				regs[d] = uint64(int64(regs[d]) % v)
			}
		case opOr64K:
			regs[d] |= ins.imm
		case opOr64X:
			regs[d] |= regs[s]
		case opAnd64K:
			regs[d] &= ins.imm
		case opAnd64X:
			regs[d] &= regs[s]
		case opLsh64K:
			regs[d] <<= ins.imm & 63
		case opLsh64X:
			regs[d] <<= regs[s] & 63
		case opRsh64K:
			regs[d] >>= ins.imm & 63
		case opRsh64X:
			regs[d] >>= regs[s] & 63
		case opArsh64K:
			regs[d] = uint64(int64(regs[d]) >> (ins.imm & 63))
		case opArsh64X:
			regs[d] = uint64(int64(regs[d]) >> (regs[s] & 63))
		case opXor64K:
			regs[d] ^= ins.imm
		case opXor64X:
			regs[d] ^= regs[s]
		case opMov64K:
			regs[d] = ins.imm
		case opMov64X:
			regs[d] = regs[s]
		case opNeg64:
			regs[d] = -regs[d]
		case opMovSX8to64:
			regs[d] = uint64(int64(int8(regs[s])))
		case opMovSX16to64:
			regs[d] = uint64(int64(int16(regs[s])))
		case opMovSX32to64:
			regs[d] = uint64(int64(int32(regs[s])))
		case opBswap16:
			regs[d] = uint64(bits.ReverseBytes16(uint16(regs[d])))
		case opBswap32:
			regs[d] = uint64(bits.ReverseBytes32(uint32(regs[d])))
		case opBswap64:
			regs[d] = bits.ReverseBytes64(regs[d])

		// ALU32
		case opAdd32K:
			regs[d] = uint64(uint32(regs[d]) + uint32(ins.imm))
		case opAdd32X:
			regs[d] = uint64(uint32(regs[d]) + uint32(regs[s]))
		case opSub32K:
			regs[d] = uint64(uint32(regs[d]) - uint32(ins.imm))
		case opSub32X:
			regs[d] = uint64(uint32(regs[d]) - uint32(regs[s]))
		case opMul32K:
			regs[d] = uint64(uint32(regs[d]) * uint32(ins.imm))
		case opMul32X:
			regs[d] = uint64(uint32(regs[d]) * uint32(regs[s]))
		case opDiv32K:
			regs[d] = uint64(uint32(regs[d]) / uint32(ins.imm))
		case opDiv32X:
			if v := uint32(regs[s]); v != 0 {
				regs[d] = uint64(uint32(regs[d]) / v)
			} else {
				regs[d] = 0
			}
		case opSDiv32K:
			regs[d] = uint64(uint32(int32(regs[d]) / int32(ins.imm)))
		case opSDiv32X:
			if v := int32(regs[s]); v != 0 {
				regs[d] = uint64(uint32(int32(regs[d]) / v))
			} else {
				regs[d] = 0
			}
		case opMod32K:
			regs[d] = uint64(uint32(regs[d]) % uint32(ins.imm))
		case opMod32X:
			if v := uint32(regs[s]); v != 0 {
				regs[d] = uint64(uint32(regs[d]) % v)
			} else {
				regs[d] = uint64(uint32(regs[d]))
			}
		case opSMod32K:
			regs[d] = uint64(uint32(int32(regs[d]) % int32(ins.imm)))
		case opSMod32X:
			if v := int32(regs[s]); v != 0 {
				regs[d] = uint64(uint32(int32(regs[d]) % v))
			} else {
				regs[d] = uint64(uint32(regs[d]))
			}
		case opOr32K:
			regs[d] = uint64(uint32(regs[d]) | uint32(ins.imm))
		case opOr32X:
			regs[d] = uint64(uint32(regs[d]) | uint32(regs[s]))
		case opAnd32K:
			regs[d] = uint64(uint32(regs[d]) & uint32(ins.imm))
		case opAnd32X:
			regs[d] = uint64(uint32(regs[d]) & uint32(regs[s]))
		case opLsh32K:
			regs[d] = uint64(uint32(regs[d]) << (ins.imm & 31))
		case opLsh32X:
			regs[d] = uint64(uint32(regs[d]) << (regs[s] & 31))
		case opRsh32K:
			regs[d] = uint64(uint32(regs[d]) >> (ins.imm & 31))
		case opRsh32X:
			regs[d] = uint64(uint32(regs[d]) >> (regs[s] & 31))
		case opArsh32K:
			regs[d] = uint64(uint32(int32(regs[d]) >> (ins.imm & 31)))
		case opArsh32X:
			regs[d] = uint64(uint32(int32(regs[d]) >> (regs[s] & 31)))
		case opXor32K:
			regs[d] = uint64(uint32(regs[d]) ^ uint32(ins.imm))
		case opXor32X:
			regs[d] = uint64(uint32(regs[d]) ^ uint32(regs[s]))
		case opMov32K:
			regs[d] = uint64(uint32(ins.imm))
		case opMov32X:
			regs[d] = uint64(uint32(regs[s]))
		case opNeg32:
			regs[d] = uint64(-uint32(regs[d]))
		case opMovSX8to32:
			regs[d] = uint64(uint32(int32(int8(regs[s]))))
		case opMovSX16to32:
			regs[d] = uint64(uint32(int32(int16(regs[s]))))
		case opZext16:
			regs[d] = uint64(uint16(regs[d]))
		case opZext32:
			regs[d] = uint64(uint32(regs[d]))

		// Jumps
		case opJA:
			pc = int(ins.off)
			continue
		case opJEQK:
			if regs[d] == ins.imm {
				pc = int(ins.off)
				continue
			}
		case opJEQX:
			if regs[d] == regs[s] {
				pc = int(ins.off)
				continue
			}
		case opJEQ32K:
			if uint32(regs[d]) == uint32(ins.imm) {
				pc = int(ins.off)
				continue
			}
		case opJEQ32X:
			if uint32(regs[d]) == uint32(regs[s]) {
				pc = int(ins.off)
				continue
			}
		case opJNEK:
			if regs[d] != ins.imm {
				pc = int(ins.off)
				continue
			}
		case opJNEX:
			if regs[d] != regs[s] {
				pc = int(ins.off)
				continue
			}
		case opJNE32K:
			if uint32(regs[d]) != uint32(ins.imm) {
				pc = int(ins.off)
				continue
			}
		case opJNE32X:
			if uint32(regs[d]) != uint32(regs[s]) {
				pc = int(ins.off)
				continue
			}
		case opJGTK:
			if regs[d] > ins.imm {
				pc = int(ins.off)
				continue
			}
		case opJGTX:
			if regs[d] > regs[s] {
				pc = int(ins.off)
				continue
			}
		case opJGT32K:
			if uint32(regs[d]) > uint32(ins.imm) {
				pc = int(ins.off)
				continue
			}
		case opJGT32X:
			if uint32(regs[d]) > uint32(regs[s]) {
				pc = int(ins.off)
				continue
			}
		case opJGEK:
			if regs[d] >= ins.imm {
				pc = int(ins.off)
				continue
			}
		case opJGEX:
			if regs[d] >= regs[s] {
				pc = int(ins.off)
				continue
			}
		case opJGE32K:
			if uint32(regs[d]) >= uint32(ins.imm) {
				pc = int(ins.off)
				continue
			}
		case opJGE32X:
			if uint32(regs[d]) >= uint32(regs[s]) {
				pc = int(ins.off)
				continue
			}
		case opJLTK:
			if regs[d] < ins.imm {
				pc = int(ins.off)
				continue
			}
		case opJLTX:
			if regs[d] < regs[s] {
				pc = int(ins.off)
				continue
			}
		case opJLT32K:
			if uint32(regs[d]) < uint32(ins.imm) {
				pc = int(ins.off)
				continue
			}
		case opJLT32X:
			if uint32(regs[d]) < uint32(regs[s]) {
				pc = int(ins.off)
				continue
			}
		case opJLEK:
			if regs[d] <= ins.imm {
				pc = int(ins.off)
				continue
			}
		case opJLEX:
			if regs[d] <= regs[s] {
				pc = int(ins.off)
				continue
			}
		case opJLE32K:
			if uint32(regs[d]) <= uint32(ins.imm) {
				pc = int(ins.off)
				continue
			}
		case opJLE32X:
			if uint32(regs[d]) <= uint32(regs[s]) {
				pc = int(ins.off)
				continue
			}
		case opJSGTK:
			if int64(regs[d]) > int64(ins.imm) {
				pc = int(ins.off)
				continue
			}
		case opJSGTX:
			if int64(regs[d]) > int64(regs[s]) {
				pc = int(ins.off)
				continue
			}
		case opJSGT32K:
			if int32(regs[d]) > int32(ins.imm) {
				pc = int(ins.off)
				continue
			}
		case opJSGT32X:
			if int32(regs[d]) > int32(regs[s]) {
				pc = int(ins.off)
				continue
			}
		case opJSGEK:
			if int64(regs[d]) >= int64(ins.imm) {
				pc = int(ins.off)
				continue
			}
		case opJSGEX:
			if int64(regs[d]) >= int64(regs[s]) {
				pc = int(ins.off)
				continue
			}
		case opJSGE32K:
			if int32(regs[d]) >= int32(ins.imm) {
				pc = int(ins.off)
				continue
			}
		case opJSGE32X:
			if int32(regs[d]) >= int32(regs[s]) {
				pc = int(ins.off)
				continue
			}
		case opJSLTK:
			if int64(regs[d]) < int64(ins.imm) {
				pc = int(ins.off)
				continue
			}
		case opJSLTX:
			if int64(regs[d]) < int64(regs[s]) {
				pc = int(ins.off)
				continue
			}
		case opJSLT32K:
			if int32(regs[d]) < int32(ins.imm) {
				pc = int(ins.off)
				continue
			}
		case opJSLT32X:
			if int32(regs[d]) < int32(regs[s]) {
				pc = int(ins.off)
				continue
			}
		case opJSLEK:
			if int64(regs[d]) <= int64(ins.imm) {
				pc = int(ins.off)
				continue
			}
		case opJSLEX:
			if int64(regs[d]) <= int64(regs[s]) {
				pc = int(ins.off)
				continue
			}
		case opJSLE32K:
			if int32(regs[d]) <= int32(ins.imm) {
				pc = int(ins.off)
				continue
			}
		case opJSLE32X:
			if int32(regs[d]) <= int32(regs[s]) {
				pc = int(ins.off)
				continue
			}
		case opJSETK:
			if regs[d]&ins.imm != 0 {
				pc = int(ins.off)
				continue
			}
		case opJSETX:
			if regs[d]&regs[s] != 0 {
				pc = int(ins.off)
				continue
			}
		case opJSET32K:
			if uint32(regs[d])&uint32(ins.imm) != 0 {
				pc = int(ins.off)
				continue
			}
		case opJSET32X:
			if uint32(regs[d])&uint32(regs[s]) != 0 {
				pc = int(ins.off)
				continue
			}

		// Calls
		case opLddw:
			regs[d] = ins.imm
			pc += 2
			continue
		case opCall, opCallUnk, opCallX:
			st.rem = left
			pc = st.call(pc, ins, regs)
			left = st.rem
			if pc < 0 {
				break loop
			}
			continue
		case opCallLocal:
			st.rem = left
			pc = st.callLocal(pc, ins, regs)
			left = st.rem
			if pc < 0 {
				break loop
			}
			continue
		case opExit:
			st.rem = left
			if st.depth == base {
				break loop
			}
			pc = st.ret(regs)
			left = st.rem
			continue

		// Memory
		case opLdxB:
			a := regs[s] + uint64(int64(ins.off))
			if b := m.rd(a, 1); b != nil {
				regs[d] = uint64(b[0])
			} else {
				st.memFault(pc, a, 1, false, left)
				break loop
			}
		case opLdxHLE:
			a := regs[s] + uint64(int64(ins.off))
			if b := m.rd(a, 2); b != nil {
				regs[d] = uint64(binary.LittleEndian.Uint16(b))
			} else {
				st.memFault(pc, a, 2, false, left)
				break loop
			}
		case opLdxHBE:
			a := regs[s] + uint64(int64(ins.off))
			if b := m.rd(a, 2); b != nil {
				regs[d] = uint64(binary.BigEndian.Uint16(b))
			} else {
				st.memFault(pc, a, 2, false, left)
				break loop
			}
		case opLdxWLE:
			a := regs[s] + uint64(int64(ins.off))
			if b := m.rd(a, 4); b != nil {
				regs[d] = uint64(binary.LittleEndian.Uint32(b))
			} else {
				st.memFault(pc, a, 4, false, left)
				break loop
			}
		case opLdxWBE:
			a := regs[s] + uint64(int64(ins.off))
			if b := m.rd(a, 4); b != nil {
				regs[d] = uint64(binary.BigEndian.Uint32(b))
			} else {
				st.memFault(pc, a, 4, false, left)
				break loop
			}
		case opLdxDWLE:
			a := regs[s] + uint64(int64(ins.off))
			if b := m.rd(a, 8); b != nil {
				regs[d] = uint64(binary.LittleEndian.Uint64(b))
			} else {
				st.memFault(pc, a, 8, false, left)
				break loop
			}
		case opLdxDWBE:
			a := regs[s] + uint64(int64(ins.off))
			if b := m.rd(a, 8); b != nil {
				regs[d] = uint64(binary.BigEndian.Uint64(b))
			} else {
				st.memFault(pc, a, 8, false, left)
				break loop
			}
		case opLdxSB:
			a := regs[s] + uint64(int64(ins.off))
			if b := m.rd(a, 1); b != nil {
				regs[d] = uint64(int64(int8(b[0])))
			} else {
				st.memFault(pc, a, 1, false, left)
				break loop
			}
		case opLdxSHLE:
			a := regs[s] + uint64(int64(ins.off))
			if b := m.rd(a, 2); b != nil {
				regs[d] = uint64(int64(int16(binary.LittleEndian.Uint16(b))))
			} else {
				st.memFault(pc, a, 2, false, left)
				break loop
			}
		case opLdxSHBE:
			a := regs[s] + uint64(int64(ins.off))
			if b := m.rd(a, 2); b != nil {
				regs[d] = uint64(int64(int16(binary.BigEndian.Uint16(b))))
			} else {
				st.memFault(pc, a, 2, false, left)
				break loop
			}
		case opLdxSWLE:
			a := regs[s] + uint64(int64(ins.off))
			if b := m.rd(a, 4); b != nil {
				regs[d] = uint64(int64(int32(binary.LittleEndian.Uint32(b))))
			} else {
				st.memFault(pc, a, 4, false, left)
				break loop
			}
		case opLdxSWBE:
			a := regs[s] + uint64(int64(ins.off))
			if b := m.rd(a, 4); b != nil {
				regs[d] = uint64(int64(int32(binary.BigEndian.Uint32(b))))
			} else {
				st.memFault(pc, a, 4, false, left)
				break loop
			}
		case opStB:
			a := regs[d] + uint64(int64(ins.off))
			if b := m.wr(a, 1); b != nil {
				b[0] = byte(ins.imm)
			} else {
				st.memFault(pc, a, 1, true, left)
				break loop
			}
		case opStHLE:
			a := regs[d] + uint64(int64(ins.off))
			if b := m.wr(a, 2); b != nil {
				binary.LittleEndian.PutUint16(b, uint16(ins.imm))
			} else {
				st.memFault(pc, a, 2, true, left)
				break loop
			}
		case opStHBE:
			a := regs[d] + uint64(int64(ins.off))
			if b := m.wr(a, 2); b != nil {
				binary.BigEndian.PutUint16(b, uint16(ins.imm))
			} else {
				st.memFault(pc, a, 2, true, left)
				break loop
			}
		case opStWLE:
			a := regs[d] + uint64(int64(ins.off))
			if b := m.wr(a, 4); b != nil {
				binary.LittleEndian.PutUint32(b, uint32(ins.imm))
			} else {
				st.memFault(pc, a, 4, true, left)
				break loop
			}
		case opStWBE:
			a := regs[d] + uint64(int64(ins.off))
			if b := m.wr(a, 4); b != nil {
				binary.BigEndian.PutUint32(b, uint32(ins.imm))
			} else {
				st.memFault(pc, a, 4, true, left)
				break loop
			}
		case opStDWLE:
			a := regs[d] + uint64(int64(ins.off))
			if b := m.wr(a, 8); b != nil {
				binary.LittleEndian.PutUint64(b, ins.imm)
			} else {
				st.memFault(pc, a, 8, true, left)
				break loop
			}
		case opStDWBE:
			a := regs[d] + uint64(int64(ins.off))
			if b := m.wr(a, 8); b != nil {
				binary.BigEndian.PutUint64(b, ins.imm)
			} else {
				st.memFault(pc, a, 8, true, left)
				break loop
			}
		case opStxB:
			a := regs[d] + uint64(int64(ins.off))
			if b := m.wr(a, 1); b != nil {
				b[0] = byte(regs[s])
			} else {
				st.memFault(pc, a, 1, true, left)
				break loop
			}
		case opStxHLE:
			a := regs[d] + uint64(int64(ins.off))
			if b := m.wr(a, 2); b != nil {
				binary.LittleEndian.PutUint16(b, uint16(regs[s]))
			} else {
				st.memFault(pc, a, 2, true, left)
				break loop
			}
		case opStxHBE:
			a := regs[d] + uint64(int64(ins.off))
			if b := m.wr(a, 2); b != nil {
				binary.BigEndian.PutUint16(b, uint16(regs[s]))
			} else {
				st.memFault(pc, a, 2, true, left)
				break loop
			}
		case opStxWLE:
			a := regs[d] + uint64(int64(ins.off))
			if b := m.wr(a, 4); b != nil {
				binary.LittleEndian.PutUint32(b, uint32(regs[s]))
			} else {
				st.memFault(pc, a, 4, true, left)
				break loop
			}
		case opStxWBE:
			a := regs[d] + uint64(int64(ins.off))
			if b := m.wr(a, 4); b != nil {
				binary.BigEndian.PutUint32(b, uint32(regs[s]))
			} else {
				st.memFault(pc, a, 4, true, left)
				break loop
			}
		case opStxDWLE:
			a := regs[d] + uint64(int64(ins.off))
			if b := m.wr(a, 8); b != nil {
				binary.LittleEndian.PutUint64(b, regs[s])
			} else {
				st.memFault(pc, a, 8, true, left)
				break loop
			}
		case opStxDWBE:
			a := regs[d] + uint64(int64(ins.off))
			if b := m.wr(a, 8); b != nil {
				binary.BigEndian.PutUint64(b, regs[s])
			} else {
				st.memFault(pc, a, 8, true, left)
				break loop
			}
		case opAtomicW, opAtomicDW:
			st.rem = left
			pc = st.atomic(pc, ins, regs)
			left = st.rem
			if pc < 0 {
				break loop
			}
			continue
		case opLdAbsB, opLdAbsH, opLdAbsW, opLdIndB, opLdIndH, opLdIndW:
			st.rem = left
			pc = st.ldPacket(pc, ins, regs)
			left = st.rem
			if pc < 0 {
				break loop
			}
			continue
		default: // opInvalid
			st.rem = left
			st.invalid(pc, ins)
			break loop
		}
		pc++
	}
	// Every way out of the loop stored left in st.rem.
}

// ldPacket runs a legacy packet load; it reports false when the access is
// out of the input memory, which ends the program with r0 = 0.
func (p *Program) ldPacket(m *Memory, ins *insn, regs *[16]uint64) bool {
	var size uint64
	off := int64(int32(uint32(ins.imm)))
	switch ins.op {
	case opLdAbsB, opLdIndB:
		size = 1
	case opLdAbsH, opLdIndH:
		size = 2
	default:
		size = 4
	}
	if ins.op >= opLdIndB {
		off = int64(int32(uint32(regs[ins.src&15]) + uint32(ins.imm)))
	}
	r := &m.Regions[RegionInput]
	if off < 0 || uint64(off)+size > uint64(len(r.Data)) || r.Perm&PermRead == 0 {
		return false
	}
	b := r.Data[off : uint64(off)+size]
	switch size {
	case 1:
		regs[0] = uint64(b[0])
	case 2:
		regs[0] = uint64(binary.BigEndian.Uint16(b))
	default:
		regs[0] = uint64(binary.BigEndian.Uint32(b))
	}
	return true
}

func itoa(v int64) string {
	if v == 0 {
		return "0"
	}
	var b [24]byte
	i := len(b)
	neg := v < 0
	u := uint64(v)
	if neg {
		u = -u
	}
	for u > 0 {
		i--
		b[i] = byte('0' + u%10)
		u /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
