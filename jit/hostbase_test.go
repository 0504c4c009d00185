package jit

import (
	"bytes"
	"fmt"
	"math/rand"
	"testing"

	"github.com/iovm/iovm/vm"
	"golang.org/x/arch/x86/x86asm"
)

// foldCase is a program and the accesses the amd64 lowering should fold
// with the host base: folds[i] = {pc of the mov, pc of the access (the
// last of a combined load)}, whose index register is index[i].
type foldCase struct {
	name  string
	src   string
	folds [][2]int
	index []uint8
}

var foldCases = []foldCase{
	{"in a group's span", `mov %r0, 0
jlt %r2, 8, out
ldxb %r8, [%r1+0]
mov %r6, %r1
add %r6, %r8
mov %r5, 2
ldxb %r3, [%r6+0]
mov %r4, %r1
add %r4, %r5
ldxb %r4, [%r4+0]
ldxb %r9, [%r6+1]
mov %r0, %r3
add %r0, %r4
add %r0, %r9
out:
exit`, nil, nil},
	{"count loop (sieve)", `mov %r0, 0
mov %r3, 0
jeq %r2, 0, out
loop:
mov %r4, %r1
add %r4, %r3
ldxb %r4, [%r4+0]
add %r0, %r4
add %r3, 1
jlt %r3, %r2, loop
out:
exit`, [][2]int{{3, 5}}, []uint8{3}},
	{"index first, store (WriteChecked)", `mov %r0, 0
mov %r3, 0
jeq %r2, 0, out
loop:
mov %r5, %r3
add %r5, %r1
stxb [%r5+0], %r3
stw [%r10-4], 1
mov %r6, %r3
add %r6, %r1
stb [%r6+0], 7
add %r3, 1
jlt %r3, %r2, loop
out:
ldxw %r0, [%r10-4]
exit`, [][2]int{{3, 5}, {7, 9}}, []uint8{3, 3}},
	{"combined load (checksum)", `mov %r0, 0
mov %r5, 0
jlt %r2, 2, out
mov %r4, 0
loop:
mov %r0, %r1
add %r0, %r4
ldxb %r6, [%r0+1]
ldxb %r0, [%r0+0]
lsh %r0, 8
or %r0, %r6
add %r0, %r5
mov %r5, %r0
add %r4, 2
mov %r6, %r4
add %r6, 1
jlt %r6, %r2, loop
out:
exit`, [][2]int{{4, 9}}, []uint8{4}},
	{"no free register", `mov %r6, 0
mov %r7, 0
mov %r8, 0
mov %r9, 0
mov %r0, 0
mov %r3, 0
jeq %r2, 0, out
loop:
mov %r4, %r1
add %r4, %r3
ldxb %r5, [%r4+0]
add %r0, %r5
add %r3, 1
jlt %r3, %r2, loop
out:
exit`, nil, nil}, // no fold without a register to pin the host base in
	{"spilled and reloaded (parse)", `mov %r0, 0
mov %r3, 0
jeq %r2, 0, out
stxdw [%r10-8], %r1
loop:
mov %r5, %r1
add %r5, %r3
ldxb %r4, [%r5+0]
add %r0, %r4
mov %r1, 0
ldxdw %r1, [%r10-8]
add %r3, 1
jlt %r3, %r2, loop
out:
exit`, [][2]int{{4, 6}}, []uint8{3}},
	{"copied, then r1 written", `mov %r0, 0
mov %r3, 0
jeq %r2, 0, out
mov %r6, %r1
mov %r1, 5
loop:
mov %r5, %r3
add %r5, %r6
stxb [%r5+0], %r1
add %r3, 1
jlt %r3, %r2, loop
out:
exit`, [][2]int{{5, 7}}, []uint8{3}},
	{"slot overwritten", `mov %r0, 0
mov %r3, 0
jlt %r2, 2, out
sub %r2, 1
stxdw [%r10-8], %r1
mov %r6, %r1
add %r6, 1
stxdw [%r10-8], %r6
ldxdw %r1, [%r10-8]
loop:
mov %r5, %r1
add %r5, %r3
ldxb %r4, [%r5+0]
add %r0, %r4
add %r3, 1
jlt %r3, %r2, loop
out:
exit`, nil, nil},
	{"slot overwritten in part", `mov %r0, 0
mov %r3, 0
jlt %r2, 2, out
sub %r2, 1
stxdw [%r10-16], %r1
mov %r6, %r1
add %r6, 1
stxdw [%r10-12], %r6
ldxdw %r1, [%r10-16]
loop:
mov %r5, %r1
add %r5, %r3
ldxb %r4, [%r5+0]
add %r0, %r4
add %r3, 1
jlt %r3, %r2, loop
out:
exit`, nil, nil},
	{"slot written through a pointer", `mov %r0, 0
mov %r3, 0
jlt %r2, 2, out
sub %r2, 1
stxdw [%r10-8], %r1
mov %r6, %r1
add %r6, 1
mov %r7, %r10
stxdw [%r7-8], %r6
ldxdw %r1, [%r10-8]
loop:
mov %r5, %r1
add %r5, %r3
ldxb %r4, [%r5+0]
add %r0, %r4
add %r3, 1
jlt %r3, %r2, loop
out:
exit`, nil, nil},
	{"slot written by a callee", `mov %r0, 0
mov %r3, 0
jlt %r2, 2, out
sub %r2, 1
stxdw [%r10-8], %r1
mov %r6, %r2
mov %r1, %r10
add %r1, -8
call local f
mov %r2, %r6
ldxdw %r1, [%r10-8]
mov %r0, 0
mov %r3, 0
loop:
mov %r7, %r1
add %r7, %r3
ldxb %r4, [%r7+0]
add %r0, %r4
add %r3, 1
jlt %r3, %r2, loop
out:
exit
f:
ldxdw %r3, [%r1+0]
add %r3, 1
stxdw [%r1+0], %r3
mov %r0, 0
exit`, nil, nil},
	{"address live after", `mov %r0, 0
mov %r3, 0
jeq %r2, 0, out
loop:
mov %r4, %r1
add %r4, %r3
ldxb %r5, [%r4+0]
add %r0, %r4
add %r0, %r5
add %r3, 1
jlt %r3, %r2, loop
out:
exit`, nil, nil},
	{"r1 written before", `mov %r0, 0
mov %r3, 0
jlt %r2, 2, out
add %r1, 1
sub %r2, 1
loop:
mov %r4, %r1
add %r4, %r3
ldxb %r4, [%r4+0]
add %r0, %r4
add %r3, 1
jlt %r3, %r2, loop
out:
exit`, nil, nil},
	{"r1 written on one path", `mov %r0, 0
mov %r3, 0
jlt %r2, 2, out
sub %r2, 1
jgt %r2, 9, loop
add %r1, 1
loop:
mov %r4, %r1
add %r4, %r3
ldxb %r4, [%r4+0]
add %r0, %r4
add %r3, 1
jlt %r3, %r2, loop
out:
exit`, nil, nil},
	{"r1 written in the loop", `mov %r0, 0
mov %r3, 0
jlt %r2, 2, out
sub %r2, 1
loop:
mov %r4, %r1
add %r4, %r3
ldxb %r4, [%r4+0]
add %r0, %r4
add %r3, 1
jlt %r3, 4, loop
add %r1, 1
sub %r2, 1
mov %r3, 0
jgt %r2, 4, loop
out:
exit`, nil, nil},
	{"unproven", `mov %r0, 0
jeq %r2, 0, out
ldxb %r3, [%r1+0]
mov %r4, %r1
add %r4, %r3
ldxb %r0, [%r4+0]
out:
exit`, nil, nil},
}

