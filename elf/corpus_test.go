package elf_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iovm/iovm/conformance"
	"github.com/iovm/iovm/elf"
	"github.com/iovm/iovm/maps"
	"github.com/iovm/iovm/vm"
)

func run(t testing.TB, x vm.Executable, in []byte) uint64 {
	t.Helper()
	res, err := x.Run(&vm.Env{Mem: in})
	if err != nil {
		t.Fatal(err)
	}
	return res.R0
}

func TestGlobals(t *testing.T) {
	for _, obj := range []string{"globals.o", "globals.eb.o"} {
		t.Run(obj, func(t *testing.T) { testGlobals(t, obj) })
	}
}

func testGlobals(t *testing.T, obj string) {
	o := open(t, obj)
	ord := o.Order
	for _, name := range []string{".data", ".bss", ".rodata", ".data.tagged", ".rodata.str1.1"} {
		if o.MapIndex(name) < 0 {
			t.Errorf("no data section %s", name)
		}
	}
	if p, err := o.ProgramBySection("globals"); err != nil || p.Name != "sum" {
		t.Fatalf("program of section globals: %v %v", p, err)
	}
	eachEngine(t, func(t *testing.T, e conformance.Engine) {
		var trace bytes.Buffer
		c := newColl(t, o, &elf.Config{Trace: &trace})
		x := load(t, e, c, "sum", nil)
		in := make([]byte, 8)
		ord.PutUint32(in, 2)     // a: table[2]*3 = 90
		ord.PutUint32(in[4:], 5) // b
		if got := run(t, x, in); got != 95 {
			t.Fatalf("first run = %d, want 95", got)
		}
		if got := run(t, x, in); got != 190 {
			t.Fatalf("second run = %d, want 190", got)
		}
		if got := ord.Uint64(c.Global(".data")); got != 102 {
			t.Errorf("calls = %d, want 102", got)
		}
		if got := ord.Uint32(c.Global(".data.tagged")); got != 9 {
			t.Errorf("tagged = %d, want 9", got)
		}
		bss := c.Global(".bss")
		if i := bytes.IndexByte(bss, 't'); i < 0 || !strings.HasPrefix(string(bss[i:]), "t=190 c=102\x00") {
			t.Errorf(".bss = %q, want snprintf output t=190 c=102", bss)
		}
		want := "sum a=2 b=5 total=95\nsum a=2 b=5 total=190\n"
		if trace.String() != want {
			t.Errorf("trace = %q, want %q", trace.String(), want)
		}
		ro := load(t, e, c, "write_rodata", nil)
		_, err := ro.Run(&vm.Env{})
		var ve *vm.Error
		if !errors.As(err, &ve) || ve.Fault != vm.FaultPermission {
			t.Errorf("write to .rodata: %v, want a permission fault", err)
		}
	})
}

func TestLRU(t *testing.T) {
	o := open(t, "lru.o")
	eachEngine(t, func(t *testing.T, e conformance.Engine) {
		c := newColl(t, o, nil)
		x := load(t, e, c, "lru_insert", nil)
		for _, k := range []uint32{1, 2, 3, 4} {
			if r := int64(run(t, x, le32(k))); r != 0 {
				t.Fatalf("insert %d: %d", k, r)
			}
		}
		run(t, x, le32(1))                           // touch 1: 2 is now the oldest
		if r := int64(run(t, x, le32(5))); r != -7 { // hash full: -E2BIG
			t.Errorf("hash insert into full map = %d, want -7", r)
		}
		recent := c.Map("recent")
		if _, err := recent.Lookup(le32(2)); !errors.Is(err, maps.ErrKeyNotExist) {
			t.Errorf("key 2 should have been evicted: %v", err)
		}
		for _, k := range []uint32{1, 3, 4, 5} {
			if _, err := recent.Lookup(le32(k)); err != nil {
				t.Errorf("key %d: %v", k, err)
			}
		}
		if got := lookupU64(t, c, "recent", le32(1)); got != 1001 {
			t.Errorf("recent[1] = %d, want 1001", got)
		}
	})
}

