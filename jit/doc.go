// Package jit compiles verified eBPF programs (vm.Program) to native code
// and runs them with the interpreter's exact semantics and errors.
//
// # Structure
//
//   - lower.go: the shared lowering. It finds basic blocks (for budget
//     charging), jump targets and invalid targets, decides how each memory
//     access is guarded (Checked, Proven by the verifier, or Frame: an
//     r10-relative access inside the current frame), applies constant
//     blinding, and calls a Backend once per instruction with decoded
//     operands; combine.go: load combining.
//   - backend.go: the Backend interface, Access, Operand, exit reasons.
//   - GOARCH.go (amd64.go, arm64.go): one backend per architecture (the
//     "rules": register assignment and instruction selection), on top of an
//     encoder package jit/GOARCH that only knows machine code. The file name
//     has no _GOARCH suffix, so backends compile on every GOARCH and
//     Generate and iovm jit --disasm work anywhere.
//   - enter_GOARCH.s: the trampoline, a NOSPLIT Go assembly function that
//     CALLs native code with a scratch frame; enter_other.go elsewhere.
//   - exec_*.go: executable memory, mapped read-write, filled, then
//     remapped read-execute (never both); freed by Close or a finalizer.
//   - jit.go, exits.go: Compile, Program.Run and the Go side of exits;
//     step.go: the instructions Go runs when the budget ends inside a
//     block or a chain of blocks; chain.go: blocks charged together;
//     layout.go: tail copies; unroll.go: loop unrolling; version.go:
//     loop versioning (loops with checked accesses, which are never
//     unrolled).
//
// # Execution model (DESIGN.md decision 5)
//
// Native code never calls Go. A run fills a state block (state.go) with the
// entry registers, the region table and a budget counter, and calls enter.
// Native code returns to Go with a reason (done, helper call, fault,
// budget/yield, legacy packet load, call depth, invalid slot); Go does the
// work (runs the helper, builds the *vm.Error exactly as the interpreter
// does by re-checking the failed access with vm.Memory.Translate) and
// re-enters at the resume address, where native code reloads every register
// from the state. The eBPF stack is the vm.Memory stack region on the Go
// heap; local calls save r6..r9, r10 and a native return address in a frame
// stack in the state block, so native code needs no native stack beyond
// the trampoline's frame. Every exit and entry goes through the state, so a
// goroutine can be preempted or its stack moved between entries.
//
// Native code cannot be preempted: the runtime's preemption signal finds an
// unknown PC and lets it run, the CPU profiler records it as external code.
// So that a stop-the-world pause never waits long, the budget counter
// doubles as a yield counter: it is given at most Options.YieldEvery
// instructions per entry (charged per basic block), and on that exit Go
// passes a preemption point (a call with a stack check, which a pending
// preemption request makes fail) before re-entering.
//
// The budget is charged at the start of each basic block for the whole
// block, or for a chain of blocks (chain.go): each block may pay in
// advance for its likely successor (the one in the deepest loop, ties: the
// fall-through; never a loop's exit or header, a call's target or a block
// ending in a call or exit), which then charges nothing, even with other
// ways in; several blocks may pay for one (chains form trees). Every edge
// into a block carries exactly the cost of the rest of the chain from it:
// an edge that leaves a chain early refunds the blocks it skips, and an
// edge into a member its source did not pay for (a side entry) charges
// that rest on the way in, with its own budget exit at the member's pc.
// This saves a charge (a compare and branch) per block on the likely path:
// sieve's init loop and sort's inner loop (two blocks sharing an access
// group, whose slow copy charges where the main code does) charge once per
// iteration. When the rest of the budget is smaller than a charge, Go
// executes the instructions the interpreter would still run (step.go:
// straight-line instructions and jumps, up to a block that charges itself)
// and reports KindBudget at the same pc, or the fault of one of them, or
// resumes native code at such a block: budget exhaustion is exact, memory
// included. Result.Insns equals the interpreter's count.
//
// Tail copies (layout.go): native code follows pc order, and clang
// enters loop bodies by a ja to a block above (sieve's init loop took two
// taken jumps per element). A ja inside a loop into a small block of the
// same loop depth is emitted as a copy of that block, whose last jump and
// fall-through go to the original targets. The copy charges and adjusts
// as the original (the same block of the same chain; a failed charge
// resumes at the original), and copied blocks hold no resume points (no
// calls, Go exits, groups or combined loads): Go only ever resumes in the
// original, which pcOff, callOff, helperNext and localRet name.
//
// Loop unrolling (unroll.go; amd64): a small loop whose code cannot
// leave to Go (no calls, legacy loads, atomics or checked accesses) and
// whose blocks form one chain from its header is emitted 8 times in a
// row before the original, with one charge of the 8 iterations; a way
// out after copy i refunds the 7-i iterations not run, and a failed
// charge runs the original, per-iteration charged code, which holds
// every resume point and returns to the group: budgets and yields end
// exactly as without unrolling. Counted loops ("add iv, step; if iv <
// n") test once per group behind a guard. 8 copies: fewer measured
// slower than none on bench/checksum on the AMD EPYC we measure on.
//
// # Run and Runner
//
// Program.Run takes a vm.Memory, with this package's state in its
// EngineState, from the vm.Program's pool; a Runner (NewRunner) owns both,
// for one goroutine. Both run through one body (runner.Run), which sets
// only the state a run reads (the registers, budget, resume address) and
// stores pointers only when they change. The first entry into native code
// is inline in that body and most runs end there; the exits loop handles
// everything else out of line. The entry stub copies only the per-run
// values (fillCache) the code reads, and a backend may add a stub for the
// first entry of a run (Starter: amd64) that loads only r1, r2 and r10,
// zeroes the other registers and goes on to pc 0, so Go sets only
// those three in the state. A run whose first entry ends the program
// leaves the state as it found it but for r0 and the counter, so the next
// run with the same r1 and r2 sets nothing but the counter; a Runner also
// skips vm.ResetMemory when Memory.Ready says the env is the previous one.
//
// # Memory checks
//
// Every load and store is translated through the region table (vm.Region:
// data pointer, length, permissions) with the region id, bounds and
// permission checked inline; a failed check exits with ExitFault and Go
// rebuilds the interpreter's exact *vm.Error with vm.Memory.Translate.
// Cheaper forms exist: Frame (r10-relative accesses inside the current
// frame: no lookup), Proven (the verifier proved the access: no checks; in
// the stack, input or context no id lookup either: amd64 adds a per-run
// delta, data - id<<32, arm64 loads the region's entry),
// WriteChecked (stores to the input or context proven in bounds, whose
// writability is chosen per run: only the permission is checked; see
// Writable variant below) and
// Grouped: runs of accesses through the same unchanged base register in an
// extended basic block share one check of the union of their ranges. When
// that check fails, each member checks itself, so faults and side effects
// stay exactly the interpreter's: on amd64 the check jumps to a slow copy
// of the group's span whose members are Checked (a yield or a callback
// inside the span resumes there), elsewhere each member tests a marker.
// Checked accesses and group checks also speculate on the region (Spec:
// the region of r1 at entry or the stack, guessed by a dataflow over base
// registers and spilled stack slots that need not be sound): the amd64
// backend first compares the offset against a limit cached in its frame
// (one unsigned compare), and only on a miss runs the full check. The
// per-run values (deltas, permissions, limits) are computed by Go before
// each entry (fillCache) from the region table.
//
// On amd64 the host registers of eBPF registers a program never uses (no
// read or write, explicit or implied: a helper call uses r0..r5) hold the
// per-run values its code reads most, each read weighted by 8 per natural
// loop around it (a dominator analysis of the blocks): a proven access
// then addresses with the pinned delta ([delta + base + off], no load), a
// speculated check compares with pinned bounds. The backend lowers such a
// program twice (the first pass counts the reads). Entry stubs load the
// pinned values at every entry, as Go may have changed the region table in
// between; nothing else writes those registers, and exits and local calls
// neither save nor restore unused registers. checksum and sieve in bench/
// use r0..r6 only; programs using every register get no pins.
//
// # Writable variant
//
// Most runs give a writable input, so a Program has a second compilation
// in which WriteChecked stores are Proven (no permission test: about 5%
// on bench/sieve, whose inner loop is a store). Program.pick chooses it
// per run when the regions those stores touch are writable; it is
// compiled at the first such run, once, under the Program's mutex (like
// the callback twin: programs that never need it pay nothing), and Close
// frees it. The choice must hold for the whole run, and between entries
// only a helper can change the region table (yields, budget steps,
// legacy loads and atomics in Go do not): after each helper call the
// variant's exits loop checks the permissions again and, if one was
// dropped, moves the run to the checked code with the same state: the
// resume address and the native return addresses of the local calls in
// progress go to the same points there (code.helperNext, code.localRet;
// calls are lowered once, in the main code, else the program gets no
// variant). Both codes share the state and cache layouts; their pins
// may differ, but entry stubs reload pins at every entry. Callbacks keep
// running the fact-free twin. Programs without WriteChecked stores
// (code.wcRegions 0) pay one test per run. A helper that makes a region
// writable during a run leaves it in the checked code.
//
// The same move protects the verifier's proofs, which hold for the input
// and context lengths at the run's entry: a helper may replace those
// regions (a packet helper that trims the packet), so after every helper
// call, code with proven accesses to them (code.proven) checks that they
// are still as long and readable as at entry (Program.holds), and if not
// moves the run to the code without facts that callbacks use, where every
// access is checked as in the interpreter. The stack region and map
// values must not be replaced by helpers.
//
// Host base folding (hostbase.go; amd64): clang addresses the input as
// "mov rA, r1; add rA, rI; ldxb rX, [rA+k]". Where r1 (or a register it
// was moved to, or reloaded from an 8-byte frame slot it was spilled to)
// surely holds r1's value from the run's entry (a forward must-dataflow:
// any other write, a call or a legacy packet load on some path loses a
// register; a store that may overlap a slot, one through a pointer the
// verifier did not prove outside the stack, or a call loses slots; a
// callee starts with nothing), r1 + delta is a per-run constant, the host
// base of the region (state.cache, computed from r1 at the run's entry),
// so an access the verifier proved (Proven or WriteChecked, the input or
// the context) is one host access [host base + rI + k], pinned like the
// other cache words; the mov and the add emit nothing when rA is dead
// after the access (the liveness of combine.go) or the load overwrites
// it. Combined loads made only of their own instructions fold the same
// way. Only programs leaving a register free fold (from the frame, the
// host base only trades the lea for a load). The three instructions lie
// in one basic block outside group spans, so native code is never
// entered between them (budget exits resume at block leaders); a
// WriteChecked store's fault stub computes rA first, as Go rebuilds the
// fault from it. Folds need the verifier's facts, so the
// code that runs callbacks (compiled without them) has none. arm64 does
// not fold.
//
// # Loop versioning
//
// Checks that the verifier cannot drop (it would need a relation between
// a pointer, a base and a counter) are hoisted out of innermost loops
// (version.go; amd64, Versioner): when every checked access of a loop
// goes through an induction variable (one "add r, imm" in the loop) plus
// an invariant register and a constant, and a counter compared with an
// invariant at a test every iteration passes bounds the trip count, a
// guard on the edges entering the loop computes that bound P exactly from
// the registers (failing where the counter could wrap around or P >=
// 2^31) and checks the range of addresses each base covers over those
// iterations against its speculated region, bounds and permissions, once.
// It then enters a copy of the loop whose accesses are Versioned (host =
// address + the region's delta, a cache word), else the original loop,
// which faults exactly. The copy charges, refunds and exits as the
// original; when the budget counter also holds (P+1) times the loop's
// length (plus what a chain charges ahead), a second copy charges without
// the compare and branch: no charge there can fail, so the counter ends
// as the checked charges would leave it. Budget exits from a copy resume
// in the original, its faults share the original's stubs, and copies hold
// no resume points for helpers or callbacks (no calls, Go exits or
// atomics in versioned loops). The copies follow the original loop, the
// free one last, falling into the code after the loop. sort's inner loop
// runs about 25% faster: the charge's branch was as costly as the check.
//
// # Loop alignment
//
// An Aligner backend (amd64) starts the targets of backward jumps on a
// 32-byte boundary, with NOPs that run once per entry into the loop:
// loops then run at a speed that does not depend on the size of the code
// before them.
//
// # Load combining
//
// Compilers read unaligned and network-order fields one byte at a time
// (ldxb, lsh, or). The lowering (combine.go) finds, per basic block by a
// symbolic evaluation, expressions that assemble 2, 4 or 8 contiguous
// bytes through one unchanged base register in either byte order, with
// 64- or 32-bit shifts and ORs (zero-extension and shift-count masking as
// the ISA's), and emits one wide load at the last instruction (byte-swapped
// for big-endian order, whatever the program's byte order) and nothing for
// the others. A combination is kept only when its result is exactly the
// original's: the other instructions in its range read none of its
// temporaries and do not write the base, store or load anything that may
// fault; its temporaries are dead afterwards (a liveness over the
// control-flow graph, computed once per program); its byte loads are all
// Frame, all Proven in one region, or all members of one access group,
// whose span then reaches the last instruction: a failed group check runs
// the original, individually checked byte loads (the same fault at the
// same pc), and so does a callback (vm.LocalCaller) or a yield landing
// inside; a Proven or Frame combination outside groups has its own copy
// of the original instructions for callbacks. Combinations may nest
// (clang interleaves adjacent fields) or cross (parse's IPv6 addresses),
// when both are Proven or Frame and keep their base to their end. A value
// whose bytes are several runs of contiguous offsets (be32(p) << 32 |
// be32(q), a 3-byte field, a shifted be16) has one load per run (8, 4, 2
// or 1 bytes), shifted and ORed into the destination through a temporary
// of the original sequence that is dead after it; it is combined only
// when that takes fewer instructions, at least one load being wide. The
// temporary and the destination must not be the base (loaded after the
// first part) nor the base of a combination ending later. Backends opt in
// with LoadCombiner (amd64; arm64 for Proven and Frame ones).
//
// # Adding an architecture
//
//  1. Write an encoder package jit/GOARCH (no eBPF knowledge; tests decode
//     its output with golang.org/x/arch or llvm-mc).
//  2. Write GOARCH.go (not _GOARCH.go, which would build only there)
//     implementing Backend and registering it in
//     init with registerBackend. Keep the state layout (st*, fr* offsets)
//     and follow the contract in the Backend doc: entry stub at offset 0,
//     a common exit path storing registers and reason/pc/aux/resume,
//     the budget counter checked per block, faults jumping to Access.Fault.
//     amd64.go is the reference.
//  3. Write enter_GOARCH.s (and enter_GOARCH.go with hostArch) calling the
//     code with the state pointer where the backend expects it, and add
//     GOARCH to the build tag of enter_other.go. Flush the instruction
//     cache after writing code where the architecture needs it.
//  4. Run the conformance suite and the differential tests (make test-GOARCH).
package jit
