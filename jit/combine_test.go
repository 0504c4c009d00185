package jit

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/iovm/iovm/vm"
	"golang.org/x/arch/x86/x86asm"
)

// recBackend is the amd64 backend recording the wide loads the lowering
// asks for.
type recBackend struct {
	*amd64Backend
	wide   []wideLoad
	copies bool // emitting unrolled copies
}

type wideLoad struct {
	PC   int
	Dst  uint8
	Size int
	Swap bool
	Mode CheckMode
}

func (r *recBackend) Load(a Access, dst uint8, signed bool) {
	if a.Size > 1 && !signed && !r.copies {
		r.wide = append(r.wide, wideLoad{a.PC, dst, a.Size, a.Swap, a.Mode})
	}
	r.amd64Backend.Load(a, dst, signed)
}

// ChargeOr starts a loop's unrolled copies (unroll.go), which repeat
// the original block's loads; the original's Charge follows them.
func (r *recBackend) ChargeOr(n int, fail Label) {
	r.copies = true
	r.amd64Backend.ChargeOr(n, fail)
}

func (r *recBackend) Charge(pc, n int, restart Label) {
	r.copies = false
	r.amd64Backend.Charge(pc, n, restart)
}

// repin forgets the loads of a first lowering that is lowered again with
// pins.
func (r *recBackend) repin(weight func(off int) uint64) bool {
	if r.amd64Backend.repin(weight) {
		r.wide = nil
		return true
	}
	return false
}

// lowerRec lowers src (loaded with opts) for amd64 and returns the wide
// loads of combined byte loads (the sources use no other wide loads) and
// the code.
func lowerRec(t *testing.T, src string, opts *vm.Options) ([]wideLoad, *code) {
	t.Helper()
	vp, err := vm.Load(mustAssemble(t, src), opts)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	o := vp.Options()
	cfg := Config{StackSize: o.StackSize, MaxCallDepth: o.MaxCallDepth, BigEndian: o.Order == binary.BigEndian, Key: randKey}
	rb := &recBackend{amd64Backend: &amd64Backend{}}
	c, err := lower(rb, vp.Resolved(), vp.Facts(), cfg)
	if err != nil {
		t.Fatalf("lower: %v", err)
	}
	return rb.wide, c
}

// Programs for the lowering tests: proven accesses after a length check
// (pc 0 and 1), the sequence from pc 2, then exit at out.
const (
	provenHead = "mov %r0, 0\njlt %r2, 8, out\n"
	// provenHead16 proves 16 bytes.
	provenHead16 = "mov %r0, 0\njlt %r2, 16, out\n"
	tail         = "out:\nexit\n"
)

