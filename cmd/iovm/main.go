// Command iovm assembles, disassembles, verifies, runs and benchmarks eBPF
// programs, and runs conformance suites on iovm's engines.
//
// Each subcommand lives in its own file and registers itself in init.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
)

// command is one subcommand of iovm.
type command struct {
	name  string
	usage string // one line: arguments
	short string // one line: what it does
	// run executes the command with its arguments (flags and operands in
	// any order) and returns the exit status.
	run func(args []string, stdout, stderr io.Writer) int
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

func main() {
	os.Exit(mainArgs(os.Args[1:], os.Stdout, os.Stderr))
}

func mainArgs(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				fmt.Fprintf(stdout, "%s\n\n%s\n", usageLine(c.name), c.short)
				return 0
			}
		}
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "iovm: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "iovm is a userspace eBPF virtual machine and JIT compiler.")
	fmt.Fprintln(w, "\nUsage:\n\n\tiovm <command> [arguments]\n\nCommands:")
	var names []string
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "\t%-12s %s\n", n, commands[n].short)
	}
	fmt.Fprintln(w, "\nRun 'iovm help <command>' for a command's arguments.")
}

// parseFlags parses fs from args, allowing flags after operands (Go's flag
// package stops at the first operand). It returns the operands.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var operands []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return operands, nil
		}
		if args[0] == "--" {
			return append(operands, args[1:]...), nil
		}
		operands = append(operands, args[0])
		args = args[1:]
	}
}

// usageLine returns the usage line of command name, as registered.
func usageLine(name string) string {
	return "usage: iovm " + name + " " + commands[name].usage
}

// newFlagSet returns the flag set of command name: errors go to stderr, and
// its usage is the registered usage line followed by the flags.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, usageLine(name))
		fs.PrintDefaults()
	}
	return fs
}
