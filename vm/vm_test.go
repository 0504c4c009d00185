package vm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unsafe"

	"github.com/iovm/iovm/asm"
	"github.com/iovm/iovm/isa"
)

var (
	le     = binary.LittleEndian
	be     = binary.BigEndian
	orders = []binary.ByteOrder{le, be}
)

func orderName(o binary.ByteOrder) string {
	if o == be {
		return "be"
	}
	return "le"
}

func assemble(t testing.TB, src string) isa.Program {
	t.Helper()
	p, err := asm.Assemble(src)
	if err != nil {
		t.Fatalf("assemble: %v\n%s", err, src)
	}
	return p
}

// load assembles src and loads it through its encoding in the given order,
// so LoadBytes and the byte-order handling are exercised too.
func load(t testing.TB, src string, opts Options) *Program {
	t.Helper()
	p := assemble(t, src)
	if opts.Order == nil {
		opts.Order = le
	}
	b, err := isa.Encode(p, opts.Order)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := LoadBytes(b, &opts)
	if err != nil {
		t.Fatalf("load: %v\n%s", err, src)
	}
	return prog
}

type want struct {
	r0    uint64
	kind  Kind      // 0: success
	fault FaultKind // for KindFault
	pc    int       // for errors, when >= 0
}

func ok(r0 uint64) want { return want{r0: r0} }
func fault(f FaultKind, pc int) want {
	return want{kind: KindFault, fault: f, pc: pc}
}

func check(t *testing.T, name string, res Result, err error, w want) {
	t.Helper()
	if w.kind == 0 {
		if err != nil {
			t.Errorf("%s: error %v, want r0 %#x", name, err, w.r0)
		} else if res.R0 != w.r0 {
			t.Errorf("%s: r0 = %#x, want %#x", name, res.R0, w.r0)
		}
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Errorf("%s: got r0 %#x err %v, want %v %v", name, res.R0, err, w.kind, w.fault)
		return
	}
	if e.Kind != w.kind || (w.kind == KindFault && e.Fault != w.fault) || (w.pc >= 0 && e.PC != w.pc) {
		t.Errorf("%s: error %v (kind %v fault %v pc %d), want %v %v pc %d", name, err, e.Kind, e.Fault, e.PC, w.kind, w.fault, w.pc)
	}
	if !errors.Is(err, w.kind) {
		t.Errorf("%s: errors.Is(err, %v) is false", name, w.kind)
	}
}