var combineCases = []struct {
	name string
	src  string
	big  bool
	want []wideLoad // nil: nothing combines
}{
	{"be16, base overwritten", provenHead + `mov %r3, %r1
ldxb %r6, [%r3+1]
ldxb %r3, [%r3+0]
lsh %r3, 8
or %r3, %r6
mov %r0, %r3
` + tail, false, []wideLoad{{6, 3, 2, true, Proven}}},
	{"le16", provenHead + `ldxb %r3, [%r1+0]
ldxb %r4, [%r1+1]
lsh %r4, 8
or %r3, %r4
mov %r0, %r3
` + tail, false, []wideLoad{{5, 3, 2, false, Proven}}},
	{"le16 in a big-endian program", provenHead + `ldxb %r3, [%r1+0]
ldxb %r4, [%r1+1]
lsh %r4, 8
or %r3, %r4
mov %r0, %r3
` + tail, true, []wideLoad{{5, 3, 2, false, Proven}}},
	{"be32 with 32-bit operations, interleaved", provenHead + `ldxb %r3, [%r1+4]
lsh32 %r3, 24
ldxb %r4, [%r1+5]
lsh32 %r4, 16
mov %r5, 7
or32 %r4, %r3
ldxb %r3, [%r1+6]
lsh32 %r3, 8
or32 %r4, %r3
add %r5, %r2
ldxb %r3, [%r1+7]
or32 %r4, %r3
mov %r0, %r4
add %r0, %r5
` + tail, false, []wideLoad{{13, 4, 4, true, Proven}}},
	{"be32 in a big-endian program", provenHead + `ldxb %r3, [%r1+0]
lsh32 %r3, 24
ldxb %r4, [%r1+1]
lsh32 %r4, 16
or32 %r4, %r3
ldxb %r3, [%r1+2]
lsh32 %r3, 8
or32 %r4, %r3
ldxb %r3, [%r1+3]
or32 %r4, %r3
mov %r0, %r4
` + tail, true, []wideLoad{{11, 4, 4, true, Proven}}},
	{"le64", provenHead + le64("%r1", 0, "%r0") + tail, false, []wideLoad{{23, 0, 8, false, Proven}}},
	{"be64", provenHead + be64("%r1", 0, "%r0") + tail, false, []wideLoad{{23, 0, 8, true, Proven}}},
	{"le32 from two le16", provenHead + `ldxb %r3, [%r1+0]
ldxb %r4, [%r1+1]
lsh %r4, 8
or %r3, %r4
ldxb %r5, [%r1+2]
ldxb %r4, [%r1+3]
lsh %r4, 8
or %r5, %r4
lsh %r5, 16
or %r3, %r5
mov %r0, %r3
` + tail, false, []wideLoad{{11, 3, 4, false, Proven}}},
	{"be32 << 32 | be32 apart (parse's IPv6 addresses)", provenHead16 + `ldxb %r3, [%r1+12]
lsh %r3, 24
ldxb %r5, [%r1+13]
lsh %r5, 16
or %r5, %r3
ldxb %r3, [%r1+0]
lsh32 %r3, 24
ldxb %r6, [%r1+1]
lsh32 %r6, 16
or32 %r6, %r3
ldxb %r3, [%r1+2]
lsh32 %r3, 8
or32 %r6, %r3
ldxb %r3, [%r1+3]
or32 %r6, %r3
lsh %r6, 32
or %r5, %r6
ldxb %r3, [%r1+14]
lsh %r3, 8
or %r5, %r3
ldxb %r0, [%r1+15]
or %r5, %r0
mov %r0, %r5
` + tail, false, []wideLoad{{23, 5, 4, true, Proven}, {23, 0, 4, true, Proven}}},
	{"be32 << 32 | be32 apart in a big-endian program", provenHead16 + `ldxb %r3, [%r1+12]
lsh %r3, 24
ldxb %r5, [%r1+13]
lsh %r5, 16
or %r5, %r3
ldxb %r3, [%r1+14]
lsh %r3, 8
or %r5, %r3
ldxb %r3, [%r1+15]
or %r5, %r3
ldxb %r3, [%r1+4]
lsh %r3, 56
or %r5, %r3
ldxb %r3, [%r1+5]
lsh %r3, 48
or %r5, %r3
ldxb %r3, [%r1+6]
lsh %r3, 40
or %r5, %r3
ldxb %r3, [%r1+7]
lsh %r3, 32
or %r5, %r3
mov %r0, %r5
` + tail, true, []wideLoad{{23, 5, 4, true, Proven}, {23, 3, 4, true, Proven}}},
	{"le16 | le16 << 16 apart, 32-bit", provenHead + `ldxb %r3, [%r1+0]
ldxb %r4, [%r1+1]
lsh32 %r4, 8
or32 %r3, %r4
ldxb %r4, [%r1+6]
lsh32 %r4, 16
or32 %r3, %r4
ldxb %r4, [%r1+7]
lsh32 %r4, 24
or32 %r3, %r4
mov %r0, %r3
` + tail, false, []wideLoad{{11, 3, 2, false, Proven}, {11, 4, 2, false, Proven}}},
	{"be16 shifted into the high half", provenHead + `ldxb %r3, [%r1+0]
lsh32 %r3, 24
ldxb %r4, [%r1+1]
lsh32 %r4, 16
or32 %r3, %r4
mov %r0, %r3
` + tail, false, []wideLoad{{6, 3, 2, true, Proven}}},
	{"be24: a be16 and a byte", provenHead + `ldxb %r3, [%r1+2]
ldxb %r4, [%r1+1]
lsh %r4, 8
or %r3, %r4
ldxb %r4, [%r1+0]
lsh %r4, 16
or %r3, %r4
mov %r0, %r3
` + tail, false, []wideLoad{{8, 3, 2, true, Proven}}},
	{"two parts into their base register: each alone", provenHead + `mov %r3, %r1
ldxb %r4, [%r3+0]
ldxb %r5, [%r3+1]
lsh %r5, 8
or %r4, %r5
ldxb %r5, [%r3+4]
ldxb %r3, [%r3+5]
lsh %r3, 8
or %r3, %r5
lsh %r3, 32
or %r3, %r4
xor %r0, %r3
` + tail, false, []wideLoad{{6, 4, 2, false, Proven}, {10, 3, 2, false, Proven}}},
	{"single bytes apart", provenHead + `ldxb %r3, [%r1+0]
ldxb %r4, [%r1+2]
lsh %r4, 8
or %r3, %r4
ldxb %r4, [%r1+4]
lsh %r4, 16
or %r3, %r4
mov %r0, %r3
` + tail, false, nil},
	{"crossing fields", provenHead16 + `ldxb %r3, [%r1+0]
lsh %r3, 8
ldxb %r5, [%r1+8]
ldxb %r4, [%r1+1]
or %r3, %r4
ldxb %r6, [%r1+9]
lsh %r6, 8
or %r5, %r6
add %r3, %r5
mov %r0, %r3
` + tail, false, []wideLoad{{6, 3, 2, true, Proven}, {9, 5, 2, false, Proven}}},
	{"crossing fields, the second writes its base early", provenHead16 + `mov %r7, %r1
ldxb %r3, [%r1+0]
lsh %r3, 8
ldxb %r5, [%r7+9]
ldxb %r7, [%r7+8]
ldxb %r4, [%r1+1]
or %r3, %r4
lsh %r5, 8
or %r5, %r7
add %r3, %r5
mov %r0, %r3
` + tail, false, []wideLoad{{8, 3, 2, true, Proven}}},
	{"inner with two parts, its temporary the outer's base", provenHead16 + `mov %r2, %r1
ldxb %r3, [%r2+0]
ldxb %r4, [%r2+1]
ldxb %r5, [%r1+4]
ldxb %r2, [%r1+5]
lsh %r2, 8
or %r5, %r2
ldxb %r2, [%r1+10]
lsh %r2, 16
or %r5, %r2
ldxb %r2, [%r1+11]
lsh %r2, 24
or %r5, %r2
lsh %r4, 8
or %r3, %r4
add %r3, %r5
mov %r0, %r3
` + tail, false, []wideLoad{{14, 5, 2, false, Proven}, {14, 2, 2, false, Proven}}},
	{"32-bit shift counts wrap", provenHead + `ldxb %r3, [%r1+0]
ldxb %r4, [%r1+1]
lsh32 %r4, 40
or32 %r3, %r4
mov %r0, %r3
` + tail, false, []wideLoad{{5, 3, 2, false, Proven}}},
	{"moved result", provenHead + `ldxb %r3, [%r1+0]
ldxb %r4, [%r1+1]
lsh %r4, 8
mov %r5, %r4
or %r5, %r3
mov %r0, %r5
` + tail, false, []wideLoad{{6, 5, 2, false, Proven}}},
	{"interleaved fields: one inside the other", provenHead + `ldxb %r3, [%r1+0]
lsh %r3, 24
ldxb %r6, [%r1+1]
lsh %r6, 16
or %r6, %r3
ldxb %r3, [%r1+2]
lsh %r3, 8
or %r6, %r3
ldxb %r3, [%r1+4]
lsh %r3, 24
ldxb %r5, [%r1+5]
lsh %r5, 16
or %r5, %r3
ldxb %r3, [%r1+6]
lsh %r3, 8
or %r5, %r3
ldxb %r3, [%r1+7]
or %r5, %r3
ldxb %r3, [%r1+3]
or %r6, %r3
mov %r0, %r6
add %r0, %r5
` + tail, false, []wideLoad{{19, 5, 4, true, Proven}, {21, 6, 4, true, Proven}}},
	{"interleaved fields: a smaller one inside", provenHead + `ldxb %r0, [%r1+0]
ldxb %r3, [%r1+1]
lsh %r3, 8
or %r0, %r3
ldxb %r4, [%r1+4]
lsh %r4, 8
ldxb %r5, [%r1+5]
or %r4, %r5
ldxb %r3, [%r1+2]
lsh %r3, 16
or %r0, %r3
ldxb %r3, [%r1+3]
lsh %r3, 24
or %r0, %r3
add %r0, %r4
` + tail, false, []wideLoad{{9, 4, 2, true, Proven}, {15, 0, 4, false, Proven}}},
	{"interleaved fields: crossing, sharing a temporary", provenHead + `ldxb %r3, [%r1+0]
ldxb %r4, [%r1+2]
lsh %r3, 8
ldxb %r5, [%r1+1]
or %r3, %r5
lsh %r4, 8
ldxb %r5, [%r1+3]
or %r4, %r5
mov %r0, %r3
add %r0, %r4
` + tail, false, []wideLoad{{6, 3, 2, true, Proven}, {9, 4, 2, true, Proven}}},
	{"intermediate live after", provenHead + `ldxb %r3, [%r1+0]
ldxb %r4, [%r1+1]
lsh %r4, 8
or %r3, %r4
mov %r0, %r3
add %r0, %r4
` + tail, false, nil},
	{"intermediate read in between", provenHead + `ldxb %r3, [%r1+0]
ldxb %r4, [%r1+1]
lsh %r4, 8
mov %r0, %r4
or %r3, %r4
add %r0, %r3
` + tail, false, nil},
	{"intermediate live in a successor block", provenHead + `ldxb %r3, [%r1+0]
ldxb %r4, [%r1+1]
lsh %r4, 8
or %r3, %r4
jeq %r3, 0, out
mov %r0, %r4
` + tail, false, nil},
	{"intermediate dead in the successors", provenHead + `ldxb %r3, [%r1+0]
ldxb %r4, [%r1+1]
lsh %r4, 8
or %r3, %r4
jeq %r3, 0, out
mov %r4, 1
mov %r0, %r4
` + tail, false, []wideLoad{{5, 3, 2, false, Proven}}},
	{"intermediate dead around a loop", provenHead + `mov %r5, 0
loop:
ldxb %r3, [%r1+0]
ldxb %r4, [%r1+1]
lsh %r4, 8
or %r3, %r4
add %r0, %r3
add %r5, 1
jlt %r5, 3, loop
` + tail, false, []wideLoad{{6, 3, 2, false, Proven}}},
	{"intermediate live around a loop", provenHead + `mov %r5, 0
mov %r4, 0
loop:
add %r0, %r4
ldxb %r3, [%r1+0]
ldxb %r4, [%r1+1]
lsh %r4, 8
or %r3, %r4
add %r0, %r3
add %r5, 1
jlt %r5, 3, loop
` + tail, false, nil},
	{"intermediate r2 at exit, no local calls", `stb [%r10-8], 1
stb [%r10-7], 2
ldxb %r0, [%r10-8]
ldxb %r2, [%r10-7]
lsh %r2, 8
or %r0, %r2
exit
`, false, []wideLoad{{5, 0, 2, false, Frame}}},
	{"intermediate r2 at a function's exit", `call local f
add %r0, %r2
exit
f:
stb [%r10-8], 1
stb [%r10-7], 2
ldxb %r0, [%r10-8]
ldxb %r2, [%r10-7]
lsh %r2, 8
or %r0, %r2
exit
`, false, nil},
	{"intermediate r6 at a function's exit", `mov %r6, 7
call local f
add %r0, %r6
exit
f:
stb [%r10-8], 1
stb [%r10-7], 2
ldxb %r0, [%r10-8]
ldxb %r6, [%r10-7]
lsh %r6, 8
or %r0, %r6
exit
`, false, []wideLoad{{9, 0, 2, false, Frame}}},
	{"base changed in between", provenHead + `ldxb %r3, [%r1+0]
add %r1, 1
ldxb %r4, [%r1+0]
lsh %r4, 8
or %r3, %r4
mov %r0, %r3
` + tail, false, nil},
	{"base changed before the last instruction", provenHead + `ldxb %r3, [%r1+0]
ldxb %r4, [%r1+1]
mov %r1, 0
lsh %r4, 8
or %r3, %r4
mov %r0, %r3
` + tail, false, nil},
	{"gap in offsets", provenHead + `ldxb %r3, [%r1+0]
ldxb %r4, [%r1+2]
lsh %r4, 8
or %r3, %r4
mov %r0, %r3
` + tail, false, nil},
	{"wrong shift", provenHead + `ldxb %r3, [%r1+0]
ldxb %r4, [%r1+1]
lsh %r4, 7
or %r3, %r4
mov %r0, %r3
` + tail, false, nil},
	{"gap in bit positions", provenHead + `ldxb %r3, [%r1+0]
ldxb %r4, [%r1+1]
lsh %r4, 16
or %r3, %r4
mov %r0, %r3
` + tail, false, nil},
	{"same byte twice", provenHead + `ldxb %r3, [%r1+0]
mov %r4, %r3
lsh %r4, 8
or %r3, %r4
mov %r0, %r3
` + tail, false, nil},
	{"sign-extending loads", provenHead + `ldxsb %r3, [%r1+0]
ldxsb %r4, [%r1+1]
lsh %r4, 8
or %r3, %r4
mov %r0, %r3
` + tail, false, nil},
	{"32-bit or drops the high bytes", provenHead + `ldxb %r3, [%r1+0]
ldxb %r4, [%r1+1]
lsh %r4, 56
or32 %r4, %r3
mov %r0, %r4
` + tail, false, nil},
	{"32-bit shift drops a byte", provenHead + `ldxb %r3, [%r1+0]
ldxb %r4, [%r1+1]
lsh %r4, 8
lsh32 %r4, 24
or %r3, %r4
mov %r0, %r3
` + tail, false, nil},
	{"store in between", `mov %r0, 0
stb [%r10-8], 1
stb [%r10-7], 2
ldxb %r3, [%r10-8]
stb [%r10-7], 9
ldxb %r4, [%r10-7]
lsh %r4, 8
or %r3, %r4
mov %r0, %r3
exit
`, false, nil},
	{"stack, stores before", `mov %r0, 0
stb [%r10-8], 1
stb [%r10-7], 2
ldxb %r3, [%r10-8]
ldxb %r4, [%r10-7]
lsh %r4, 8
or %r3, %r4
mov %r0, %r3
exit
`, false, []wideLoad{{6, 3, 2, false, Frame}}},
	{"unproven: a group", `ldxb %r3, [%r1+0]
ldxb %r4, [%r1+1]
lsh %r4, 8
or %r3, %r4
mov %r0, %r3
exit
`, false, []wideLoad{{3, 3, 2, false, GroupedFast}}},
	{"unproven load in between", provenHead + `mov %r6, %r1
add %r6, 100
ldxb %r3, [%r1+0]
ldxb %r7, [%r6+0]
ldxb %r4, [%r1+1]
lsh %r4, 8
or %r3, %r4
mov %r0, %r3
add %r0, %r7
` + tail, false, nil},
	{"unproven group member in between", `ldxb %r3, [%r1+0]
ldxb %r7, [%r1+9]
ldxb %r4, [%r1+1]
lsh %r4, 8
or %r3, %r4
mov %r0, %r3
add %r0, %r7
exit
`, false, []wideLoad{{4, 3, 2, false, GroupedFast}}},
}

