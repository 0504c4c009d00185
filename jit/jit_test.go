package jit

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/iovm/iovm/asm"
	"github.com/iovm/iovm/isa"
	"github.com/iovm/iovm/vm"
)

// both loads src on the interpreter and the JIT, runs it on a copy of mem on
// each, and fails unless results, error kinds and memory agree.
func both(t testing.TB, src string, mem []byte, opts *vm.Options) (vm.Result, error) {
	t.Helper()
	p, err := asm.Assemble(src)
	if err != nil {
		t.Fatalf("assemble: %v", err)
	}
	vp, err := vm.Load(p, opts)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	jp, err := Compile(vp, nil)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	defer jp.Close()
	m1 := append([]byte(nil), mem...)
	m2 := append([]byte(nil), mem...)
	r1, e1 := vp.Run(&vm.Env{Mem: m1, Budget: 1 << 20})
	r2, e2 := jp.Run(&vm.Env{Mem: m2, Budget: 1 << 20})
	compare(t, src, r1, e1, r2, e2, m1, m2)
	return r2, e2
}

func compare(t testing.TB, what string, r1 vm.Result, e1 error, r2 vm.Result, e2 error, m1, m2 []byte) {
	t.Helper()
	var v1, v2 *vm.Error
	errors.As(e1, &v1)
	errors.As(e2, &v2)
	switch {
	case (e1 == nil) != (e2 == nil):
		t.Fatalf("%s\ninterp: %v %v\njit:    %v %v", what, r1, e1, r2, e2)
	case e1 != nil && (v1 == nil || v2 == nil):
		if e1.Error() != e2.Error() {
			t.Fatalf("%s\ninterp: %v\njit:    %v", what, e1, e2)
		}
	case e1 != nil:
		if v1.Kind != v2.Kind || v1.PC != v2.PC || v1.Fault != v2.Fault || v1.Addr != v2.Addr || v1.Size != v2.Size || v1.Write != v2.Write || v1.Helper != v2.Helper {
			t.Fatalf("%s\ninterp: %#v\njit:    %#v", what, v1, v2)
		}
	case r1 != r2:
		t.Fatalf("%s\ninterp: %+v\njit:    %+v", what, r1, r2)
	}
	if string(m1) != string(m2) {
		t.Fatalf("%s\nmemory differs:\ninterp: %x\njit:    %x", what, m1, m2)
	}
}

func TestSmoke(t *testing.T) {
	if !Supported() {
		t.Skip(ErrUnsupported)
	}
	cases := []string{
		"mov %r0, 42\nexit",
		"mov %r0, 1\nmov %r1, 7\nadd %r0, %r1\nlsh %r0, 3\nexit",
		"mov32 %r0, -1\nexit",
		"lddw %r0, 0x123456789abcdef0\nexit",
		"mov %r0, 10\nmov %r1, 0\ndiv %r0, %r1\nexit",
		"mov %r0, 10\nmov %r1, 0\nmod %r0, %r1\nexit",
		"lddw %r0, 0x8000000000000000\nmov %r1, -1\nsdiv %r0, %r1\nexit",
		"lddw %r0, 0x8000000000000000\nmov %r1, -1\nsmod %r0, %r1\nexit",
		"mov %r0, 0\nmov %r1, 10\nloop:\nadd %r0, %r1\nsub %r1, 1\njne %r1, 0, loop\nexit",
		"stdw [%r10-8], 5\nldxdw %r0, [%r10-8]\nexit",
		"ldxw %r0, [%r1+2]\nexit",
		"ldxw %r0, [%r1+6]\nexit",
		"stw [%r1+0], 0x11223344\nldxdw %r0, [%r1]\nexit",
		"mov %r0, 0\nmov %r2, 3\nlock add [%r1+0], %r2\nldxw %r0, [%r1]\nexit",
		"mov %r2, 3\nlock fetch add [%r1+0], %r2\nmov %r0, %r2\nexit",
		"mov %r0, 0x04030201\nmov %r2, 9\nlock cmpxchg32 [%r1+0], %r2\nldxw %r1, [%r1]\nadd %r0, %r1\nexit",
		"mov %r1, 5\ncall local f\nexit\nf:\nmov %r0, %r1\nadd %r0, 1\nexit",
		"mov %r1, 1\nmov %r2, 2\nmov %r3, 3\nmov %r4, 4\nmov %r5, 5\ncall 0\nexit",
		"mov %r0, 0x1234\nbe16 %r0\nexit",
		"mov %r0, 0x12345678\nbswap32 %r0\nexit",
		"mov %r0, 0x80\nmovsx864 %r0, %r0\nexit",
		"mov %r6, 5\ncall local f\nmov %r0, %r6\nexit\nf:\nmov %r6, 99\nstdw [%r10-8], 1\nexit",
		"mov %r0, -7\nmov %r1, 2\nsmod32 %r0, %r1\nexit",
		"mov %r0, 1\nlsh32 %r0, 31\narsh32 %r0, 4\nexit",
		"mov %r0, 1\nmov %r1, 65\nlsh %r0, %r1\nexit",
		// Access groups: a failing group check must keep earlier effects and fault at the right member.
		"stb [%r1+0], 7\nldxb %r0, [%r1+100]\nexit",
		"stb [%r1+0], 7\nldxb %r0, [%r1+7]\nstb [%r1+1], 9\nldxh %r2, [%r1+6]\nadd %r0, %r2\nexit",
		"ldxb %r0, [%r1+0]\njeq %r0, 1, skip\nstw [%r1+4], 5\nldxw %r2, [%r1+5]\nskip:\nldxb %r3, [%r1+7]\nexit",
		"ldxb %r0, [%r1+0]\njeq %r0, 2, skip\nstw [%r1+4], 5\nldxw %r2, [%r1+2]\nskip:\nexit",
		"mov %r1, %r10\nstdw [%r1-8], 1\nstdw [%r1-16], 2\nldxdw %r0, [%r1-8]\nldxdw %r2, [%r1+0]\nexit",
	}
	mem := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	for _, c := range cases {
		both(t, c, mem, &vm.Options{Helpers: testHelpers()})
	}
}

