package jit

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/iovm/iovm/asm"
	"github.com/iovm/iovm/isa"
	"github.com/iovm/iovm/vm"
)

// runnerHelpers are helpers that touch the Memory of a run: they map
// regions, read Env and Value, write the stack, call back into the
// program, fail, and run another program as tail_call does.
func runnerHelpers(tail *vm.Executable) *vm.Helpers {
	hs := &vm.Helpers{}
	hs.Register(vm.Helper{ID: 20, Name: "map8", Fn: func(m *vm.Memory, a, _, _, _, _ uint64) (uint64, error) {
		b := make([]byte, 8)
		for i := range b {
			b[i] = byte(a)
		}
		return m.Map(b, vm.PermRW)
	}})
	hs.Register(vm.Helper{ID: 21, Name: "value", Fn: func(m *vm.Memory, _, _, _, _, _ uint64) (uint64, error) {
		v, _ := m.Value.(uint64)
		return v + uint64(len(m.Env.Mem))<<32 + uint64(len(m.Env.Context))<<40 + uint64(m.Env.TailCalls)<<48, nil
	}})
	hs.Register(vm.Helper{ID: 22, Name: "stackw", Fn: func(m *vm.Memory, a, _, _, _, _ uint64) (uint64, error) {
		return 0, m.Store(a, 8, 0x5555)
	}})
	hs.Register(loopHelper(23))
	hs.Register(vm.Helper{ID: 24, Name: "tail", Fn: func(m *vm.Memory, _, _, _, _, _ uint64) (uint64, error) {
		next := *m.Env
		if next.TailCalls >= 3 {
			return 1 << 60, nil
		}
		next.TailCalls++
		res, err := (*tail).Run(&next)
		if err != nil {
			return 0, err
		}
		return res.R0, vm.ErrHalt
	}})
	hs.Register(vm.Helper{ID: 25, Name: "fail", Fn: func(m *vm.Memory, a, _, _, _, _ uint64) (uint64, error) {
		if a != 0 {
			return 0, errHelper
		}
		return 3, nil
	}})
	return hs
}

var errHelper = errors.New("helper failed")

// runnerPrograms are programs whose results depend on what a run gets
// and on what a previous run may have left behind.
var runnerPrograms = []struct {
	name, src string
	ctxSize   int
}{
	{"trivial", "mov %r0, 1\nexit", 0},
	{"regs", "mov %r0, %r1\nrsh %r0, 32\nmul %r0, 1000\nadd %r0, %r2\nmov %r3, %r10\nand %r3, 0xffff\nadd %r0, %r3\nexit", 0},
	{"stack", "ldxdw %r0, [%r10-8]\njeq %r2, 0, done\nstdw [%r10-8], 77\ndone:\nexit", 0},
	{"stack-deep", "ldxdw %r0, [%r10-512]\nldxdw %r1, [%r10-8]\nadd %r0, %r1\njeq %r2, 0, done\nstdw [%r10-512], 7\nstdw [%r10-8], 9\ndone:\nexit", 0},
	{"stack-atomic", "mov %r1, 1\nlock add [%r10-8], %r1\nldxdw %r0, [%r10-8]\nexit", 0},
	{"region4", "lddw %r3, 0x400000000\nldxb %r0, [%r3+0]\nexit", 0},
	{"region5", "lddw %r3, 0x500000000\nldxb %r0, [%r3+0]\nstb [%r3+0], 3\nexit", 0},
	{"write-r1", "stb [%r1+0], 9\nldxb %r0, [%r1+0]\nexit", 0},
	{"read-input", "ldxb %r0, [%r1+1]\nexit", 0},
	{"budget", "mov %r0, 0\nloop:\nadd %r0, 1\njlt %r0, 100, loop\nexit", 0},
	{"map", "jne %r2, 0, skip\nmov %r1, 7\ncall 20\nldxb %r4, [%r0+0]\nskip:\nlddw %r3, 0x400000000\nldxb %r0, [%r3+0]\nexit", 0},
	{"map-many", "mov %r6, 70\nloop:\nmov %r1, %r6\ncall 20\nsub %r6, 1\njne %r6, 0, loop\nlddw %r3, 0x3f00000000\nldxb %r0, [%r3+0]\nexit", 0},
	{"value", "call 21\nexit", 0},
	{"uninit-regs", "mov %r0, %r3\nadd %r0, %r4\nadd %r0, %r5\nadd %r0, %r6\nadd %r0, %r7\nadd %r0, %r8\nadd %r0, %r9\njeq %r2, 0, done\nmov %r3, 3\nmov %r6, 6\nmov %r9, 9\ncall 21\nmov %r8, 8\nmov %r0, 0\nloop:\nadd %r0, 1\njlt %r0, 3, loop\ndone:\nexit", 0},
	{"uninit-regs-nohelper", "mov %r0, %r3\nadd %r0, %r6\nadd %r0, %r9\njeq %r2, 0, done\nmov %r3, 3\nmov %r6, 6\nmov %r9, 9\nmov %r0, 0\nloop:\nadd %r0, 1\njlt %r0, 3, loop\ndone:\nexit", 0},
	{"map-unless-value", "call 21\nand %r0, 0xff\njne %r0, 0, skip\nmov %r1, 7\ncall 20\nskip:\nlddw %r3, 0x400000000\nldxb %r0, [%r3+0]\nexit", 0},
	{"stack-helper", "ldxdw %r6, [%r10-8]\njeq %r2, 0, done\nmov %r1, %r10\nadd %r1, -8\ncall 22\ndone:\nmov %r0, %r6\nexit", 0},
	{"tail", "call 24\nadd %r0, 1\nexit", 0},
	{"fail", "mov %r1, %r2\ncall 25\nexit", 0},
	{"local", "call local f\nexit\nf:\nldxdw %r0, [%r10-8]\nstdw [%r10-8], 5\nmov %r1, %r10\nadd %r0, %r1\nexit", 0},
	{"ctx", "ldxdw %r0, [%r1+0]\nexit", 8},
}