// le64 returns the loads of the 8 bytes at base+off in little-endian
// order into dst (r3, r4 scratch): 22 instructions.
func le64(base string, off int, dst string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ldxb %s, [%s+%d]\n", dst, base, off)
	for i := 1; i < 8; i++ {
		fmt.Fprintf(&b, "ldxb %%r3, [%s+%d]\nlsh %%r3, %d\nor %s, %%r3\n", base, off+i, 8*i, dst)
	}
	return b.String()
}

// be64 is le64 in big-endian order.
func be64(base string, off int, dst string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ldxb %s, [%s+%d]\n", dst, base, off+7)
	for i := 1; i < 8; i++ {
		fmt.Fprintf(&b, "ldxb %%r3, [%s+%d]\nlsh %%r3, %d\nor %s, %%r3\n", base, off+7-i, 8*i, dst)
	}
	return b.String()
}

func programOpts(big bool) *vm.Options {
	if big {
		return &vm.Options{Order: binary.BigEndian}
	}
	return nil
}

// TestCombineLowering checks which sequences combine, into what, and that
// each runs as on the interpreter (with inputs long and short enough to
// fault).
func TestCombineLowering(t *testing.T) {
	for _, tc := range combineCases {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := lowerRec(t, tc.src, programOpts(tc.big))
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("wide loads %+v, want %+v", got, tc.want)
			}
			if !Supported() {
				return
			}
			for _, n := range []int{0, 1, 2, 7, 8, 16} {
				mem := make([]byte, n)
				for i := range mem {
					mem[i] = byte(0x91 + 17*i)
				}
				both(t, tc.src, mem, programOpts(tc.big))
			}
		})
	}
}

