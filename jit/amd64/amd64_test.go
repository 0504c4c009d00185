package amd64

import (
	"fmt"
	"testing"

	"golang.org/x/arch/x86/x86asm"
)

var allRegs = []Reg{RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15}

func r64(r Reg) x86asm.Reg { return x86asm.RAX + x86asm.Reg(r) }
func r32(r Reg) x86asm.Reg { return x86asm.EAX + x86asm.Reg(r) }
func r16(r Reg) x86asm.Reg { return x86asm.AX + x86asm.Reg(r) }
func r8(r Reg) x86asm.Reg {
	if r >= 4 && r < 8 {
		return x86asm.SPB + x86asm.Reg(r-4)
	}
	if r >= 8 {
		return x86asm.R8B + x86asm.Reg(r-8)
	}
	return x86asm.AL + x86asm.Reg(r)
}

func rw(r Reg, w bool) x86asm.Reg {
	if w {
		return r64(r)
	}
	return r32(r)
}

// mems are memory operands covering the special bases (rsp, rbp, r12, r13),
// every displacement size and an index.
var mems = []Mem{M(RAX, 0), M(RSP, 8), M(RBP, 0), M(R12, -4), M(R13, 0), M(R15, 300), M(RDX, -129),
	MI(RAX, RCX, 1, 0), MI(R13, R9, 8, 16), MI(RSP, R12, 4, -1000)}

func xm(m Mem) x86asm.Mem {
	o := x86asm.Mem{Base: r64(m.Base), Disp: int64(m.Disp)}
	if m.Scale != 0 {
		o.Index, o.Scale = r64(m.Index), m.Scale
	} else {
		o.Scale = 1
	}
	return o
}

// check decodes b as one instruction and compares it with op and args.
func check(t *testing.T, what string, b []byte, op x86asm.Op, args ...x86asm.Arg) x86asm.Inst {
	t.Helper()
	inst, err := x86asm.Decode(b, 64)
	if err != nil {
		t.Fatalf("%s: % x: %v", what, b, err)
	}
	if inst.Len != len(b) {
		t.Fatalf("%s: % x: decoded %d of %d bytes: %v", what, b, inst.Len, len(b), inst)
	}
	bad := inst.Op != op
	norm := func(a x86asm.Arg) x86asm.Arg {
		switch v := a.(type) {
		case x86asm.Mem:
			if v.Scale == 0 {
				v.Scale = 1
			}
			v.Disp = int64(int32(v.Disp))
			return v
		case x86asm.Imm:
			return x86asm.Imm(int32(v))
		}
		return a
	}
	for i, a := range args {
		if fmt.Sprint(norm(inst.Args[i])) != fmt.Sprint(norm(a)) {
			bad = true
		}
	}
	if bad {
		t.Fatalf("%s: % x decodes as %v (%s), want %v %v", what, b, inst, x86asm.IntelSyntax(inst, 0, nil), op, args)
	}
	return inst
}

func enc(f func(a *Asm)) []byte {
	var a Asm
	f(&a)
	return a.B
}

func TestALU(t *testing.T) {
	ops := map[ALU]x86asm.Op{ADD: x86asm.ADD, OR: x86asm.OR, AND: x86asm.AND, SUB: x86asm.SUB, XOR: x86asm.XOR, CMP: x86asm.CMP}
	for op, xop := range ops {
		for _, w := range []bool{false, true} {
			for _, d := range allRegs {
				for _, s := range allRegs {
					check(t, "alurr", enc(func(a *Asm) { a.ALURR(op, w, d, s) }), xop, rw(d, w), rw(s, w))
				}
				for _, imm := range []int32{0, 1, -1, 127, -128, 128, 1 << 30, -1 << 31} {
					check(t, "aluri", enc(func(a *Asm) { a.ALURI(op, w, d, imm) }), xop, rw(d, w), x86asm.Imm(imm))
				}
				for _, m := range mems {
					check(t, "alurm", enc(func(a *Asm) { a.ALURM(op, w, d, m) }), xop, rw(d, w), xm(m))
					check(t, "alumr", enc(func(a *Asm) { a.ALUMR(op, w, m, d) }), xop, xm(m), rw(d, w))
				}
			}
		}
	}
}

