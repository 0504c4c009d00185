package conformance

import (
	"math/bits"

	"github.com/iovm/iovm/verifier"
	"github.com/iovm/iovm/vm"
)

// Test helper ids of the conformance data format.
const (
	HelperGatherBytes = 0
	HelperMemfrob     = 1
	HelperNoOp        = 2
	HelperSqrti       = 3
	HelperStrcmpExt   = 4
	HelperUnwind      = 5
)

// maxString bounds the strings strcmp_ext reads; a string longer than that
// (no NUL within a region) faults at the region's end anyway.
const maxString = 1 << 20

// TestHelpers returns the helpers 0..5 that conformance files call
// (CONFORMANCE-FORMAT.md, "Test helpers"). Each call returns a new set.
func TestHelpers() *vm.Helpers {
	hs := &vm.Helpers{}
	scalar := func(name string, n int) verifier.HelperProto {
		p := verifier.HelperProto{Name: name, Ret: verifier.RetScalar}
		for i := 0; i < n; i++ {
			p.Args[i] = verifier.ArgAnything
		}
		return p
	}
	hs.Register(vm.Helper{ID: HelperGatherBytes, Name: "gather_bytes", Fn: gatherBytes, Proto: scalar("gather_bytes", 5)})
	hs.Register(vm.Helper{ID: HelperMemfrob, Name: "memfrob", Fn: memfrob, Proto: verifier.HelperProto{
		Name: "memfrob", Args: [5]verifier.ArgKind{verifier.ArgPtrToWritableMem, verifier.ArgSize}, Ret: verifier.RetScalar}})
	hs.Register(vm.Helper{ID: HelperNoOp, Name: "no_op", Fn: noOp, Proto: verifier.HelperProto{Name: "no_op", Ret: verifier.RetScalar}})
	hs.Register(vm.Helper{ID: HelperSqrti, Name: "sqrti", Fn: sqrti, Proto: scalar("sqrti", 1)})
	hs.Register(vm.Helper{ID: HelperStrcmpExt, Name: "strcmp_ext", Fn: strcmpExt, Proto: verifier.HelperProto{
		Name: "strcmp_ext", Args: [5]verifier.ArgKind{verifier.ArgPtrToString, verifier.ArgPtrToString}, Ret: verifier.RetScalar}})
	hs.Register(vm.Helper{ID: HelperUnwind, Name: "unwind", Fn: unwind, Proto: scalar("unwind", 1)})
	return hs
}

func gatherBytes(_ *vm.Memory, a, b, c, d, e uint64) (uint64, error) {
	return (a&0xff)<<32 | (b&0xff)<<24 | (c&0xff)<<16 | (d&0xff)<<8 | e&0xff, nil
}

func memfrob(m *vm.Memory, a, b, _, _, _ uint64) (uint64, error) {
	if b == 0 {
		return 0, nil
	}
	if b > 1<<32 {
		_, err := m.Translate(a, -1, true) // a size no region holds: faults
		return 0, err
	}
	buf, err := m.Translate(a, int(b), true)
	if err != nil {
		return 0, err
	}
	for i := range buf {
		buf[i] ^= 42
	}
	return 0, nil
}

func noOp(*vm.Memory, uint64, uint64, uint64, uint64, uint64) (uint64, error) { return 0, nil }

func sqrti(_ *vm.Memory, a, _, _, _, _ uint64) (uint64, error) { return isqrt(a), nil }

// isqrt returns floor(sqrt(x)) exactly for every uint64.
func isqrt(x uint64) uint64 {
	if x < 2 {
		return x
	}
	// Start above the root and descend with Newton's method.
	r := uint64(1) << ((bits.Len64(x) + 1) / 2)
	for {
		n := (r + x/r) / 2
		if n >= r {
			return r
		}
		r = n
	}
}

// strcmpExt compares the NUL-terminated strings at a and b like C strcmp,
// returning the difference of the first differing bytes (as unsigned chars)
// sign-extended to 64 bits. Bytes are read one at a time through the checked
// translation, so a string without a NUL before its region's end faults.
func strcmpExt(m *vm.Memory, a, b, _, _, _ uint64) (uint64, error) {
	for i := uint64(0); i < maxString; i++ {
		x, err := m.Translate(a+i, 1, false)
		if err != nil {
			return 0, err
		}
		y, err := m.Translate(b+i, 1, false)
		if err != nil {
			return 0, err
		}
		if x[0] != y[0] || x[0] == 0 {
			return uint64(int64(x[0]) - int64(y[0])), nil
		}
	}
	return 0, nil
}

func unwind(_ *vm.Memory, a, _, _, _, _ uint64) (uint64, error) {
	if a == 0 {
		return 0, vm.ErrHalt
	}
	return a, nil
}