// TestCombineNative decodes the native code of combined sequences: one
// load of the whole width per part wider than a byte (the loads recorded
// at the same pc), and a byte swap exactly for those in big-endian order.
func TestCombineNative(t *testing.T) {
	for _, tc := range combineCases {
		if tc.want == nil {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			got, c := lowerRec(t, tc.src, programOpts(tc.big))
			for i, w := range got {
				if i > 0 && got[i-1].PC == w.PC {
					continue
				}
				// The loads of this combination.
				var sizes []int
				nswap := 0
				for _, v := range got[i:] {
					if v.PC == w.PC {
						sizes = append(sizes, v.Size)
						if v.Swap {
							nswap++
						}
					}
				}
				// The code of the whole sequence: from its first pc
				// (the first byte load before w.PC) to w.PC.
				first := w.PC
				for first > 0 && c.pcOff[first-1] == c.pcOff[w.PC] {
					first--
				}
				code := c.bytes[c.pcOff[first]:c.pcOff[w.PC+1]]
				var loads []int
				swaps := 0
				for len(code) > 0 {
					in, err := x86asm.Decode(code, 64)
					if err != nil {
						t.Fatalf("decode %x: %v", code, err)
					}
					code = code[in.Len:]
					for _, a := range in.Args {
						if m, ok := a.(x86asm.Mem); ok && m.Base != x86asm.RSP && in.Op != x86asm.LEA && in.Op != x86asm.NOP && in.MemBytes > 1 {
							loads = append(loads, in.MemBytes)
						}
					}
					if in.Op == x86asm.BSWAP || in.Op == x86asm.ROL {
						swaps++
					}
				}
				if fmt.Sprint(loads) != fmt.Sprint(sizes) || swaps != nswap {
					t.Errorf("pc %d: loads of %v bytes and %d swaps, want %v and %d", w.PC, loads, swaps, sizes, nswap)
				}
			}
		})
	}
}