func TestRingbufQueueStack(t *testing.T) {
	o := open(t, "ringbuf.o")
	eachEngine(t, func(t *testing.T, e conformance.Engine) {
		c := newColl(t, o, nil)
		x := load(t, e, c, "emit", nil)
		ring := c.Map("events").Ring()
		got := make(chan []byte, 16)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // a Go consumer blocked in Read
			defer wg.Done()
			for {
				s, err := ring.Read(ctx)
				if err != nil {
					return
				}
				got <- s
			}
		}()
		for id := uint32(1); id <= 4; id++ {
			req := append(le32(id), le32(0)...)
			if r := int64(run(t, x, req)); r < 0 {
				t.Fatalf("emit %d = %d", id, r)
			}
		}
		type ev struct {
			id, kind uint32
			msg      string
		}
		var evs []ev
		for len(evs) < 6 {
			select {
			case s := <-got:
				if len(s) != 32 {
					t.Fatalf("sample of %d bytes", len(s))
				}
				evs = append(evs, ev{binary.LittleEndian.Uint32(s), binary.LittleEndian.Uint32(s[4:]), string(bytes.TrimRight(s[16:], "\x00"))})
			case <-ctx.Done():
				t.Fatalf("got %d events, want 6", len(evs))
			}
		}
		ring.Close()
		wg.Wait()
		want := []ev{{1, 2, "output"}, {2, 1, "reserved"}, {2, 2, "output"}, {3, 2, "output"}, {4, 1, "reserved"}, {4, 2, "output"}}
		for i := range want {
			if evs[i] != want[i] {
				t.Errorf("event %d = %+v, want %+v", i, evs[i], want[i])
			}
		}
		d := load(t, e, c, "drain", nil)
		if r := run(t, d, nil); r != 1*100+4 {
			t.Errorf("drain = %d, want 104", r)
		}
		if n := c.Map("fifo").Len(); n != 3 {
			t.Errorf("queue holds %d, want 3", n)
		}
	})
}

func TestTailCalls(t *testing.T) {
	o := open(t, "tailcall.o")
	eachEngine(t, func(t *testing.T, e conformance.Engine) {
		c := newColl(t, o, nil)
		jump := c.Map("jump")
		for i, name := range []string{"", "stage1", "stage2", "self"} {
			if name != "" {
				jump.SetProgram(uint32(i), load(t, e, c, name, nil))
			}
		}
		entry := load(t, e, c, "entry", nil)
		in := []byte{1, 0, 0, 0}
		if r := run(t, entry, in); r != 42 || string(in[1:]) != "e12" {
			t.Errorf("entry -> stage1 -> stage2 = %d, input %q; want 42, \"e12\"", r, in[1:])
		}
		in = []byte{0, 0, 0, 0} // index 0: empty slot, entry goes on
		if r := run(t, entry, in); r != 99 {
			t.Errorf("tail call to empty slot: %d, want 99", r)
		}
		in = []byte{3, 0, 0, 0}
		if r := run(t, entry, in); r != 7 {
			t.Errorf("self loop = %d, want 7", r)
		}
		// entry's tail call is the 1st; self runs 33 times, its last tail call fails.
		if got := binary.LittleEndian.Uint64(c.Global(".bss")); got != 33 {
			t.Errorf("self ran %d times, want 33", got)
		}
	})
}

func TestLoopCallbacks(t *testing.T) {
	o := open(t, "loop.o")
	eachEngine(t, func(t *testing.T, e conformance.Engine) {
		c := newColl(t, o, nil)
		x := load(t, e, c, "loop", nil)
		res, err := x.Run(&vm.Env{Mem: append(le32(10), le32(100)...)})
		if isNoCallbacks(err) {
			t.Skipf("engine %s has no callbacks: %v", e.Name, err)
		}
		if err != nil {
			t.Fatal(err)
		}
		if res.R0 != 45*1000+10 {
			t.Errorf("loop(10) = %d, want 45010", res.R0)
		}
		if r := run(t, x, append(le32(10), le32(4)...)); r != 6*1000+5 {
			t.Errorf("loop(10, stop at 4) = %d, want 6005", r)
		}
		vals := c.Map("vals")
		for i := uint32(0); i < 8; i++ {
			vals.Update(le32(i), binary.LittleEndian.AppendUint64(nil, uint64(i)), 0)
		}
		fe := load(t, e, c, "foreach", nil)
		// sum of i*(i+1) for i < 8 = 168; 8 elements
		if r := run(t, fe, nil); r != 168*100+8 {
			t.Errorf("foreach = %d, want 16808", r)
		}
		if got := lookupU64(t, c, "vals", le32(7)); got != 8 {
			t.Errorf("vals[7] = %d after foreach, want 8", got)
		}
	})
}

func TestLegacyMapsPerCPU(t *testing.T) {
	o := open(t, "legacy.o")
	if i := o.MapIndex("hits"); i < 0 || o.Maps[i].Type != maps.Array || o.Maps[i].ValueSize != 8 {
		t.Fatalf("legacy map hits: %+v", o.Maps)
	}
	eachEngine(t, func(t *testing.T, e conformance.Engine) {
		c := newColl(t, o, &elf.Config{NumCPU: 2, CPU: func(*vm.Memory) int { return 1 }})
		x := load(t, e, c, "legacy", nil)
		run(t, x, nil)
		if r := run(t, x, nil); r != 2 {
			t.Errorf("legacy = %d, want 2", r)
		}
		v, err := c.Map("percpu").Lookup(le32(0))
		if err != nil || len(v) != 16 {
			t.Fatal(v, err)
		}
		if c0, c1 := binary.LittleEndian.Uint64(v), binary.LittleEndian.Uint64(v[8:]); c0 != 0 || c1 != 4 {
			t.Errorf("per-CPU values %d, %d; want 0, 4", c0, c1)
		}
	})
}

