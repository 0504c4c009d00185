package asm

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/iovm/iovm/isa"
)

type I = isa.Instruction

func TestAssembleConformance(t *testing.T) {
	tests := []struct {
		src  string
		want []I
	}{
		{"lddw %r0, 0x123456789", []I{{Opcode: 0x18, Imm: 0x123456789}}},
		{"lddw %r0, 0xffffffffffffffff", []I{{Opcode: 0x18, Imm: -1}}},
		{"lddw %r0, 0x8000000000000000", []I{{Opcode: 0x18, Imm: -1 << 63}}},
		{"lddw r9, -0x8000000000000000", []I{{Opcode: 0x18, Dst: 9, Imm: -1 << 63}}},
		{"mov32 %r0, -1", []I{{Opcode: 0xb4, Imm: -1}}},
		{"mov32 %r0, 0xFFFFFFFF", []I{{Opcode: 0xb4, Imm: -1}}},
		{"mov %r0, 0x80000000", []I{{Opcode: 0xb7, Imm: -0x80000000}}},
		{"neg %r0", []I{{Opcode: 0x87}}},
		{"neg32 %r3", []I{{Opcode: 0x84, Dst: 3}}},
		{"stxdw [%r10-8], %r1", []I{{Opcode: 0x7b, Dst: 10, Src: 1, Offset: -8}}},
		{"  STXDW\t[ %R10 - 8 ] ,r1   # spaces", []I{{Opcode: 0x7b, Dst: 10, Src: 1, Offset: -8}}},
		{"ldxw %r0, [%r1]", []I{{Opcode: 0x61, Src: 1}}},
		{"ldxh %r0, [%r1+0x10]", []I{{Opcode: 0x69, Src: 1, Offset: 16}}},
		{"ldxsb %r0, [%r1+2]", []I{{Opcode: 0x91, Src: 1, Offset: 2}}},
		{"stb [%r1+2], 0x11", []I{{Opcode: 0x72, Dst: 1, Offset: 2, Imm: 0x11}}},
		{"sth [%r1-2], -1", []I{{Opcode: 0x6a, Dst: 1, Offset: -2, Imm: -1}}},
		{"add %r1, %r2", []I{{Opcode: 0x0f, Dst: 1, Src: 2}}},
		{"add32 %r1, 5", []I{{Opcode: 0x04, Dst: 1, Imm: 5}}},
		{"sdiv %r1, %r2", []I{{Opcode: 0x3f, Dst: 1, Src: 2, Offset: 1}}},
		{"smod32 %r1, -3", []I{{Opcode: 0x94, Dst: 1, Offset: 1, Imm: -3}}},
		{"movsx832 %r1, %r2", []I{{Opcode: 0xbc, Dst: 1, Src: 2, Offset: 8}}},
		{"movsx3264 %r1, %r2", []I{{Opcode: 0xbf, Dst: 1, Src: 2, Offset: 32}}},
		{"le16 %r1", []I{{Opcode: 0xd4, Dst: 1, Imm: 16}}},
		{"be64 %r1", []I{{Opcode: 0xdc, Dst: 1, Imm: 64}}},
		{"bswap32 %r1", []I{{Opcode: 0xd7, Dst: 1, Imm: 32}}},
		{"swap16 %r1", []I{{Opcode: 0xd7, Dst: 1, Imm: 16}}},
		{"lock add [%r1+4], %r2", []I{{Opcode: 0xdb, Dst: 1, Src: 2, Offset: 4}}},
		{"lock or32 [%r1], %r2", []I{{Opcode: 0xc3, Dst: 1, Src: 2, Imm: 0x40}}},
		{"lock fetch xor [%r1], %r2", []I{{Opcode: 0xdb, Dst: 1, Src: 2, Imm: 0xa1}}},
		{"lock xchg32 [%r1], %r2", []I{{Opcode: 0xc3, Dst: 1, Src: 2, Imm: 0xe1}}},
		{"lock fetch32 and [%r1], %r2", []I{{Opcode: 0xc3, Dst: 1, Src: 2, Imm: 0x51}}},
		{"lock32 cmpxchg [%r1], %r2", []I{{Opcode: 0xc3, Dst: 1, Src: 2, Imm: 0xf1}}},
		{"lock cmpxchg [%r1-8], %r2", []I{{Opcode: 0xdb, Dst: 1, Src: 2, Offset: -8, Imm: 0xf1}}},
		{"ja +1\nexit\nexit", []I{{Opcode: 0x05, Offset: 1}, {Opcode: 0x95}, {Opcode: 0x95}}},
		{"ja32 -1", []I{{Opcode: 0x06, Imm: -1}}},
		{"gotol l\nl:", []I{{Opcode: 0x06}}},
		{"jeq %r1, 0x1, exit\nmov %r0, 1\nexit:\nexit", []I{{Opcode: 0x15, Dst: 1, Offset: 1, Imm: 1}, {Opcode: 0xb7, Imm: 1}, {Opcode: 0x95}}},
		{"jsgt32 %r1, %r2, -1", []I{{Opcode: 0x6e, Dst: 1, Src: 2, Offset: -1}}},
		{"jset %r1, 0x80, 2", []I{{Opcode: 0x45, Dst: 1, Offset: 2, Imm: 0x80}}},
		{"call 5", []I{{Opcode: 0x85, Imm: 5}}},
		{"call %r3", []I{{Opcode: 0x8d, Dst: 3}}},
		{"callx r3", []I{{Opcode: 0x8d, Dst: 3}}},
		{"call local f\nexit\nf:\nexit", []I{{Opcode: 0x85, Src: 1, Imm: 1}, {Opcode: 0x95}, {Opcode: 0x95}}},
		{"call local -1", []I{{Opcode: 0x85, Src: 1, Imm: -1}}},
		{"call btf 7", []I{{Opcode: 0x85, Src: 2, Imm: 7}}},
		{"ldabsw 0x10", []I{{Opcode: 0x20, Imm: 16}}},
		{"ldindb %r1, 3", []I{{Opcode: 0x50, Src: 1, Imm: 3}}},
		{"lddw %r1, map_fd(3)", []I{{Opcode: 0x18, Dst: 1, Src: 1, Imm: 3}}},
		{"lddw %r1, map_value_idx(3, 8)", []I{{Opcode: 0x18, Dst: 1, Src: 6, Imm: 8<<32 | 3}}},
		{".insn 0xff, 15, 14, -1, -2", []I{{Opcode: 0xff, Dst: 15, Src: 14, Offset: -1, Imm: -2}}},
		{"a: b:\nja a\n// c comment\n; another\nja b", []I{{Opcode: 0x05, Offset: -1}, {Opcode: 0x05, Offset: -2}}},
	}
	for _, tt := range tests {
		p, err := Assemble(tt.src)
		if err != nil {
			t.Errorf("%q: %v", tt.src, err)
			continue
		}
		want := isa.Program{}.Append(tt.want...)
		if diff := cmp.Diff(want, p); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.src, diff)
		}
	}
}

