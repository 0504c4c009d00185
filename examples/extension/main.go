// Command extension is a plugin-style service: users upload eBPF programs
// (assembly text in either dialect, or ELF objects compiled from C), the
// service verifies them, and runs them on each request it serves with
// custom Go helpers (user_tier, log_msg, hour), checked memory accesses
// and an instruction budget. Bad plugins are clean errors, never a crash
// or a hang of the service: one that does not assemble or calls a helper
// the service does not offer is rejected at upload; one that loops forever
// is stopped by the budget; one that reads outside its request faults.
//
//	go run ./examples/extension                  # the demo with the bundled plugins
//	go run ./examples/extension my.s other.o     # also upload and try your own
//
// The bundled plugins are in plugins/ (assembly) and bpf/ (C, built into
// bpf/ratelimit.o by `make testdata`).
package main

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/iovm/iovm"
	"github.com/iovm/iovm/vm"
)

//go:embed plugins/*.s plugins/*.asm bpf/ratelimit.o
var bundled embed.FS

// sampleRequests are the requests of the demo, and the hour of the day
// each arrives at.
var sampleRequests = []struct {
	Request
	hour int
}{
	{Request{User: 7, Method: 1, Path: "/api/items"}, 10},
	{Request{User: 0, Method: 1, Path: "/api/items"}, 10},
	{Request{User: 7, Method: 1, Path: "/admin/users"}, 10},
	{Request{User: 42, Method: 1, Path: "/admin/users"}, 11},
	{Request{User: 7, Method: 2, Path: "/api/items"}, 11},
	{Request{User: 42, Method: 3, Path: "/api/items/3"}, 21},
	{Request{User: 7, Method: 1, Path: "/api/items/3"}, 21},
	{Request{User: 7, Method: 1, Path: "/api/items/4"}, 22},
	{Request{User: 42, Method: 1, Path: "/api/items/4"}, 22},
}

// budget is the instruction budget of a plugin run in the demo.
const budget = 10_000

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "extension:", err)
		os.Exit(1)
	}
}

func run(args []string, w io.Writer) error {
	s := NewService(budget, map[uint32]uint64{7: 1, 42: 2})
	// The demo's clock: the hour each sample request arrives at.
	hour := 0
	s.Clock = func() time.Time { return time.Date(2026, 1, 1, hour, 0, 0, 0, time.UTC) }
	fmt.Fprintf(w, "service: plugins run on %s, budget %d instructions\n\n", iovm.DefaultEngine(), budget)

	upload := func(name string, code []byte) bool {
		if err := s.Upload(name, code); err != nil {
			fmt.Fprintf(w, "upload %-10s %v\n", name, err)
			return false
		}
		fmt.Fprintf(w, "upload %-10s ok\n", name)
		return true
	}
	for _, f := range []string{"plugins/admin.s", "plugins/writes.asm", "bpf/ratelimit.o"} {
		code, err := bundled.ReadFile(f)
		if err != nil {
			return err
		}
		upload(pluginName(f), code)
	}
	fmt.Fprintf(w, "installed: %s\n\n", strings.Join(s.Plugins(), ", "))

	for _, r := range sampleRequests {
		hour = r.hour
		ok, by, err := s.Check(r.Request)
		at := fmt.Sprintf("%02d:00 %s", r.hour, r.Request)
		switch {
		case err != nil:
			fmt.Fprintf(w, "%-36s error: %v\n", at, err)
		case ok:
			fmt.Fprintf(w, "%-36s allowed\n", at)
		default:
			fmt.Fprintf(w, "%-36s denied by %s\n", at, by)
		}
	}

	// Misbehaving plugins: rejected at upload, or stopped at run time.
	fmt.Fprintln(w, "\nmisbehaving plugins:")
	for _, f := range []string{"plugins/typo.asm", "plugins/printk.asm", "plugins/spin.asm", "plugins/peek.asm"} {
		code, err := bundled.ReadFile(f)
		if err != nil {
			return err
		}
		name := pluginName(f)
		if upload(name, code) {
			tryPlugin(w, s, name)
			s.Remove(name) // do not let it deny every request
		}
	}

	// Plugins given on the command line.
	for _, path := range args {
		code, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		name := pluginName(path)
		if upload(name, code) {
			tryPlugin(w, s, name)
		}
	}

	fmt.Fprintln(w, "\nservice log:")
	for _, l := range s.Log() {
		fmt.Fprintln(w, "  "+l)
	}
	return nil
}

// tryPlugin runs one plugin on the first sample request and says how it
// ended.
func tryPlugin(w io.Writer, s *Service, name string) {
	v, insns, err := s.Run(name, sampleRequests[0].Request)
	switch {
	case errors.Is(err, vm.KindBudget):
		fmt.Fprintf(w, "  run    %-10s stopped after %d instructions: %v\n", name, insns, err)
	case errors.Is(err, vm.KindFault):
		fmt.Fprintf(w, "  run    %-10s faulted: %v\n", name, err)
	case err != nil:
		fmt.Fprintf(w, "  run    %-10s failed: %v\n", name, err)
	default:
		fmt.Fprintf(w, "  run    %-10s verdict %d (%d instructions)\n", name, v, insns)
	}
}

// pluginName names a plugin after its file.
func pluginName(path string) string {
	base := filepath.Base(path)
	return strings.TrimSuffix(base, filepath.Ext(base))
}