func TestMovLoadStore(t *testing.T) {
	for _, d := range allRegs {
		for _, s := range allRegs {
			check(t, "mov64", enc(func(a *Asm) { a.MovRR(true, d, s) }), x86asm.MOV, r64(d), r64(s))
			check(t, "mov32", enc(func(a *Asm) { a.MovRR(false, d, s) }), x86asm.MOV, r32(d), r32(s))
			check(t, "imul", enc(func(a *Asm) { a.IMulRR(true, d, s) }), x86asm.IMUL, r64(d), r64(s))
			check(t, "imul3", enc(func(a *Asm) { a.IMulRRI(false, d, s, -5) }), x86asm.IMUL, r32(d), r32(s), x86asm.Imm(-5))
			check(t, "movzx8", enc(func(a *Asm) { a.Movzx(d, s, 8) }), x86asm.MOVZX, r32(d), r8(s))
			check(t, "movzx16", enc(func(a *Asm) { a.Movzx(d, s, 16) }), x86asm.MOVZX, r32(d), r16(s))
			check(t, "movsx8", enc(func(a *Asm) { a.Movsx(true, d, s, 8) }), x86asm.MOVSX, r64(d), r8(s))
			check(t, "movsx16", enc(func(a *Asm) { a.Movsx(false, d, s, 16) }), x86asm.MOVSX, r32(d), r16(s))
			check(t, "movsxd", enc(func(a *Asm) { a.Movsx(true, d, s, 32) }), x86asm.MOVSXD, r64(d), r32(s))
			check(t, "test", enc(func(a *Asm) { a.TestRR(true, d, s) }), x86asm.TEST, r64(d), r64(s))
			check(t, "cmov", enc(func(a *Asm) { a.Cmov(CondL, true, d, s) }), x86asm.CMOVL, r64(d), r64(s))
		}
		for _, v := range []uint64{0, 1, 0xffffffff, 1 << 32, 0xffffffff80000000, 0x123456789abcdef0} {
			b := enc(func(a *Asm) { a.MovRI64(d, v) })
			inst, err := x86asm.Decode(b, 64)
			if err != nil || inst.Len != len(b) {
				t.Fatalf("movri64 %v %#x: % x", d, v, b)
			}
			var got uint64
			switch {
			case inst.Op == x86asm.XOR:
				got = 0
			case inst.Args[0] == r32(d):
				got = uint64(uint32(inst.Args[1].(x86asm.Imm)))
			case inst.Args[0] == r64(d):
				got = uint64(inst.Args[1].(x86asm.Imm))
			default:
				t.Fatalf("movri64: %v", inst)
			}
			if got != v {
				t.Fatalf("movri64 %v %#x: %v", d, v, inst)
			}
		}
		for _, m := range mems {
			check(t, "load8", enc(func(a *Asm) { a.Load(d, m, 1, false) }), x86asm.MOVZX, r32(d), xm(m))
			check(t, "load8s", enc(func(a *Asm) { a.Load(d, m, 1, true) }), x86asm.MOVSX, r64(d), xm(m))
			check(t, "load16", enc(func(a *Asm) { a.Load(d, m, 2, false) }), x86asm.MOVZX, r32(d), xm(m))
			check(t, "load16s", enc(func(a *Asm) { a.Load(d, m, 2, true) }), x86asm.MOVSX, r64(d), xm(m))
			check(t, "load32", enc(func(a *Asm) { a.Load(d, m, 4, false) }), x86asm.MOV, r32(d), xm(m))
			check(t, "load32s", enc(func(a *Asm) { a.Load(d, m, 4, true) }), x86asm.MOVSXD, r64(d), xm(m))
			check(t, "load64", enc(func(a *Asm) { a.Load(d, m, 8, false) }), x86asm.MOV, r64(d), xm(m))
			check(t, "store8", enc(func(a *Asm) { a.Store(m, d, 1) }), x86asm.MOV, xm(m), r8(d))
			check(t, "store16", enc(func(a *Asm) { a.Store(m, d, 2) }), x86asm.MOV, xm(m), r16(d))
			check(t, "store32", enc(func(a *Asm) { a.Store(m, d, 4) }), x86asm.MOV, xm(m), r32(d))
			check(t, "store64", enc(func(a *Asm) { a.Store(m, d, 8) }), x86asm.MOV, xm(m), r64(d))
			check(t, "lea", enc(func(a *Asm) { a.Lea(d, m) }), x86asm.LEA, r64(d), xm(m))
			check(t, "xadd", enc(func(a *Asm) { a.LockXadd(true, m, d) }), x86asm.XADD, xm(m), r64(d))
			check(t, "xchg", enc(func(a *Asm) { a.Xchg(false, m, d) }), x86asm.XCHG, xm(m), r32(d))
			check(t, "cmpxchg", enc(func(a *Asm) { a.LockCmpxchg(true, m, d) }), x86asm.CMPXCHG, xm(m), r64(d))
			check(t, "lockadd", enc(func(a *Asm) { a.LockALUMR(ADD, false, m, d) }), x86asm.ADD, xm(m), r32(d))
		}
	}
	for _, m := range mems {
		check(t, "st8", enc(func(a *Asm) { a.StoreImm(m, -2, 1) }), x86asm.MOV, xm(m), x86asm.Imm(0xfe))
		check(t, "st16", enc(func(a *Asm) { a.StoreImm(m, 0x1234, 2) }), x86asm.MOV, xm(m), x86asm.Imm(0x1234))
		check(t, "st32", enc(func(a *Asm) { a.StoreImm(m, -5, 4) }), x86asm.MOV, xm(m), x86asm.Imm(-5))
		check(t, "st64", enc(func(a *Asm) { a.StoreImm(m, -5, 8) }), x86asm.MOV, xm(m), x86asm.Imm(-5))
		check(t, "testm", enc(func(a *Asm) { a.TestMI8(m, 2) }), x86asm.TEST, xm(m), x86asm.Imm(2))
		check(t, "alumi", enc(func(a *Asm) { a.ALUMI(SUB, true, m, 1000) }), x86asm.SUB, xm(m), x86asm.Imm(1000))
		check(t, "jmpm", enc(func(a *Asm) { a.JmpM(m) }), x86asm.JMP, xm(m))
	}
	// LOCK prefixes.
	for _, b := range [][]byte{enc(func(a *Asm) { a.LockXadd(true, M(RAX, 0), RCX) }), enc(func(a *Asm) { a.LockCmpxchg(false, M(RDX, 0), RBX) }), enc(func(a *Asm) { a.LockALUMR(OR, true, M(R12, 8), R9) })} {
		inst, _ := x86asm.Decode(b, 64)
		if inst.Prefix[0]&0xff != x86asm.PrefixLOCK&0xff {
			t.Fatalf("% x: no lock prefix: %v", b, inst)
		}
	}
}