// Programs whose combined loads are not proven, read at every offset of
// the input: near its end the group's check fails and the original byte
// loads must fault exactly (the same pc, address and size), also with a
// store or another load of the group failing first or after.
var combineNearEnd = []string{
	// be32 in parse's form, loads in ascending order.
	`mov %r0, 0
mov %r6, 0
loop:
mov %r4, %r1
add %r4, %r6
ldxb %r3, [%r4+0]
lsh32 %r3, 24
ldxb %r5, [%r4+1]
lsh32 %r5, 16
or32 %r5, %r3
ldxb %r3, [%r4+2]
lsh32 %r3, 8
or32 %r5, %r3
ldxb %r3, [%r4+3]
or32 %r5, %r3
add %r0, %r5
add %r6, 1
jlt %r6, %r2, loop
exit`,
	// le32, loads in descending order, a store of the group before.
	`mov %r0, 0
mov %r6, 0
loop:
mov %r4, %r1
add %r4, %r6
stxb [%r4+1], %r6
ldxb %r3, [%r4+3]
lsh %r3, 24
ldxb %r5, [%r4+2]
lsh %r5, 16
or %r5, %r3
ldxb %r3, [%r4+1]
lsh %r3, 8
or %r5, %r3
ldxb %r3, [%r4+0]
or %r5, %r3
add %r0, %r5
add %r6, 1
jlt %r6, %r2, loop
exit`,
	// be16 in checksum's form, a store of the group after it.
	`mov %r0, 0
mov %r6, 0
loop:
mov %r4, %r1
add %r4, %r6
ldxb %r7, [%r4+1]
ldxb %r3, [%r4+0]
lsh %r3, 8
or %r3, %r7
add %r0, %r3
stxb [%r4+3], %r0
add %r6, 1
jlt %r6, %r2, loop
exit`,
	// le64 and be64 read from the end backwards.
	`mov %r0, 0
mov %r6, %r2
loop:
mov %r4, %r1
add %r4, %r6
add %r4, -9
` + le64("%r4", 0, "%r5") + `add %r0, %r5
` + be64("%r4", 1, "%r5") + `xor %r0, %r5
sub %r6, 1
jgt %r6, 0, loop
exit`,
}

