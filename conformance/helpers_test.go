package conformance

import (
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/iovm/iovm/vm"
)

func testMemory(input []byte) *vm.Memory {
	m := &vm.Memory{}
	m.Regions[vm.RegionInput] = vm.Region{Data: input, Perm: vm.PermRW}
	m.Regions[vm.RegionStack] = vm.Region{Data: make([]byte, 16), Perm: vm.PermRead}
	return m
}

func call(t *testing.T, id int32, m *vm.Memory, args ...uint64) (uint64, error) {
	t.Helper()
	h := TestHelpers().Lookup(id)
	if h == nil || h.Fn == nil {
		t.Fatalf("helper %d missing", id)
	}
	var a [5]uint64
	copy(a[:], args)
	return h.Fn(m, a[0], a[1], a[2], a[3], a[4])
}

func TestHelperFunctions(t *testing.T) {
	in := vm.Addr(vm.RegionInput, 0)
	if r, _ := call(t, HelperGatherBytes, nil, 0x101, 0x1202, 0xff03, 4, 0xdeadbe05); r != 0x0102030405 {
		t.Errorf("gather_bytes = %#x", r)
	}
	data := []byte{1, 2, 3, 0}
	if r, err := call(t, HelperMemfrob, testMemory(data), in+1, 2); r != 0 || err != nil || data[1] != 2^42 || data[2] != 3^42 || data[0] != 1 || data[3] != 0 {
		t.Errorf("memfrob: %v %v %v", r, err, data)
	}
	if _, err := call(t, HelperMemfrob, testMemory(data), in+1, 4); !isFault(err, vm.FaultOutOfBounds) {
		t.Errorf("memfrob past the end: %v", err)
	}
	if _, err := call(t, HelperMemfrob, testMemory(data), in, 1<<40); !isFault(err, vm.FaultOutOfBounds) {
		t.Errorf("memfrob of a huge size: %v", err)
	}
	if _, err := call(t, HelperMemfrob, testMemory(data), vm.Addr(vm.RegionStack, 0), 1); !isFault(err, vm.FaultPermission) {
		t.Errorf("memfrob of read-only memory: %v", err)
	}
	if r, _ := call(t, HelperNoOp, nil, 1, 2); r != 0 {
		t.Errorf("no_op = %d", r)
	}
	for _, x := range []uint64{0, 1, 2, 3, 4, 8, 9, 99, 100, 1<<32 - 1, 1 << 32, 1<<62 + 12345, 1<<64 - 1, 0xfffffffe00000001, 0xfffffffe00000000} {
		want := new(big.Int).Sqrt(new(big.Int).SetUint64(x)).Uint64()
		if r, _ := call(t, HelperSqrti, nil, x); r != want {
			t.Errorf("sqrti(%#x) = %d, want %d", x, r, want)
		}
	}
	for x := uint64(0); x < 100000; x++ {
		r, _ := sqrti(nil, x, 0, 0, 0, 0)
		if r*r > x || (r+1)*(r+1) <= x {
			t.Fatalf("sqrti(%d) = %d", x, r)
		}
	}
	strs := []byte("abc\x00abd\x00abc\x00ab\x00\xff\x00zz")
	for _, tt := range []struct {
		a, b uint64
		sign int
	}{{0, 4, -1}, {4, 0, 1}, {0, 8, 0}, {12, 0, -1}, {0, 12, 1}, {15, 0, 1}} {
		r, err := call(t, HelperStrcmpExt, testMemory(strs), in+tt.a, in+tt.b)
		got := 0
		if int64(r) < 0 {
			got = -1
		} else if r > 0 {
			got = 1
		}
		if err != nil || got != tt.sign {
			t.Errorf("strcmp_ext(%d, %d) = %d, %v; want sign %d", tt.a, tt.b, int64(r), err, tt.sign)
		}
	}
	if _, err := call(t, HelperStrcmpExt, testMemory(strs), in+17, in+17); !isFault(err, vm.FaultOutOfBounds) {
		t.Errorf("strcmp_ext without NUL: %v", err)
	}
	if _, err := call(t, HelperStrcmpExt, testMemory(strs), 0, in); !isFault(err, vm.FaultNull) {
		t.Errorf("strcmp_ext of NULL: %v", err)
	}
	if r, err := call(t, HelperUnwind, nil, 7); r != 7 || err != nil {
		t.Errorf("unwind(7) = %d, %v", r, err)
	}
	if r, err := call(t, HelperUnwind, nil, 0); r != 0 || !errors.Is(err, vm.ErrHalt) {
		t.Errorf("unwind(0) = %d, %v", r, err)
	}
	for _, h := range TestHelpers().All() {
		if h.Proto.Name != h.Name || h.Proto.Ret == 0 {
			t.Errorf("helper %d: prototype %+v", h.ID, h.Proto)
		}
	}
}

