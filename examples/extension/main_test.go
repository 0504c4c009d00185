package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iovm/iovm/asm"
	"github.com/iovm/iovm/vm"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(nil, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"installed: admin (LLVM assembly, 17 instructions), writes (assembly, 10 instructions), ratelimit (object, 36 instructions)\n",
		"10:00 user 7 GET /api/items          allowed\n",
		"10:00 user 0 GET /api/items          denied by admin\n",
		"10:00 user 7 GET /admin/users        denied by admin\n",
		"11:00 user 42 GET /admin/users       allowed\n",
		"11:00 user 7 POST /api/items         allowed\n",
		"21:00 user 42 PUT /api/items/3       denied by writes\n",
		"21:00 user 7 GET /api/items/3        allowed\n",
		"22:00 user 7 GET /api/items/4        denied by ratelimit\n",
		"22:00 user 42 GET /api/items/4       allowed\n",
		`upload typo       plugin typo rejected: line 3, col 5: unknown mnemonic "exti"` + "\n",
		"upload printk     plugin printk rejected: load: pc 2: call to unknown helper 6\n",
		"  run    spin       stopped after 10000 instructions: plugin spin: pc 2: budget exhausted\n",
		"  run    peek       faulted: plugin peek: pc 0: out of bounds: read of 8 bytes at 0x3000000c8\n",
		"service log:\n  admin: \"/api/items\"\n  admin: \"/admin/users\"\n  ratelimit: \"ratelimit: over quota\"\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestRunUserPlugin(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mine.asm")
	os.WriteFile(path, []byte("mov %r0, 7\nexit\n"), 0o644)
	var out bytes.Buffer
	if err := run([]string{path}, &out); err != nil {
		t.Fatal(err)
	}
	if want := "upload mine       ok\n  run    mine       verdict 7 (2 instructions)\n"; !strings.Contains(out.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, out.String())
	}
}

func bundledPlugin(t *testing.T, f string) []byte {
	t.Helper()
	b, err := bundled.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestUploadErrors(t *testing.T) {
	s := NewService(1000, nil)
	err := s.Upload("typo", bundledPlugin(t, "plugins/typo.asm"))
	var ae *asm.Error
	if !errors.Is(err, ErrRejected) || !errors.As(err, &ae) || ae.Line != 3 {
		t.Errorf("typo: %v, want a rejection with an *asm.Error at line 3", err)
	}
	err = s.Upload("printk", bundledPlugin(t, "plugins/printk.asm"))
	var ve *vm.Error
	if !errors.Is(err, ErrRejected) || !errors.As(err, &ve) || ve.Kind != vm.KindLoad || ve.PC != 2 {
		t.Errorf("printk: %v, want a rejection with a load *vm.Error at pc 2", err)
	}
	if err := s.Upload("bin", []byte{0xff, 0xfe, 0}); !errors.Is(err, ErrRejected) {
		t.Errorf("binary junk: %v", err)
	}
	if err := s.Upload("badelf", []byte("\x7fELF\x02\x01\x01")); !errors.Is(err, ErrRejected) {
		t.Errorf("truncated ELF: %v", err)
	}
	if len(s.Plugins()) != 0 {
		t.Errorf("rejected plugins installed: %v", s.Plugins())
	}
}

func TestRunErrors(t *testing.T) {
	s := NewService(5000, nil)
	for _, f := range []string{"plugins/spin.asm", "plugins/peek.asm"} {
		if err := s.Upload(pluginName(f), bundledPlugin(t, f)); err != nil {
			t.Fatal(err)
		}
	}
	req := Request{User: 1, Method: 1, Path: "/"}
	_, insns, err := s.Run("spin", req)
	var ve *vm.Error
	if !errors.Is(err, vm.KindBudget) || !errors.As(err, &ve) || insns != 5000 {
		t.Errorf("spin: %v after %d instructions, want budget exhaustion after 5000", err, insns)
	}
	_, _, err = s.Run("peek", req)
	if !errors.As(err, &ve) || ve.Kind != vm.KindFault || ve.Fault != vm.FaultOutOfBounds || ve.Addr != vm.Addr(vm.RegionContext, 200) {
		t.Errorf("peek: %v, want an out-of-bounds fault at the context + 200", err)
	}
	if ok, by, err := s.Check(req); ok || by != "spin" || !errors.Is(err, vm.KindBudget) {
		t.Errorf("Check = %v, %q, %v; want denied by spin with its error", ok, by, err)
	}
	s.Remove("spin")
	s.Remove("peek")
	if ok, _, err := s.Check(req); !ok || err != nil {
		t.Errorf("Check without plugins = %v, %v", ok, err)
	}
	if _, _, err := s.Run("spin", req); err == nil {
		t.Error("removed plugin ran")
	}
}

// TestConcurrent serves requests from many goroutines while plugins are
// replaced: the rate limiter's counters are atomic and every plugin's
// result is one of its versions'.
func TestConcurrent(t *testing.T) {
	s := NewService(1000, map[uint32]uint64{1: 2})
	s.Clock = func() time.Time { return time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC) }
	if err := s.Upload("ratelimit", bundledPlugin(t, "bpf/ratelimit.o")); err != nil {
		t.Fatal(err)
	}
	if err := s.Upload("v", []byte("mov %r0, 0\nexit")); err != nil {
		t.Fatal(err)
	}
	const workers, each = 4, 30
	var wg sync.WaitGroup
	var mu sync.Mutex
	denied := 0
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				ok, by, err := s.Check(Request{User: 1, Method: 1, Path: "/x"})
				if err != nil {
					t.Error(err)
					return
				}
				if !ok && by == "ratelimit" {
					mu.Lock()
					denied++
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < 20; i++ {
		if err := s.Upload("v", []byte("r0 = 0\nexit")); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	// Tier 2: 100 requests allowed, the other 20 denied.
	if denied != workers*each-100 {
		t.Errorf("%d requests denied by the rate limiter, want %d", denied, workers*each-100)
	}
}
