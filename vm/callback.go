package vm

import "errors"

// LocalCaller is implemented by an engine that lets helpers call back into
// the running program, as bpf_loop and bpf_for_each_map_elem do. The engine
// sets Memory.Caller for the duration of a run.
type LocalCaller interface {
	// CallLocal runs the local function at pc (a code address from a lddw
	// with src 4) in a new frame on the run's stack, with r1..r5 as
	// arguments, and returns its r0 when it exits. Instructions it executes
	// count against the run's budget; a fault in it ends the whole run
	// with that error.
	CallLocal(pc int, r1, r2, r3, r4, r5 uint64) (uint64, error)
}

// ErrNoCallbacks is returned by Memory.CallLocal when the engine running
// the program does not support callbacks from helpers.
var ErrNoCallbacks = errors.New("vm: this engine does not support callbacks from helpers")

// CallLocal calls the local function at pc of the running program from a
// helper (see LocalCaller).
func (m *Memory) CallLocal(pc int, r1, r2, r3, r4, r5 uint64) (uint64, error) {
	if m.Caller == nil {
		return 0, ErrNoCallbacks
	}
	return m.Caller.CallLocal(pc, r1, r2, r3, r4, r5)
}