// Programs whose result does not depend on the byte order.
var aluTests = []struct {
	name string
	src  string
	want want
}{
	{"mov", "mov %r0, 42\nexit", ok(42)},
	{"mov neg sign-extends", "mov %r0, -1\nexit", ok(0xffffffffffffffff)},
	{"mov32 neg zero-extends", "mov32 %r0, -1\nexit", ok(0xffffffff)},
	{"mov32 reg zero-extends", "mov %r1, -1\nmov32 %r0, %r1\nexit", ok(0xffffffff)},
	{"lddw", "lddw %r0, 0x1122334455667788\nexit", ok(0x1122334455667788)},
	{"add", "mov %r0, 40\nadd %r0, 2\nexit", ok(42)},
	{"add reg", "mov %r0, 40\nmov %r1, 2\nadd %r0, %r1\nexit", ok(42)},
	{"add32 wraps and zero-extends", "mov %r0, -1\nadd32 %r0, 1\nexit", ok(0)},
	{"add32 drops upper", "lddw %r0, 0x100000005\nadd32 %r0, 1\nexit", ok(6)},
	{"add imm sign-extends", "mov %r0, 5\nadd %r0, -6\nexit", ok(0xffffffffffffffff)},
	{"sub", "mov %r0, 5\nsub %r0, 7\nexit", ok(0xfffffffffffffffe)},
	{"sub32", "mov %r0, 5\nsub32 %r0, 7\nexit", ok(0xfffffffe)},
	{"sub reg", "mov %r0, 5\nmov %r1, 3\nsub %r0, %r1\nexit", ok(2)},
	{"mul", "mov %r0, -3\nmul %r0, 5\nexit", ok(0xfffffffffffffff1)},
	{"mul32 overflow", "mov %r0, 0x10000\nmul32 %r0, 0x10000\nexit", ok(0)},
	{"mul reg", "mov %r0, 6\nmov %r1, 7\nmul %r0, %r1\nexit", ok(42)},
	{"div", "mov %r0, 85\ndiv %r0, 2\nexit", ok(42)},
	{"div imm sign-extended", "mov %r0, -1\ndiv %r0, -1\nexit", ok(1)},
	{"div32 imm unsigned", "mov32 %r0, -2\ndiv32 %r0, -1\nexit", ok(0)},
	{"div by zero imm", "mov %r0, 7\ndiv %r0, 0\nexit", ok(0)},
	{"div by zero reg", "mov %r0, 7\nmov %r1, 0\ndiv %r0, %r1\nexit", ok(0)},
	{"div32 by zero", "mov %r0, 7\nmov %r1, 0\ndiv32 %r0, %r1\nexit", ok(0)},
	{"div32 by zero imm", "mov %r0, 7\ndiv32 %r0, 0\nexit", ok(0)},
	{"div32 by upper-only reg", "mov %r0, 7\nlddw %r1, 0x100000000\ndiv32 %r0, %r1\nexit", ok(0)},
	{"mod", "mov %r0, 47\nmod %r0, 5\nexit", ok(2)},
	{"mod by zero imm", "mov %r0, 7\nmod %r0, 0\nexit", ok(7)},
	{"mod by zero reg", "mov %r0, 7\nmov %r1, 0\nmod %r0, %r1\nexit", ok(7)},
	{"mod32 by zero keeps low 32", "lddw %r0, 0x100000007\nmov %r1, 0\nmod32 %r0, %r1\nexit", ok(7)},
	{"mod32 by zero imm keeps low 32", "lddw %r0, 0x100000007\nmod32 %r0, 0\nexit", ok(7)},
	{"mod32", "lddw %r0, 0x100000007\nmod32 %r0, 4\nexit", ok(3)},
	{"sdiv", "mov %r0, -7\nsdiv %r0, 2\nexit", ok(0xfffffffffffffffd)},
	{"sdiv reg", "mov %r0, -7\nmov %r1, -2\nsdiv %r0, %r1\nexit", ok(3)},
	{"sdiv by zero", "mov %r0, -7\nmov %r1, 0\nsdiv %r0, %r1\nexit", ok(0)},
	{"sdiv INT_MIN/-1", "lddw %r0, 0x8000000000000000\nsdiv %r0, -1\nexit", ok(0x8000000000000000)},
	{"sdiv INT_MIN/-1 reg", "lddw %r0, 0x8000000000000000\nmov %r1, -1\nsdiv %r0, %r1\nexit", ok(0x8000000000000000)},
	{"sdiv32 INT_MIN/-1", "mov32 %r0, 0x80000000\nsdiv32 %r0, -1\nexit", ok(0x80000000)},
	{"sdiv32", "mov32 %r0, -7\nsdiv32 %r0, 2\nexit", ok(0xfffffffd)},
	{"sdiv32 by zero", "mov32 %r0, -7\nmov %r1, 0\nsdiv32 %r0, %r1\nexit", ok(0)},
	{"smod sign of dividend", "mov %r0, -7\nsmod %r0, 3\nexit", ok(0xffffffffffffffff)},
	{"smod positive dividend", "mov %r0, 7\nsmod %r0, -3\nexit", ok(1)},
	{"smod INT_MIN%-1", "lddw %r0, 0x8000000000000000\nsmod %r0, -1\nexit", ok(0)},
	{"smod by zero", "mov %r0, -7\nmov %r1, 0\nsmod %r0, %r1\nexit", ok(0xfffffffffffffff9)},
	{"smod32", "mov32 %r0, -7\nsmod32 %r0, 3\nexit", ok(0xffffffff)},
	{"smod32 by zero", "lddw %r0, 0x1fffffff9\nmov %r1, 0\nsmod32 %r0, %r1\nexit", ok(0xfffffff9)},
	{"smod32 INT_MIN%-1", "mov32 %r0, 0x80000000\nmov %r1, -1\nsmod32 %r0, %r1\nexit", ok(0)},
	{"or", "mov %r0, 0x10\nor %r0, 0x2\nexit", ok(0x12)},
	{"or32", "mov %r0, -1\nor32 %r0, 0\nexit", ok(0xffffffff)},
	{"and", "mov %r0, 0x1f\nand %r0, 0x12\nexit", ok(0x12)},
	{"and imm sign-extends", "lddw %r0, 0x1ffffffff\nand %r0, -1\nexit", ok(0x1ffffffff)},
	{"and32", "lddw %r0, 0x1ffffffff\nand32 %r0, -1\nexit", ok(0xffffffff)},
	{"xor", "mov %r0, 0x1f\nxor %r0, 0x12\nexit", ok(0xd)},
	{"xor32 reg", "mov %r0, -1\nmov %r1, 1\nxor32 %r0, %r1\nexit", ok(0xfffffffe)},
	{"lsh", "mov %r0, 1\nlsh %r0, 63\nexit", ok(0x8000000000000000)},
	{"lsh masked", "mov %r0, 1\nmov %r1, 65\nlsh %r0, %r1\nexit", ok(2)},
	{"lsh32 masked", "mov %r0, 1\nmov %r1, 33\nlsh32 %r0, %r1\nexit", ok(2)},
	{"lsh32 drops", "mov %r0, 3\nlsh32 %r0, 31\nexit", ok(0x80000000)},
	{"rsh", "mov %r0, -1\nrsh %r0, 60\nexit", ok(0xf)},
	{"rsh masked", "mov %r0, 256\nmov %r1, 68\nrsh %r0, %r1\nexit", ok(16)},
	{"rsh32 zero-extends", "lddw %r0, 0x100000010\nrsh32 %r0, 4\nexit", ok(1)},
	{"arsh", "mov %r0, -16\narsh %r0, 2\nexit", ok(0xfffffffffffffffc)},
	{"arsh reg masked", "mov %r0, -16\nmov %r1, 66\narsh %r0, %r1\nexit", ok(0xfffffffffffffffc)},
	{"arsh32", "mov32 %r0, 0x80000000\narsh32 %r0, 31\nexit", ok(0xffffffff)},
	{"arsh32 reg", "lddw %r0, 0x180000000\nmov %r1, 4\narsh32 %r0, %r1\nexit", ok(0xf8000000)},
	{"neg", "mov %r0, 5\nneg %r0\nexit", ok(0xfffffffffffffffb)},
	{"neg32", "mov %r0, 5\nneg32 %r0\nexit", ok(0xfffffffb)},
	{"neg32 INT_MIN", "mov32 %r0, 0x80000000\nneg32 %r0\nexit", ok(0x80000000)},
	{"movsx864", "mov %r1, 0x80\nmovsx864 %r0, %r1\nexit", ok(0xffffffffffffff80)},
	{"movsx1664", "mov %r1, 0x8000\nmovsx1664 %r0, %r1\nexit", ok(0xffffffffffff8000)},
	{"movsx3264", "mov32 %r1, 0x80000000\nmovsx3264 %r0, %r1\nexit", ok(0xffffffff80000000)},
	{"movsx832", "mov %r1, 0x180\nmovsx832 %r0, %r1\nexit", ok(0xffffff80)},
	{"movsx1632", "mov %r1, 0x7fff\nmovsx1632 %r0, %r1\nexit", ok(0x7fff)},
	{"movsx1632 neg", "mov %r1, 0x18000\nmovsx1632 %r0, %r1\nexit", ok(0xffff8000)},
	{"bswap16", "lddw %r0, 0x1122334455667788\nbswap16 %r0\nexit", ok(0x8877)},
	{"bswap32", "lddw %r0, 0x1122334455667788\nbswap32 %r0\nexit", ok(0x88776655)},
	{"bswap64", "lddw %r0, 0x1122334455667788\nbswap64 %r0\nexit", ok(0x8877665544332211)},

	// Jumps.
	{"ja", "mov %r0, 1\nja +1\nmov %r0, 2\nexit", ok(1)},
	{"ja32 (gotol)", "mov %r0, 1\nja32 +1\nmov %r0, 2\nexit", ok(1)},
	{"ja backwards", "mov %r0, 0\nja +2\nmov %r0, 7\nexit\nja -3", ok(7)},
	{"jeq imm", "mov %r0, 0\nmov %r1, 5\njeq %r1, 5, +1\nexit\nmov %r0, 1\nexit", ok(1)},
	{"jeq imm sign-extended", "mov %r0, 0\nmov %r1, -1\njeq %r1, -1, +1\nexit\nmov %r0, 1\nexit", ok(1)},
	{"jeq 64 vs upper bits", "mov %r0, 0\nlddw %r1, 0x100000005\njeq %r1, 5, +1\nexit\nmov %r0, 1\nexit", ok(0)},
	{"jeq32 ignores upper", "mov %r0, 0\nlddw %r1, 0x100000005\njeq32 %r1, 5, +1\nexit\nmov %r0, 1\nexit", ok(1)},
	{"jne reg", "mov %r0, 0\nmov %r1, 5\nmov %r2, 6\njne %r1, %r2, +1\nexit\nmov %r0, 1\nexit", ok(1)},
	{"jgt unsigned", "mov %r0, 0\nmov %r1, -1\njgt %r1, 5, +1\nexit\nmov %r0, 1\nexit", ok(1)},
	{"jsgt signed", "mov %r0, 0\nmov %r1, -1\njsgt %r1, 5, +1\nexit\nmov %r0, 1\nexit", ok(0)},
	{"jge equal", "mov %r0, 0\nmov %r1, 5\njge %r1, 5, +1\nexit\nmov %r0, 1\nexit", ok(1)},
	{"jlt", "mov %r0, 0\nmov %r1, 4\njlt %r1, 5, +1\nexit\nmov %r0, 1\nexit", ok(1)},
	{"jle reg", "mov %r0, 0\nmov %r1, 5\nmov %r2, 5\njle %r1, %r2, +1\nexit\nmov %r0, 1\nexit", ok(1)},
	{"jslt", "mov %r0, 0\nmov %r1, -1\njslt %r1, 0, +1\nexit\nmov %r0, 1\nexit", ok(1)},
	{"jsle", "mov %r0, 0\nmov %r1, -2\njsle %r1, -2, +1\nexit\nmov %r0, 1\nexit", ok(1)},
	{"jsge", "mov %r0, 0\nmov %r1, -2\njsge %r1, -3, +1\nexit\nmov %r0, 1\nexit", ok(1)},
	{"jset", "mov %r0, 0\nmov %r1, 6\njset %r1, 2, +1\nexit\nmov %r0, 1\nexit", ok(1)},
	{"jset miss", "mov %r0, 0\nmov %r1, 6\njset %r1, 9, +1\nexit\nmov %r0, 1\nexit", ok(0)},
	{"jset32 upper", "mov %r0, 0\nlddw %r1, 0x100000000\nlddw %r2, 0x100000000\njset32 %r1, %r2, +1\nexit\nmov %r0, 1\nexit", ok(0)},
	{"jgt32 imm", "mov %r0, 0\nmov %r1, -1\njgt32 %r1, -2, +1\nexit\nmov %r0, 1\nexit", ok(1)},
	{"jge32 equal", "mov %r0, 0\nmov32 %r1, -1\njge32 %r1, -1, +1\nexit\nmov %r0, 1\nexit", ok(1)},
	{"jsgt32", "mov %r0, 0\nlddw %r1, 0x0000000080000000\njsgt32 %r1, 0, +1\nexit\nmov %r0, 1\nexit", ok(0)},
	{"jslt32 reg", "mov %r0, 0\nlddw %r1, 0x0000000080000000\nmov %r2, 0\njslt32 %r1, %r2, +1\nexit\nmov %r0, 1\nexit", ok(1)},
	{"jsle32", "mov %r0, 0\nmov32 %r1, -5\njsle32 %r1, -5, +1\nexit\nmov %r0, 1\nexit", ok(1)},
	{"jsge32", "mov %r0, 0\nmov32 %r1, -5\njsge32 %r1, -4, +1\nexit\nmov %r0, 1\nexit", ok(0)},
	{"jlt32", "mov %r0, 0\nlddw %r1, 0x700000001\njlt32 %r1, 2, +1\nexit\nmov %r0, 1\nexit", ok(1)},
	{"jle32 reg", "mov %r0, 0\nmov %r1, 3\nlddw %r2, 0x100000002\njle32 %r1, %r2, +1\nexit\nmov %r0, 1\nexit", ok(0)},
	{"jne32", "mov %r0, 0\nlddw %r1, 0x100000000\njne32 %r1, 0, +1\nexit\nmov %r0, 1\nexit", ok(0)},
	{"loop", "mov %r0, 0\nmov %r1, 10\nloop:\nadd %r0, %r1\nsub %r1, 1\njne %r1, 0, loop\nexit", ok(55)},

	// Local calls.
	{"call local", `
		mov %r1, 3
		mov %r6, 100
		call local sq
		add %r0, %r6
		exit
	sq:
		mov %r0, %r1
		mul %r0, %r1
		mov %r6, 7
		exit`, ok(109)},
	{"call local frames", `
		stdw [%r10-8], 1
		call local f
		ldxdw %r1, [%r10-8]
		add %r0, %r1
		exit
	f:
		stdw [%r10-8], 40
		ldxdw %r0, [%r10-8]
		add %r0, 1
		exit`, ok(42)},
	{"call local r10 per frame", `
		mov %r6, %r10
		call local f
		sub %r6, %r0
		mov %r0, %r6
		exit
	f:
		mov %r0, %r10
		exit`, ok(512)},
	{"recursion overflow", `
	f:
		call local f
		exit`, fault(FaultStackOverflow, -1)},
	{"call depth 8", callChain(7), ok(7)},
	{"call depth 9", callChain(8), fault(FaultStackOverflow, -1)},

	// Stack and faults.
	{"stack", "stdw [%r10-8], 42\nldxdw %r0, [%r10-8]\nexit", ok(42)},
	{"stack bottom", "stb [%r10-512], 42\nldxb %r0, [%r10-512]\nexit", ok(42)},
	{"stack top fault", "ldxb %r0, [%r10+0]\nexit", fault(FaultOutOfBounds, 0)},
	{"stack below fault", "ldxb %r0, [%r10-4097]\nexit", fault(FaultOutOfBounds, 0)},
	{"null load", "mov %r1, 0\nldxw %r0, [%r1+4]\nexit", fault(FaultNull, 1)},
	{"null store", "mov %r1, 0\nstw [%r1+0], 1\nexit", fault(FaultNull, 1)},
	{"unmapped", "lddw %r1, 0x900000000\nldxw %r0, [%r1+0]\nexit", fault(FaultUnmapped, 2)},
	{"unmapped high id", "lddw %r1, 0x7fffffff00000000\nstxw [%r1+0], %r1\nexit", fault(FaultUnmapped, 2)},
	{"no input", "ldxb %r0, [%r1+0]\nexit", fault(FaultNull, 0)},
	{"r1 r2 without input", "mov %r0, %r1\nor %r0, %r2\nexit", ok(0)},
	{"fall off the end", "mov %r0, 1", fault(FaultInvalid, 1)},
}

