package jit

import (
	"encoding/binary"
	"errors"
	"fmt"
	"testing"

	"golang.org/x/arch/x86/x86asm"

	"github.com/iovm/iovm/asm"
	"github.com/iovm/iovm/isa"
	x "github.com/iovm/iovm/jit/amd64"
	"github.com/iovm/iovm/vm"
)

func TestUsedRegs(t *testing.T) {
	for _, c := range []struct {
		src  string
		want uint16
	}{
		{"mov %r0, 0\nexit", 1},
		{"mov %r0, %r1\nldxb %r3, [%r1+0]\nexit", 1<<0 | 1<<1 | 1<<3},
		{"stxb [%r10-8], %r7\nmov %r0, 0\nexit", 1<<0 | 1<<7},
		{"call 2\nexit", 0x3f}, // a helper reads r1..r5 and writes r0..r5
		{"lddw %r8, 0x1234567890\nmov %r0, %r8\nexit", 1<<0 | 1<<8},
		{"ldabsb 3\nexit", 0x3f},
		{"mov %r6, 1\ncall local f\nexit\nf:\nmov %r0, %r9\nexit", 0x3f | 1<<6 | 1<<9},
	} {
		p, err := asm.Assemble(c.src)
		if err != nil {
			t.Fatalf("%q: %v", c.src, err)
		}
		if got := usedRegs(p); got != c.want {
			t.Errorf("%q: used %#x, want %#x", c.src, got, c.want)
		}
	}
	// A pseudo source of lddw is not a register.
	p := isa.Program{}.Append(isa.Instruction{Opcode: isa.OpLDDW, Dst: 0, Src: isa.LDDWCodeAddr, Imm: 1}, isa.Instruction{Opcode: isa.OpExit})
	if got := usedRegs(p); got != 1 {
		t.Errorf("lddw with a pseudo source: used %#x, want 1", got)
	}
}

// sieveSrc is bench/sieve.o: the inner loop (pcs 24-28, stores) is nested
// in the outer one (pcs 24-41), entered from pc 41 by a jump back.
const sieveSrc = `mov %r0, 0
jeq %r2, 0, end
mov %r3, 0
ja l2
l4:
or32 %r4, %r3
and32 %r4, 1
mov %r5, %r1
add %r5, %r3
stxb [%r5+0], %r4
add %r3, 1
jlt %r3, %r2, l2
ja l15
l2:
mov32 %r4, 1
jeq %r3, 2, l4
mov32 %r4, 0
ja l4
l15:
jgt %r2, 1, l5
ja l13
l5:
mov32 %r3, 0
stxb [%r1+1], %r3
jlt %r2, 10, l13
mov %r4, 3
mov %r5, 9
ja l7
l10:
mov %r6, %r1
add %r6, %r5
stxb [%r6+0], %r3
add %r5, %r0
jlt %r5, %r2, l10
l11:
add %r4, 2
mov %r5, %r4
mul %r5, %r5
jlt %r5, %r2, l7
ja l13
l7:
mov %r0, %r1
add %r0, %r4
ldxb %r0, [%r0+0]
jeq32 %r0, 0, l11
jge %r5, %r2, l11
mov %r0, %r4
lsh %r0, 1
ja l10
l13:
mov %r3, 0
mov %r0, 0
l14:
mov %r4, %r1
add %r4, %r3
ldxb %r4, [%r4+0]
add %r0, %r4
add %r3, 1
jlt %r3, %r2, l14
end:
exit`

