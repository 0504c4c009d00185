package jit

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/iovm/iovm/asm"
	"github.com/iovm/iovm/isa"
	"github.com/iovm/iovm/vm"
)

// variantTracker records, from a helper, which compilation a run was in:
// "rw" (the writable variant of p), "checked" (p) or "?" (neither).
type variantTracker struct {
	p    *Program
	seen []string
}

func (v *variantTracker) helper(id int32) vm.Helper {
	return vm.Helper{ID: id, Name: "where", Fn: func(m *vm.Memory, _, _, _, _, _ uint64) (uint64, error) {
		c, ok := m.Caller.(*caller)
		if !ok || v.p == nil {
			return 0, nil // the interpreter
		}
		in := func(q *Program) bool {
			return q != nil && c.st.resume >= uint64(q.entry) && c.st.resume < uint64(q.entry)+uint64(len(q.exec))
		}
		switch {
		case in(v.p):
			v.seen = append(v.seen, "checked")
		case in(v.p.rwProg.Load()):
			v.seen = append(v.seen, "rw")
		default:
			v.seen = append(v.seen, "?")
		}
		return 0, nil
	}}
}

// dropHelper(id) removes the write permission of region r1 (if not 0):
// helpers get the Memory and may change its region table during a run.
func dropHelper(id int32) vm.Helper {
	return vm.Helper{ID: id, Name: "drop", Fn: func(m *vm.Memory, r1, _, _, _, _ uint64) (uint64, error) {
		if r1 != 0 && r1 < vm.MaxRegions {
			m.Regions[r1].Perm &^= vm.PermWrite
		}
		return 0, nil
	}}
}

// Stores proven in bounds of the input or the context run without the
// permission test in the writable variant, used only by runs whose region
// is writable, and moved to the checked code when a helper drops the
// permission: every path faults as the interpreter does on read-only
// memory, and writable runs really run the variant.
func TestWritableVariant(t *testing.T) {
	if !Supported() {
		t.Skip(ErrUnsupported)
	}
	tr := &variantTracker{}
	hs := testHelpers()
	hs.Register(dropHelper(20))
	hs.Register(tr.helper(21))
	hs.Register(loopHelper(10))
	// (vm.Load proves no store to the context: the verifier's context is
	// read-only.)
	for _, region := range []int{vm.RegionInput} {
		env := func(b []byte, ro bool, budget uint64) *vm.Env {
			if region == vm.RegionInput {
				return &vm.Env{Mem: b, MemReadOnly: ro, Budget: budget}
			}
			return &vm.Env{Context: b, ContextReadOnly: ro, Budget: budget}
		}
		for _, drop := range []int{0, region} {
			for _, yield := range []uint64{0, 1, 3} {
				name := fmt.Sprintf("region %d, drop %d, yield every %d", region, drop, yield)
				// Ask where we run, store, maybe drop the permission,
				// ask again, store twice more.
				src := fmt.Sprintf(`mov %%r6, %%r1
mov %%r0, 0
jlt %%r2, 16, out
mov %%r7, %%r2
call 21
stb [%%r6+0], 1
mov %%r1, %d
call 20
call 21
stb [%%r6+1], 2
mov %%r3, 5
loop:
stxb [%%r6+2], %%r3
sub %%r3, 1
jne %%r3, 0, loop
mov %%r0, 7
out:
exit`, drop)
				opts := &vm.Options{Helpers: hs}
				if region == vm.RegionContext {
					src = "mov %r2, 16\n" + src
					opts.ContextSize = 16
				}
				p, err := asm.Assemble(src)
				if err != nil {
					t.Fatal(err)
				}
				vp, err := vm.Load(p, opts)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				for pc, ins := range vp.Instructions() {
					if c := ins.Class(); c == isa.ClassST || c == isa.ClassSTX {
						if a := vp.Facts().Access[pc]; !a.InBounds || a.Proven {
							t.Fatalf("%s: store at pc %d: %+v, want in bounds, not proven", name, pc, a)
						}
					}
				}
				jp, err := Compile(vp, &Options{YieldEvery: yield})
				if err != nil {
					t.Fatal(err)
				}
				if jp.code.wcRegions != 1<<region {
					t.Fatalf("%s: wcRegions %#x, want %#x", name, jp.code.wcRegions, 1<<region)
				}
				tr.p = jp
				runner := jp.NewRunner()
				for _, ro := range []bool{false, true, false} {
					for _, budget := range []uint64{0, 3, 6, 9, 14, 20} {
						for _, path := range []string{"run", "runner"} {
							m1, m2 := make([]byte, 16), make([]byte, 16)
							r1, e1 := vp.Run(env(m1, ro, budget))
							tr.seen = tr.seen[:0]
							var r2 vm.Result
							var e2 error
							if path == "run" {
								r2, e2 = jp.Run(env(m2, ro, budget))
							} else {
								r2, e2 = runner.Run(env(m2, ro, budget))
							}
							what := fmt.Sprintf("%s, %s, read-only %v, budget %d", name, path, ro, budget)
							compare(t, what, r1, e1, r2, e2, m1, m2)
							if r1.Insns != r2.Insns {
								t.Errorf("%s: %d instructions, interpreter %d", what, r2.Insns, r1.Insns)
							}
							var ve *vm.Error
							if budget == 0 && (ro || drop != 0) && (!errors.As(e2, &ve) || ve.Fault != vm.FaultPermission) {
								t.Errorf("%s: error %v, want a permission fault", what, e2)
							}
							// Where the run was at the two calls.
							want := []string{"rw", "rw"}
							switch {
							case ro:
								want = []string{"checked"}
							case drop != 0:
								want = []string{"rw", "checked"}
							}
							if budget == 0 && fmt.Sprint(tr.seen) != fmt.Sprint(want) {
								t.Errorf("%s: ran in %v, want %v", what, tr.seen, want)
							}
						}
					}
				}
				rw := jp.rwProg.Load()
				if rw == nil || rw == jp || rw.rwOf != jp {
					t.Fatalf("%s: no writable variant", name)
				}
				jp.Close()
				if !rw.closed.Load() {
					t.Errorf("%s: Close left the writable variant open", name)
				}
			}
		}
	}
	tr.p = nil
}