// callChain returns a program nesting n local calls (n+1 frames), each in
// its own function; it returns n.
func callChain(n int) string {
	var b strings.Builder
	b.WriteString("mov %r0, 0\ncall local f1\nexit\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "f%d:\nadd %%r0, 1\n", i)
		if i < n {
			fmt.Fprintf(&b, "call local f%d\n", i+1)
		}
		b.WriteString("exit\n")
	}
	return b.String()
}

func TestALUAndJumps(t *testing.T) {
	for _, tt := range aluTests {
		for _, o := range orders {
			name := tt.name + "/" + orderName(o)
			p, err := asm.Assemble(tt.src)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			b, err := isa.Encode(p, o)
			if err != nil {
				t.Fatal(err)
			}
			prog, err := LoadBytes(b, &Options{Order: o})
			if err != nil {
				var e *Error
				if tt.want.kind != 0 && errors.As(err, &e) && e.Kind == KindLoad {
					continue // the verifier rejected it: fine for an error case
				}
				t.Errorf("%s: load: %v", name, err)
				continue
			}
			res, err := prog.Run(nil)
			check(t, name, res, err, tt.want)
		}
	}
}

// Programs whose result depends on the byte order: want[0] little-endian, want[1] big-endian.
var orderTests = []struct {
	name string
	src  string
	mem  []byte
	want [2]uint64
}{
	{"le16", "lddw %r0, 0x1122334455667788\nle16 %r0\nexit", nil, [2]uint64{0x7788, 0x8877}},
	{"le32", "lddw %r0, 0x1122334455667788\nle32 %r0\nexit", nil, [2]uint64{0x55667788, 0x88776655}},
	{"le64", "lddw %r0, 0x1122334455667788\nle64 %r0\nexit", nil, [2]uint64{0x1122334455667788, 0x8877665544332211}},
	{"be16", "lddw %r0, 0x1122334455667788\nbe16 %r0\nexit", nil, [2]uint64{0x8877, 0x7788}},
	{"be32", "lddw %r0, 0x1122334455667788\nbe32 %r0\nexit", nil, [2]uint64{0x88776655, 0x55667788}},
	{"be64", "lddw %r0, 0x1122334455667788\nbe64 %r0\nexit", nil, [2]uint64{0x8877665544332211, 0x1122334455667788}},
	{"ldxb", "ldxb %r0, [%r1+1]\nexit", []byte{1, 2, 3, 4, 5, 6, 7, 8}, [2]uint64{2, 2}},
	{"ldxh", "ldxh %r0, [%r1+2]\nexit", []byte{1, 2, 3, 4, 5, 6, 7, 8}, [2]uint64{0x0403, 0x0304}},
	{"ldxw", "ldxw %r0, [%r1+4]\nexit", []byte{1, 2, 3, 4, 5, 6, 7, 8}, [2]uint64{0x08070605, 0x05060708}},
	{"ldxdw", "ldxdw %r0, [%r1+0]\nexit", []byte{1, 2, 3, 4, 5, 6, 7, 8}, [2]uint64{0x0807060504030201, 0x0102030405060708}},
	{"ldxdw unaligned", "ldxdw %r0, [%r1+1]\nexit", []byte{1, 2, 3, 4, 5, 6, 7, 8, 9}, [2]uint64{0x0908070605040302, 0x0203040506070809}},
	{"ldxsb", "ldxsb %r0, [%r1+0]\nexit", []byte{0x80, 0, 0, 0}, [2]uint64{0xffffffffffffff80, 0xffffffffffffff80}},
	{"ldxsh", "ldxsh %r0, [%r1+0]\nexit", []byte{0x00, 0x80, 0, 0}, [2]uint64{0xffffffffffff8000, 0x80}},
	{"ldxsw", "ldxsw %r0, [%r1+0]\nexit", []byte{0, 0, 0, 0x80}, [2]uint64{0xffffffff80000000, 0x80}},
	{"stb", "stb [%r1+1], 0x1ff\nldxdw %r0, [%r1+0]\nexit", make([]byte, 8), [2]uint64{0xff00, 0x00ff000000000000}},
	{"sth", "sth [%r1+0], 0x1234\nldxdw %r0, [%r1+0]\nexit", make([]byte, 8), [2]uint64{0x1234, 0x1234000000000000}},
	{"stw", "stw [%r1+4], -2\nldxdw %r0, [%r1+0]\nexit", make([]byte, 8), [2]uint64{0xfffffffe00000000, 0xfffffffe}},
	{"stdw sign-extends", "stdw [%r1+0], -2\nldxdw %r0, [%r1+0]\nexit", make([]byte, 8), [2]uint64{0xfffffffffffffffe, 0xfffffffffffffffe}},
	{"stxb", "mov %r2, 0x1ab\nstxb [%r1+0], %r2\nldxh %r0, [%r1+0]\nexit", make([]byte, 8), [2]uint64{0xab, 0xab00}},
	{"stxh", "mov %r2, 0x1abcd\nstxh [%r1+0], %r2\nldxw %r0, [%r1+0]\nexit", make([]byte, 8), [2]uint64{0xabcd, 0xabcd0000}},
	{"stxw", "lddw %r2, 0x1122334455667788\nstxw [%r1+0], %r2\nldxdw %r0, [%r1+0]\nexit", make([]byte, 8), [2]uint64{0x55667788, 0x5566778800000000}},
	{"stxdw", "lddw %r2, 0x1122334455667788\nstxdw [%r1+0], %r2\nldxw %r0, [%r1+0]\nexit", make([]byte, 8), [2]uint64{0x55667788, 0x11223344}},
	{"stack roundtrip", "lddw %r2, 0x1122334455667788\nstxdw [%r10-8], %r2\nldxh %r0, [%r10-8]\nexit", nil, [2]uint64{0x7788, 0x1122}},
	{"r2 is length", "mov %r0, %r2\nexit", make([]byte, 13), [2]uint64{13, 13}},
}