func TestCombineNearEnd(t *testing.T) {
	for i, src := range combineNearEnd {
		if w, _ := lowerRec(t, src, nil); len(w) == 0 {
			t.Fatalf("program %d: nothing combined", i)
		}
		if !Supported() {
			continue
		}
		for _, big := range []bool{false, true} {
			for n := 0; n < 24; n++ {
				mem := make([]byte, n)
				for i := range mem {
					mem[i] = byte(7*i + 0x35)
				}
				both(t, src, mem, programOpts(big))
			}
		}
	}
}

// The main function writes the bytes the callback's frame combinations
// (one inside the other) load in the frame below its own, so an entry in
// the middle sees them but not the registers loaded before.
const combineCallbackSrc = `mov %r3, %r2
mov %r2, %r1
mov %r4, %r10
add %r4, -520
stb [%r4+0], 5
stb [%r4+1], 6
stb [%r4+2], 7
stb [%r4+3], 8
mov %r1, 0
call 11
exit
f:
mov %r0, 0
ldxb %r3, [%r10-7]
ldxb %r4, [%r10-8]
ldxb %r6, [%r10-5]
mov %r5, 3
lsh %r4, 8
ldxb %r7, [%r10-6]
lsh %r7, 8
or %r7, %r6
or %r4, %r3
add %r0, %r4
add %r0, %r7
ldxb %r3, [%r1+0]
ldxb %r4, [%r1+1]
lsh %r4, 8
or %r3, %r4
add %r0, %r3
ldxb %r3, [%r1+2]
ldxb %r4, [%r1+3]
lsh %r4, 8
add %r5, 1
or %r4, %r3
add %r0, %r4
add %r0, %r5
exit`

