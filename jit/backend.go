package jit

import "github.com/iovm/iovm/isa"

// Label names a position in the native code, bound once with Backend.Bind.
type Label int

// NoLabel is the absent label.
const NoLabel Label = -1

// Operand is the source operand of an operation: a register or an
// immediate.
type Operand struct {
	Reg   uint8 // eBPF register, when !IsImm
	IsImm bool
	// Imm is the immediate, already sign-extended to 64 bits as the
	// operation wants it (for 32-bit operations only the low 32 bits matter).
	Imm int64
	// Blind, when non-zero, asks the backend to materialize Imm as
	// (Imm^Blind)^Blind so the constant never appears in the code (constant
	// blinding, against JIT spraying).
	Blind int64
}

// Reg returns a register operand.
func Reg(r uint8) Operand { return Operand{Reg: r} }

// Imm returns an immediate operand.
func Imm(v int64) Operand { return Operand{IsImm: true, Imm: v} }

// CheckMode is how a memory access is guarded.
type CheckMode uint8

// Check modes.
const (
	// Checked: translate the address through the region table with the
	// region id, bounds and permission checked inline; jump to
	// Access.Fault on failure.
	Checked CheckMode = iota
	// Proven: the verifier proved the access in bounds and permitted;
	// translate without checks (through the region table, or with the
	// region's delta when Access.Region names it).
	Proven
	// Frame: Base is r10 and [Off, Off+Size) lies in the current frame, so
	// the host address is the frame pointer's plus Off, without any lookup.
	Frame
	// Grouped: a member of a group of accesses through the same,
	// unchanged base register in one basic block (see Grouper). If the
	// group's check passed, the access uses the host base it saved; else it
	// is done as Checked, out of line.
	Grouped
	// WriteChecked: a store the verifier proved in bounds of Region (the
	// input or the context), whose write permission is chosen per run
	// (vm.Env MemReadOnly, ContextReadOnly): translate without bound
	// checks, check only the permission and jump to Access.Fault without
	// it. A backend may treat it as Checked.
	WriteChecked
	// GroupedFast: a member of a group whose check jumped elsewhere when it
	// failed (GroupJumper), so the saved host base is valid here.
	GroupedFast
	// Versioned: an access in the versioned copy of a loop (Versioner),
	// whose guard proved it inside the region of Access.Spec, with its
	// permissions: host = addr + that region's delta, no checks.
	Versioned
)

// Group is a set of accesses in one basic block through the same base
// register, not written between them: one check of the union of their
// ranges replaces the checks of each. Members never fault on their own
// when it passes; when it fails, each member is checked as usual, so
// faults stay exact.
type Group struct {
	PC     int   // pc of the first member, where the check is emitted
	Base   uint8 // the base register
	MinOff int16 // lowest offset of the members
	Span   int   // bytes from MinOff to the end of the highest member
	Read   bool  // some member loads
	Write  bool  // some member stores
	Spec   Spec  // the likely region
}

// Grouper is implemented by backends that support access groups. Without
// it, the lowering uses Checked for every unproven access.
type Grouper interface {
	// GroupCheck emits the check of g before its first member: it saves
	// a host base for the members (the backend's choice: base+0 or
	// base+MinOff) if the union is in bounds and permitted, or a marker
	// that sends the members to their own checks.
	GroupCheck(g Group)
}

// Aligner is implemented by backends whose loops run faster when their
// first instruction starts on a boundary (instruction fetch and the
// branch predictors work in aligned blocks).
type Aligner interface {
	// AlignLoop pads the code so that the next instruction, a loop's
	// header, starts on the boundary (the padding runs once per entry
	// into the loop, when the code before falls into it).
	AlignLoop()
}

// Starter is implemented by backends with a stub for the first entry of a
// run, which goes on to pc 0: it loads r1, r2, r10 and the counter from the
// state, zeroes the other registers and does not read state.resume.
// Without it, runs enter at offset 0.
type Starter interface {
	// StartStub returns the offset of that stub's entry (known after Finish).
	StartStub() int
}