func isFault(err error, k vm.FaultKind) bool {
	var e *vm.Error
	return errors.As(err, &e) && e.Kind == vm.KindFault && e.Fault == k
}

func TestEngines(t *testing.T) {
	es := Engines()
	if len(es) == 0 || es[0].Name != "interp" {
		t.Fatalf("Engines() = %v", es)
	}
	Register(Engine{Name: "zz-unavailable", Load: Interp.Load, Available: func() bool { return false }})
	defer func() {
		enginesMu.Lock()
		delete(engines, "zz-unavailable")
		enginesMu.Unlock()
	}()
	if _, ok := LookupEngine("zz-unavailable"); ok {
		t.Error("an unavailable engine is found")
	}
	for _, e := range Engines() {
		if e.Name == "zz-unavailable" {
			t.Error("an unavailable engine is listed")
		}
	}
}

func TestRunCaseVerdicts(t *testing.T) {
	tests := []struct {
		in     string
		status Status
		reason string
	}{
		{"-- asm\nmov %r0, 3\nexit\n-- result\n3\n", Pass, ""},
		{"-- asm\nmov %r0, 3\nexit\n-- result\n4\n", Fail, "want r0 = 0x4, got 0x3"},
		{"-- asm\nmov %r0, 3\nexit\n-- error\n", Fail, "want an error"},
		{"-- asm\nldxb %r0, [%r1+0]\nexit\n-- error\nsome other engine's words\n", Pass, ""},
		{"# iovm: error-text\n-- asm\nldxb %r0, [%r1+0]\nexit\n-- error\nnull   dereference\n", Pass, ""},
		{"# iovm: error-text\n-- asm\nldxb %r0, [%r1+0]\nexit\n-- error\nout of bounds\n", Fail, "does not contain"},
		{"# iovm: error-text\n-- asm\nldxb %r0, [%r1+0]\nexit\n-- error pattern\n^pc 0: null\n", Pass, ""},
		{"# iovm: error-text\n-- asm\nldxb %r0, [%r1+0]\nexit\n-- error pattern\n(\n", Fail, "bad error pattern"},
		{"-- asm\nbogus %r0\nexit\n-- result\n0\n", Fail, "asm:"},
		{"-- asm\nbogus %r0\nexit\n-- error\n", Pass, ""},
		{"-- raw\n0x00000000000000ff\n-- error\n", Pass, ""},
		{"-- asm\nldxb %r0, [%r1+0]\nexit\n-- result\n0\n", Fail, "got error"},
		{"-- asm\nja -1\n-- budget\n100\n-- error\n", Pass, ""},
		{"-- c\nx\n-- asm\nexit\n-- result\n0\n", Skip, "unknown section"},
		{"-- asm\nldxb %r0, [%r1+2]\nstb [%r1+2], 9\nexit\n-- mem\n01 02 03\n-- result\n3\n", Pass, ""},
	}
	for _, tt := range tests {
		c, err := Parse(strings.NewReader(tt.in), "")
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		o := RunCase(c, Interp)
		if o.Status != tt.status || !strings.Contains(o.Reason, tt.reason) {
			t.Errorf("%q: %v %q, want %v %q", tt.in, o.Status, o.Reason, tt.status, tt.reason)
		}
	}
	// The case's memory is copied: a second run sees the original bytes.
	c, _ := Parse(strings.NewReader("-- asm\nldxb %r0, [%r1+0]\nstb [%r1+0], 9\nexit\n-- mem\n01\n-- result\n1\n"), "")
	for i := 0; i < 2; i++ {
		if o := RunCase(c, Interp); o.Status != Pass {
			t.Errorf("run %d: %v", i, o.Reason)
		}
	}
}
