package vm

import (
	"encoding/binary"
	"io"

	"github.com/iovm/iovm/isa"
	"github.com/iovm/iovm/verifier"
)

// Options configure loading a program.
type Options struct {
	// Order is the program's byte order for decoding, loads and stores
	// (default little-endian), independent of the host's.
	Order binary.ByteOrder
	// Helpers are the helpers the program may call; nil means none.
	Helpers *Helpers
	// StackSize is the size in bytes of each call frame (default 512).
	StackSize int
	// MaxCallDepth bounds nested frames, the entry frame included (default 8).
	MaxCallDepth int
	// Strict rejects programs the verifier cannot prove safe.
	Strict bool
	// ContextSize, when non-zero, says the program is run with a context of
	// that size in r1 instead of input memory and length in r1 and r2.
	ContextSize int
}

// Program is a loaded, verified program. It is immutable and safe for
// concurrent use; each Run takes its state from a pool.
type Program struct {
	insns isa.Program
	opts  Options
	facts *verifier.Facts
}

// Env is what one run gets: its memory, budget and embedder value.
type Env struct {
	// Mem is the input memory: r1 = its address, r2 = its length. It is
	// writable by the program unless MemReadOnly is set.
	Mem         []byte
	MemReadOnly bool
	// Context, when non-nil, is mapped as the context region and r1 = its
	// address (r2 = 0) instead of Mem.
	Context []byte
	// Regions are extra regions mapped at ids RegionFirstUser and up.
	Regions []Region
	// Budget is the maximum number of instructions to execute; 0 is unlimited.
	Budget uint64
	// Value is passed to helpers through Memory.Value.
	Value any
	// Trace, when non-nil, receives each executed instruction and the
	// registers it changed (interpreter only).
	Trace io.Writer
}

// Result is the outcome of a successful run.
type Result struct {
	R0    uint64 // r0 at exit
	Insns uint64 // instructions executed (for the JIT, counted per basic block)
}

// Executable is a program ready to run on some engine: the interpreter
// (*Program) or native code (package jit).
type Executable interface {
	Run(env *Env) (Result, error)
	// Close releases what the engine holds (native code); the interpreter's is a no-op.
	Close() error
}

// Instructions returns the decoded program; do not modify it.
func (p *Program) Instructions() isa.Program { return p.insns }

// Options returns the options the program was loaded with, defaults filled in.
func (p *Program) Options() Options { return p.opts }

// Facts returns what the verifier proved about the program.
func (p *Program) Facts() *verifier.Facts { return p.facts }

// Close does nothing; it makes *Program an Executable.
func (p *Program) Close() error { return nil }