func testHelpers() *vm.Helpers {
	hs := &vm.Helpers{}
	hs.Register(vm.Helper{ID: 0, Name: "gather", Fn: func(m *vm.Memory, a, b, c, d, e uint64) (uint64, error) {
		return (a&0xff)<<32 | (b&0xff)<<24 | (c&0xff)<<16 | (d&0xff)<<8 | e&0xff, nil
	}})
	hs.Register(vm.Helper{ID: 2, Name: "no_op", Fn: func(m *vm.Memory, a, b, c, d, e uint64) (uint64, error) { return 0, nil }})
	return hs
}

// loopHelper is a bpf_loop-like helper: loop(n, fn, ctx) calls fn(i, ctx)
// for i < n and returns the sum of the results.
func loopHelper(id int32) vm.Helper {
	return vm.Helper{ID: id, Name: "loop", Fn: func(m *vm.Memory, n, fn, ctx, _, _ uint64) (uint64, error) {
		var sum uint64
		for i := uint64(0); i < n; i++ {
			r, err := m.CallLocal(int(fn), i, ctx, 0, 0, 0)
			if err != nil {
				return 0, err
			}
			sum += r
		}
		return sum, nil
	}}
}

// TestCallback runs a bpf_loop-like helper that calls back into the program.
func TestCallback(t *testing.T) {
	if !Supported() {
		t.Skip(ErrUnsupported)
	}
	hs := testHelpers()
	hs.Register(loopHelper(10))
	mk := func(body string) isa.Program {
		f, err := asm.Assemble(body)
		if err != nil {
			t.Fatal(err)
		}
		// r7 = 1000; r2 = code address of f; r1 = 5; call loop; r0 += r7; exit; f: body
		main := isa.Program{}.Append(
			isa.Instruction{Opcode: 0xb7, Dst: 7, Imm: 1000},
			isa.Instruction{Opcode: isa.OpLDDW, Dst: 2, Src: isa.LDDWCodeAddr, Imm: 6},
			isa.Instruction{Opcode: 0xb7, Dst: 1, Imm: 5},
			isa.Instruction{Opcode: 0xb7, Dst: 3, Imm: 3},
			isa.Instruction{Opcode: isa.OpCall, Imm: 10},
			isa.Instruction{Opcode: 0x0f, Dst: 0, Src: 7},
			isa.Instruction{Opcode: isa.OpExit},
		)
		return append(main, f...)
	}
	opts := &vm.Options{Helpers: hs, ResolveLDDW: func(pc int, ins isa.Instruction) (uint64, error) {
		return uint64(pc + 1 + int(int32(ins.Imm))), nil
	}}
	for _, body := range []string{
		"mov %r0, %r1\nmul %r0, %r2\nmov %r7, 5\nstxdw [%r10-8], %r0\nldxdw %r0, [%r10-8]\nexit",
		"mov %r0, %r1\njeq %r1, 3, bad\nexit\nbad:\nldxdw %r0, [%r1+0]\nexit",
		"mov %r0, 0\nloop:\nadd %r0, 1\njlt %r0, 100000, loop\nexit",
	} {
		p := mk(body)
		vp, err := vm.Load(p, opts)
		if err != nil {
			t.Fatal(err)
		}
		jp, err := Compile(vp, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, budget := range []uint64{0, 100, 250000, 350000} {
			r1, e1 := vp.Run(&vm.Env{Budget: budget})
			r2, e2 := jp.Run(&vm.Env{Budget: budget})
			compare(t, body, r1, e1, r2, e2, nil, nil)
		}
		jp.Close()
	}
}

// TestBlindingHidesConstants checks that no immediate of the program
// appears in the code when blinding is on.
func TestBlindingHidesConstants(t *testing.T) {
	p, err := asm.Assemble("mov %r0, 0x3c3c3c3c\nadd %r0, 0x5a5a5a5a\nlddw %r1, 0x7e7e7e7e7e7e7e7e\nxor %r0, %r1\njeq %r0, 0x6b6b6b6b, end\nstw [%r10-8], 0x4d4d4d4d\nend:\nexit")
	if err != nil {
		t.Fatal(err)
	}
	vp, err := vm.Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, blind := range []bool{false, true} {
		l, err := Generate(vp, "amd64", &Options{Blind: blind})
		if errors.Is(err, ErrUnsupported) {
			// Backends build everywhere now; kept for safety.
			t.Skip(err)
		}
		if err != nil {
			t.Fatal(err)
		}
		found := 0
		for _, c := range []byte{0x3c, 0x5a, 0x7e, 0x6b, 0x4d} {
			if bytes.Contains(l.Code, []byte{c, c, c, c}) {
				found++
			}
		}
		if blind && found > 0 || !blind && found != 5 {
			t.Errorf("blind=%v: %d constants in the code", blind, found)
		}
	}
}

func TestCloseAndConcurrency(t *testing.T) {
	if !Supported() {
		t.Skip(ErrUnsupported)
	}
	p, _ := asm.Assemble("ldxdw %r0, [%r1]\nstdw [%r10-8], 3\nldxdw %r2, [%r10-8]\nadd %r0, %r2\nexit")
	vp, err := vm.Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	jp, err := Compile(vp, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan bool)
	for g := 0; g < 8; g++ {
		go func(g int) {
			mem := []byte{byte(g), 0, 0, 0, 0, 0, 0, 0}
			ok := true
			for i := 0; i < 2000; i++ {
				if r, err := jp.Run(&vm.Env{Mem: mem}); err != nil || r.R0 != uint64(g)+3 {
					ok = false
				}
			}
			done <- ok
		}(g)
	}
	for g := 0; g < 8; g++ {
		if !<-done {
			t.Fatal("a concurrent run went wrong")
		}
	}
	if err := jp.Close(); err != nil {
		t.Fatal(err)
	}
	if err := jp.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if _, err := jp.Run(nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Run after Close: %v", err)
	}
}

func TestContextChecks(t *testing.T) {
	if !Supported() {
		t.Skip(ErrUnsupported)
	}
	p, _ := asm.Assemble("ldxdw %r0, [%r1+8]\nexit")
	vp, err := vm.Load(p, &vm.Options{ContextSize: 16})
	if err != nil {
		t.Fatal(err)
	}
	jp, err := Compile(vp, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer jp.Close()
	for _, ctx := range [][]byte{nil, make([]byte, 8), {8: 42, 15: 0}} {
		r1, e1 := vp.Run(&vm.Env{Context: ctx})
		r2, e2 := jp.Run(&vm.Env{Context: ctx})
		compare(t, "context", r1, e1, r2, e2, nil, nil)
	}
}

// A helper may call back into any pc (vm.LocalCaller), even one inside an
// access group's span after the group's check: there the JIT must not
// trust a saved group base.
func TestCallbackIntoGroup(t *testing.T) {
	if !Supported() {
		t.Skip(ErrUnsupported)
	}
	hs := testHelpers()
	hs.Register(vm.Helper{ID: 11, Name: "enter", Fn: func(m *vm.Memory, pc, addr, _, _, _ uint64) (uint64, error) {
		return m.CallLocal(int(pc), addr, addr, addr, 0, 0)
	}})
	src := `mov %r2, %r1
mov %r1, 0
call 11
exit
f:
mov %r0, 0
mov %r3, %r1
ldxb %r4, [%r3+0]
ldxb %r5, [%r3+1]
stxb [%r3+2], %r5
ldxb %r0, [%r3+3]
add %r0, %r5
exit`
	forCallbackTargets(t, src, 1, 4, hs, func(target int, vp *vm.Program) {
		jp, err := Compile(vp, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{2, 4, 8} {
			// Budgets that run out before, inside and after the rest of
			// the block the callback enters (charged by CallLocal).
			for _, budget := range []uint64{0, 3, 4, 5, 6, 7, 8, 9, 11} {
				m1, m2 := []byte("abcdefgh")[:n], []byte("abcdefgh")[:n]
				r1, e1 := vp.Run(&vm.Env{Mem: m1, Budget: budget})
				r2, e2 := jp.Run(&vm.Env{Mem: m2, Budget: budget})
				compare(t, fmt.Sprintf("callback to pc %d, %d bytes, budget %d", target, n, budget), r1, e1, r2, e2, m1, m2)
			}
		}
		jp.Close()
	})
}

// forCallbackTargets assembles src and calls f with the program loaded
// with helpers hs for each target pc from first to the end: the
// immediate of the instruction at slot set to target (the pc a helper
// calls back into).
func forCallbackTargets(t *testing.T, src string, slot, first int, hs *vm.Helpers, f func(target int, vp *vm.Program)) {
	t.Helper()
	p, err := asm.Assemble(src)
	if err != nil {
		t.Fatal(err)
	}
	for target := first; target < len(p); target++ {
		q := append(isa.Program(nil), p...)
		q[slot].Imm = int64(target)
		vp, err := vm.Load(q, &vm.Options{Helpers: hs})
		if err != nil {
			t.Fatal(err)
		}
		f(target, vp)
	}
}

// Groups whose span is not a power of two are checked against the limit of
// the next power of two first: near the end of the input that check fails
// and the full one must still accept a group in bounds (and fault exactly
// on one that is not).
func TestGroupNearEnd(t *testing.T) {
	if !Supported() {
		t.Skip(ErrUnsupported)
	}
	// r0 = sum over i of data[i] + data[i+2], for i from 0 while i < len.
	src := `mov %r0, 0
mov %r3, 0
loop:
mov %r4, %r1
add %r4, %r3
ldxb %r5, [%r4+0]
ldxb %r6, [%r4+2]
stxb [%r4+1], %r5
add %r0, %r5
add %r0, %r6
add %r3, 1
jlt %r3, %r2, loop
exit`
	for n := 0; n < 80; n++ {
		mem := make([]byte, n)
		for i := range mem {
			mem[i] = byte(3*i + 1)
		}
		both(t, src, mem, nil)
	}
}

// A group's span may cross block starts (an extended basic block); a yield
// there resumes in the span's slow copy, and a budget ending there is
// exact. Runs with every quantum and budget up to a few iterations.
func TestGroupSpanYield(t *testing.T) {
	if !Supported() {
		t.Skip(ErrUnsupported)
	}
	src := `mov %r0, 0
mov %r3, 0
loop:
mov %r4, %r1
add %r4, %r3
ldxb %r5, [%r4+0]
jeq %r5, 7, skip
add %r0, %r5
ldxb %r6, [%r4+1]
stxb [%r4+2], %r6
add %r0, %r6
skip:
add %r3, 1
jlt %r3, %r2, loop
exit`
	p, err := asm.Assemble(src)
	if err != nil {
		t.Fatal(err)
	}
	vp, err := vm.Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	for yield := uint64(1); yield <= 12; yield++ {
		jp, err := Compile(vp, &Options{YieldEvery: yield})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{3, 8, 16} {
			for budget := uint64(1); budget < 60; budget++ {
				m1, m2 := make([]byte, n), make([]byte, n)
				for i := range m1 {
					m1[i], m2[i] = byte(i*5+3), byte(i*5+3)
				}
				r1, e1 := vp.Run(&vm.Env{Mem: m1, Budget: budget})
				r2, e2 := jp.Run(&vm.Env{Mem: m2, Budget: budget})
				compare(t, fmt.Sprintf("yield %d, %d bytes, budget %d", yield, n, budget), r1, e1, r2, e2, m1, m2)
			}
		}
		jp.Close()
	}
}

// "mov d, s; add d, x" may be fused into one instruction; a callback into
// the add must still run the add alone.
func TestCallbackIntoFusedPair(t *testing.T) {
	if !Supported() {
		t.Skip(ErrUnsupported)
	}
	hs := testHelpers()
	hs.Register(vm.Helper{ID: 11, Name: "enter", Fn: func(m *vm.Memory, pc, a, b, _, _ uint64) (uint64, error) {
		return m.CallLocal(int(pc), a, b, 100, 0, 0)
	}})
	src := `mov %r1, 0
mov %r2, 5
mov %r3, 7
call 11
exit
f:
mov %r0, %r2
add %r0, %r3
mov %r4, %r3
add %r4, 1000
add %r0, %r4
mov %r5, %r2
add %r5, %r5
add %r0, %r5
exit`
	forCallbackTargets(t, src, 0, 5, hs, func(target int, vp *vm.Program) {
		for _, blind := range []bool{false, true} {
			jp, err := Compile(vp, &Options{Blind: blind})
			if err != nil {
				t.Fatal(err)
			}
			r1, e1 := vp.Run(nil)
			r2, e2 := jp.Run(nil)
			compare(t, fmt.Sprintf("callback to pc %d, blind %v", target, blind), r1, e1, r2, e2, nil, nil)
			jp.Close()
		}
	})
}
