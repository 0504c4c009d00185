package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"text/tabwriter"
	"time"

	"github.com/iovm/iovm/conformance"
	"github.com/iovm/iovm/vm"
)

func init() {
	register(&command{
		name:  "bench",
		usage: "[--mem FILE] [--budget N] [--time D] [--cpu] [--json] [--big-endian] PROG",
		short: "time a program on every engine of the host (interpreter, JIT) and compare",
		run:   runBench,
	})
}

// benchRow is one engine's line of iovm bench.
type benchRow struct {
	Engine  string  `json:"engine"`
	R0      uint64  `json:"r0"`
	Error   string  `json:"error,omitempty"`
	Runs    int     `json:"runs"`
	NsRun   float64 `json:"ns_per_run"`
	NsInsn  float64 `json:"ns_per_insn"`
	Insns   uint64  `json:"insns_per_run"`
	Speedup float64 `json:"speedup_over_interp"`
}

// runBench loads PROG on each available engine, checks that they agree,
// then runs each for about --time (doubling the run count until it does)
// on one copy of the input memory and prints a table or JSON.
func runBench(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("bench", stderr)
	memFile := fs.String("mem", "", "input memory from `FILE` (hex text or raw bytes); replaces a .data file's")
	budget := fs.Uint64("budget", 0, "instruction budget of each run (0: the file's, or none)")
	dur := fs.Duration("time", time.Second, "time to spend on each engine")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	bigEndian := fs.Bool("big-endian", false, "the program is big-endian")
	cpu := fs.Bool("cpu", false, "measure the CPU time of the running thread instead of wall time (robust on a loaded machine; Linux only)")
	operands, err := parseFlags(fs, args)
	if err != nil {
		return 2
	}
	if len(operands) != 1 {
		fs.Usage()
		return 2
	}
	clock := func() time.Duration { return time.Duration(time.Now().UnixNano()) }
	if *cpu {
		if _, ok := threadCPUTime(); !ok {
			fmt.Fprintln(stderr, "iovm bench: --cpu: no thread CPU clock on this system")
			return 1
		}
		runtime.LockOSThread() // the clock is the thread's
		defer runtime.UnlockOSThread()
		clock = func() time.Duration { d, _ := threadCPUTime(); return d }
	}
	l, err := loadProgram(operands[0], *bigEndian)
	if err != nil {
		fmt.Fprintf(stderr, "iovm bench: %v\n", err)
		return 1
	}
	mem := l.Mem
	if *memFile != "" {
		if mem, err = readMem(*memFile); err != nil {
			fmt.Fprintf(stderr, "iovm bench: %v\n", err)
			return 1
		}
	}
	if *budget != 0 {
		l.Budget = *budget
	}
	var rows []benchRow
	var interpNs float64
	for _, e := range conformance.Engines() {
		row := benchRow{Engine: e.Name}
		x, err := e.Load(l.Insns, &l.Opts)
		if err != nil {
			fmt.Fprintf(stderr, "iovm bench: %s: %v\n", e.Name, err)
			return 1
		}
		env := &vm.Env{Budget: l.Budget}
		if mem != nil {
			env.Mem = append([]byte(nil), mem...)
		}
		if l.Context != nil {
			env.Context = l.Context(env.Mem)
		}
		res, err := x.Run(env)
		row.R0, row.Insns = res.R0, res.Insns
		if err != nil {
			row.Error = err.Error()
		}
		n := 1
		for {
			t0 := clock()
			for i := 0; i < n; i++ {
				x.Run(env)
			}
			el := clock() - t0
			if el >= *dur || n >= 1<<30 {
				row.Runs, row.NsRun = n, float64(el.Nanoseconds())/float64(n)
				break
			}
			n *= 2
		}
		x.Close()
		if row.Insns > 0 {
			row.NsInsn = row.NsRun / float64(row.Insns)
		}
		if e.Name == conformance.Interp.Name {
			interpNs = row.NsRun
		}
		if interpNs > 0 {
			row.Speedup = interpNs / row.NsRun
		}
		rows = append(rows, row)
	}
	for _, r := range rows[1:] {
		if r.R0 != rows[0].R0 || r.Error != rows[0].Error {
			fmt.Fprintf(stderr, "iovm bench: engines disagree: %s gives %#x %q, %s gives %#x %q\n", rows[0].Engine, rows[0].R0, rows[0].Error, r.Engine, r.R0, r.Error)
			return 1
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rows)
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "engine\tresult\truns\tns/run\tns/insn\tspeedup\t")
	for _, r := range rows {
		result := fmt.Sprintf("%#x", r.R0)
		if r.Error != "" {
			result = "error"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f\t%.3f\t%.2fx\t\n", r.Engine, result, r.Runs, r.NsRun, r.NsInsn, r.Speedup)
	}
	tw.Flush()
	return 0
}