// A callback (vm.LocalCaller) may enter at any pc of a combined sequence:
// from there it runs the original instructions, for frame (or proven)
// combinations outside groups (their own copy) and grouped ones (the
// group's slow copy).
func TestCallbackIntoCombined(t *testing.T) {
	if !Supported() {
		t.Skip(ErrUnsupported)
	}
	hs := testHelpers()
	hs.Register(vm.Helper{ID: 11, Name: "enter", Fn: func(m *vm.Memory, pc, addr, n, _, _ uint64) (uint64, error) {
		return m.CallLocal(int(pc), addr, n, 0, 0, 0)
	}})
	src := combineCallbackSrc
	if w, _ := lowerRec(t, src, &vm.Options{Helpers: hs}); len(w) != 4 {
		t.Fatalf("combined %+v, want 4", w)
	}
	forCallbackTargets(t, src, 8, 11, hs, func(target int, vp *vm.Program) {
		jp, err := Compile(vp, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{0, 3, 4, 8} {
			for _, budget := range []uint64{0, 5, 9, 13, 40} {
				m1, m2 := []byte("abcdefgh")[:n], []byte("abcdefgh")[:n]
				r1, e1 := vp.Run(&vm.Env{Mem: m1, Budget: budget})
				r2, e2 := jp.Run(&vm.Env{Mem: m2, Budget: budget})
				compare(t, fmt.Sprintf("callback to pc %d, %d bytes, budget %d", target, n, budget), r1, e1, r2, e2, m1, m2)
			}
		}
		jp.Close()
	})
}

// A grouped combination after a block start inside its group's span: a
// yield there resumes in the slow copy; budgets ending there are exact.
func TestCombineSpanYield(t *testing.T) {
	if !Supported() {
		t.Skip(ErrUnsupported)
	}
	src := `mov %r0, 0
mov %r6, 0
loop:
mov %r4, %r1
add %r4, %r6
ldxb %r5, [%r4+2]
jeq %r5, 0x5a, skip
ldxb %r3, [%r4+0]
ldxb %r5, [%r4+1]
lsh %r3, 8
or %r3, %r5
add %r0, %r3
skip:
add %r6, 1
jlt %r6, %r2, loop
exit`
	if w, _ := lowerRec(t, src, nil); len(w) != 1 || w[0].Mode != GroupedFast {
		t.Fatalf("combined %+v, want one grouped", w)
	}
	vp, err := vm.Load(mustAssemble(t, src), nil)
	if err != nil {
		t.Fatal(err)
	}
	for yield := uint64(1); yield <= 12; yield++ {
		jp, err := Compile(vp, &Options{YieldEvery: yield})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{3, 8, 16} {
			for budget := uint64(1); budget < 80; budget++ {
				m1, m2 := make([]byte, n), make([]byte, n)
				for i := range m1 {
					m1[i], m2[i] = byte(i*0x2d+3), byte(i*0x2d+3)
				}
				r1, e1 := vp.Run(&vm.Env{Mem: m1, Budget: budget})
				r2, e2 := jp.Run(&vm.Env{Mem: m2, Budget: budget})
				compare(t, fmt.Sprintf("yield %d, %d bytes, budget %d", yield, n, budget), r1, e1, r2, e2, m1, m2)
			}
		}
		jp.Close()
	}
}

// Crossing combinations (as parse's IPv6 addresses): a be16 at 0 (r3)
// whose range holds the start of a le32 at 8 (r5, through r7), in a
// group's span (r6, the input or the stack). The le32 writes its base
// before the be16's end: code entering the main code there (after the
// copy of the be16 for callbacks, or after the group's slow copy, which
// ends at the be16's end) would load through a clobbered base, so the
// be16 is not combined; when the le32 keeps its base, both are.
const crossingSrc = `mov %r0, 0
jlt %r2, 16, out
stdw [%r10-32], 0x1234
mov %r6, %r1
ldxb %r9, [%r1+14]
jset %r9, 1, go
mov %r6, %r10
add %r6, -32
go:
ldxb %r9, [%r6+0]
jeq %r9, 0x5a, out
ldxb %r3, [%r1+0]
ldxb %r8, [%r6+1]
add %r0, %r8
mov %r7, %r1
ldxb %r5, [%r7+8]
ldxb %r4, [%r7+9]
ldxb %r8, [%r7+10]
ldxb %r7, [%r7+11]
ldxb %r9, [%r1+1]
lsh %r3, 8
or %r3, %r9
lsh %r4, 8
or %r5, %r4
lsh %r8, 16
or %r5, %r8
lsh %r7, 24
or %r5, %r7
add %r0, %r3
add %r0, %r5
out:
exit`

// TestCombineCrossing runs crossingSrc (both forms) with budgets and
// yield periods.
func TestCombineCrossing(t *testing.T) {
	if !Supported() {
		t.Skip(ErrUnsupported)
	}
	for _, tc := range []struct {
		src  string
		want []wideLoad
	}{
		{crossingSrc, []wideLoad{{26, 5, 4, false, Proven}}},
		// The second keeps its base: both combine.
		{strings.NewReplacer("ldxb %r7, [%r7+11]\n", "", "or %r3, %r9\n", "or %r3, %r9\nldxb %r9, [%r7+11]\n",
			"lsh %r7, 24\nor %r5, %r7", "lsh %r9, 24\nor %r5, %r9").Replace(crossingSrc),
			[]wideLoad{{19, 3, 2, true, Proven}, {26, 5, 4, false, Proven}}},
	} {
		if got, _ := lowerRec(t, tc.src, nil); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("wide loads %+v, want %+v", got, tc.want)
		}
		vp, err := vm.Load(mustAssemble(t, tc.src), nil)
		if err != nil {
			t.Fatal(err)
		}
		for yield := uint64(1); yield <= 12; yield++ {
			jp, err := Compile(vp, &Options{YieldEvery: yield})
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range []int{15, 16, 40} {
				for budget := uint64(1); budget < 40; budget++ {
					for fill := 3; fill <= 4; fill++ { // r6: the input, the stack
						m1, m2 := make([]byte, n), make([]byte, n)
						for i := range m1 {
							m1[i], m2[i] = byte(i*0x2d+fill), byte(i*0x2d+fill)
						}
						r1, e1 := vp.Run(&vm.Env{Mem: m1, Budget: budget})
						r2, e2 := jp.Run(&vm.Env{Mem: m2, Budget: budget})
						compare(t, fmt.Sprintf("yield %d, %d bytes, fill %d, budget %d", yield, n, fill, budget), r1, e1, r2, e2, m1, m2)
					}
				}
			}
			jp.Close()
		}
	}
}
