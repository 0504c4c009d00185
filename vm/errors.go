package vm

import "fmt"

// Kind classifies an error. A Kind is itself an error, so
// errors.Is(err, vm.KindFault) tests the kind of any *Error.
type Kind uint8

// Error kinds.
const (
	KindLoad   Kind = iota + 1 // the program was rejected at load time
	KindFault                  // a bad memory access, a bad call or a stack overflow at run time
	KindBudget                 // the instruction budget ran out
	KindHelper                 // a helper returned an error
)

var kindNames = [...]string{"", "load error", "fault", "budget exhausted", "helper error"}

// String returns the kind's name, such as "fault".
// String names the kind ("fault", "budget exhausted", ...).
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Error returns k.String(): a Kind is an error for errors.Is.
// Error makes a Kind an error, for errors.Is(err, KindFault).
func (k Kind) Error() string { return k.String() }

// FaultKind says what went wrong in a fault.
type FaultKind uint8

// Fault kinds.
const (
	FaultNone          FaultKind = iota
	FaultOutOfBounds             // access outside its region
	FaultNull                    // access to region 0 (NULL or a scalar)
	FaultUnmapped                // access to a region id not mapped in this run
	FaultPermission              // write to a read-only region, or read of a write-only one
	FaultMisaligned              // misaligned atomic access
	FaultStackOverflow           // local calls nested deeper than allowed
	FaultBadCall                 // call to an unknown helper (callx), or a bad call target
	FaultInvalid                 // control reached an invalid slot: past the end, into a lddw, a bad jump target
)

var faultNames = [...]string{"", "out of bounds", "null dereference", "unmapped region", "permission denied",
	"misaligned atomic", "stack overflow", "bad call", "invalid instruction"}

// String returns the fault's name, such as "out of bounds".
// String names the fault ("out of bounds", "stack overflow", ...).
func (f FaultKind) String() string {
	if int(f) < len(faultNames) {
		return faultNames[f]
	}
	return fmt.Sprintf("fault(%d)", uint8(f))
}

// Error is the error of a load or a run: its kind, the pc and the details.
// Every engine returns the same *Error for the same failure.
type Error struct {
	Kind   Kind
	PC     int       // slot of the failing instruction
	Fault  FaultKind // for KindFault
	Addr   uint64    // for memory faults: the eBPF address
	Size   int       // for memory faults: the access size in bytes
	Write  bool      // for memory faults: the access was a store
	Helper int32     // for KindHelper and FaultBadCall: the helper id
	Reason string    // extra words for the message
	Err    error     // the underlying error (helper's error, verifier rejection)
}

// Error formats the error with its pc and details, the same for every engine.
// Error formats the error with its pc and details, for example
// "pc 3: out of bounds: read of 4 bytes at 0x20000000e".
func (e *Error) Error() string {
	switch e.Kind {
	case KindFault:
		switch e.Fault {
		case FaultOutOfBounds, FaultNull, FaultUnmapped, FaultPermission, FaultMisaligned:
			op := "read"
			if e.Write {
				op = "write"
			}
			return fmt.Sprintf("pc %d: %s: %s of %d bytes at %#x", e.PC, e.Fault, op, e.Size, e.Addr)
		case FaultBadCall, FaultInvalid, FaultStackOverflow:
			return fmt.Sprintf("pc %d: %s: %s", e.PC, e.Fault, e.Reason)
		}
		return fmt.Sprintf("pc %d: %s", e.PC, e.Fault)
	case KindBudget:
		return fmt.Sprintf("pc %d: budget exhausted", e.PC)
	case KindHelper:
		return fmt.Sprintf("pc %d: helper %d (%s) failed: %v", e.PC, e.Helper, e.Reason, e.Err)
	case KindLoad:
		if e.Err != nil {
			return fmt.Sprintf("load: %v", e.Err)
		}
		return fmt.Sprintf("load: pc %d: %s", e.PC, e.Reason)
	}
	return fmt.Sprintf("pc %d: %s: %s", e.PC, e.Kind, e.Reason)
}

// Is reports whether target is e's Kind, so errors.Is(err, KindFault) works.
func (e *Error) Is(target error) bool { k, ok := target.(Kind); return ok && k == e.Kind }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }
