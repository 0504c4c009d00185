package jit

import (
	"fmt"
	"strings"
	"testing"

	"github.com/iovm/iovm/asm"
	"github.com/iovm/iovm/isa"
	"golang.org/x/arch/x86/x86asm"
)

// loopSrc is sieve's init loop with body as the block the loop's last ja
// jumps to (l4, ending in the loop's test).
func loopSrc(body string) string {
	return `mov %r0, 0
mov %r3, 0
ja l2
l4:
` + body + `
add %r3, 1
jlt %r3, %r2, l2
exit
l2:
mov32 %r4, 1
jeq %r3, 2, l4
mov32 %r4, 0
ja l4
`
}

// A ja inside a loop into a small block becomes a copy of it (no jmp to
// the block; sieve's init loop: the copy jumps back to the loop's head
// and falls through to the original's fall-through); a ja into a block
// with a call, a legacy load, an atomic, a group (or combined load), an
// exit, too many instructions, or its own block, or outside loops,
// stays a jmp.
func TestTailCopies(t *testing.T) {
	many := strings.Repeat("add %r0, 1\n", maxDup)
	for _, tc := range []struct {
		name, src string
		copied    bool
	}{
		{"sieve", sieveSrc, true},
		{"alu", loopSrc("or32 %r4, %r3\nxor %r0, %r4"), true},
		{"lddw", loopSrc("lddw %r5, 0x123456789\nadd %r0, %r5"), true},
		{"store", loopSrc("mov %r5, %r1\nadd %r5, %r3\nstxb [%r5+0], %r4"), true},
		{"ja", loopSrc("add %r0, 1\nja l3\nl3:\nadd %r0, 2"), true}, // l4 ends in a ja
		{"call", loopSrc("mov %r6, %r3\ncall 1\nmov %r3, %r6"), false},
		{"legacy", loopSrc("ldabsb 0\nadd %r0, 1"), false},
		{"atomic", loopSrc("mov %r5, %r10\nstxdw [%r10-8], %r3\nlock add [%r10-8], %r4"), false},
		{"group", loopSrc("ldxb %r5, [%r1+0]\nldxb %r6, [%r1+1]\nadd %r0, %r5"), false},
		{"large", loopSrc(many), false},
		{"exit", "mov %r0, 0\nmov %r3, 0\nja b\na:\nadd %r3, 1\njlt %r3, %r2, b\nja a\nb:\nadd %r0, 1\nexit\n", false},
		{"self", "mov %r0, 0\nl:\nadd %r0, 1\nja l\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := asm.Assemble(tc.src)
			if err != nil {
				t.Fatal(err)
			}
			c, err := lower(&amd64Backend{}, p, nil, Config{StackSize: 512, MaxCallDepth: 8, Key: randKey})
			if err != nil {
				t.Fatal(err)
			}
			// The last ja (sieve: pc 15), and the entry's ja into the
			// loop (pc 2 or 3).
			ja, entry := -1, -1
			for pc, ins := range p {
				if ins.Class() == isa.ClassJMP && ins.JumpOp() == isa.JumpJA && !p.IsContinuation(pc) && ja != 15 {
					if entry < 0 {
						entry = pc
					}
					ja = pc
				}
			}
			to, _ := (&lowerer{p: p}).target(ja)
			ins := decodeAll(t, c.bytes)
			jmps := func(pc, to int) (jmp bool, in []decoded) {
				end := c.pcOff[pc+1]
				for _, d := range ins {
					if d.off < c.pcOff[pc] || d.off >= end {
						continue
					}
					in = append(in, d)
					if r, ok := d.Args[0].(x86asm.Rel); ok && d.Op == x86asm.JMP && d.off+d.Len+int(r) == c.pcOff[to] {
						jmp = true
					}
				}
				return jmp, in
			}
			jmp, in := jmps(ja, to)
			if _, ok := c.dups[ja]; ok != tc.copied || jmp == tc.copied {
				t.Errorf("ja at pc %d to %d: copied %v, jmp to it %v, want copied %v:\n%v", ja, to, ok, jmp, tc.copied, in)
			}
			if eto, _ := (&lowerer{p: p}).target(entry); entry != ja {
				if jmp, in := jmps(entry, eto); c.dups[entry] != 0 || !jmp {
					t.Errorf("entry ja at pc %d: copied, want a jmp to %d:\n%v", entry, eto, in)
				}
			}
			if tc.name != "sieve" {
				return
			}
			// pc 15's copy of 4..10: jb to 12, then jmp to 11.
			if n := len(in); n < 2 || in[n-2].Op != x86asm.JB || in[n-1].Op != x86asm.JMP ||
				fmt.Sprint(relTarget(in[n-2]), relTarget(in[n-1])) != fmt.Sprint(c.pcOff[12], c.pcOff[11]) {
				t.Errorf("sieve's copy ends %v, want jb %#x, jmp %#x", in, c.pcOff[12], c.pcOff[11])
			}
		})
	}
}

// relTarget returns the target of a relative jump.
func relTarget(d decoded) int {
	r, _ := d.Args[0].(x86asm.Rel)
	return d.off + d.Len + int(r)
}