func TestByteOrder(t *testing.T) {
	for _, tt := range orderTests {
		for i, o := range orders {
			name := tt.name + "/" + orderName(o)
			prog := load(t, tt.src, Options{Order: o})
			mem := append([]byte(nil), tt.mem...)
			if tt.mem == nil {
				mem = nil
			}
			res, err := prog.Run(&Env{Mem: mem})
			check(t, name, res, err, ok(tt.want[i]))
		}
	}
}

func TestMemoryFaults(t *testing.T) {
	mem := make([]byte, 16)
	tests := []struct {
		name string
		src  string
		env  Env
		want want
	}{
		{"in bounds end", "ldxdw %r0, [%r1+8]\nexit", Env{Mem: mem}, ok(0)},
		{"out of bounds", "ldxdw %r0, [%r1+9]\nexit", Env{Mem: mem}, fault(FaultOutOfBounds, 0)},
		{"negative offset", "ldxb %r0, [%r1-1]\nexit", Env{Mem: mem}, fault(FaultOutOfBounds, 0)},
		{"null region", "mov %r1, 0\nldxb %r0, [%r1-1]\nexit", Env{Mem: mem}, fault(FaultUnmapped, 1)},
		{"store out of bounds", "stw [%r1+13], 1\nexit", Env{Mem: mem}, fault(FaultOutOfBounds, 0)},
		{"read-only input", "stb [%r1+0], 1\nexit", Env{Mem: mem, MemReadOnly: true}, fault(FaultPermission, 0)},
		{"read-only input read", "ldxb %r0, [%r1+0]\nexit", Env{Mem: mem, MemReadOnly: true}, ok(0)},
		{"context", "ldxb %r0, [%r1+2]\nexit", Env{Context: []byte{1, 2, 3}}, ok(3)},
		{"context r2", "mov %r0, %r2\nexit", Env{Context: []byte{1, 2, 3}}, ok(0)},
		{"read-only context", "stb [%r1+0], 1\nexit", Env{Context: []byte{1}, ContextReadOnly: true}, fault(FaultPermission, 0)},
		{"input beside context", "lddw %r1, 0x200000000\nldxb %r0, [%r1+1]\nexit", Env{Context: []byte{1}, Mem: []byte{7, 8}}, ok(8)},
		{"extra region", "lddw %r1, 0x400000000\nldxb %r0, [%r1+1]\nexit", Env{Regions: []Region{{Data: []byte{5, 6}, Perm: PermRead}}}, ok(6)},
		{"extra region write-only", "lddw %r1, 0x400000000\nldxb %r0, [%r1+1]\nexit", Env{Regions: []Region{{Data: []byte{5, 6}, Perm: PermWrite}}}, fault(FaultPermission, 2)},
		{"atomic misaligned", "mov %r2, 1\nlock add [%r1+4], %r2\nexit", Env{Mem: mem}, fault(FaultMisaligned, 1)},
		{"atomic32 misaligned", "mov %r2, 1\nlock add32 [%r1+2], %r2\nexit", Env{Mem: mem}, fault(FaultMisaligned, 1)},
		{"atomic read-only", "mov %r2, 1\nlock add [%r1+0], %r2\nexit", Env{Mem: mem, MemReadOnly: true}, fault(FaultPermission, 1)},
		{"atomic out of bounds", "mov %r2, 1\nlock add [%r1+16], %r2\nexit", Env{Mem: mem}, fault(FaultOutOfBounds, 1)},
	}
	for _, tt := range tests {
		for _, o := range orders {
			prog := load(t, tt.src, Options{Order: o})
			env := tt.env
			res, err := prog.Run(&env)
			check(t, tt.name+"/"+orderName(o), res, err, tt.want)
		}
	}
	// The fault carries the address and size.
	prog := load(t, "ldxw %r0, [%r1+14]\nexit", Options{})
	_, err := prog.Run(&Env{Mem: mem})
	var e *Error
	if !errors.As(err, &e) || e.Addr != Addr(RegionInput, 14) || e.Size != 4 || e.Write || e.PC != 0 {
		t.Errorf("fault details: %#v", err)
	}
	if !strings.Contains(err.Error(), "pc 0") || !strings.Contains(err.Error(), "0x20000000e") {
		t.Errorf("message %q", err)
	}
}