// runnerEnvs returns env number i of a fixed set, with fresh buffers.
func runnerEnvs(i int) *vm.Env {
	mem := func(b ...byte) []byte { return append([]byte(nil), b...) }
	switch i {
	case 0:
		return nil
	case 1:
		return &vm.Env{}
	case 2:
		return &vm.Env{Mem: mem(1, 2, 3, 4, 5, 6, 7, 8)}
	case 3:
		return &vm.Env{Mem: mem(1, 2, 3), MemReadOnly: true}
	case 4:
		return &vm.Env{Context: mem(11, 12, 13, 14, 15, 16, 17, 18)}
	case 5:
		return &vm.Env{Context: mem(11, 12, 13, 14, 15, 16, 17, 18, 19), ContextReadOnly: true, Mem: mem(9, 9)}
	case 6:
		return &vm.Env{Regions: []vm.Region{{Data: mem(21, 22, 23, 24), Perm: vm.PermRW}}}
	case 7:
		return &vm.Env{Mem: mem(5), Regions: []vm.Region{{Data: mem(31), Perm: vm.PermRW}, {Data: mem(41), Perm: vm.PermRead}}}
	case 8:
		return &vm.Env{Mem: mem(1, 2, 3, 4), Budget: 5}
	case 9:
		return &vm.Env{Mem: mem(1, 2), Value: uint64(99)}
	case 10:
		return &vm.Env{Regions: make([]vm.Region, vm.MaxRegions)}
	case 11:
		return &vm.Env{Mem: []byte{}}
	case 12:
		return &vm.Env{Budget: 1}
	case 13:
		return &vm.Env{Mem: mem(1), TailCalls: 2, Budget: 1000}
	}
	return nil
}

const nRunnerEnvs = 14

// envBytes returns a copy of the bytes env's run may have changed.
func envBytes(env *vm.Env) string {
	if env == nil {
		return ""
	}
	s := fmt.Sprintf("%x|%x", env.Mem, env.Context)
	for _, r := range env.Regions {
		s += fmt.Sprintf("|%x", r.Data)
	}
	return s
}

// engines returns the program on the interpreter and, where the host has
// one, on the JIT.
func engines(t *testing.T, vp *vm.Program) map[string]vm.Executable {
	out := map[string]vm.Executable{"interp": vp}
	if Supported() {
		jp, err := Compile(vp, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { jp.Close() })
		out["jit"] = jp
	}
	return out
}