func TestAssembleLLVM(t *testing.T) {
	tests := []struct {
		src  string
		want []I
	}{
		{"r0 = 1", []I{{Opcode: 0xb7, Imm: 1}}},
		{"w1 += w2", []I{{Opcode: 0x0c, Dst: 1, Src: 2}}},
		{"r1 = be16 r1", []I{{Opcode: 0xdc, Dst: 1, Imm: 16}}},
		{"r1 = le64 r1", []I{{Opcode: 0xd4, Dst: 1, Imm: 64}}},
		{"r1 = bswap32 r1", []I{{Opcode: 0xd7, Dst: 1, Imm: 32}}},
		{"if r1 s> 5 goto +3", []I{{Opcode: 0x65, Dst: 1, Offset: 3, Imm: 5}}},
		{"if w1 == w2 goto -2", []I{{Opcode: 0x1e, Dst: 1, Src: 2, Offset: -2}}},
		{"if r1 & 0x10 goto +0", []I{{Opcode: 0x45, Dst: 1, Imm: 16}}},
		{"if w1 s<= -3 goto +1", []I{{Opcode: 0xd6, Dst: 1, Offset: 1, Imm: -3}}},
		{"r0 = *(u32 *)(r10 - 4)", []I{{Opcode: 0x61, Src: 10, Offset: -4}}},
		{"w0 = *(u8 *)(r1 + 0)", []I{{Opcode: 0x71, Src: 1}}},
		{"r0 = *(s16 *)(r1 + 2)", []I{{Opcode: 0x89, Src: 1, Offset: 2}}},
		{"*(u32 *)(r10 - 4) = r1", []I{{Opcode: 0x63, Dst: 10, Src: 1, Offset: -4}}},
		{"*(u64 *)(r10 - 8) = -1", []I{{Opcode: 0x7a, Dst: 10, Offset: -8, Imm: -1}}},
		{"lock *(u64 *)(r1 + 0) += r2", []I{{Opcode: 0xdb, Dst: 1, Src: 2}}},
		{"lock *(u32 *)(r1 + 8) ^= w2", []I{{Opcode: 0xc3, Dst: 1, Src: 2, Offset: 8, Imm: 0xa0}}},
		{"r0 = atomic_fetch_add((u64 *)(r1 + 0), r0)", []I{{Opcode: 0xdb, Dst: 1, Imm: 1}}},
		{"w2 = atomic_fetch_and((u32 *)(r1 - 4), w2)", []I{{Opcode: 0xc3, Dst: 1, Src: 2, Offset: -4, Imm: 0x51}}},
		{"r2 = xchg_64(r1 + 0, r2)", []I{{Opcode: 0xdb, Dst: 1, Src: 2, Imm: 0xe1}}},
		{"w0 = cmpxchg32_32(r1 + 0, w0, w2)", []I{{Opcode: 0xc3, Dst: 1, Src: 2, Imm: 0xf1}}},
		{"r1 = 0x1234 ll", []I{{Opcode: 0x18, Dst: 1, Imm: 0x1234}}},
		{"r1 = -1 ll", []I{{Opcode: 0x18, Dst: 1, Imm: -1}}},
		{"r1 = 18446744073709551615 ll", []I{{Opcode: 0x18, Dst: 1, Imm: -1}}},
		{"r1 = map_value_fd(3, 8) ll", []I{{Opcode: 0x18, Dst: 1, Src: 2, Imm: 8<<32 | 3}}},
		{"ld_pseudo r1, 1, 5", []I{{Opcode: 0x18, Dst: 1, Src: 1, Imm: 5}}},
		{"call 1", []I{{Opcode: 0x85, Imm: 1}}},
		{"callx r1", []I{{Opcode: 0x8d, Dst: 1}}},
		{"call pc-2", []I{{Opcode: 0x85, Src: 1, Imm: -2}}},
		{"call f\nf:\nexit", []I{{Opcode: 0x85, Src: 1}, {Opcode: 0x95}}},
		{"call btf 9", []I{{Opcode: 0x85, Src: 2, Imm: 9}}},
		{"gotol +5", []I{{Opcode: 0x06, Imm: 5}}},
		{"goto l\nl:", []I{{Opcode: 0x05}}},
		{"r1 = (s8)r2", []I{{Opcode: 0xbf, Dst: 1, Src: 2, Offset: 8}}},
		{"w1 = (s16)w2", []I{{Opcode: 0xbc, Dst: 1, Src: 2, Offset: 16}}},
		{"r1 s/= r2", []I{{Opcode: 0x3f, Dst: 1, Src: 2, Offset: 1}}},
		{"w1 s%= 3", []I{{Opcode: 0x94, Dst: 1, Offset: 1, Imm: 3}}},
		{"r1 s>>= 3", []I{{Opcode: 0xc7, Dst: 1, Imm: 3}}},
		{"r0 = -r0", []I{{Opcode: 0x87}}},
		{"r2 = w3", []I{{Opcode: 0xbc, Dst: 2, Src: 3}}},
		{"w0 = -w0", []I{{Opcode: 0x84}}},
		{"r0 = -5", []I{{Opcode: 0xb7, Imm: -5}}},
		{"r0=*(u8*)(r1+2)", []I{{Opcode: 0x71, Src: 1, Offset: 2}}},
		{"r0 = *(u8 *)skb[5]", []I{{Opcode: 0x30, Imm: 5}}},
		{"r0 = *(u16 *)skb[r1]", []I{{Opcode: 0x48, Src: 1}}},
		{"r0 = *(u32 *)skb[r1 - 2]", []I{{Opcode: 0x40, Src: 1, Imm: -2}}},
		{"exit", []I{{Opcode: 0x95}}},
		// llvm-objdump output and clang -S output.
		{"a.o:\tfile format elf64-bpf\n\nDisassembly of section .text:\n\n0000000000000000 <prog>:\n" +
			"       0:\t15 01 01 00 00 00 00 00\tif r1 == 0 goto +1 <LBB0_2>\n" +
			"       1:\t18 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00\tr1 = 0 ll\n" +
			"\t\t0000000000000008:  R_BPF_64_64\tg\n\n0000000000000018 <LBB0_2>:\n" +
			"       3:\t95 00 00 00 00 00 00 00\texit\n",
			[]I{{Opcode: 0x15, Dst: 1, Offset: 1}, {Opcode: 0x18, Dst: 1}, {Opcode: 0x95}}},
		{"\t.text\n\t.globl\tprog   # -- Begin function prog\n\t.p2align\t3\n\t.type\tprog,@function\nprog:\n" +
			"# %bb.0:\n\tif r1 == 0 goto LBB0_2\n\tr0 = 1\nLBB0_2:\n\texit\n.Lfunc_end0:\n\t.size\tprog, .Lfunc_end0-prog\n",
			[]I{{Opcode: 0x15, Dst: 1, Offset: 1}, {Opcode: 0xb7, Imm: 1}, {Opcode: 0x95}}},
	}
	for _, tt := range tests {
		p, err := AssembleLLVM(tt.src)
		if err != nil {
			t.Errorf("%q: %v", tt.src, err)
			continue
		}
		want := isa.Program{}.Append(tt.want...)
		if diff := cmp.Diff(want, p); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.src, diff)
		}
	}
}