// The folded accesses are one instruction addressing [host base + index
// + off] (the mov and the add emit nothing); where the address register
// is live after, where r1 may have been written, or where the access is
// not proven, nothing is folded.
func TestHostBaseLowering(t *testing.T) {
	for _, tc := range foldCases {
		t.Run(tc.name, func(t *testing.T) {
			b, c := lowerAMD64(t, tc.src, nil)
			if c.folds != len(tc.folds) {
				t.Errorf("%d folded accesses, want %d", c.folds, len(tc.folds))
			}
			host := b.pin[cHost]
			for i, f := range tc.folds {
				var mems []string
				from := c.pcOff[f[0]]
				if o, ok := c.unrolled[f[0]]; ok {
					from = o // the original block, after its unrolled copies
				}
				for _, in := range decodeAll(t, c.bytes[from:c.pcOff[f[1]+1]]) {
					if in.Op == x86asm.LEA || in.Op == x86asm.ADD && in.Args[0] != x86asm.R15 {
						t.Errorf("pcs %d-%d: %v", f[0], f[1], in)
					}
					for _, a := range in.Args {
						m, ok := a.(x86asm.Mem)
						if !ok || m.Base == x86asm.RSP && in.Op == x86asm.MOV && in.Args[0] == x86asm.RAX {
							continue // the host base from the frame (no pin)
						}
						mems = append(mems, in.String())
						base := m.Base
						if host == 0 {
							base = x86asm.RAX
						} else if family(base) != int(host) {
							t.Errorf("pcs %d-%d: %v, want the base in %v", f[0], f[1], in, host)
						}
						if family(m.Index) != int(reg(tc.index[i])) || m.Base != base {
							t.Errorf("pcs %d-%d: %v, want [%v+%v+off]", f[0], f[1], in, base, reg(tc.index[i]))
						}
					}
				}
				if len(mems) != 1 {
					t.Errorf("pcs %d-%d: memory operands %q, want one", f[0], f[1], mems)
				}
			}
			if len(tc.folds) == 0 {
				leas := 0
				for _, in := range decodeAll(t, c.bytes[:c.pcOff[len(c.pcOff)-1]]) {
					if in.Op == x86asm.LEA {
						leas++
					}
				}
				if leas == 0 {
					t.Error("no lea: the address is not computed")
				}
			}
			if bad, err := pinWrites(b, c.bytes); err != nil || len(bad) > 0 {
				t.Errorf("writes to pinned registers: %v %v", bad, err)
			}
		})
	}
}