func TestAtomics(t *testing.T) {
	// Each program runs on 16 bytes: [0] = 0x10 (64-bit) and [8] = 0x10 (32-bit, upper half 0x77777777).
	tests := []struct {
		name   string
		src    string
		r0     uint64 // result
		word   uint64 // the 64-bit word at [r1+0] afterwards
		word32 uint32 // the 32-bit word at [r1+8] afterwards
	}{
		{"add", "mov %r2, 5\nlock add [%r1+0], %r2\nmov %r0, %r2\nexit", 5, 0x15, 0x10},
		{"fetch add", "mov %r2, 5\nlock fetch add [%r1+0], %r2\nmov %r0, %r2\nexit", 0x10, 0x15, 0x10},
		{"add negative", "mov %r2, -0x11\nlock add [%r1+0], %r2\nmov %r0, 0\nexit", 0, 0xffffffffffffffff, 0x10},
		{"or", "mov %r2, 3\nlock or [%r1+0], %r2\nmov %r0, %r2\nexit", 3, 0x13, 0x10},
		{"fetch or", "mov %r2, 3\nlock fetch or [%r1+0], %r2\nmov %r0, %r2\nexit", 0x10, 0x13, 0x10},
		{"and", "mov %r2, 0x30\nlock and [%r1+0], %r2\nmov %r0, 0\nexit", 0, 0x10, 0x10},
		{"fetch and", "mov %r2, 0x20\nlock fetch and [%r1+0], %r2\nmov %r0, %r2\nexit", 0x10, 0, 0x10},
		{"xor", "mov %r2, 0x11\nlock xor [%r1+0], %r2\nmov %r0, 0\nexit", 0, 1, 0x10},
		{"fetch xor", "mov %r2, 0x11\nlock fetch xor [%r1+0], %r2\nmov %r0, %r2\nexit", 0x10, 1, 0x10},
		{"xchg", "lddw %r2, 0x1122334455667788\nlock xchg [%r1+0], %r2\nmov %r0, %r2\nexit", 0x10, 0x1122334455667788, 0x10},
		{"cmpxchg hit", "mov %r0, 0x10\nmov %r2, 9\nlock cmpxchg [%r1+0], %r2\nexit", 0x10, 9, 0x10},
		{"cmpxchg miss", "mov %r0, 0x11\nmov %r2, 9\nlock cmpxchg [%r1+0], %r2\nexit", 0x10, 0x10, 0x10},
		{"add32", "lddw %r2, 0x100000005\nlock add32 [%r1+8], %r2\nmov %r0, %r2\nexit", 0x100000005, 0x10, 0x15},
		{"fetch add32 zero-extends", "lddw %r2, 0x1fffffffe\nlock fetch add32 [%r1+8], %r2\nmov %r0, %r2\nexit", 0x10, 0x10, 0xe},
		{"fetch or32", "mov %r2, 1\nlock fetch or32 [%r1+8], %r2\nmov %r0, %r2\nexit", 0x10, 0x10, 0x11},
		{"fetch and32", "mov %r2, -1\nlock fetch and32 [%r1+8], %r2\nmov %r0, %r2\nexit", 0x10, 0x10, 0x10},
		{"fetch xor32", "mov %r2, -1\nlock fetch xor32 [%r1+8], %r2\nmov %r0, %r2\nexit", 0x10, 0x10, 0xffffffef},
		{"xchg32", "mov %r2, -1\nlock xchg32 [%r1+8], %r2\nmov %r0, %r2\nexit", 0x10, 0x10, 0xffffffff},
		{"cmpxchg32 hit ignores upper r0", "lddw %r0, 0x500000010\nmov %r2, 7\nlock cmpxchg32 [%r1+8], %r2\nexit", 0x10, 0x10, 7},
		{"cmpxchg32 miss", "mov %r0, 0x11\nmov %r2, 7\nlock cmpxchg32 [%r1+8], %r2\nexit", 0x10, 0x10, 0x10},
		{"on stack", "stdw [%r10-8], 2\nmov %r2, 3\nlock fetch add [%r10-8], %r2\nldxdw %r0, [%r10-8]\nadd %r0, %r2\nexit", 7, 0x10, 0x10},
	}
	for _, tt := range tests {
		for _, o := range orders {
			name := tt.name + "/" + orderName(o)
			prog := load(t, tt.src, Options{Order: o})
			mem := make([]byte, 16)
			o.PutUint64(mem, 0x10)
			o.PutUint32(mem[8:], 0x10)
			o.PutUint32(mem[12:], 0x77777777)
			res, err := prog.Run(&Env{Mem: mem})
			check(t, name, res, err, ok(tt.r0))
			if got := o.Uint64(mem); got != tt.word {
				t.Errorf("%s: word %#x, want %#x", name, got, tt.word)
			}
			if got := o.Uint32(mem[8:]); got != tt.word32 {
				t.Errorf("%s: word32 %#x, want %#x", name, got, tt.word32)
			}
			if got := o.Uint32(mem[12:]); got != 0x77777777 {
				t.Errorf("%s: neighbour clobbered: %#x", name, got)
			}
		}
	}
}

func TestAtomicsMisalignedHost(t *testing.T) {
	// A region whose base is not aligned on the host: eBPF-aligned atomics
	// still work (emulated under a lock).
	buf := make([]byte, 24)
	for _, o := range orders {
		mem := buf[1:17]
		clear(buf)
		o.PutUint64(mem, 40)
		prog := load(t, "mov %r2, 2\nlock fetch add [%r1+0], %r2\nldxdw %r0, [%r1+0]\nexit", Options{Order: o})
		res, err := prog.Run(&Env{Mem: mem})
		check(t, "misaligned host/"+orderName(o), res, err, ok(42))
	}
}

func TestPacketLoads(t *testing.T) {
	pkt := []byte{0x11, 0x22, 0x33, 0x44, 0x55, 0x66}
	tests := []struct {
		name string
		src  string
		want uint64
	}{
		{"ldabsb", "ldabsb 1\nexit", 0x22},
		{"ldabsh", "ldabsh 1\nexit", 0x2233},
		{"ldabsw", "ldabsw 2\nexit", 0x33445566},
		{"ldindb", "mov %r6, 3\nldindb %r6, 1\nexit", 0x55},
		{"ldindh", "mov %r6, 2\nldindh %r6, 2\nexit", 0x5566},
		{"ldindw", "mov %r6, 1\nldindw %r6, -1\nexit", 0x11223344},
		{"ldabsw out of bounds ends", "mov %r0, 9\nldabsw 3\nmov %r0, 7\nexit", 0},
		{"ldindb negative ends", "mov %r0, 9\nmov %r6, 0\nldindb %r6, -1\nmov %r0, 7\nexit", 0},
		{"ldabs then more", "ldabsb 0\nadd %r0, 1\nexit", 0x12},
	}
	for _, tt := range tests {
		for _, o := range orders {
			prog := load(t, tt.src, Options{Order: o})
			res, err := prog.Run(&Env{Mem: pkt})
			check(t, tt.name+"/"+orderName(o), res, err, ok(tt.want))
		}
	}
}

func testHelpers() *Helpers {
	hs := &Helpers{}
	hs.Register(Helper{ID: 1, Name: "add", Fn: func(m *Memory, r1, r2, r3, r4, r5 uint64) (uint64, error) {
		return r1 + r2 + r3 + r4 + r5, nil
	}})
	hs.Register(Helper{ID: 2, Name: "fail", Fn: func(m *Memory, r1, r2, r3, r4, r5 uint64) (uint64, error) {
		return 0, errors.New("boom")
	}})
	hs.Register(Helper{ID: 3, Name: "halt", Fn: func(m *Memory, r1, r2, r3, r4, r5 uint64) (uint64, error) {
		if r1 == 0 {
			return 0, ErrHalt
		}
		return r1, nil
	}})
	hs.Register(Helper{ID: 4, Name: "strlen", Fn: func(m *Memory, r1, r2, r3, r4, r5 uint64) (uint64, error) {
		s, err := m.CString(r1, int(r2))
		return uint64(len(s)), err
	}})
	hs.Register(Helper{ID: 5, Name: "buffer", Fn: func(m *Memory, r1, r2, r3, r4, r5 uint64) (uint64, error) {
		return m.Map([]byte{9, 8, 7}, PermRead)
	}})
	hs.Register(Helper{ID: 6, Name: "store", Fn: func(m *Memory, r1, r2, r3, r4, r5 uint64) (uint64, error) {
		return 0, m.Store(r1, 4, r2)
	}})
	hs.Register(Helper{ID: 7, Name: "callback", Fn: func(m *Memory, r1, r2, r3, r4, r5 uint64) (uint64, error) {
		r0, err := m.CallLocal(int(r1), r2, 0, 0, 0, 0)
		return r0 + 1, err
	}})
	hs.Register(Helper{ID: 8, Name: "halt42", Fn: func(m *Memory, r1, r2, r3, r4, r5 uint64) (uint64, error) {
		return 42, ErrHalt
	}})
	hs.Register(Helper{ID: 100000, Name: "big", Fn: func(m *Memory, r1, r2, r3, r4, r5 uint64) (uint64, error) {
		return 77, nil
	}})
	return hs
}