func TestAssembleErrors(t *testing.T) {
	tests := []struct {
		llvm      bool
		src       string
		line, col int
		msg       string
	}{
		{false, "mov %r11, 1", 1, 5, "invalid register"},
		{false, "exit\njeq %r1, 1, nowhere", 2, 13, "undefined label"},
		{false, "mov32 %r1, 0x100000000", 1, 12, "does not fit in 32 bits"},
		{false, "mov32 %r1, -0x80000001", 1, 12, "does not fit in 32 bits"},
		{false, "ldxw %r1, [%r2+32768]", 1, 15, "does not fit in 16 bits"},
		{false, "  frob %r1", 1, 3, "unknown mnemonic"},
		{false, "ldxb %r1, [%r2+", 1, 16, "expected a number"},
		{false, "mov %r1", 1, 8, "expected \",\""},
		{false, "exit %r1", 1, 6, "unexpected"},
		{false, "neg %r1, 2", 1, 8, "unexpected"},
		{false, "movsx832 %r1, 5", 1, 15, "register operand"},
		{false, "lock frob [%r1], %r2", 1, 1, "unknown atomic"},
		{false, "a:\na:", 2, 1, "already defined"},
		{false, "mov %r1, 1 @", 1, 12, "unexpected character"},
		{false, "ja 99999", 1, 4, "does not fit in 16 bits"},
		{false, "lddw %r1, 0x1_0000_0000_0000_0000", 1, 11, "64 bits"},
		{false, "mov %r1, 0x", 1, 10, "invalid number"},
		{true, "r11 = 1", 1, 1, "invalid register"},
		{true, "if r1 ~ 2 goto +1", 1, 7, "unexpected character"},
		{true, "if r1 <> 2 goto +1", 1, 8, "expected a number"},
		{true, "r1 = *(u128 *)(r2 + 0)", 1, 8, "expected a type"},
		{true, "r1 = atomic_fetch_add((u64 *)(r1 + 0), r2)", 1, 40, "source register"},
		{true, "r1 = -r2", 1, 7, "destination"},
		{true, "w1 = r2", 1, 6, "does not match"},
		{true, "r1 += w2", 1, 7, "does not match"},
		{true, "r1 = c64 ll", 1, 6, "unresolved symbol"},
		{true, "w1 = (s32)w2", 1, 1, "invalid instruction"},
		{true, "goto nowhere", 1, 6, "undefined label"},
		{true, "       6:\tc3 21 00 00 40 00 00 00\t<unknown>", 1, 35, "could not decode"},
		{true, "       6:\tb7 01 00 00 40 00 00 00\tr1 = 1 2", 1, 42, "unexpected"},
	}
	for _, tt := range tests {
		var err error
		if tt.llvm {
			_, err = AssembleLLVM(tt.src)
		} else {
			_, err = Assemble(tt.src)
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%q: error %v is not *Error", tt.src, err)
			continue
		}
		if e.Line != tt.line || (tt.col != 0 && e.Col != tt.col) || !strings.Contains(e.Msg, tt.msg) {
			t.Errorf("%q: got %d:%d %q, want %d:%d containing %q", tt.src, e.Line, e.Col, e.Msg, tt.line, tt.col, tt.msg)
		}
	}
}

