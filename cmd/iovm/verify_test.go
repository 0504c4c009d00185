package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func verifyTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestVerifyCommand(t *testing.T) {
	checked := verifyTemp(t, "ok.asm", "mov %r0, 0\njlt %r2, 4, out\nldxw %r0, [%r1+0]\nout:\nexit\n")
	unchecked := verifyTemp(t, "bad.asm", "mov %r0, 0\nldxw %r0, [%r1+1]\nexit\n")
	structural := verifyTemp(t, "r10.asm", "mov %r10, 0\nexit\n")
	ctx := verifyTemp(t, "ctx.asm", "ldxdw %r0, [%r1+8]\nexit\n")
	cases := []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"--strict", checked}, 0, []string{"accepted (strict mode)", "proven: 1 of 1", "loops bounded: true"}},
		{[]string{checked, "--log"}, 0, []string{"2: ldxw %r0, [%r1+0]", "len>=4", "accepted (checked mode)"}},
		{[]string{"--strict", unchecked}, 1, []string{"rejected (strict mode)", "pc 1: ldxw %r0, [%r1+1]", "reason: input access [1, 5) not proven", "state: r0=0x0 r1=input"}},
		{[]string{unchecked}, 0, []string{"accepted (checked mode)", "unproven at pc 1"}},
		{[]string{structural}, 1, []string{"pc 0: mov %r10, 0", "r10"}},
		{[]string{"--strict", ctx}, 1, []string{"not proven within the input"}},
		{[]string{"--strict", "--ctx-size", "16", ctx}, 0, []string{"accepted"}},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		code := mainArgs(append([]string{"verify"}, c.args...), &out, &errb)
		if code != c.code {
			t.Errorf("verify %v: exit %d, want %d\n%s%s", c.args, code, c.code, out.String(), errb.String())
		}
		for _, w := range c.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("verify %v: output lacks %q:\n%s", c.args, w, out.String())
			}
		}
	}
	var out, errb bytes.Buffer
	if code := mainArgs([]string{"verify"}, &out, &errb); code != 2 {
		t.Errorf("verify without PROG: exit %d, want 2", code)
	}
}
