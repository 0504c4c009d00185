// Command histogram aggregates events into a log2 histogram with an eBPF
// event filter: bpf/latency.c, compiled by clang (`make testdata`) and run by
// iovm on the best engine of the host. Each run of the program gets one I/O
// completion event (a synthetic, deterministic workload here) as its
// context; the program keeps the events of one kind (and optionally one
// process) and counts their latencies in an array map, which this program
// reads from Go and prints as bpftrace prints a hist():
//
//	go run ./examples/histogram                  # read latencies
//	go run ./examples/histogram -kind fsync -n 50000
//	go run ./examples/histogram -kind write -pid 1002
package main

import (
	_ "embed"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strings"

	"github.com/iovm/iovm"
	"github.com/iovm/iovm/elf"
	"github.com/iovm/iovm/vm"
)

//go:embed bpf/latency.o
var latencyObject []byte

// Slots is the number of histogram slots (SLOTS in latency.c).
const Slots = 64

// eventSize is the size of struct event in latency.c.
const eventSize = 24

// Event kinds (struct event's kind).
var kinds = []string{"read", "write", "fsync"}

// Event is an I/O completion.
type Event struct {
	TimeNs    uint64
	PID       uint32
	Kind      uint32
	LatencyNs uint64
}

// encode writes e as struct event in the program's byte order.
func (e Event) encode(order binary.ByteOrder, b []byte) {
	order.PutUint64(b[0:], e.TimeNs)
	order.PutUint32(b[8:], e.PID)
	order.PutUint32(b[12:], e.Kind)
	order.PutUint64(b[16:], e.LatencyNs)
}

// Events returns n synthetic events: three processes doing reads (mostly
// served from a cache, some from disk), writes and rare slow fsyncs, with
// log-normal latencies. The same n gives the same events.
func Events(n int) []Event {
	rng := rand.New(rand.NewPCG(7, 11))
	evs := make([]Event, n)
	var t uint64
	for i := range evs {
		t += uint64(rng.IntN(50_000))
		e := Event{TimeNs: t, PID: 1000 + uint32(rng.IntN(3))}
		median := 0.0
		switch k := rng.IntN(100); {
		case k < 60:
			e.Kind, median = 0, 4e3 // cached read: ~4µs
			if rng.IntN(4) == 0 {
				median = 250e3 // from disk: ~250µs
			}
		case k < 95:
			e.Kind, median = 1, 20e3
		default:
			e.Kind, median = 2, 3e6
		}
		e.LatencyNs = uint64(median * math.Exp(rng.NormFloat64()*0.6))
		evs[i] = e
	}
	return evs
}

// Histogram is what the program aggregated.
type Histogram struct {
	Engine       string
	Counts       [Slots]uint64 // hist map: slot 0 = 0µs, slot k = [2^(k-1), 2^k) µs
	Seen, Kept   uint64
	SumUs, MaxUs uint64
	Kind         string
	PID          uint32
}