func TestDisassembleFormat(t *testing.T) {
	p := isa.Program{}.Append(
		I{Opcode: 0x18, Imm: 0x123456789},
		I{Opcode: 0x15, Dst: 1, Offset: 1, Imm: 1},
		I{Opcode: 0x7b, Dst: 10, Src: 1, Offset: -8},
		I{Opcode: 0xb4, Imm: -1},
		I{Opcode: 0xb7, Imm: 0x12345},
		I{Opcode: 0x85, Src: 1, Imm: -3},
		I{Opcode: 0x8d, Dst: 2},
		I{Opcode: 0x95},
	)
	want := `lddw %r0, 0x123456789
jeq %r1, 1, +1
stxdw [%r10-8], %r1
mov32 %r0, -1
mov %r0, 0x12345
call local -3
call %r2
exit
`
	if diff := cmp.Diff(want, Disassemble(p)); diff != "" {
		t.Errorf("conformance (-want +got):\n%s", diff)
	}
	wantLLVM := `r0 = 4886718345 ll
if r1 == 1 goto +1
*(u64 *)(r10 - 8) = r1
w0 = -1
r0 = 74565
call pc-3
callx r2
exit
`
	if diff := cmp.Diff(wantLLVM, DisassembleLLVM(p)); diff != "" {
		t.Errorf("llvm (-want +got):\n%s", diff)
	}
}

func TestDetectDialect(t *testing.T) {
	for _, o := range isa.Opcodes() {
		for _, ins := range operandValues(o) {
			p := isa.Program{}.Append(ins)
			for _, d := range []Dialect{Conformance, LLVM} {
				text := DisassembleDialect(p, d)
				q, got, err := AssembleAuto(text)
				if err != nil || !cmp.Equal(p, q) {
					t.Errorf("%s: AssembleAuto(%q) = %v, %v, %v", o.Name, text, q, got, err)
				}
				other := Dialect(1 - d)
				if r, err := AssembleDialect(text, other); err == nil && cmp.Equal(p, r) {
					continue // the same text in both dialects ("exit", "call 1")
				}
				if got := DetectDialect(text); got != d {
					t.Errorf("%s: %q detected as %v", o.Name, text, got)
				}
			}
		}
	}
}