// TestRunnerReuse runs every program on one Runner per engine over every
// ordered pair of envs, and checks each run against a fresh Runner and the
// pooled Run: same result, same error, same memory.
func TestRunnerReuse(t *testing.T) {
	var tail vm.Executable
	hs := runnerHelpers(&tail)
	target, err := vm.Load(mustAssemble(t, "call 21\nmov %r1, %r0\nmov %r0, %r2\nadd %r0, %r1\nexit"), &vm.Options{Helpers: hs})
	if err != nil {
		t.Fatal(err)
	}
	targets := engines(t, target)
	for _, pr := range runnerPrograms {
		vp, err := vm.Load(mustAssemble(t, pr.src), &vm.Options{Helpers: hs, ContextSize: pr.ctxSize})
		if err != nil {
			t.Fatalf("%s: %v", pr.name, err)
		}
		for name, x := range engines(t, vp) {
			tail = targets[name]
			r := x.NewRunner()
			n := 0
			for i := 0; i < nRunnerEnvs; i++ {
				for _, k := range [2]int{i, (i*5 + 3) % nRunnerEnvs} {
					for j := 0; j < nRunnerEnvs; j++ {
						for _, e := range [2]int{k, j} {
							n++
							what := fmt.Sprintf("%s/%s run %d (env %d)", pr.name, name, n, e)
							envR, envF, envP := runnerEnvs(e), runnerEnvs(e), runnerEnvs(e)
							resR, errR := r.Run(envR)
							resF, errF := x.NewRunner().Run(envF)
							resP, errP := x.Run(envP)
							sameRun(t, what+" runner/fresh", resR, errR, resF, errF, envBytes(envR), envBytes(envF))
							sameRun(t, what+" pooled/fresh", resP, errP, resF, errF, envBytes(envP), envBytes(envF))
						}
					}
				}
			}
		}
	}
}

// sameRun fails unless two runs had the same outcome.
func sameRun(t *testing.T, what string, r1 vm.Result, e1 error, r2 vm.Result, e2 error, m1, m2 string) {
	t.Helper()
	if r1 != r2 || !reflect.DeepEqual(e1, e2) || m1 != m2 {
		t.Fatalf("%s:\n%+v %v %s\n%+v %v %s", what, r1, e1, m1, r2, e2, m2)
	}
}

func mustAssemble(t testing.TB, src string) isa.Program {
	t.Helper()
	p, err := asm.Assemble(src)
	if err != nil {
		t.Fatalf("%q: %v", src, err)
	}
	return p
}

// mustCompile assembles src, loads it with vopts and compiles it with
// jopts, failing t on any error; t's cleanup closes the Program.
func mustCompile(t testing.TB, src string, vopts *vm.Options, jopts *Options) (*vm.Program, *Program) {
	t.Helper()
	vp, err := vm.Load(mustAssemble(t, src), vopts)
	if err != nil {
		t.Fatalf("%q: %v", src, err)
	}
	jp, err := Compile(vp, jopts)
	if err != nil {
		t.Fatalf("%q: %v", src, err)
	}
	t.Cleanup(func() { jp.Close() })
	return vp, jp
}

// TestRunnerCallback reuses a Runner on a program whose helper calls back
// into it (bpf_loop), with budgets that end the run inside the callback,
// and a helper that fails after the callbacks when there is input.
func TestRunnerCallback(t *testing.T) {
	var tail vm.Executable
	hs := runnerHelpers(&tail)
	main := isa.Program{}.Append(
		isa.Instruction{Opcode: 0xbf, Dst: 6, Src: 2},                              // r6 = r2
		isa.Instruction{Opcode: isa.OpLDDW, Dst: 2, Src: isa.LDDWCodeAddr, Imm: 9}, // r2 = the callback
		isa.Instruction{Opcode: 0xb7, Dst: 1, Imm: 5},
		isa.Instruction{Opcode: 0xb7, Dst: 3, Imm: 3},
		isa.Instruction{Opcode: isa.OpCall, Imm: 23}, // loop(5, callback, 3)
		isa.Instruction{Opcode: 0xbf, Dst: 1, Src: 6},
		isa.Instruction{Opcode: isa.OpCall, Imm: 25}, // fail(r6): r0 = 3 without input
		isa.Instruction{Opcode: isa.OpExit},
	)
	if len(main) != 9 {
		t.Fatalf("main is %d slots", len(main))
	}
	body := mustAssemble(t, "ldxdw %r0, [%r10-8]\nadd %r0, %r1\nstxdw [%r10-8], %r0\nexit")
	opts := &vm.Options{Helpers: hs, ResolveLDDW: func(pc int, ins isa.Instruction) (uint64, error) {
		return uint64(int32(ins.Imm)), nil
	}}
	vp, err := vm.Load(append(main, body...), opts)
	if err != nil {
		t.Fatal(err)
	}
	for name, x := range engines(t, vp) {
		r := x.NewRunner()
		var outcomes []string
		for i, env := range []vm.Env{{}, {Budget: 10}, {Mem: []byte{1}}, {Budget: 27}, {}, {Budget: 3}, {Budget: 1000, Mem: []byte{1}}, {}, {Budget: 12}, {Budget: 29}, {Mem: []byte{1}}} {
			env1, env2 := env, env
			res, err := r.Run(&env1)
			want, werr := x.NewRunner().Run(&env2)
			sameRun(t, fmt.Sprintf("%s run %d env %+v", name, i, env), res, err, want, werr, "", "")
			outcomes = append(outcomes, fmt.Sprint(res.R0, err))
		}
		t.Logf("%s: %q", name, outcomes)
	}
}