func TestShiftsAndOthers(t *testing.T) {
	shifts := map[Shift]x86asm.Op{SHL: x86asm.SHL, SHR: x86asm.SHR, SAR: x86asm.SAR}
	for _, r := range allRegs {
		for op, xop := range shifts {
			check(t, "shri", enc(func(a *Asm) { a.ShiftRI(op, true, r, 63) }), xop, r64(r), x86asm.Imm(63))
			check(t, "shrcl", enc(func(a *Asm) { a.ShiftRCL(op, false, r) }), xop, r32(r), x86asm.CL)
		}
		check(t, "rol16", enc(func(a *Asm) { a.Rol16(r) }), x86asm.ROL, r16(r), x86asm.Imm(8))
		check(t, "bswap32", enc(func(a *Asm) { a.Bswap(false, r) }), x86asm.BSWAP, r32(r))
		check(t, "bswap64", enc(func(a *Asm) { a.Bswap(true, r) }), x86asm.BSWAP, r64(r))
		check(t, "neg", enc(func(a *Asm) { a.Unary(NEG, true, r) }), x86asm.NEG, r64(r))
		check(t, "div", enc(func(a *Asm) { a.Unary(DIV, false, r) }), x86asm.DIV, r32(r))
		check(t, "idiv", enc(func(a *Asm) { a.Unary(IDIV, true, r) }), x86asm.IDIV, r64(r))
		check(t, "testri", enc(func(a *Asm) { a.TestRI(true, r, 7) }), x86asm.TEST, r64(r), x86asm.Imm(7))
		check(t, "movri32", enc(func(a *Asm) { a.MovRI32(r, 0xdeadbeef) }), x86asm.MOV, r32(r), x86asm.Imm(0xdeadbeef))
	}
	check(t, "cqo", enc(func(a *Asm) { a.CQO(true) }), x86asm.CQO)
	check(t, "cdq", enc(func(a *Asm) { a.CQO(false) }), x86asm.CDQ)
	check(t, "ret", enc(func(a *Asm) { a.Ret() }), x86asm.RET)
	for n := 1; n < 10; n++ {
		b := make([]byte, n)
		NopFill(b)
		check(t, fmt.Sprintf("nop %d", n), b, x86asm.NOP)
	}
	b := make([]byte, 23)
	NopFill(b)
	for len(b) > 0 {
		inst, err := x86asm.Decode(b, 64)
		if err != nil || inst.Op != x86asm.NOP {
			t.Fatalf("nop fill: % x: %v %v", b, inst, err)
		}
		b = b[inst.Len:]
	}
}

func TestJumps(t *testing.T) {
	conds := map[Cond]x86asm.Op{CondE: x86asm.JE, CondNE: x86asm.JNE, CondA: x86asm.JA, CondAE: x86asm.JAE, CondB: x86asm.JB,
		CondBE: x86asm.JBE, CondG: x86asm.JG, CondGE: x86asm.JGE, CondL: x86asm.JL, CondLE: x86asm.JLE}
	for c, op := range conds {
		var a Asm
		a.Ret()
		pos := a.Jcc(c)
		PatchRel32(a.B, pos, 0)
		check(t, "jcc", a.B[1:], op, x86asm.Rel(-7))
	}
	var a Asm
	pos := a.Jmp()
	PatchRel32(a.B, pos, 100)
	check(t, "jmp", a.B, x86asm.JMP, x86asm.Rel(95))
	a = Asm{}
	pos = a.LeaRIP(R11)
	PatchRel32(a.B, pos, 0)
	check(t, "learip", a.B, x86asm.LEA, r64(R11), x86asm.Mem{Base: x86asm.RIP, Disp: -7, Scale: 1})
}
