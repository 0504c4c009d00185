package conformance

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"

	"github.com/iovm/iovm/asm"
	"github.com/iovm/iovm/isa"
	"github.com/iovm/iovm/vm"
)

// DefaultBudget is the instruction budget of every run of a case without a
// "-- budget" section, so that no case hangs a runner. Engines that charge
// per basic block may overshoot it by a block.
const DefaultBudget = 1 << 24

// Status is the verdict on one case.
type Status uint8

// Verdicts.
const (
	Pass Status = iota
	Fail
	Skip
)

func (s Status) String() string {
	switch s {
	case Pass:
		return "PASS"
	case Fail:
		return "FAIL"
	}
	return "SKIP"
}

// Outcome is the result of running one case on one engine.
type Outcome struct {
	Status Status
	// Reason says why the case failed or was skipped.
	Reason string
	// R0 is the result of the run when it succeeded.
	R0 uint64
	// Err is the load or run error, if any.
	Err error
}

// Program returns the case's program, assembled or decoded. An error is
// the program's failure to load: an assembler error, or a *vm.Error of kind
// KindLoad for an invalid encoding.
func (c *Case) Program() (isa.Program, error) {
	if c.HasAsm {
		p, err := asm.Assemble(c.Asm)
		if err != nil {
			return nil, fmt.Errorf("asm: %w", err)
		}
		return p, nil
	}
	b := make([]byte, 8*len(c.Raw))
	for i, w := range c.Raw {
		binary.LittleEndian.PutUint64(b[8*i:], w)
	}
	return Decode(b)
}

// Decode decodes a little-endian program as vm.LoadBytes does, reporting an
// invalid encoding as a *vm.Error of kind KindLoad naming the slot.
func Decode(b []byte) (isa.Program, error) {
	p, err := isa.Decode(b, binary.LittleEndian)
	if err != nil {
		e := &vm.Error{Kind: vm.KindLoad, PC: -1, Reason: err.Error(), Err: err}
		var de *isa.DecodeError
		if errors.As(err, &de) {
			e.PC, e.Reason = de.Slot, de.Reason
		}
		return nil, e
	}
	return p, nil
}

// Options returns the load options of a conformance run: little-endian,
// the test helpers, default stack.
func Options() *vm.Options {
	return &vm.Options{Helpers: TestHelpers()}
}

// Execute loads and runs the case's program on e with the case's memory
// (copied) and budget.
func Execute(c *Case, e Engine) (vm.Result, error) {
	p, err := c.Program()
	if err != nil {
		return vm.Result{}, err
	}
	return ExecuteProgram(p, c.Mem, c.Budget, e)
}

// ExecuteProgram loads p on e and runs it once with a copy of mem as input
// memory, with the given budget (0 means DefaultBudget).
func ExecuteProgram(p isa.Program, mem []byte, budget uint64, e Engine) (vm.Result, error) {
	x, err := e.Load(p, Options())
	if err != nil {
		return vm.Result{}, err
	}
	defer x.Close()
	if budget == 0 {
		budget = DefaultBudget
	}
	env := &vm.Env{Budget: budget}
	if mem != nil {
		env.Mem = append([]byte(nil), mem...)
	}
	return x.Run(env)
}

// RunCase runs c on e and compares the outcome with the expectation.
//
// A "-- result" case passes when the run succeeds with that r0. A
// "-- error" case passes when loading or running fails; its text is
// compared only when the file carries "# iovm: error-text" (iovm's own
// files): then the error message must contain the expected text, compared
// with runs of white space collapsed, or, for "-- error pattern", match the
// regular expression. Other suites' messages belong to other engines, so
// only the fact of failure counts for them. A panic of the engine is a
// failure, never a crash of the runner.
func RunCase(c *Case, e Engine) (out Outcome) {
	if c.Skip != "" {
		return Outcome{Status: Skip, Reason: c.Skip}
	}
	defer func() {
		if r := recover(); r != nil {
			out = Outcome{Status: Fail, Reason: fmt.Sprintf("panic: %v\n%s", r, debug.Stack())}
		}
	}()
	res, err := Execute(c, e)
	out.R0, out.Err = res.R0, err
	switch {
	case c.HasError && err == nil:
		out.Status, out.Reason = Fail, fmt.Sprintf("want an error, got r0 = %#x", res.R0)
	case c.HasError:
		if why := matchError(c, err); why != "" {
			out.Status, out.Reason = Fail, why
		}
	case err != nil:
		out.Status, out.Reason = Fail, fmt.Sprintf("want r0 = %#x, got error: %v", c.Result, err)
	case res.R0 != c.Result:
		out.Status, out.Reason = Fail, fmt.Sprintf("want r0 = %#x, got %#x", c.Result, res.R0)
	}
	return out
}

// matchError returns why err does not match the expected error of c, or "".
func matchError(c *Case, err error) string {
	if !c.CheckErrorText || c.Error == "" {
		return ""
	}
	msg := err.Error()
	if c.ErrorPattern {
		re, rerr := regexp.Compile(c.Error)
		if rerr != nil {
			return fmt.Sprintf("bad error pattern: %v", rerr)
		}
		if !re.MatchString(msg) {
			return fmt.Sprintf("error %q does not match pattern %q", msg, c.Error)
		}
		return ""
	}
	norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	if !strings.Contains(norm(msg), norm(c.Error)) {
		return fmt.Sprintf("error %q does not contain %q", msg, c.Error)
	}
	return ""
}

var leOrder = binary.LittleEndian

// Collect returns the .data files named by paths: files as given,
// directories searched recursively, sorted within each directory.
func Collect(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			out = append(out, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(path, ".data") {
				out = append(out, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