// TestRunnerAllocs checks that a Runner's trivial run allocates nothing.
func TestRunnerAllocs(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip()
	}
	vp, err := vm.Load(mustAssemble(t, "ldxb %r0, [%r1+0]\nstb [%r10-8], 1\nexit"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, x := range engines(t, vp) {
		r := x.NewRunner()
		env := &vm.Env{Mem: []byte{1, 2, 3}}
		r.Run(env)
		if n := testing.AllocsPerRun(100, func() { r.Run(env) }); n != 0 {
			t.Errorf("%s: %v allocations per run", name, n)
		}
	}
}

// TestRunnerClosed checks that a Runner of a closed program refuses to run.
func TestRunnerClosed(t *testing.T) {
	if !Supported() {
		t.Skip(ErrUnsupported)
	}
	vp, err := vm.Load(mustAssemble(t, "mov %r0, 1\nexit"), nil)
	if err != nil {
		t.Fatal(err)
	}
	jp, err := Compile(vp, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := jp.NewRunner()
	if res, err := r.Run(nil); err != nil || res.R0 != 1 {
		t.Fatalf("run: %v %v", res, err)
	}
	jp.Close()
	if _, err := r.Run(nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("run after Close: %v", err)
	}
}

// sharedEnvs returns env number i of a set that shares the buffers of bufs
// (two of 8 and 4 bytes): runs differ only in how they map the same memory.
func sharedEnvs(i int, bufs *[2][]byte) *vm.Env {
	a, b := bufs[0], bufs[1]
	switch i {
	case 0:
		return &vm.Env{Mem: a}
	case 1:
		return &vm.Env{Mem: a, MemReadOnly: true}
	case 2:
		return &vm.Env{Mem: a[:4]}
	case 3:
		return &vm.Env{Mem: a[2:]}
	case 4:
		return &vm.Env{Context: a}
	case 5:
		return &vm.Env{Context: a, ContextReadOnly: true}
	case 6:
		return &vm.Env{Mem: b, Context: a}
	case 7:
		return &vm.Env{}
	case 8:
		return nil
	case 9:
		return &vm.Env{Mem: a[:0]}
	case 10:
		return &vm.Env{Mem: a, Budget: 3}
	case 11:
		return &vm.Env{Mem: a, Regions: []vm.Region{{Data: b, Perm: vm.PermRW}}}
	case 12:
		return &vm.Env{Mem: a, Value: uint64(5)}
	case 13:
		return &vm.Env{Context: a[:7]}
	case 14:
		return &vm.Env{Mem: b, Context: a, ContextReadOnly: true}
	}
	return nil
}

const nSharedEnvs = 15

// TestRunnerSameMemory is TestRunnerReuse with envs that map the same
// buffers in different ways, so that a Runner cannot tell them apart by
// their memory alone. Each side has its own buffers, which must stay equal.
func TestRunnerSameMemory(t *testing.T) {
	var tail vm.Executable
	hs := runnerHelpers(&tail)
	target, err := vm.Load(mustAssemble(t, "call 21\nexit"), &vm.Options{Helpers: hs})
	if err != nil {
		t.Fatal(err)
	}
	targets := engines(t, target)
	newBufs := func() *[2][]byte { return &[2][]byte{{1, 2, 3, 4, 5, 6, 7, 8}, {9, 10, 11, 12}} }
	for _, pr := range runnerPrograms {
		vp, err := vm.Load(mustAssemble(t, pr.src), &vm.Options{Helpers: hs, ContextSize: pr.ctxSize})
		if err != nil {
			t.Fatalf("%s: %v", pr.name, err)
		}
		for name, x := range engines(t, vp) {
			tail = targets[name]
			r := x.NewRunner()
			bufR, bufF := newBufs(), newBufs()
			n := 0
			for i := 0; i < nSharedEnvs; i++ {
				for j := 0; j < nSharedEnvs; j++ {
					for _, e := range [3]int{i, j, j} {
						n++
						what := fmt.Sprintf("%s/%s run %d (env %d)", pr.name, name, n, e)
						resR, errR := r.Run(sharedEnvs(e, bufR))
						resF, errF := x.NewRunner().Run(sharedEnvs(e, bufF))
						sameRun(t, what+" runner/fresh", resR, errR, resF, errF, fmt.Sprintf("%x", *bufR), fmt.Sprintf("%x", *bufF))
					}
				}
			}
		}
	}
}

// TestRunnerAfterPanic reuses a Runner after a helper panicked inside a
// local call (the embedder recovered): the next runs must start afresh,
// at depth 0 with no error left over, on every engine.
func TestRunnerAfterPanic(t *testing.T) {
	hs := &vm.Helpers{}
	var panics bool
	hs.Register(vm.Helper{ID: 1, Name: "maybe_panic", Fn: func(m *vm.Memory, _, _, _, _, _ uint64) (uint64, error) {
		if panics {
			panic("helper panic")
		}
		return 0, nil
	}})
	// r0 = the callee's r10 + r1.
	vp, err := vm.Load(mustAssemble(t, "mov %r6, %r1\ncall local f\nadd %r0, %r6\nexit\nf:\ncall 1\nmov %r0, %r10\nexit"), &vm.Options{Helpers: hs})
	if err != nil {
		t.Fatal(err)
	}
	want := vm.Addr(vm.RegionStack, uint32((vp.Options().MaxCallDepth-1)*vp.Options().StackSize))
	for name, x := range engines(t, vp) {
		r := x.NewRunner()
		mem := []byte{1}
		for i, env := range []*vm.Env{nil, nil, nil, {Mem: mem}, {Mem: mem}, {Mem: mem}} {
			panics = i%3 == 1 // then a run on the same memory
			res, err := func() (res vm.Result, err error) {
				defer func() {
					if recover() != nil {
						err = errors.New("panicked")
					}
				}()
				return r.Run(env)
			}()
			w := want
			if env != nil {
				w += vm.Addr(vm.RegionInput, 0)
			}
			if panics {
				if err == nil || err.Error() != "panicked" {
					t.Errorf("%s run %d: %v %v, want a panic", name, i, res, err)
				}
			} else if err != nil || res.R0 != w || res.Insns != 7 {
				t.Errorf("%s run %d: %+v %v, want r0 %#x in 7 insns", name, i, res, err, w)
			}
		}
	}
}

// TestRunnerCallerRestored checks that a run can call back into the
// program (Memory.CallLocal) after a previous run's helper cleared
// Memory.Caller, on every engine, through a Runner and Run.
func TestRunnerCallerRestored(t *testing.T) {
	hs := &vm.Helpers{}
	hs.Register(vm.Helper{ID: 1, Name: "clear_caller", Fn: func(m *vm.Memory, _, _, _, _, _ uint64) (uint64, error) {
		m.Caller = nil
		return 0, nil
	}})
	hs.Register(vm.Helper{ID: 2, Name: "call_back", Fn: func(m *vm.Memory, fn, _, _, _, _ uint64) (uint64, error) {
		return m.CallLocal(int(fn), 0, 0, 0, 0, 0)
	}})
	// With input: clear the Caller; without: call f back, which returns 7.
	main := isa.Program{}.Append(
		isa.Instruction{Opcode: 0x15, Dst: 2, Offset: 2},                           // if r2 == 0 goto +2
		isa.Instruction{Opcode: isa.OpCall, Imm: 1},                                // clear_caller
		isa.Instruction{Opcode: isa.OpExit},                                        //
		isa.Instruction{Opcode: isa.OpLDDW, Dst: 1, Src: isa.LDDWCodeAddr, Imm: 3}, // r1 = f (pc 3+1+3)
		isa.Instruction{Opcode: isa.OpCall, Imm: 2},                                // call_back(f)
		isa.Instruction{Opcode: isa.OpExit},
	)
	if len(main) != 7 {
		t.Fatalf("main is %d slots", len(main))
	}
	f := mustAssemble(t, "mov %r0, 7\nexit")
	opts := &vm.Options{Helpers: hs, ResolveLDDW: func(pc int, ins isa.Instruction) (uint64, error) {
		return 7, nil // the pc of f
	}}
	vp, err := vm.Load(append(main, f...), opts)
	if err != nil {
		t.Fatal(err)
	}
	for name, x := range engines(t, vp) {
		r := x.NewRunner()
		for i := 0; i < 3; i++ {
			for _, run := range []func(*vm.Env) (vm.Result, error){r.Run, x.Run} {
				if _, err := run(&vm.Env{Mem: []byte{1}}); err != nil {
					t.Fatalf("%s: clearing run: %v", name, err)
				}
				if res, err := run(nil); err != nil || res.R0 != 7 {
					t.Errorf("%s: call back after a cleared Caller: %v %v", name, res, err)
				}
			}
		}
	}
}