// Aggregate runs the event filter over evs on engine (iovm.EngineAuto,
// EngineJIT or EngineInterp), keeping the events of kind (and of pid if not
// 0), and returns the histogram read from its map and its global totals.
func Aggregate(evs []Event, kind string, pid uint32, engine string) (*Histogram, error) {
	k := -1
	for i, name := range kinds {
		if name == kind {
			k = i
		}
	}
	if k < 0 {
		return nil, fmt.Errorf("unknown event kind %q (want %s)", kind, strings.Join(kinds, ", "))
	}
	obj, err := elf.Parse(latencyObject)
	if err != nil {
		return nil, err
	}
	coll, err := elf.NewCollection(obj, nil)
	if err != nil {
		return nil, err
	}
	order := obj.Order
	// Settings live in .rodata: read-only for the program, written from Go
	// before loading it (as libbpf lets a loader set const volatile
	// variables).
	settings := coll.Global(".rodata")
	if len(settings) < 8 {
		return nil, errors.New("latency.o: no settings in .rodata")
	}
	order.PutUint32(settings[0:], uint32(k))
	order.PutUint32(settings[4:], pid)

	prog, err := iovm.LoadEngine(engine, obj.Program("io_latency").Insns,
		coll.Options(&vm.Options{ContextSize: eventSize}))
	if err != nil {
		return nil, err
	}
	defer prog.Close()

	h := &Histogram{Engine: engine, Kind: kind, PID: pid}
	if engine == "" || engine == iovm.EngineAuto {
		h.Engine = iovm.DefaultEngine()
	}
	ctx := make([]byte, eventSize)
	env := &vm.Env{Context: ctx, ContextReadOnly: true}
	for _, e := range evs {
		e.encode(order, ctx)
		if _, err := prog.Run(env); err != nil {
			return nil, err
		}
	}

	// Read the histogram map and the totals in .bss.
	hist := coll.Map("hist")
	key := make([]byte, 4)
	for i := range h.Counts {
		order.PutUint32(key, uint32(i))
		v, err := hist.Lookup(key)
		if err != nil {
			return nil, err
		}
		h.Counts[i] = order.Uint64(v)
	}
	totals := coll.Global(".bss")
	h.Seen, h.Kept = order.Uint64(totals[0:]), order.Uint64(totals[8:])
	h.SumUs, h.MaxUs = order.Uint64(totals[16:]), order.Uint64(totals[24:])
	return h, nil
}

// Print writes the histogram as bpftrace prints one.
func (h *Histogram) Print(w io.Writer) {
	who := "all processes"
	if h.PID != 0 {
		who = fmt.Sprintf("pid %d", h.PID)
	}
	fmt.Fprintf(w, "%s latency (µs) of %s, %d of %d events, on %s\n", h.Kind, who, h.Kept, h.Seen, h.Engine)
	if h.Kept == 0 {
		return
	}
	fmt.Fprintf(w, "avg %d µs, max %d µs\n\n", h.SumUs/h.Kept, h.MaxUs)
	first, last := -1, 0
	var peak uint64
	for i, c := range h.Counts {
		if c > 0 {
			if first < 0 {
				first = i
			}
			last = i
			peak = max(peak, c)
		}
	}
	const width = 52
	for i := first; i <= last; i++ {
		c := h.Counts[i]
		bar := int(c * width / peak)
		if c > 0 && bar == 0 {
			bar = 1
		}
		fmt.Fprintf(w, "%-17s %8d |%-*s|\n", slotRange(i), c, width, strings.Repeat("@", bar))
	}
}

// slotRange names the values slot i counts.
func slotRange(i int) string {
	if i == 0 {
		return "[0]"
	}
	if i == 1 {
		return "[1]"
	}
	return fmt.Sprintf("[%s, %s)", size(uint64(1)<<(i-1)), size(uint64(1)<<i))
}

// size prints a power of two as bpftrace does: 1K, 2M...
func size(v uint64) string {
	for _, u := range []string{"", "K", "M", "G", "T", "P"} {
		if v < 1024 || v%1024 != 0 {
			return fmt.Sprintf("%d%s", v, u)
		}
		v /= 1024
	}
	return fmt.Sprintf("%dE", v)
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "histogram:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("histogram", flag.ContinueOnError)
	n := fs.Int("n", 20000, "number of events")
	kind := fs.String("kind", "read", "event `kind` to keep: read, write or fsync")
	pid := fs.Uint("pid", 0, "keep the events of this process only (0: all)")
	engine := fs.String("engine", iovm.EngineAuto, "engine: auto, jit or interp")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *n < 0 || *pid > math.MaxUint32 {
		return errors.New("bad -n or -pid")
	}
	h, err := Aggregate(Events(*n), *kind, uint32(*pid), *engine)
	if err != nil {
		return err
	}
	h.Print(stdout)
	return nil
}