// The programs of foldCases give the interpreter's results, memory and
// faults on inputs of many lengths, writable or not, with budgets that
// end inside their loops; so does each with an exit to Go (a helper call)
// in the loop, which makes r1 lost there.
func TestHostBaseRuns(t *testing.T) {
	if !Supported() {
		t.Skip(ErrUnsupported)
	}
	r := rand.New(rand.NewSource(3))
	for _, tc := range foldCases {
		t.Run(tc.name, func(t *testing.T) {
			vp, jp := mustCompile(t, tc.src, nil, nil)
			for _, n := range []int{1, 2, 3, 8, 11, 64, 301} {
				in := make([]byte, n)
				r.Read(in)
				for _, ro := range []bool{false, true} {
					for _, budget := range []uint64{0, 5, 17, 40, 41, 100} {
						m1, m2 := bytes.Clone(in), bytes.Clone(in)
						r1, e1 := vp.Run(&vm.Env{Mem: m1, MemReadOnly: ro, Budget: budget})
						r2, e2 := jp.Run(&vm.Env{Mem: m2, MemReadOnly: ro, Budget: budget})
						if r1 != r2 || fmt.Sprint(e1) != fmt.Sprint(e2) || !bytes.Equal(m1, m2) {
							t.Fatalf("len %d, read-only %v, budget %d:\ninterp: %+v %v\njit:    %+v %v", n, ro, budget, r1, e1, r2, e2)
						}
					}
				}
			}
		})
	}
}
