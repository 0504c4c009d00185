package vm

// NewRunner returns a Runner of p in the interpreter.
func (p *Program) NewRunner() Runner { return &runner{p: p, m: p.NewMemory()} }

// runner is the interpreter's Runner: a Program with a Memory of its own
// (its Run is in interp.go).
type runner struct {
	p *Program
	m *Memory
}
