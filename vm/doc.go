// Package vm is the runtime model shared by every iovm engine — memory
// regions, helpers, budget, errors — and the reference interpreter.
//
// # Loading and running
//
// Load (a decoded isa.Program) and LoadBytes (bytecode in either byte
// order) validate every instruction, run the verifier (verifier.Verify,
// Checked mode, or Strict with Options.Strict) and pre-decode the program
// for the interpreter. Every load failure is a *Error of kind KindLoad
// naming the pc. A *Program is immutable: Run may be called from many
// goroutines at once, each run taking its Memory (stack, frames, region
// table) from a per-program sync.Pool, so a run allocates nothing unless a
// helper does.
//
// A goroutine that runs one program many times takes a Runner
// (Executable.NewRunner) instead: it owns a Memory, so its runs skip the
// pool (whose Get and Put are most of the fixed cost of a short run), and
// it redoes only what the previous run may have changed: the stack is
// cleared only when a run may have written it, regions helpers mapped are
// unmapped, and a run of a program without stores and helper calls on the
// same input and context memory as the previous one (and no Env.Regions)
// finds the region table ready. The interpreter's own state is reset
// only after a run that did not end cleanly (an error, a halt, a panic).
// Its results and errors are Run's; it is not safe for concurrent use.
// Program.Run runs through a Runner on a pooled Memory. Both keep pointer
// stores out of the common path, since each costs a write-barrier check.
//
// Defaults: little-endian, 512-byte frames, 8 frames (the entry frame
// included).
//
// # Addresses and regions
//
// An eBPF address is region<<32 | offset (Addr, SplitAddr). The region
// table of a run, Memory.Regions, is indexed by region id; each Region is a
// byte slice with read/write permissions:
//
//	id 0        never mapped: NULL and small integers fault (FaultNull)
//	id 1        the stack: all frames of the run (RegionStack)
//	id 2        the input memory Env.Mem (RegionInput), the legacy packet
//	id 3        the context Env.Context (RegionContext)
//	id 4..      Options.Regions (program-wide: global data, map values),
//	            then Env.Regions, then what helpers map with Memory.Map
//
// Every load, store and atomic checks the region, the bounds and the
// permission; a bad access is a KindFault error with the pc, the address,
// the size and whether it was a write. Arithmetic on addresses is plain
// 64-bit arithmetic, so an offset that underflows lands in the previous
// region id and faults there (out of bounds) rather than wrapping inside a
// region. Helpers turn addresses into slices with Memory.Translate (and
// Read, Write, Load, Store, CString), the same checked translation.
//
// # Stack and frames
//
// The stack region holds StackSize*MaxCallDepth bytes, all zero at the
// start of every run: a run never sees an earlier run's stack. (It is
// cleared when the Memory comes from the pool, unless the program has no
// store, no atomic and no helper call, so that no run of it writes the
// stack, and nothing else wrote it through Memory.Stack or Translate.)
// Frame k (0 = the entry function) occupies the StackSize
// bytes below its frame pointer: r10 = Addr(RegionStack,
// (MaxCallDepth-k)*StackSize), so the stack grows down like a native one.
// Frames are not isolated from each other: an access below a frame's
// bottom reaches the next frame, which the verifier rejects. A local call
// (call with src 1) passes r1..r5, saves r6..r9 and gives the callee the
// next frame; exit restores them. A call that would need more than
// MaxCallDepth frames is FaultStackOverflow.
//
// # Byte order
//
// The program's byte order (Options.Order) governs decoding, every load,
// store and atomic, and le/be: "to the program's order" only truncates to
// the width, "to the other order" swaps; bswap always swaps. The host's
// order never matters: a big-endian program gives the same results on
// amd64 as on s390x.
//
// # Semantics
//
// RFC 9669 exactly (see ISA-NOTES.md): 32-bit results zero-extended, shift
// counts masked, division by zero gives 0 and modulo by zero the dividend,
// INT_MIN / -1 = INT_MIN and INT_MIN % -1 = 0, truncated signed remainder,
// sign-extending moves and loads. Atomics are real atomics (sync/atomic on
// the region's bytes, in the program's byte order), so memory shared
// between runs — Options.Regions, Env.Regions, map values — may be updated
// from many goroutines at once; an atomic at an offset that is not a
// multiple of its size is FaultMisaligned, and one on a region whose host
// address is misaligned is emulated under a lock. Plain loads and stores to
// shared memory are data races, as in C.
//
// Helpers are called by id (call imm) or through a register (callx: the
// id in dst); an id with no helper is FaultBadCall (the verifier usually
// rejects static ones at load). A helper's error is a KindHelper error
// wrapping it; ErrHalt ends the program at once with r0 = the helper's
// return value. The legacy packet loads (ldabs, ldind) read Env.Mem in
// network byte order; out of bounds they end the program with r0 = 0, as
// Linux does. After a helper call and a packet load, r1..r5 keep their
// values in this interpreter; programs must not rely on it (the verifier
// treats them as clobbered).
//
// # Budget
//
// Env.Budget bounds the number of instructions a run executes (0: no
// bound); a lddw counts once. Running out is a KindBudget error naming the
// pc of the first instruction not executed, after exactly Budget
// instructions. Result.Insns is the number of instructions executed. With
// a budget no program can hang the host; without one a program that
// loops forever runs forever.
//
// # Errors
//
// *Error carries a Kind, testable with errors.Is(err, KindFault) or
// errors.As: KindLoad (decoding, validation, verifier), KindFault (memory
// faults, bad calls, stack overflow, control reaching an invalid slot),
// KindBudget and KindHelper. Control flow the verifier rejects (a jump out
// of the program or into a lddw, falling off the end) is pre-decoded into
// invalid slots that fault with FaultInvalid when reached, so the
// interpreter stays safe whatever the verifier lets through.
//
// # Interpreter
//
// The program is pre-decoded into 16-byte slots with an internal opcode
// that folds class, operation, source, width, byte order and special
// cases (division by a constant zero, masked shift counts, le/be relative
// to the program's order), absolute jump targets and ready immediates. The
// loop is one switch (a jump table) with the registers in a local array,
// the budget as a down-counter, and everything rare (helpers, calls,
// atomics, faults, tracing) out of line, in functions that take and return
// the pc and the counter so that neither is ever spilled to the stack.
// BenchmarkInterp reports ns (wall) and cpu-ns (thread CPU time) per
// executed instruction on loop-heavy programs. Env.Trace prints each executed
// instruction with the registers it changed.
//
// # Callbacks
//
// Helpers such as bpf_loop call back into the program through
// Memory.CallLocal (LocalCaller): the interpreter runs the local function
// in a nested loop on the next frame, counting its instructions against
// the run's budget; a fault there ends the whole run with that fault.
//
// # Other engines
//
// Native-code engines use the same runtime: AcquireMemory/ReleaseMemory
// for the region table and stack of a pooled run (Memory.EngineState keeps
// the engine's own state of a run pooled with it, so a run takes one pooled
// object, not two; AcquireMemoryChecked also returns CheckEnv's error),
// NewMemory and ResetMemory for the Memory a Runner owns (Memory.Ready,
// inlinable, tells when ResetMemory would change nothing, so a run on the
// same Env skips the call), CheckEnv before a run (ResetMemory and
// AcquireMemoryChecked do it), EntryRegs for r1, r2
// and r10 at entry, Resolved for the program with resolved lddw constants,
// Facts for what the verifier proved, and must return the same *Error for
// the same failure.
package vm
