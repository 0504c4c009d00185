package conformance

import (
	"sort"
	"sync"

	"github.com/iovm/iovm/isa"
	"github.com/iovm/iovm/vm"
)

// Engine is a way to run programs: the interpreter, or a JIT. The same
// runner and the same suite run on every engine.
type Engine struct {
	// Name is how the command line and test names refer to the engine
	// ("interp", "jit").
	Name string
	// Load prepares a decoded program to run.
	Load func(p isa.Program, opts *vm.Options) (vm.Executable, error)
	// Available reports whether the engine can run on this host; nil means
	// always.
	Available func() bool
}

// Interp is the reference interpreter of package vm.
var Interp = Engine{
	Name: "interp",
	Load: func(p isa.Program, opts *vm.Options) (vm.Executable, error) {
		prog, err := vm.Load(p, opts)
		if err != nil {
			return nil, err
		}
		return prog, nil
	},
}

var (
	enginesMu sync.Mutex
	engines   = map[string]Engine{Interp.Name: Interp}
)

// Register adds an engine, replacing one of the same name. A JIT registers
// itself from an init function, for example in a file of this package:
//
//	func init() {
//		conformance.Register(conformance.Engine{Name: "jit", Load: ..., Available: jit.Supported})
//	}
func Register(e Engine) {
	enginesMu.Lock()
	defer enginesMu.Unlock()
	engines[e.Name] = e
}

// Engines returns the engines available on this host, the interpreter
// first, then the others by name.
func Engines() []Engine {
	enginesMu.Lock()
	defer enginesMu.Unlock()
	var out []Engine
	for _, e := range engines {
		if e.Available == nil || e.Available() {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if (out[i].Name == Interp.Name) != (out[j].Name == Interp.Name) {
			return out[i].Name == Interp.Name
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// LookupEngine returns the registered engine with the given name and
// whether it is registered and available on this host.
func LookupEngine(name string) (Engine, bool) {
	enginesMu.Lock()
	e, ok := engines[name]
	enginesMu.Unlock()
	if !ok || (e.Available != nil && !e.Available()) {
		return Engine{}, false
	}
	return e, true
}

// EngineNames returns the names of all registered engines, available or not.
func EngineNames() []string {
	enginesMu.Lock()
	defer enginesMu.Unlock()
	var out []string
	for n := range engines {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