func TestLoopDepth(t *testing.T) {
	p, err := asm.Assemble(sieveSrc)
	if err != nil {
		t.Fatal(err)
	}
	c, err := lower(&amd64Backend{}, p, nil, Config{StackSize: 512, MaxCallDepth: 8, Key: randKey})
	if err != nil {
		t.Fatal(err)
	}
	depth := loopDepth(p, c.block)
	want := map[int]int{0: 0, 1: 0, 4: 1, 8: 1, 12: 1, 15: 1, 16: 0, 19: 0, 24: 2, 26: 2, 28: 2, 29: 1, 36: 1, 41: 1, 42: 0, 46: 1, 49: 1, 50: 0}
	for pc, d := range want {
		if depth[pc] != d {
			t.Errorf("pc %d: depth %d, want %d", pc, depth[pc], d)
		}
	}
	// A self-loop, a loop in a local function and an irreducible pair
	// (two entries: no header dominates the other).
	p, err = asm.Assemble(`mov %r0, 0
l:
add %r0, 1
jlt %r0, 9, l
call local f
jeq %r0, 1, b
a:
add %r0, 1
jlt %r0, 20, b
exit
b:
add %r0, 2
jlt %r0, 20, a
exit
f:
mov %r1, 0
g:
add %r1, 1
jlt %r1, 5, g
exit`)
	if err != nil {
		t.Fatal(err)
	}
	c, err = lower(&amd64Backend{}, p, nil, Config{StackSize: 512, MaxCallDepth: 8, Key: randKey})
	if err != nil {
		t.Fatal(err)
	}
	depth = loopDepth(p, c.block)
	if got, want := fmt.Sprint(depth), "[0 1 1 0 0 0 0 0 0 0 0 0 1 1 0 0]"; got != want {
		t.Errorf("depths %s, want %s", got, want)
	}
}