// GroupJumper is implemented by Groupers that can jump to a label when a
// group's check fails. The lowering then emits the group's instructions
// twice: with GroupedFast members after the check, and at fail with every
// member checked on its own (Checked), rejoining after the last member.
type GroupJumper interface {
	Grouper
	// GroupCheckJump emits the check of g before its first member: it
	// saves a host base for the members (how is the backend's), or jumps
	// to fail.
	GroupCheckJump(g Group, fail Label)
}

// Spec names the region a Checked access or a Group is expected to
// touch, from a cheap analysis of where its base register comes from. A
// backend may test that region first (a compare against cached bounds)
// and fall back to the full check; a wrong guess only costs time.
type Spec uint8

// Speculations.
const (
	SpecNone  Spec = iota
	SpecEntry      // the region of r1 at entry (input memory or context)
	SpecStack      // the stack region
)

// Access describes one load, store or atomic.
type Access struct {
	PC    int
	Base  uint8 // eBPF register holding the address
	Off   int16
	Size  int // 1, 2, 4 or 8
	Write bool
	Mode  CheckMode
	// Swap is true when the program's byte order is not little-endian,
	// so values are byte-swapped after loads and before stores.
	Swap bool
	// Fault is where to jump when a check fails (a stub that exits with
	// ExitFault at PC); NoLabel in Frame and Proven modes unless the access
	// is atomic (alignment is always checked).
	Fault Label
	// Spec is the likely region of a Checked access.
	Spec Spec
	// Region is the region id (vm.RegionStack, RegionInput or
	// RegionContext) a Proven or WriteChecked access touches, or 0 when
	// the verifier did not name one of those.
	Region uint8
	// Fold (Proven or WriteChecked, Region input or context; backends
	// with hostBaser only): the address is r1 + Index + Off, where r1
	// still holds its value from the run's entry, so the host address is
	// state.cache's host base of Region + Index + Off. Base is not
	// computed (the lowering computes it before a fault exit).
	Fold  bool
	Index uint8
}

// Width is the operand width of an ALU operation or a comparison.
type Width uint8

// Widths.
const (
	W32 Width = 32 // low 32 bits; results are zero-extended to 64
	W64 Width = 64
)

// Exit reasons: why native code returned to Go (state.reason).
const (
	ExitDone     = iota // the program ended; r0 is the result
	ExitHelper          // call helper state.aux at state.pc, then resume
	ExitFault           // a memory access at state.pc failed its checks; Go computes the fault
	ExitBudget          // the block at state.pc could not be charged; resume re-charges it
	ExitLegacy          // run the legacy packet load at state.pc in Go, then resume
	ExitDepth           // the local call at state.pc is too deep
	ExitInvalid         // control reached an invalid slot; state.aux is the reason
	ExitAtomic          // run the atomic at state.pc in Go (big-endian programs), then resume
	ExitCallback        // a function called by a helper (vm.LocalCaller) returned; r0 is its result
)

// Config is what a backend needs to know about the program being compiled.
type Config struct {
	StackSize    int // bytes per frame
	MaxCallDepth int // frames, the entry frame included
	BigEndian    bool
	// LocalCalls is true when the program has local calls (else eBPF exit
	// always ends the program).
	LocalCalls bool
	// Slots is the program's length in slots (backends with short branch
	// ranges pick long forms for big programs).
	Slots int
	// Blind enables constant blinding; Key returns a fresh random key.
	Blind bool
	Key   func() int64
	// writable: lower WriteChecked stores as Proven, for runs whose
	// regions give write permission throughout (Program.pick).
	writable bool
}

