package jit_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iovm/iovm/conformance"
	"github.com/iovm/iovm/jit"
	"github.com/iovm/iovm/vm"
)

// TestSuiteExact runs every conformance file on the interpreter and the JIT
// and requires the same r0, instruction count, error (kind, pc, fault,
// address, size, direction, helper) and final memory.
func TestSuiteExact(t *testing.T) { suiteExact(t, nil) }

// TestSuiteBlinded is TestSuiteExact with constant blinding.
func TestSuiteBlinded(t *testing.T) { suiteExact(t, &jit.Options{Blind: true}) }

func suiteExact(t *testing.T, jopts *jit.Options) {
	if !jit.Supported() {
		t.Skip(jit.ErrUnsupported)
	}
	paths, err := conformance.Collect([]string{"../conformance/testdata"})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, path := range paths {
		c, err := conformance.ParseFile(path)
		if err != nil || c.Skip != "" {
			continue
		}
		p, err := c.Program()
		if err != nil {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(path), ".data")
		vp, err := vm.Load(p, conformance.Options())
		if err != nil {
			continue
		}
		jp, err := jit.Compile(vp, jopts)
		if err != nil {
			t.Errorf("%s: compile: %v", name, err)
			continue
		}
		budget := c.Budget
		if budget == 0 {
			budget = conformance.DefaultBudget
		}
		m1 := append([]byte(nil), c.Mem...)
		m2 := append([]byte(nil), c.Mem...)
		r1, e1 := vp.Run(&vm.Env{Mem: m1, Budget: budget})
		r2, e2 := jp.Run(&vm.Env{Mem: m2, Budget: budget})
		jp.Close()
		if why := differ(r1, e1, r2, e2, m1, m2); why != "" {
			t.Errorf("%s: %s", name, why)
		}
		n++
	}
	t.Logf("%d programs agree", n)
}

// differ describes how two runs differ, or returns "".
func differ(r1 vm.Result, e1 error, r2 vm.Result, e2 error, m1, m2 []byte) string {
	var v1, v2 *vm.Error
	errors.As(e1, &v1)
	errors.As(e2, &v2)
	switch {
	case (e1 == nil) != (e2 == nil):
		return "interp: " + show(r1, e1) + "\njit:    " + show(r2, e2)
	case v1 != nil && v2 != nil:
		if v1.Kind != v2.Kind || v1.PC != v2.PC || v1.Fault != v2.Fault || v1.Addr != v2.Addr || v1.Size != v2.Size || v1.Write != v2.Write || v1.Helper != v2.Helper {
			return "interp: " + show(r1, e1) + "\njit:    " + show(r2, e2)
		}
	case e1 != nil:
		if e1.Error() != e2.Error() {
			return "interp: " + show(r1, e1) + "\njit:    " + show(r2, e2)
		}
	}
	// Results compare on errors too: a run that ends early counts the
	// instructions up to where it ended, as the interpreter does.
	if r1 != r2 {
		return "interp: " + show(r1, e1) + "\njit:    " + show(r2, e2)
	}
	if string(m1) != string(m2) {
		return "memory differs:\ninterp: " + hexBytes(m1) + "\njit:    " + hexBytes(m2) + "\n" + show(r1, e1)
	}
	return ""
}

func show(r vm.Result, e error) string {
	s := "r0=" + hex(r.R0) + " insns=" + hex(r.Insns)
	if e != nil {
		return s + " " + e.Error()
	}
	return s
}

func hex(v uint64) string {
	const d = "0123456789abcdef"
	s := ""
	for {
		s = string(d[v&15]) + s
		v >>= 4
		if v == 0 {
			return "0x" + s
		}
	}
}

func hexBytes(b []byte) string {
	const d = "0123456789abcdef"
	out := make([]byte, 0, 3*len(b))
	for _, c := range b {
		out = append(out, d[c>>4], d[c&15], ' ')
	}
	return string(out)
}
