package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/iovm/iovm/conformance"
)

func init() {
	register(&command{
		name:  "conformance",
		usage: "[--engine interp|jit|all] PATH...",
		short: "run conformance .data files (or directories of them) on iovm's engines",
		run:   runConformance,
	})
}

// runConformance runs .data files and prints one line per file and engine:
// PASS, FAIL with the reason, or SKIP with the reason; then the totals
// "N passed, M failed" (", K skipped" when some were skipped). The exit
// status is 1 when any case failed, 2 for bad usage.
func runConformance(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("conformance", stderr)
	engineName := fs.String("engine", "interp", "engine to run on: interp, jit, or all (every engine available on this host)")
	paths, err := parseFlags(fs, args)
	if err != nil {
		return 2
	}
	if len(paths) == 0 {
		fmt.Fprintln(stderr, usageLine("conformance"))
		return 2
	}
	var engines []conformance.Engine
	if *engineName == "all" {
		engines = conformance.Engines()
	} else {
		e, ok := conformance.LookupEngine(*engineName)
		if !ok {
			fmt.Fprintf(stderr, "iovm conformance: engine %q is not available on this host (registered: %s)\n",
				*engineName, strings.Join(conformance.EngineNames(), ", "))
			return 2
		}
		engines = []conformance.Engine{e}
	}
	files, err := conformance.Collect(paths)
	if err != nil {
		fmt.Fprintf(stderr, "iovm conformance: %v\n", err)
		return 2
	}
	var passed, failed, skipped int
	for _, e := range engines {
		prefix := ""
		if len(engines) > 1 {
			prefix = "[" + e.Name + "] "
		}
		for _, f := range files {
			c, err := conformance.ParseFile(f)
			var o conformance.Outcome
			if err != nil {
				o = conformance.Outcome{Status: conformance.Fail, Reason: "parse: " + err.Error()}
			} else {
				o = conformance.RunCase(c, e)
			}
			switch o.Status {
			case conformance.Pass:
				passed++
				fmt.Fprintf(stdout, "PASS %s%s\n", prefix, f)
			case conformance.Fail:
				failed++
				fmt.Fprintf(stdout, "FAIL %s%s: %s\n", prefix, f, oneLine(o.Reason))
			default:
				skipped++
				fmt.Fprintf(stdout, "SKIP %s%s: %s\n", prefix, f, oneLine(o.Reason))
			}
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d failed", passed, failed)
	if skipped > 0 {
		fmt.Fprintf(stdout, ", %d skipped", skipped)
	}
	fmt.Fprintln(stdout)
	if failed > 0 {
		return 1
	}
	return 0
}

// oneLine keeps a reason on one output line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " ..."
	}
	return s
}