func TestHelpers(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want want
	}{
		{"call", "mov %r1, 1\nmov %r2, 2\nmov %r3, 3\nmov %r4, 4\nmov %r5, 5\ncall 1\nexit", ok(15)},
		{"callx", "mov %r1, 1\nmov %r2, 2\nmov %r3, 0\nmov %r4, 0\nmov %r5, 0\nmov %r7, 1\ncall %r7\nexit", ok(3)},
		{"call big id", "call 100000\nexit", ok(77)},
		{"helper error", "mov %r0, 0\ncall 2\nexit", want{kind: KindHelper, pc: 1}},
		{"halt", "mov %r1, 0\ncall 3\nmov %r0, 5\nexit", ok(0)},
		{"no halt", "mov %r1, 9\ncall 3\nadd %r0, 1\nexit", ok(10)},
		{"callx unknown", "mov %r7, 99\ncall %r7\nexit", fault(FaultBadCall, 1)},
		{"callx huge", "mov %r7, -1\ncall %r7\nexit", fault(FaultBadCall, 1)},
		{"cstring", "stb [%r10-8], 0x61\nstb [%r10-7], 0x62\nstb [%r10-6], 0x63\nmov %r1, %r10\nsub %r1, 8\nmov %r2, 8\ncall 4\nexit", ok(3)},
		{"cstring bound", "stdw [%r10-8], -1\nmov %r1, %r10\nsub %r1, 8\nmov %r2, 100\ncall 4\nexit", want{kind: KindHelper, pc: 4}},
		{"map region", "call 5\nldxb %r0, [%r0+2]\nexit", ok(7)},
		{"map region read-only", "call 5\nstb [%r0+0], 1\nexit", fault(FaultPermission, 1)},
		{"helper store", "mov %r1, %r10\nsub %r1, 4\nmov %r2, 0x1234\ncall 6\nldxw %r0, [%r10-4]\nexit", ok(0x1234)},
		{"callback", "mov %r1, 4\nmov %r2, 10\ncall 7\nexit\nmov %r0, %r1\nmul %r0, 3\nexit", ok(31)},
		{"callback halts", "mov %r1, 4\nmov %r2, 10\ncall 7\nexit\ncall 8\nmov %r0, 1\nexit", ok(42)},
		{"callback faults", "mov %r1, 4\nmov %r2, 10\ncall 7\nexit\nmov %r1, 0\nldxb %r0, [%r1+0]\nexit", fault(FaultNull, 5)},
		{"helper store fault", "mov %r1, 0\nmov %r2, 1\ncall 6\nexit", want{kind: KindHelper, pc: 2}},
	}
	for _, tt := range tests {
		for _, o := range orders {
			prog := load(t, tt.src, Options{Order: o, Helpers: testHelpers()})
			res, err := prog.Run(nil)
			check(t, tt.name+"/"+orderName(o), res, err, tt.want)
		}
	}
	// The helper's error is reachable, and a helper's fault is visible as a fault too.
	prog := load(t, "call 2\nexit", Options{Helpers: testHelpers()})
	_, err := prog.Run(nil)
	if err == nil || !strings.Contains(err.Error(), "boom") || !strings.Contains(err.Error(), "fail") {
		t.Errorf("helper error message: %v", err)
	}
	prog = load(t, "mov %r1, 0\ncall 6\nexit", Options{Helpers: testHelpers()})
	_, err = prog.Run(nil)
	if !errors.Is(err, KindHelper) || !errors.Is(err, KindFault) {
		t.Errorf("helper fault: %v", err)
	}
}

func TestUnknownHelper(t *testing.T) {
	// Rejected at load by the verifier, or a bad call at run time.
	b, _ := isa.Encode(assemble(t, "call 42\nexit"), le)
	prog, err := LoadBytes(b, nil)
	if err != nil {
		if !errors.Is(err, KindLoad) {
			t.Fatalf("load error %v is not KindLoad", err)
		}
		return
	}
	_, err = prog.Run(nil)
	check(t, "unknown helper", Result{}, err, fault(FaultBadCall, 0))
}

func TestBudget(t *testing.T) {
	prog := load(t, "mov %r0, 1\nadd %r0, 1\nexit", Options{})
	for budget, w := range map[uint64]want{
		0: ok(2), 3: ok(2), 4: ok(2), 2: {kind: KindBudget, pc: 2}, 1: {kind: KindBudget, pc: 1},
	} {
		res, err := prog.Run(&Env{Budget: budget})
		check(t, fmt.Sprintf("budget %d", budget), res, err, w)
		if w.kind == 0 && res.Insns != 3 {
			t.Errorf("budget %d: %d instructions, want 3", budget, res.Insns)
		}
		if w.kind == KindBudget && res.Insns != budget {
			t.Errorf("budget %d: %d instructions counted", budget, res.Insns)
		}
	}
	loop := load(t, "mov %r0, 0\nloop:\nadd %r0, 1\nja loop", Options{})
	_, err := loop.Run(&Env{Budget: 1001})
	check(t, "infinite loop", Result{}, err, want{kind: KindBudget, pc: 1})
	// lddw counts as one instruction.
	wide := load(t, "lddw %r0, 1\nexit", Options{})
	res, err := wide.Run(&Env{Budget: 2})
	if err != nil || res.Insns != 2 {
		t.Errorf("lddw: %+v %v", res, err)
	}
	// The budget works when tracing too.
	var buf bytes.Buffer
	_, err = loop.Run(&Env{Budget: 10, Trace: &buf})
	check(t, "traced loop", Result{}, err, want{kind: KindBudget, pc: 2})
	if n := strings.Count(buf.String(), "\n"); n != 10 {
		t.Errorf("trace of 10 instructions has %d lines:\n%s", n, buf.String())
	}
}

func TestTrace(t *testing.T) {
	prog := load(t, "mov %r0, 40\nlddw %r1, 2\nadd %r0, %r1\nja +0\nexit", Options{})
	var buf bytes.Buffer
	res, err := prog.Run(&Env{Trace: &buf})
	if err != nil || res.R0 != 42 {
		t.Fatal(res, err)
	}
	want := []string{
		"0: mov %r0, 40", "r0=0x28",
		"1: lddw %r1, 0x2", "r1=0x2",
		"3: add %r0, %r1", "r0=0x2a",
		"4: ja +0",
		"5: exit",
	}
	out := buf.String()
	pos := 0
	for _, w := range want {
		i := strings.Index(out[pos:], w)
		if i < 0 {
			t.Fatalf("trace lacks %q after %d:\n%s", w, pos, out)
		}
		pos += i + len(w)
	}
}