// A callback from a helper runs the fact-free twin even when the run is
// in the writable variant: its stores into read-only memory fault.
func TestWritableVariantCallback(t *testing.T) {
	if !Supported() {
		t.Skip(ErrUnsupported)
	}
	hs := testHelpers()
	hs.Register(loopHelper(10))
	hs.Register(dropHelper(20))
	for _, c := range []struct {
		dropMain, dropCb int
		fStore           bool
	}{{0, 0, true}, {vm.RegionInput, 0, true}, {0, vm.RegionInput, false}, {0, vm.RegionInput, true}} {
		name := fmt.Sprintf("%+v", c)
		drop := c.dropMain | c.dropCb
		// main: store (WriteChecked), maybe drop, loop(3, f, input),
		// store; f(i, p): maybe drop, maybe p[i+2] = i. A drop in the
		// callback moves the main run to the checked code when the
		// loop helper returns.
		fst := ""
		if c.fStore {
			fst = "mov %r3, %r6\nadd %r3, %r7\nstxb [%r3+2], %r7\n"
		}
		f, err := asm.Assemble(fmt.Sprintf("mov %%r6, %%r2\nmov %%r7, %%r1\nmov %%r1, %d\ncall 20\n%smov %%r0, %%r7\nexit", c.dropCb, fst))
		if err != nil {
			t.Fatal(err)
		}
		main, err := asm.Assemble(fmt.Sprintf("mov %%r6, %%r1\nmov %%r0, 0\njlt %%r2, 8, out\nstb [%%r6+0], 9\nmov %%r1, %d\ncall 20\nmov %%r1, 3\nmov %%r3, %%r6\nlddw %%r2, 3\ncall 10\nstb [%%r6+1], 9\nout:\nexit", c.dropMain))
		if err != nil {
			t.Fatal(err)
		}
		p := append(main, f...)
		opts := &vm.Options{Helpers: hs, ResolveLDDW: func(pc int, ins isa.Instruction) (uint64, error) {
			return uint64(len(main)), nil
		}}
		for i, ins := range p {
			if ins.Opcode == isa.OpLDDW {
				p[i].Src = isa.LDDWCodeAddr
			}
		}
		vp, err := vm.Load(p, opts)
		if err != nil {
			t.Fatal(err)
		}
		jp, err := Compile(vp, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, ro := range []bool{false, true} {
			m1, m2 := make([]byte, 8), make([]byte, 8)
			r1, e1 := vp.Run(&vm.Env{Mem: m1, MemReadOnly: ro})
			r2, e2 := jp.Run(&vm.Env{Mem: m2, MemReadOnly: ro})
			compare(t, fmt.Sprintf("%s, read-only %v", name, ro), r1, e1, r2, e2, m1, m2)
			if (ro || drop != 0) && e2 == nil {
				t.Errorf("%s, read-only %v: no fault", name, ro)
			}
		}
		if jp.rwProg.Load() == nil || jp.cbProg.Load() == nil {
			t.Errorf("%s: writable variant %v, callback twin %v, want both", name, jp.rwProg.Load(), jp.cbProg.Load())
		}
		jp.Close()
	}
}

// A helper that drops the permission inside local calls moves the run to
// the checked code with the return addresses of the calls in progress:
// the stores after the calls return fault.
func TestWritableVariantLocalCalls(t *testing.T) {
	if !Supported() {
		t.Skip(ErrUnsupported)
	}
	tr := &variantTracker{}
	hs := testHelpers()
	hs.Register(dropHelper(20))
	hs.Register(tr.helper(21))
	for _, drop := range []int{0, vm.RegionInput} {
		for _, fStore := range []bool{false, true} {
			// main stores and calls f, f calls g, g (maybe) drops the
			// permission; then f (maybe) and main store: the return
			// addresses of f's frame, then main's, must have moved.
			fst := "mov %r0, 0"
			if fStore {
				fst = "stb [%r6+2], 1"
			}
			src := fmt.Sprintf(`mov %%r6, %%r1
mov %%r0, 0
jlt %%r2, 8, out
stb [%%r6+0], 1
call local f
call 21
stb [%%r6+1], 1
mov %%r0, 3
out:
exit
f:
mov %%r6, %%r1
call local g
call 21
%s
mov %%r0, 0
exit
g:
mov %%r1, %d
call 20
exit`, fst, drop)
			p, err := asm.Assemble(src)
			if err != nil {
				t.Fatal(err)
			}
			vp, err := vm.Load(p, &vm.Options{Helpers: hs})
			if err != nil {
				t.Fatal(err)
			}
			for pc, ins := range vp.Instructions() {
				if ins.Class() == isa.ClassST && !vp.Facts().Access[pc].InBounds {
					t.Fatalf("store at pc %d not in bounds", pc)
				}
			}
			jp, err := Compile(vp, nil)
			if err != nil {
				t.Fatal(err)
			}
			tr.p = jp
			for _, ro := range []bool{false, true} {
				m1, m2 := make([]byte, 8), make([]byte, 8)
				r1, e1 := vp.Run(&vm.Env{Mem: m1, MemReadOnly: ro})
				tr.seen = tr.seen[:0]
				r2, e2 := jp.Run(&vm.Env{Mem: m2, MemReadOnly: ro})
				what := fmt.Sprintf("drop %d, store in f %v, read-only %v", drop, fStore, ro)
				compare(t, what, r1, e1, r2, e2, m1, m2)
				if (ro || drop != 0) != (e2 != nil) {
					t.Errorf("%s: error %v", what, e2)
				}
				want := "[rw rw]"
				switch {
				case ro:
					want = "[]"
				case drop != 0 && fStore:
					want = "[checked]"
				case drop != 0:
					want = "[checked checked]"
				}
				if fmt.Sprint(tr.seen) != want {
					t.Errorf("%s: ran in %v, want %s", what, tr.seen, want)
				}
			}
			if jp.rwProg.Load() == nil {
				t.Errorf("drop %d: no writable variant", drop)
			}
			jp.Close()
		}
	}
	tr.p = nil
}

// Runs from many goroutines on read-only and writable inputs share one
// lazily compiled variant (run with -race).
func TestWritableVariantConcurrent(t *testing.T) {
	if !Supported() {
		t.Skip(ErrUnsupported)
	}
	_, jp := mustCompile(t, "mov %r3, 0\njeq %r2, 0, done\nloop:\nmov %r4, %r1\nadd %r4, %r3\nstxb [%r4+0], %r3\nadd %r3, 1\njlt %r3, %r2, loop\ndone:\nmov %r0, %r3\nexit", nil, nil)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := jp.NewRunner()
			for i := range 200 {
				ro := (i+g)%3 == 0
				b := make([]byte, 1+i%40)
				var x interface {
					Run(*vm.Env) (vm.Result, error)
				} = jp
				if i%2 == 1 {
					x = r
				}
				res, err := x.Run(&vm.Env{Mem: b, MemReadOnly: ro})
				var ve *vm.Error
				switch {
				case ro && (!errors.As(err, &ve) || ve.Fault != vm.FaultPermission || ve.PC != 4):
					t.Errorf("read-only: %v, want a permission fault at pc 4", err)
				case !ro && (err != nil || res.R0 != uint64(len(b)) || b[len(b)-1] != byte(len(b)-1)):
					t.Errorf("writable: %+v %v, memory %v", res, err, b)
				}
			}
		}()
	}
	wg.Wait()
	if jp.rwProg.Load() == nil {
		t.Error("no writable variant")
	}
}
