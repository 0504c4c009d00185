package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/iovm/iovm/conformance"
	"github.com/iovm/iovm/vm"
)

func init() {
	register(&command{
		name:  "run",
		usage: "[--engine interp|jit] [--mem FILE] [--budget N] [--repeat N] [--trace] [--big-endian] [--section S | --func F] [--dump-maps] PROG",
		short: "run an eBPF program (.data, .asm, raw or hex bytecode, ELF object) and print r0",
		run:   runRun,
	})
}

// runRun loads PROG, runs it once on a copy of its input memory and
// prints r0 in hex. With --repeat N it then runs it N more times (on one
// copy of the memory, as a benchmark does) and prints the mean time per
// run and per executed instruction on stderr. --trace prints each executed
// instruction and the registers it changed on stderr (interpreter only).
func runRun(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("run", stderr)
	engineName := fs.String("engine", "interp", "engine: "+strings.Join(conformance.EngineNames(), ", "))
	memFile := fs.String("mem", "", "input memory from `FILE` (hex text or raw bytes); replaces a .data file's")
	budget := fs.Uint64("budget", 0, "stop after `N` instructions (0: the file's budget, or none)")
	repeat := fs.Int("repeat", 0, "after the first run, time `N` more runs")
	trace := fs.Bool("trace", false, "print each executed instruction and the registers it changed (stderr)")
	bigEndian := fs.Bool("big-endian", false, "the program is big-endian (bytecode decoding, loads and stores)")
	fs.StringVar(&elfSection, "section", "", "ELF object: run the program of section `S`")
	fs.StringVar(&elfFunc, "func", "", "ELF object: run the program (function) named `F`")
	dumpMapsFlag := fs.Bool("dump-maps", false, "ELF object: print its maps and global data after the run")
	elfTrace = stderr
	operands, err := parseFlags(fs, args)
	if err != nil {
		return 2
	}
	if len(operands) != 1 || *repeat < 0 {
		fs.Usage()
		return 2
	}
	engine, ok := conformance.LookupEngine(*engineName)
	if !ok {
		fmt.Fprintf(stderr, "iovm run: engine %q is not available here (have %s)\n", *engineName, strings.Join(conformance.EngineNames(), ", "))
		return 2
	}
	l, err := loadProgram(operands[0], *bigEndian)
	if err != nil {
		fmt.Fprintf(stderr, "iovm run: %v\n", err)
		return 1
	}
	mem := l.Mem
	if *memFile != "" {
		if mem, err = readMem(*memFile); err != nil {
			fmt.Fprintf(stderr, "iovm run: %v\n", err)
			return 1
		}
	}
	if *budget != 0 {
		l.Budget = *budget
	}
	x, err := engine.Load(l.Insns, &l.Opts)
	if err != nil {
		fmt.Fprintf(stderr, "iovm run: %v\n", err)
		return 1
	}
	defer x.Close()

	env := &vm.Env{Budget: l.Budget}
	if mem != nil {
		env.Mem = append([]byte(nil), mem...)
	}
	if *trace {
		env.Trace = stderr
	}
	if l.Context != nil {
		env.Context = l.Context(env.Mem)
	}
	res, err := x.Run(env)
	if err != nil {
		fmt.Fprintf(stderr, "iovm run: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%#x\n", res.R0)
	if *dumpMapsFlag && l.DumpMaps != nil {
		l.DumpMaps(stdout)
	}

	if *repeat > 0 {
		env.Trace = nil
		if mem != nil {
			env.Mem = append([]byte(nil), mem...)
		}
		var insns uint64
		start := time.Now()
		for i := 0; i < *repeat; i++ {
			r, err := x.Run(env)
			if err != nil {
				fmt.Fprintf(stderr, "iovm run: run %d: %v\n", i+2, err)
				return 1
			}
			insns += r.Insns
		}
		el := time.Since(start)
		perRun := float64(el.Nanoseconds()) / float64(*repeat)
		perInsn := 0.0
		if insns > 0 {
			perInsn = float64(el.Nanoseconds()) / float64(insns)
		}
		fmt.Fprintf(stderr, "%s: %d runs, %s per run, %.2f ns per instruction (%d instructions per run)\n",
			engine.Name, *repeat, time.Duration(perRun), perInsn, insns/uint64(*repeat))
	}
	return 0
}
