package helpers_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/iovm/iovm/helpers"
	"github.com/iovm/iovm/isa"
	"github.com/iovm/iovm/maps"
	"github.com/iovm/iovm/vm"
)

// memory returns a Memory with one read-write region of size bytes at
// vm.RegionFirstUser, mapped through a trivial program's AcquireMemory.
func memory(t *testing.T, regions ...vm.Region) (*vm.Memory, func()) {
	t.Helper()
	p, err := vm.Load(isa.Program{{Opcode: 0xb7}, {Opcode: isa.OpExit}}, &vm.Options{Regions: regions})
	if err != nil {
		t.Fatal(err)
	}
	m := p.AcquireMemory(&vm.Env{})
	return m, func() { p.ReleaseMemory(m) }
}

func call(t *testing.T, hs *vm.Helpers, id int32, m *vm.Memory, args ...uint64) (uint64, error) {
	t.Helper()
	h := hs.Lookup(id)
	if h == nil {
		t.Fatalf("no helper %d", id)
	}
	var a [5]uint64
	copy(a[:], args)
	return h.Fn(m, a[0], a[1], a[2], a[3], a[4])
}

func TestMapHelpers(t *testing.T) {
	hm, _ := maps.New(maps.Spec{Type: maps.Hash, KeySize: 4, ValueSize: 8, MaxEntries: 2})
	scratch := make([]byte, 64)
	m, done := memory(t, vm.Region{Data: scratch, Perm: vm.PermRW}, vm.Region{Data: hm.Arena(), Perm: vm.PermRW})
	defer done()
	hs := helpers.New(&helpers.Config{Maps: []helpers.MapRef{{}, {Map: hm, Region: vm.RegionFirstUser + 1}}})
	s := vm.Addr(vm.RegionFirstUser, 0)
	binary.LittleEndian.PutUint32(scratch, 7)
	binary.LittleEndian.PutUint64(scratch[8:], 99)
	h := helpers.MapHandle(1)
	if r, _ := call(t, hs, helpers.MapLookupElem, m, h, s); r != 0 {
		t.Fatalf("lookup of a missing key = %#x", r)
	}
	if r, _ := call(t, hs, helpers.MapUpdateElem, m, h, s, s+8, maps.UpdateExist); int64(r) != -2 {
		t.Fatalf("update EXIST of a missing key = %d, want -ENOENT", int64(r))
	}
	if r, _ := call(t, hs, helpers.MapUpdateElem, m, h, s, s+8, maps.UpdateAny); r != 0 {
		t.Fatalf("update = %d", int64(r))
	}
	addr, _ := call(t, hs, helpers.MapLookupElem, m, h, s)
	v, err := m.Load(addr, 8)
	if err != nil || v != 99 {
		t.Fatalf("value at %#x = %d, %v", addr, v, err)
	}
	if _, err := call(t, hs, helpers.MapLookupElem, m, helpers.MapHandle(0), s); !errors.Is(err, helpers.ErrBadMap) {
		t.Errorf("lookup in a non-map: %v", err)
	}
	if _, err := call(t, hs, helpers.MapLookupElem, m, 12345, s); !errors.Is(err, helpers.ErrBadMap) {
		t.Errorf("lookup with a forged handle: %v", err)
	}
	if _, err := call(t, hs, helpers.MapLookupElem, m, h, 0); err == nil {
		t.Errorf("NULL key accepted")
	}
	if r, _ := call(t, hs, helpers.MapDeleteElem, m, h, s); r != 0 {
		t.Errorf("delete = %d", int64(r))
	}
	if r, _ := call(t, hs, helpers.MapDeleteElem, m, h, s); int64(r) != -2 {
		t.Errorf("second delete = %d", int64(r))
	}
}

