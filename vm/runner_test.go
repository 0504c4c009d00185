package vm

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// TestRunnerStates reuses one interpreter Runner per program over a
// sequence of envs and checks each run against the expected outcome
// (package jit's TestRunnerReuse compares both engines against fresh
// runs over every pair of envs).
func TestRunnerStates(t *testing.T) {
	hs := &Helpers{}
	hs.Register(Helper{ID: 1, Name: "map", Fn: func(m *Memory, a, _, _, _, _ uint64) (uint64, error) {
		return m.Map([]byte{byte(a)}, PermRead)
	}})
	hs.Register(Helper{ID: 2, Name: "value", Fn: func(m *Memory, _, _, _, _, _ uint64) (uint64, error) {
		v, _ := m.Value.(uint64)
		return v, nil
	}})
	in := func() []byte { return []byte{1, 2, 3, 4} }
	type step struct {
		env  *Env
		want want
	}
	for _, c := range []struct {
		src   string
		steps []step
	}{
		{ // the stack is cleared after a run that wrote it
			"ldxdw %r0, [%r10-8]\njeq %r2, 0, done\nstdw [%r10-8], 77\ndone:\nexit",
			[]step{{&Env{Mem: in()}, ok(0)}, {nil, ok(0)}, {&Env{Mem: in()}, ok(0)}, {&Env{Mem: in()}, ok(0)}, {&Env{}, ok(0)}},
		},
		{ // r1 and r2 follow the env
			"mov %r0, %r1\nrsh %r0, 32\nmul %r0, 1000\nadd %r0, %r2\nexit",
			[]step{{&Env{Mem: in()}, ok(2004)}, {nil, ok(0)}, {&Env{Context: in()}, ok(3000)}, {&Env{Mem: []byte{}}, ok(0)}, {&Env{Context: in(), Mem: in()}, ok(3000)}},
		},
		{ // input, read-only input, no input
			"stb [%r1+0], 9\nldxb %r0, [%r1+0]\nexit",
			[]step{{&Env{Mem: in()}, ok(9)}, {&Env{Mem: in(), MemReadOnly: true}, fault(FaultPermission, 0)}, {nil, fault(FaultNull, 0)}, {&Env{Mem: in()}, ok(9)}},
		},
		{ // env regions, then none
			"lddw %r3, 0x500000000\nldxb %r0, [%r3+0]\nexit",
			[]step{{&Env{Regions: []Region{{Data: []byte{1}}, {Data: []byte{2}, Perm: PermRead}}}, ok(2)}, {nil, fault(FaultUnmapped, 2)}, {&Env{Regions: make([]Region, MaxRegions)}, want{kind: 255}}, {nil, fault(FaultUnmapped, 2)}},
		},
		{ // a region a helper mapped is gone in the next run
			"jne %r2, 0, skip\nmov %r1, 7\ncall 1\nskip:\nlddw %r3, 0x400000000\nldxb %r0, [%r3+0]\nexit",
			[]step{{nil, ok(7)}, {&Env{Mem: in()}, fault(FaultUnmapped, 5)}, {nil, ok(7)}, {&Env{Regions: []Region{{Data: []byte{5}, Perm: PermRead}}}, ok(5)}, {&Env{Mem: in()}, fault(FaultUnmapped, 5)}},
		},
		{ // Value, budget, a fault, then a good run
			"call 2\nmov %r1, 0\nloop:\nadd %r1, 1\njlt %r1, 10, loop\nexit",
			[]step{{&Env{Value: uint64(5)}, ok(5)}, {nil, ok(0)}, {&Env{Budget: 7}, want{kind: KindBudget, pc: 3}}, {&Env{Value: uint64(6), Budget: 100}, ok(6)}},
		},
	} {
		prog := load(t, c.src, Options{Helpers: hs})
		r := prog.NewRunner()
		for i, s := range c.steps {
			res, err := r.Run(s.env)
			name := fmt.Sprintf("%q step %d", strings.SplitN(c.src, "\n", 2)[0], i)
			if s.want.kind == 255 {
				if err == nil || !reflect.DeepEqual(err, prog.CheckEnv(s.env)) {
					t.Errorf("%s: %v, want %v", name, err, prog.CheckEnv(s.env))
				}
				continue
			}
			check(t, name, res, err, s.want)
		}
	}
}

// TestRunnerTrace checks that a Runner traces like Run.
func TestRunnerTrace(t *testing.T) {
	prog := load(t, "mov %r0, 1\nadd %r0, %r2\nexit", Options{})
	r := prog.NewRunner()
	for i := 0; i < 3; i++ {
		var b1, b2 bytes.Buffer
		r1, e1 := r.Run(&Env{Mem: []byte{1, 2}, Trace: &b1})
		r2, e2 := prog.Run(&Env{Mem: []byte{1, 2}, Trace: &b2})
		if r1 != r2 || e1 != nil || e2 != nil || b1.String() != b2.String() || b1.Len() == 0 {
			t.Fatalf("runner %v %v %q\nrun    %v %v %q", r1, e1, b1.String(), r2, e2, b2.String())
		}
		if res, err := r.Run(nil); err != nil || res.R0 != 1 {
			t.Fatalf("untraced run after a traced one: %v %v", res, err)
		}
	}
}

func TestRunnerAllocs(t *testing.T) {
	checkNoAllocs(t, load(t, allocsProgram, Options{}).NewRunner().Run)
}