// lowerAMD64 compiles src for amd64 and returns the backend after it.
func lowerAMD64(t *testing.T, src string, opts *vm.Options) (*amd64Backend, *code) {
	t.Helper()
	p, err := asm.Assemble(src)
	if err != nil {
		t.Fatal(err)
	}
	vp, err := vm.Load(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	o := vp.Options()
	b := &amd64Backend{}
	c, err := lower(b, vp.Resolved(), vp.Facts(), Config{StackSize: o.StackSize, MaxCallDepth: o.MaxCallDepth, BigEndian: o.Order == binary.BigEndian, Key: randKey})
	if err != nil {
		t.Fatal(err)
	}
	return b, c
}

// decoded is one decoded instruction at offset off.
type decoded struct {
	off int
	x86asm.Inst
}

func decodeAll(t *testing.T, code []byte) []decoded {
	t.Helper()
	var out []decoded
	for off := 0; off < len(code); {
		in, err := x86asm.Decode(code[off:], 64)
		if err != nil {
			t.Fatalf("offset %#x: %v", off, err)
		}
		out = append(out, decoded{off, in})
		off += in.Len
	}
	return out
}

// family returns the 64-bit register (as an x.Reg) a decoded register
// belongs to, or -1.
func family(r x86asm.Reg) int {
	switch {
	case r >= x86asm.AL && r <= x86asm.BL:
		return int(r - x86asm.AL)
	case r >= x86asm.AH && r <= x86asm.BH:
		return int(r - x86asm.AH)
	case r >= x86asm.SPB && r <= x86asm.R15B:
		return int(r-x86asm.SPB) + 4
	case r >= x86asm.AX && r <= x86asm.R15W:
		return int(r - x86asm.AX)
	case r >= x86asm.EAX && r <= x86asm.R15L:
		return int(r - x86asm.EAX)
	case r >= x86asm.RAX && r <= x86asm.R15:
		return int(r - x86asm.RAX)
	}
	return -1
}

// checksumSrc is bench/checksum.o's main loop: r0..r6 only, proven
// input loads.
const checksumSrc = `mov %r0, 0
mov %r3, 0
jlt %r2, 2, tail
mov %r4, 0
mov %r5, 0
mov %r3, 0
loop:
mov %r0, %r1
add %r0, %r4
ldxb %r6, [%r0+1]
ldxb %r0, [%r0+0]
lsh %r0, 8
or %r0, %r6
add %r0, %r5
add %r3, 2
mov %r6, %r4
add %r6, 3
mov %r4, %r3
mov %r5, %r0
jlt %r6, %r2, loop
tail:
exit`

// The input delta of a program that leaves registers free lives in one:
// the proven loads address with it and read no frame slot, the entry stubs
// load it from the state, and no other code writes it. With every register
// used, the delta comes from the frame.
func TestAMD64PinnedDelta(t *testing.T) {
	const pc = 8 // ldxb %r6, [%r0+1]
	b, c := lowerAMD64(t, checksumSrc, nil)
	w := cDelta + vm.RegionInput - vm.RegionStack
	pin := b.pin[w]
	if pin == 0 {
		t.Fatalf("input delta not pinned: %v", b.pin)
	}
	if pin != x.R12 && pin != x.R13 && pin != x.R14 {
		t.Errorf("input delta in %v, not the register of r7, r8 or r9", pin)
	}
	ins := decodeAll(t, c.bytes)
	entry := b.labels[b.entry]
	start := b.labels[b.startL]
	slot := int64(fCache + 8*w)
	loads := 0
	for _, in := range ins {
		for i, a := range in.Args {
			if m, ok := a.(x86asm.Mem); ok && m.Base == x86asm.RSP && m.Disp == slot {
				t.Errorf("%#x: %v reads the frame slot of the pinned delta", in.off, in)
			}
			if r, ok := a.(x86asm.Reg); ok && i == 0 && family(r) == int(pin) && in.off < min(entry, start) &&
				in.Op != x86asm.CMP && in.Op != x86asm.TEST {
				t.Errorf("%#x: %v writes the pinned %v", in.off, in, pin)
			}
		}
		if r, ok := in.Args[0].(x86asm.Reg); ok && in.off >= min(entry, start) && in.Op == x86asm.MOV && family(r) == int(pin) {
			if m, ok := in.Args[1].(x86asm.Mem); ok && m.Base == x86asm.RAX && m.Disp == int64(stCache+8*w) {
				loads++
			}
		}
	}
	if loads != 2 {
		t.Errorf("%d loads of the pinned delta from state.cache, want 2 (both entry stubs)", loads)
	}
	first := ins[0]
	for _, in := range ins {
		if in.off == c.pcOff[pc] {
			first = in
		}
	}
	m, ok := first.Args[1].(x86asm.Mem)
	if first.Op != x86asm.MOVZX || !ok || family(m.Base) != int(pin) && family(m.Index) != int(pin) {
		t.Errorf("pc %d: %v, want a movzx addressed with %v", pc, first, pin)
	}

	// The same with r7..r9 used: no register is free.
	src := "mov %r7, 0\nmov %r8, 0\nmov %r9, 0\n" + checksumSrc
	b, c = lowerAMD64(t, src, nil)
	if b.pin != [cacheLen]x.Reg{} || len(b.free) != 0 {
		t.Fatalf("pinned %v with every register used", b.pin)
	}
	for _, in := range decodeAll(t, c.bytes) {
		if in.off == c.pcOff[pc+3] {
			src, ok := in.Args[1].(x86asm.Mem)
			if in.Op != x86asm.MOV || !ok || src.Base != x86asm.RSP || src.Disp != slot {
				t.Errorf("pc %d: %v, want the delta loaded from the frame", pc+3, in)
			}
		}
	}
}

// The ranking puts the stores of sieve's inner loop first: the input delta
// and write permission, then the speculated load of the outer loop.
func TestAMD64PinRanking(t *testing.T) {
	b, _ := lowerAMD64(t, sieveSrc, nil)
	if len(b.free) != 3 {
		t.Fatalf("free %v, want r7..r9's", b.free)
	}
	for _, w := range []int{cDelta + vm.RegionInput - vm.RegionStack, cPerm + vm.RegionInput - vm.RegionInput} {
		if b.pin[w] == 0 {
			t.Errorf("word %d not pinned: %v", w, b.pin)
		}
	}
	n := 0
	for _, r := range b.pin {
		if r != 0 {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d words pinned, want 3", n)
	}
}

// pinnedCallbackSrc leaves r6, r8 and r9 free: the amd64 backend pins the
// input delta and write permission (the main loop) and the stack delta
// (the callback's loop). The callback runs through a helper (m.CallLocal)
// and re-enters native code, yields in long loops, and may fault; the
// main code then uses the pins again after the helper returns. f, the
// callback, is appended; the main code also calls it (so that the verifier
// proves its stack accesses), and its pc is patched into the lddw.
const pinnedCallbackSrc = `mov %r7, %r1
mov %r0, 0
jlt %r2, 16, out
mov %r3, 0
sum:
mov %r4, %r7
add %r4, %r3
ldxb %r5, [%r4+0]
add %r0, %r5
stxb [%r4+0], %r0
add %r3, 1
jlt %r3, 16, sum
stxdw [%r10-8], %r0
mov %r1, 9
mov %r2, %r7
call local f
stxdw [%r10-16], %r0
lddw %r2, 0
mov %r1, 4
mov %r3, %r7
call 10
ldxdw %r1, [%r10-8]
add %r0, %r1
ldxdw %r1, [%r10-16]
add %r0, %r1
stxb [%r7+1], %r0
ldxb %r1, [%r7+2]
add %r0, %r1
out:
exit
f:
`

func TestPinnedCallback(t *testing.T) {
	seen := map[string]int{}
	hs := testHelpers()
	hs.Register(vm.Helper{ID: 10, Name: "loop", Fn: func(m *vm.Memory, n, fn, ctx, _, _ uint64) (uint64, error) {
		var sum uint64
		for i := uint64(0); i < n; i++ {
			r, err := m.CallLocal(int(fn), i, ctx, 0, 0, 0)
			if err != nil {
				return 0, err
			}
			sum += r
		}
		return sum, nil
	}})
	for name, body := range map[string]string{
		// r1 = i, r2 = ctx (the input)
		"stack": `mov %r5, %r10
add %r5, -64
mov %r0, 0
mov %r3, 0
spin:
stxdw [%r5+0], %r0
ldxdw %r4, [%r5+0]
add %r0, %r4
add %r0, %r1
add %r3, 1
jlt %r3, 40, spin
ldxb %r4, [%r2+3]
add %r0, %r4
exit`,
		"fault": `mov %r5, %r10
add %r5, -64
stxdw [%r5+0], %r1
ldxdw %r0, [%r5+0]
jne %r1, 3, ok
ldxb %r0, [%r1+0]
ok:
exit`,
	} {
		p, err := asm.Assemble(pinnedCallbackSrc + body)
		if err != nil {
			t.Fatal(err)
		}
		f, err := asm.Assemble(pinnedCallbackSrc + "exit")
		if err != nil {
			t.Fatal(err)
		}
		for pc, ins := range p {
			if ins.Opcode == isa.OpLDDW && ins.Dst == 2 {
				p[pc].Src, p[pc].Imm = isa.LDDWCodeAddr, int64(len(f)-1-pc-1)
			}
		}
		opts := &vm.Options{Helpers: hs, ResolveLDDW: func(pc int, ins isa.Instruction) (uint64, error) {
			return uint64(pc + 1 + int(int32(ins.Imm))), nil
		}}
		vp, err := vm.Load(p, opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := usedRegs(vp.Resolved()); got&(1<<6|1<<8|1<<9) != 0 {
			t.Fatalf("%s: uses %#x", name, got)
		}
		b := &amd64Backend{}
		o := vp.Options()
		if _, err := lower(b, vp.Resolved(), vp.Facts(), Config{StackSize: o.StackSize, MaxCallDepth: o.MaxCallDepth, Key: randKey}); err != nil {
			t.Fatal(err)
		}
		for _, w := range []int{cDelta + vm.RegionInput - vm.RegionStack, cPerm + vm.RegionInput - vm.RegionInput, cDelta} {
			if b.pin[w] == 0 {
				t.Errorf("%s: word %d not pinned: %v", name, w, b.pin)
			}
		}
		if !Supported() {
			continue
		}
		for _, yield := range []uint64{0, 3, 7, 50} {
			jp, err := Compile(vp, &Options{YieldEvery: yield})
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range []int{8, 16, 40} {
				for _, ro := range []bool{false, true} {
					for _, budget := range []uint64{0, 90, 200, 1000} {
						m1, m2 := make([]byte, n), make([]byte, n)
						for i := range m1 {
							m1[i], m2[i] = byte(i*5+1), byte(i*5+1)
						}
						r1, e1 := vp.Run(&vm.Env{Mem: m1, MemReadOnly: ro, Budget: budget})
						r2, e2 := jp.Run(&vm.Env{Mem: m2, MemReadOnly: ro, Budget: budget})
						compare(t, fmt.Sprintf("%s, yield %d, %d bytes, read-only %v, budget %d", name, yield, n, ro, budget), r1, e1, r2, e2, m1, m2)
						var ve *vm.Error
						switch {
						case e2 == nil && r2.Insns > 200:
							seen["done"]++
						case !errors.As(e2, &ve):
						case ve.Kind == vm.KindBudget && ve.PC >= len(f)-1:
							seen["budget in callback"]++
						case ve.Fault == vm.FaultPermission:
							seen["permission"]++
						case ve.Fault == vm.FaultNull && ve.PC >= len(f)-1:
							seen["fault in callback"]++
						}
					}
				}
			}
			jp.Close()
		}
	}
	if Supported() {
		for _, k := range []string{"done", "budget in callback", "permission", "fault in callback"} {
			if seen[k] == 0 {
				t.Errorf("no run ended with %s: %v", k, seen)
			}
		}
	}
}
