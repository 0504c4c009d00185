package verifier

import (
	"errors"
	"strings"
	"testing"

	"github.com/iovm/iovm/isa"
)

func mustAsm(t *testing.T, src string) isa.Program {
	t.Helper()
	p, err := AssembleForTest(src)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestStructural(t *testing.T) {
	helpers := func(id int32) (HelperProto, bool) { return HelperProto{}, id >= 0 && id <= 5 }
	cases := []struct {
		name, src string
		pc        int // -1: accept
		reason    string
	}{
		{"ok", "mov %r0, 1\nexit", -1, ""},
		{"write r10", "mov %r10, 1\nexit", 0, "r10"},
		{"load into r10", "ldxdw %r10, [%r1]\nexit", 0, "r10"},
		{"store via r10 ok", "stdw [%r10-8], 1\nmov %r0, 0\nexit", -1, ""},
		{"jump out", "ja +5\nexit", 0, "out of range"},
		{"jump negative", "ja -3\nexit", 0, "out of range"},
		{"fall off", "mov %r0, 0\njeq %r0, 0, +1\nexit\nmov %r0, 1", 3, "last instruction"},
		{"no exit", "mov %r0, 0", 0, "last instruction"},
		{"into lddw", "ja +1\nlddw %r0, 0x1122334455\nexit", 0, "second slot"},
		{"unknown helper", "call 99\nexit", 0, "unknown helper"},
		{"known helper", "call 2\nexit", -1, ""},
		{"recursion", "call local f\nexit\nf:\ncall local f\nexit", 2, "recursive"},
		{"local ok", "call local f\nexit\nf:\nmov %r0, 1\nexit", -1, ""},
		{"stack oob", "stdw [%r10-520], 1\nmov %r0, 0\nexit", 0, "outside"},
		{"stack above", "stw [%r10-2], 1\nmov %r0, 0\nexit", 0, "outside"},
		{"map no config", "lddwmap %r1, 0\nmov %r0, 0\nexit", 0, "maps"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := mustAsm(t, tc.src)
			_, err := Verify(p, &Config{Helpers: helpers, Mode: Strict})
			if tc.pc < 0 {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("want rejection at pc %d, got %v", tc.pc, err)
			}
			if e.PC != tc.pc || !strings.Contains(e.Error(), tc.reason) {
				t.Fatalf("want pc %d %q, got %v", tc.pc, tc.reason, e)
			}
		})
	}
}

func TestCallDepth(t *testing.T) {
	src := "call local f1\nexit\n"
	for i := 1; i <= 9; i++ {
		src += "f" + string(rune('0'+i)) + ":\n"
		if i < 9 {
			src += "call local f" + string(rune('0'+i+1)) + "\n"
		}
		src += "exit\n"
	}
	p := mustAsm(t, src)
	if _, err := Verify(p, &Config{Mode: Strict}); err == nil {
		t.Fatal("10 frames accepted with MaxCallDepth 8 in strict mode")
	}
	if f, err := Verify(p, nil); err != nil || f.Analyzed {
		t.Fatalf("checked mode: %v, analyzed %v", err, f != nil && f.Analyzed)
	}
	if _, err := Verify(p, &Config{MaxCallDepth: 10}); err != nil {
		t.Fatal(err)
	}
}

// A huge frame must not make the state (or the work) huge.
func TestHugeStack(t *testing.T) {
	p := mustAsm(t, `
mov %r6, %r10
add %r6, -16777216
stdw [%r6+0], 1
call 2
and %r0, 0xffff
mov %r1, %r10
add %r1, -16777216
add %r1, %r0
stb [%r1+0], 0
mov %r1, %r10
add %r1, -16777216
mov %r2, 16777216
call 1
ldxdw %r0, [%r6+0]
exit`)
	helpers := func(id int32) (HelperProto, bool) {
		switch id {
		case 1:
			return HelperProto{Args: [5]ArgKind{ArgPtrToWritableMem, ArgSize}, Ret: RetScalar}, true
		case 2:
			return HelperProto{Ret: RetScalar}, true
		}
		return HelperProto{}, false
	}
	if _, err := Verify(p, &Config{StackSize: 1 << 24, Helpers: helpers}); err != nil {
		t.Fatal(err)
	}
	_, err := Verify(p, &Config{StackSize: 1 << 24, Helpers: helpers, Mode: Strict})
	if err == nil || !strings.Contains(err.Error(), "uninitialized") {
		t.Fatalf("strict: want a rejection for reading beyond the tracked depth, got %v", err)
	}
}

func TestLoopFacts(t *testing.T) {
	p := mustAsm(t, `
mov %r0, 0
mov %r3, 0
a:
add %r3, 1
jlt %r3, 10, a
b:
add %r0, 1
jlt %r0, %r2, b
exit`)
	f, err := Verify(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Loops[2] || f.Loops[4] || f.LoopsBounded {
		t.Fatalf("loop facts %v, all bounded %v; want 2 bounded, 4 not", f.Loops, f.LoopsBounded)
	}
}