func TestFormat(t *testing.T) {
	scratch := make([]byte, 256)
	m, done := memory(t, vm.Region{Data: scratch, Perm: vm.PermRW})
	defer done()
	var trace bytes.Buffer
	hs := helpers.New(&helpers.Config{Trace: &trace})
	base := vm.Addr(vm.RegionFirstUser, 0)
	copy(scratch, "world\x00")
	cases := []struct {
		format string
		args   []uint64
		want   string
	}{
		{"plain", nil, "plain"},
		{"%d %i %u", []uint64{uint64(0xffffffff), 5, uint64(0xffffffff)}, "-1 5 4294967295"},
		{"%ld %lld %llu", []uint64{^uint64(0), ^uint64(1), ^uint64(0)}, "-1 -2 18446744073709551615"},
		{"%x %X %#x %lx", []uint64{255, 255, 255, 1 << 40}, "ff FF 0xff 10000000000"},
		{"[%5d|%-5d|%05d|%+d]", []uint64{42, 42, 42, 42}, "[   42|42   |00042|+42]"},
		{"%s!", []uint64{base}, "world!"},
		{"%.3s %c %%", []uint64{base, 'Z'}, "wor Z %"},
		{"%p", []uint64{0x1234}, "0x1234"},
	}
	for _, c := range cases {
		fmtAddr := base + 64
		copy(scratch[64:], c.format+"\x00")
		trace.Reset()
		args := append(append([]uint64{fmtAddr, uint64(len(c.format) + 1)}, c.args...), 0, 0, 0)
		r, err := call(t, hs, helpers.TracePrintk, m, args[:5]...)
		switch {
		case len(c.args) > 3: // trace_printk takes at most 3 arguments
			if int64(r) != -22 {
				t.Errorf("trace_printk(%q) with %d arguments = %d, want -EINVAL", c.format, len(c.args), int64(r))
			}
		case err != nil || int64(r) < 0:
			t.Errorf("trace_printk(%q) = %d, %v", c.format, int64(r), err)
		case trace.String() != c.want+"\n":
			t.Errorf("trace_printk(%q) printed %q, want %q", c.format, trace.String(), c.want)
		}
		// snprintf with the arguments as an array of u64.
		data := scratch[128:]
		for i, a := range c.args {
			binary.LittleEndian.PutUint64(data[8*i:], a)
		}
		out := base + 200
		r, err = call(t, hs, helpers.Snprintf, m, out, 40, fmtAddr, base+128, uint64(8*len(c.args)))
		if err != nil || r != uint64(len(c.want)+1) {
			t.Errorf("snprintf(%q) = %d, %v", c.format, int64(r), err)
		}
		if got, _ := m.CString(out, 40); string(got) != c.want {
			t.Errorf("snprintf(%q) wrote %q", c.format, got)
		}
	}
	copy(scratch[64:], "%d %d\x00")
	if r, _ := call(t, hs, helpers.Snprintf, m, base+200, 40, base+64, base+128, 8); int64(r) != -22 {
		t.Errorf("snprintf with too few arguments = %d, want -EINVAL", int64(r))
	}
	// Truncation: the result is cut and NUL-terminated, the length is the full one.
	copy(scratch[64:], "abcdefgh\x00")
	if r, _ := call(t, hs, helpers.Snprintf, m, base+200, 4, base+64, 0, 0); r != 9 {
		t.Errorf("snprintf truncated = %d, want 9", r)
	}
	if got, _ := m.CString(base+200, 4); string(got) != "abc" {
		t.Errorf("truncated output %q", got)
	}
}

func TestMiscHelpers(t *testing.T) {
	m, done := memory(t)
	defer done()
	hs := helpers.New(&helpers.Config{
		Rand: func() uint32 { return 4 },
		Now:  func() uint64 { return 1234 },
		CPU:  func(*vm.Memory) int { return 3 },
	})
	for id, want := range map[int32]uint64{helpers.GetPrandomU32: 4, helpers.KtimeGetNs: 1234, helpers.KtimeGetBootNs: 1234, helpers.GetSmpProcessorID: 3} {
		if r, err := call(t, hs, id, m); err != nil || r != want {
			t.Errorf("helper %d = %d, %v; want %d", id, r, err, want)
		}
	}
	// loop without an engine that supports callbacks.
	if _, err := call(t, hs, helpers.Loop, m, 3, 0, 0, 0); !errors.Is(err, vm.ErrNoCallbacks) {
		t.Errorf("loop without callbacks: %v", err)
	}
	if r, _ := call(t, hs, helpers.Loop, m, 3, 0, 0, 1); int64(r) != -22 {
		t.Errorf("loop with flags = %d", int64(r))
	}
}