// TestConcurrentRuns runs one program from two goroutines on shared maps
// (run it with -race): the counters must add up.
func TestConcurrentRuns(t *testing.T) {
	o := open(t, "counters.o")
	eachEngine(t, func(t *testing.T, e conformance.Engine) {
		c := newColl(t, o, nil)
		for f := uint32(0); f < 4; f++ {
			if err := c.Map("byflow").Update(le32(f), make([]byte, 8), maps.UpdateNoExist); err != nil {
				t.Fatal(err)
			}
		}
		x := load(t, e, c, "count", nil)
		const per = 2000
		var wg sync.WaitGroup
		errs := make(chan error, 2)
		for g := 0; g < 2; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				in := make([]byte, 4)
				for i := 0; i < per; i++ {
					binary.LittleEndian.PutUint32(in, uint32(i%4))
					if _, err := x.Run(&vm.Env{Mem: in}); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		for f := uint32(0); f < 4; f++ {
			if got := lookupU64(t, c, "arr", le32(f)); got != 2*per/4 {
				t.Errorf("arr[%d] = %d, want %d", f, got, 2*per/4)
			}
			if got := lookupU64(t, c, "byflow", le32(f)); got != 2*2*per/4 {
				t.Errorf("byflow[%d] = %d, want %d", f, got, 2*2*per/4)
			}
		}
	})
}

func TestPerCPUMaps(t *testing.T) {
	o := open(t, "percpu.o")
	eachEngine(t, func(t *testing.T, e conformance.Engine) {
		// Two CPUs; the CPU of a run is in Env.Value.
		c := newColl(t, o, &elf.Config{NumCPU: 2, CPU: func(m *vm.Memory) int { return m.Value.(int) }})
		x := load(t, e, c, "percpu", nil)
		runOn := func(cpu int, key uint32) {
			t.Helper()
			res, err := x.Run(&vm.Env{Mem: le32(key), Value: cpu})
			if err != nil {
				t.Fatal(err)
			}
			if res.R0 != uint64(cpu) {
				t.Fatalf("cpu = %d, want %d", res.R0, cpu)
			}
		}
		runOn(0, 5)
		runOn(1, 5)
		runOn(1, 5)
		runOn(1, 6)
		runOn(0, 7) // plru holds 2 keys: 5 (oldest) is evicted
		perCPU := func(m string, key uint32) [2]uint64 {
			v, err := c.Map(m).Lookup(le32(key))
			if err != nil {
				t.Fatalf("%s[%d]: %v", m, key, err)
			}
			return [2]uint64{binary.LittleEndian.Uint64(v), binary.LittleEndian.Uint64(v[8:])}
		}
		if got := perCPU("pa", 0); got != [2]uint64{2, 3} {
			t.Errorf("pa = %v, want [2 3]", got)
		}
		if got := perCPU("ph", 5); got != [2]uint64{1, 2} {
			t.Errorf("ph[5] = %v, want [1 2]", got)
		}
		if got := perCPU("plru", 6); got != [2]uint64{0, 1} {
			t.Errorf("plru[6] = %v, want [0 1]", got)
		}
		if _, err := c.Map("plru").Lookup(le32(5)); !errors.Is(err, maps.ErrKeyNotExist) {
			t.Errorf("plru[5] not evicted: %v", err)
		}
		bss := c.Global(".bss")
		if binary.LittleEndian.Uint64(bss) == 0 || binary.LittleEndian.Uint64(bss[8:]) == 0 {
			t.Errorf("ktime not recorded: %x", bss)
		}
	})
}

// TestReplaceHelper replaces a standard helper and adds one of the
// embedder's own before loading.
func TestReplaceHelper(t *testing.T) {
	o := open(t, "percpu.o")
	eachEngine(t, func(t *testing.T, e conformance.Engine) {
		c := newColl(t, o, nil)
		c.Helpers.Register(vm.Helper{ID: 7, Name: "my_prandom", Fn: func(*vm.Memory, uint64, uint64, uint64, uint64, uint64) (uint64, error) {
			return 77, nil
		}})
		x := load(t, e, c, "percpu", nil)
		run(t, x, le32(1))
		if got := binary.LittleEndian.Uint32(c.Global(".bss")[16:]); got != 77 {
			t.Errorf("rnd = %d, want 77 from the replacement helper", got)
		}
	})
}