func TestLoadErrors(t *testing.T) {
	slot := func(op, regs byte, off int16, imm int32) []byte {
		b := make([]byte, 8)
		b[0], b[1] = op, regs
		le.PutUint16(b[2:], uint16(off))
		le.PutUint32(b[4:], uint32(imm))
		return b
	}
	exit := slot(0x95, 0, 0, 0)
	cat := func(s ...[]byte) []byte { return bytes.Join(s, nil) }
	tests := []struct {
		name string
		b    []byte
		pc   int
	}{
		{"empty", nil, 0},
		{"bad opcode", cat(exit, slot(0xff, 0, 0, 0)), 1},
		{"truncated", []byte{0x95, 0}, 0},
		{"bad register", cat(slot(0xb7, 0x0b, 0, 0), exit), 0},
		{"lddw truncated", slot(0x18, 0, 0, 0), 0},
	}
	for _, tt := range tests {
		_, err := LoadBytes(tt.b, nil)
		var e *Error
		if !errors.As(err, &e) || e.Kind != KindLoad || e.PC != tt.pc {
			t.Errorf("%s: %v, want a load error at pc %d", tt.name, err, tt.pc)
		}
	}
	// Hand-built programs are validated too.
	for name, p := range map[string]isa.Program{
		"bad register":      {{Opcode: 0xb7, Dst: 12}, {Opcode: 0x95}},
		"lddw continuation": {{Opcode: 0x18}, {Opcode: 0x95}, {Opcode: 0x95}},
		"lddw last":         {{Opcode: 0x95}, {Opcode: 0x18}},
	} {
		if _, err := Load(p, nil); !errors.Is(err, KindLoad) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := Load(isa.Program{{Opcode: 0x95}}, &Options{StackSize: 7}); !errors.Is(err, KindLoad) {
		t.Errorf("bad stack size: %v", err)
	}
}

// Control flow the verifier should reject never crashes the interpreter.
func TestInvalidControlFlow(t *testing.T) {
	progs := map[string]isa.Program{
		"jump past end":        {{Opcode: 0x05, Offset: 5}, {Opcode: 0x95}},
		"jump before start":    {{Opcode: 0x05, Offset: -5}, {Opcode: 0x95}},
		"jump into lddw":       isa.Program{{Opcode: 0x05, Offset: 1}}.Append(isa.Instruction{Opcode: 0x18}, isa.Instruction{Opcode: 0x95}),
		"cond jump past end":   {{Opcode: 0x15, Offset: 100}, {Opcode: 0x95}},
		"call local past end":  {{Opcode: 0x85, Src: 1, Imm: 100}, {Opcode: 0x95}},
		"call local into lddw": isa.Program{{Opcode: 0x85, Src: 1, Imm: 1}}.Append(isa.Instruction{Opcode: 0x18}, isa.Instruction{Opcode: 0x95}),
		"fall off":             {{Opcode: 0xb7}},
		"ja32 past end":        {{Opcode: 0x06, Imm: 1 << 30}, {Opcode: 0x95}},
	}
	for name, p := range progs {
		prog, err := Load(p, nil)
		if err != nil {
			if !errors.Is(err, KindLoad) {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		if _, err := prog.Run(&Env{Budget: 100}); !errors.Is(err, KindFault) {
			t.Errorf("%s: run gave %v, want a fault", name, err)
		}
	}
}

// allocsProgram stores, loads and calls a local function in a loop: the
// paths a run must take without allocating.
const allocsProgram = `
		mov %r6, 0
	loop:
		stxdw [%r10-8], %r6
		ldxdw %r7, [%r10-8]
		add %r6, 1
		call local f
		jlt %r6, 100, loop
		mov %r0, %r6
		exit
	f:
		mov %r0, 1
		exit`

// checkNoAllocs fails t if a run of allocsProgram through run allocates.
func checkNoAllocs(t *testing.T, run func(*Env) (Result, error)) {
	t.Helper()
	env := &Env{Mem: make([]byte, 64), Budget: 1 << 20}
	if n := testing.AllocsPerRun(50, func() {
		if _, err := run(env); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("%v allocations per run", n)
	}
}

func TestAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	checkNoAllocs(t, load(t, allocsProgram, Options{}).Run)
}

func TestMemoryAPI(t *testing.T) {
	prog := load(t, "exit", Options{})
	m := prog.AcquireMemory(&Env{Mem: []byte{1, 2, 3, 4}, Value: "v"})
	defer prog.ReleaseMemory(m)
	if m.Value != "v" || m.Order != le {
		t.Errorf("Value %v Order %v", m.Value, m.Order)
	}
	r1, r2, r10 := prog.EntryRegs(m)
	if r1 != Addr(RegionInput, 0) || r2 != 4 || r10 != Addr(RegionStack, 4096) {
		t.Errorf("entry regs %#x %#x %#x", r1, r2, r10)
	}
	if len(m.Stack()) != 4096 {
		t.Errorf("stack %d bytes", len(m.Stack()))
	}
	v, err := m.Load(r1+1, 2)
	if err != nil || v != 0x0302 {
		t.Errorf("Load %#x %v", v, err)
	}
	if err := m.Store(r1, 4, 0xaabbccdd); err != nil {
		t.Fatal(err)
	}
	if b, _ := m.Read(r1, 4); !bytes.Equal(b, []byte{0xdd, 0xcc, 0xbb, 0xaa}) {
		t.Errorf("Read %x", b)
	}
	if _, err := m.Translate(r1+3, 2, false); !errors.Is(err, KindFault) {
		t.Errorf("Translate out of bounds: %v", err)
	}
	noNUL, err := m.Map([]byte("abc"), PermRead)
	if err != nil || noNUL != Addr(RegionFirstUser, 0) {
		t.Fatalf("Map: %#x %v", noNUL, err)
	}
	if _, err := m.CString(noNUL, -1); err == nil {
		t.Errorf("CString without NUL succeeded")
	}
	if s, err := m.CString(noNUL, 2); err == nil {
		t.Errorf("CString over its bound succeeded: %q", s)
	}
	if s, err := m.CString(Addr(RegionStack, 0), -1); err != nil || len(s) != 0 {
		t.Errorf("CString empty: %q %v", s, err)
	}
	for i := RegionFirstUser + 1; i < MaxRegions; i++ {
		a, err := m.Map(nil, PermRead)
		if err != nil || a != Addr(uint32(i), 0) {
			t.Fatalf("Map %d: %#x %v", i, a, err)
		}
	}
	if _, err := m.Map(nil, PermRead); !errors.Is(err, ErrRegionTableFull) {
		t.Errorf("Map on a full table: %v", err)
	}
	// Regions from a released Memory do not leak into the next run.
	prog.ReleaseMemory(m)
	m = prog.AcquireMemory(nil)
	if m.Regions[RegionInput].Data != nil || m.Regions[RegionFirstUser].Data != nil {
		t.Errorf("stale regions")
	}
	r1, r2, _ = prog.EntryRegs(m)
	if r1 != 0 || r2 != 0 {
		t.Errorf("entry regs without input: %#x %#x", r1, r2)
	}
}

func TestStackZeroedBetweenRuns(t *testing.T) {
	prog := load(t, "ldxdw %r0, [%r10-8]\nstdw [%r10-8], 99\nexit", Options{})
	for i := 0; i < 3; i++ {
		res, err := prog.Run(nil)
		check(t, "stack zeroed", res, err, ok(0))
	}
}

func TestOptions(t *testing.T) {
	prog := load(t, "mov %r0, %r10\nexit", Options{StackSize: 256, MaxCallDepth: 4})
	res, err := prog.Run(nil)
	check(t, "stack size", res, err, ok(Addr(RegionStack, 1024)))
	o := prog.Options()
	if o.StackSize != 256 || o.MaxCallDepth != 4 || o.Order != le {
		t.Errorf("options %+v", o)
	}
	if prog.Facts() == nil || len(prog.Instructions()) != 2 {
		t.Errorf("facts or instructions missing")
	}
	// Program-wide regions come before the run's.
	prog = load(t, "lddw %r1, 0x500000000\nldxb %r0, [%r1+0]\nexit", Options{Regions: []Region{{Data: []byte{1}, Perm: PermRead}}})
	res, err = prog.Run(&Env{Regions: []Region{{Data: []byte{2}, Perm: PermRead}}})
	check(t, "regions", res, err, ok(2))
	if _, err := prog.Run(&Env{Regions: make([]Region, MaxRegions)}); err == nil {
		t.Errorf("too many regions accepted")
	}
	// A lddw of a map needs a resolver.
	p := isa.Program{}.Append(isa.Instruction{Opcode: 0x18, Src: 2, Imm: 3}, isa.Instruction{Opcode: 0x95})
	if _, err := Load(p, nil); !errors.Is(err, KindLoad) {
		t.Errorf("lddw src 2 without resolver: %v", err)
	}
}

func TestNeverWritesStack(t *testing.T) {
	for src, want := range map[string]bool{
		"mov %r0, 1\nexit":                         true,
		"ldxdw %r0, [%r10-8]\nexit":                true,
		"call local f\nexit\nf:\nmov %r0, 2\nexit": true,
		"stdw [%r10-8], 1\nexit":                   false,
		"mov %r1, 1\nstxdw [%r10-8], %r1\nexit":    false,
		"mov %r1, 1\nlock add [%r10-8], %r1\nexit": false,
		"call 1\nexit":                             false,
	} {
		p, err := asm.Assemble(src)
		if err != nil {
			t.Fatal(err)
		}
		if got := neverWritesStack(p); got != want {
			t.Errorf("%q: neverWritesStack %v, want %v", src, got, want)
		}
	}
	// A program that cannot write the stack skips the clearing, but not
	// after code holding its Memory wrote the stack.
	prog := load(t, "ldxdw %r0, [%r10-8]\nexit", Options{})
	if !prog.noStackWrites {
		t.Fatal("noStackWrites not set")
	}
	for i := 0; i < 4; i++ {
		m := prog.AcquireMemory(nil)
		if i%2 == 0 {
			clear(m.Stack()[len(m.Stack())-8:])
			m.Stack()[len(m.Stack())-1] = 1
		} else if err := m.Store(Addr(RegionStack, uint32(len(m.stack)-8)), 8, 1); err != nil {
			t.Fatal(err)
		}
		prog.ReleaseMemory(m)
		res, err := prog.Run(nil)
		check(t, "stack cleared after a write through the API", res, err, ok(0))
	}
}

// TestReleaseMemory checks that ReleaseMemory drops every reference of
// the run (so the pool keeps no user memory alive) and undoes what code
// holding the Memory changed, whatever it changed.
func TestReleaseMemory(t *testing.T) {
	prog := load(t, "exit", Options{Regions: []Region{{Data: []byte{1}, Perm: PermRead}}})
	ctx := []byte{2}
	for i := 0; i < 3; i++ {
		m := prog.AcquireMemory(&Env{Mem: []byte{1}, Context: ctx, Value: 1, Regions: []Region{{Data: []byte{3}}}})
		m.Caller = &m.interp
		if i > 0 { // another engine's: the interpreter's may stay
			m.Caller = &state{}
		}
		if _, err := m.Map([]byte{4}, PermRW); err != nil {
			t.Fatal(err)
		}
		switch i {
		case 1: // a smaller, read-only stack and a mapped region 0
			m.Regions[RegionStack] = Region{Data: m.stack[:8], Perm: PermRead}
			m.Regions[RegionNone] = Region{Data: ctx, Perm: PermRW}
		case 2: // another stack and byte order
			m.Regions[RegionStack] = Region{Data: ctx, Perm: PermRW}
			m.Order = binary.BigEndian
			m.big = true
			m.Regions[RegionInput] = Region{Perm: PermRW}
		}
		prog.ReleaseMemory(m)
		for id := range m.Regions {
			if r := m.Regions[id]; id != RegionStack && (r.Data != nil || r.Perm != 0) {
				t.Errorf("%d: region %d still mapped: %+v", i, id, r)
			}
		}
		if s := m.Regions[RegionStack]; unsafe.SliceData(s.Data) != unsafe.SliceData(m.stack) || len(s.Data) != len(m.stack) || s.Perm != PermRW {
			t.Errorf("%d: stack region not restored", i)
		}
		wantCaller := LocalCaller(nil)
		if i == 0 {
			wantCaller = &m.interp
		}
		if m.Env != nil || m.Value != nil || m.Caller != wantCaller || m.Order != le || m.big || m.next != RegionFirstUser || m.reuse {
			t.Errorf("%d: Env %v Value %v Caller %v Order %v big %v next %d reuse %v", i, m.Env, m.Value, m.Caller, m.Order, m.big, m.next, m.reuse)
		}
	}
}

// TestMemoryReady checks that Memory.Ready holds only when ResetMemory
// would change nothing: after a reset for the same Env, unchanged.
func TestMemoryReady(t *testing.T) {
	hs := &Helpers{}
	hs.Register(Helper{ID: 1, Name: "nop", Fn: func(*Memory, uint64, uint64, uint64, uint64, uint64) (uint64, error) { return 0, nil }})
	plain := load(t, "mov %r0, 1\nexit", Options{ContextSize: 2})
	in, ctx := []byte{1, 2, 3}, []byte{4, 5, 6, 7}
	for _, c := range []struct {
		name   string
		prog   *Program
		change func(m *Memory, env *Env) // after the reset for env
		ready  bool
	}{
		{"unchanged", plain, func(*Memory, *Env) {}, true},
		{"input contents", plain, func(_ *Memory, env *Env) { env.Mem[0] = 9 }, true},
		{"input", plain, func(_ *Memory, env *Env) { env.Mem = []byte{1, 2, 3} }, false},
		{"input length", plain, func(_ *Memory, env *Env) { env.Mem = env.Mem[:2] }, false},
		{"input read-only", plain, func(_ *Memory, env *Env) { env.MemReadOnly = true }, false},
		{"context", plain, func(_ *Memory, env *Env) { env.Context = []byte{4, 5} }, false},
		{"context length", plain, func(_ *Memory, env *Env) { env.Context = ctx[:3] }, false},
		{"context read-only", plain, func(_ *Memory, env *Env) { env.ContextReadOnly = true }, false},
		{"regions", plain, func(_ *Memory, env *Env) { env.Regions = []Region{{Data: in}} }, false},
		{"value", plain, func(_ *Memory, env *Env) { env.Value = 1 }, false},
		{"budget", plain, func(_ *Memory, env *Env) { env.Budget = 5 }, true},
		{"map", plain, func(m *Memory, _ *Env) { m.Map(in, PermRead) }, false},
		{"stack", plain, func(m *Memory, _ *Env) { m.Stack() }, false},
		{"stack write", plain, func(m *Memory, _ *Env) { m.Write(Addr(RegionStack, 0), 1) }, false},
		{"stack read", plain, func(m *Memory, _ *Env) { m.Read(Addr(RegionStack, 0), 1) }, true},
		{"stores", load(t, "stb [%r10-1], 1\nmov %r0, 1\nexit", Options{}), func(*Memory, *Env) {}, false},
		{"helpers", load(t, "call 1\nexit", Options{Helpers: hs}), func(*Memory, *Env) {}, false},
	} {
		m := c.prog.NewMemory()
		env := &Env{Mem: append([]byte(nil), in...), Context: ctx[:2]}
		if m.Ready(env) || m.Ready(nil) {
			t.Errorf("%s: a new Memory is ready", c.name)
		}
		if err := c.prog.ResetMemory(m, env); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		c.change(m, env)
		if got := m.Ready(env); got != c.ready {
			t.Errorf("%s: Ready %v, want %v", c.name, got, c.ready)
		}
		if m.Ready(&Env{Mem: env.Mem, Context: env.Context}) || m.Ready(nil) {
			t.Errorf("%s: ready for another Env", c.name)
		}
	}
	// Not while the Memory has another run's Value.
	m := plain.NewMemory()
	env := &Env{Context: ctx[:2], Value: 1}
	if plain.ResetMemory(m, env) != nil || m.Ready(env) {
		t.Errorf("ready with a Value")
	}
	env.Value = nil
	if m.Ready(env) {
		t.Errorf("ready with the previous Value")
	}
	// Not after a failed reset (no context), nor after a release.
	m = plain.NewMemory()
	env = &Env{}
	if plain.ResetMemory(m, env) == nil || m.Ready(env) {
		t.Errorf("ready after an error")
	}
	m, _ = plain.AcquireMemoryChecked(&Env{Context: ctx})
	plain.ReleaseMemory(m)
	if m.Ready(&Env{Context: ctx}) {
		t.Errorf("ready after a release")
	}
}