// Backend generates native code for one architecture. The shared lowering
// (lower.go) computes basic blocks, jump targets, check modes, budget
// charges and exit sites, and calls the backend once per eBPF instruction
// with decoded operands; the backend owns register assignment, instruction
// selection, encoding and its label fixups.
//
// The contract with the rest of the framework:
//
//   - Native code is entered by the per-architecture trampoline
//     (enter_GOARCH.s) at offset 0 of the code, with a pointer to a state
//     block (see state in run.go and the st* offsets) available as the
//     trampoline documents. The code at offset 0 is the Entry stub (or a
//     jump to it): it loads r0..r10, the budget counter and the region
//     table from the state and jumps to state.resume.
//   - To leave, native code stores r0..r10, the counter, reason, pc, aux
//     and resume address into the state and returns to the trampoline.
//     (Registers the program never uses, usedRegs, may be neither loaded
//     nor stored.)
//     The Go loop (run.go) acts on the reason and re-enters at
//     state.resume when the run goes on. Native code never calls Go.
//   - eBPF registers live in host registers or in the state; the stack
//     region is Go memory addressed through the region table, whose
//     layout is vm.Region's (data pointer +0, length +8, perm +24, 32 bytes).
//   - The budget counter is decremented by the size of each basic block at
//     its start; when it would go below zero the block exits with
//     ExitBudget, pc = the block's first pc, resume = before the charge.
//     A chain of blocks is charged at once by its first block, refunded
//     on the edges that leave it early and charged on edges entering it
//     from the side (ExitBudget at the member's pc; chain.go).
type Backend interface {
	// Arch is the GOARCH the backend emits code for.
	Arch() string
	// Begin resets the backend for a new program.
	Begin(cfg *Config)
	// NewLabel returns a fresh unbound label.
	NewLabel() Label
	// Bind binds l to the current position.
	Bind(l Label)
	// Offset returns the current code size in bytes.
	Offset() int

	// Entry emits the entry stub (must be the first code).
	Entry()
	// Charge emits the budget charge of a block of n instructions at pc;
	// restart is bound just before it.
	Charge(pc, n int, restart Label)
	// Refund adds n back to the budget counter (an edge leaving a chain
	// of blocks charged together, chain.go). Flags need not survive: a
	// side entry's Charge may follow.
	Refund(n int)

	// Mov: dst = src (W32 zero-extends).
	Mov(w Width, dst uint8, src Operand)
	// MovSX: dst = sign-extension of the low bits of src (8, 16, 32).
	MovSX(w Width, dst, src uint8, bits int)
	// ALU: dst = dst op src for Add, Sub, Mul, Or, And, Xor, Lsh, Rsh, Arsh
	// (shift counts masked to the width), and Neg (src unused).
	ALU(op isa.ALUOp, w Width, dst uint8, src Operand)
	// DivMod: dst = dst / src or dst % src with the ISA's rules for zero
	// and overflow. nonZero: src is a register proven non-zero.
	DivMod(w Width, mod, signed bool, dst uint8, src Operand, nonZero bool)
	// End: if swap, reverse the low bits/8 bytes of dst, else truncate dst
	// to bits; zero-extend the result.
	End(dst uint8, bits int, swap bool)
	// LoadImm64: dst = v.
	LoadImm64(dst uint8, v uint64, blind int64)

	// Load: dst = *(size*)(base + off), sign-extended if signed.
	Load(a Access, dst uint8, signed bool)
	// Store: *(size*)(base + off) = src.
	Store(a Access, src Operand)
	// Atomic: the atomic op (isa.AtomicOp) on (base + off) with src
	// (little-endian programs; big-endian ones use ExitAtomic).
	Atomic(a Access, op isa.AtomicOp, src uint8)

	// Jump to target.
	Jump(target Label)
	// Branch to target if dst op src (op is a conditional isa.JumpOp).
	Branch(op isa.JumpOp, w Width, dst uint8, src Operand, target Label)
	// CallLocal calls the local function at target from pc: checks the
	// depth (exit ExitDepth), saves r6..r9, r10 and the return address in
	// the state's frame stack, moves r10 down one frame.
	CallLocal(pc int, target Label)
	// Return emits eBPF exit at pc: return from a local call, or ExitDone
	// at depth 0.
	Return(pc int)
	// ExitToGo leaves native code with reason at pc. aux is stored in
	// state.aux (a register's value or an immediate). If resume is not
	// NoLabel, Go re-enters there.
	ExitToGo(reason int, pc int, aux Operand, resume Label)

	// Finish emits deferred stubs, resolves labels and returns the code.
	Finish() ([]byte, error)
}

// backends maps GOARCH to a backend constructor. A backend is compiled on
// every GOARCH (so iovm jit --disasm works anywhere); it runs only where
// the trampoline exists (hostArch).
var backends = map[string]func() Backend{}

// registerBackend is called from the init of each backend file (GOARCH.go).
func registerBackend(arch string, f func() Backend) { backends[arch] = f }
