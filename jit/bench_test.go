package jit

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/iovm/iovm/asm"
	"github.com/iovm/iovm/vm"
)

// BenchPrograms is the loop-heavy benchmark corpus: name, source in the
// conformance dialect, input memory and expected r0 (0: unchecked).
var benchPrograms = []struct {
	name string
	src  string
	mem  func() []byte
	want uint64
}{
	{
		// Internet checksum (RFC 1071) over the input, 16 bits at a time.
		name: "checksum",
		src: `
			mov %r0, 0
			mov %r3, %r1
			add %r3, %r2
		loop:
			ldxh %r4, [%r1]
			add %r0, %r4
			add %r1, 2
			jlt %r1, %r3, loop
		fold:
			mov %r4, %r0
			rsh %r4, 16
			and %r0, 0xffff
			add %r0, %r4
			mov %r4, %r0
			rsh %r4, 16
			jne %r4, 0, fold
			xor %r0, 0xffff
			exit`,
		mem: func() []byte { return seq(1500) },
	},
	{
		// FNV-1a 64 over the input, a byte at a time.
		name: "fnv1a",
		src: `
			lddw %r0, 0xcbf29ce484222325
			lddw %r5, 0x100000001b3
			mov %r3, %r1
			add %r3, %r2
		loop:
			ldxb %r4, [%r1]
			xor %r0, %r4
			mul %r0, %r5
			add %r1, 1
			jne %r1, %r3, loop
			exit`,
		mem: func() []byte { return seq(1024) },
	},
	{
		// CRC-32 (IEEE, reflected), bit by bit.
		name: "crc32",
		src: `
			mov32 %r0, -1
			mov %r3, %r1
			add %r3, %r2
		byte:
			ldxb %r4, [%r1]
			xor32 %r0, %r4
			mov %r5, 8
		bit:
			mov32 %r6, %r0
			and32 %r6, 1
			neg32 %r6
			and32 %r6, 0xedb88320
			rsh32 %r0, 1
			xor32 %r0, %r6
			sub %r5, 1
			jne %r5, 0, bit
			add %r1, 1
			jne %r1, %r3, byte
			xor32 %r0, -1
			exit`,
		mem: func() []byte { return seq(256) },
	},
	{
		// Bubble sort of 64 u32 copied from the input to the stack; returns
		// the smallest.
		name: "bubblesort",
		src: `
			mov %r3, 0
		copy:
			mov %r4, %r1
			add %r4, %r3
			ldxw %r5, [%r4]
			mov %r4, %r10
			sub %r4, 256
			add %r4, %r3
			stxw [%r4], %r5
			add %r3, 4
			jlt %r3, 256, copy
			mov %r6, 63
		outer:
			mov %r7, %r10
			sub %r7, 256
			mov %r8, 0
		inner:
			ldxw %r2, [%r7]
			ldxw %r3, [%r7+4]
			jle %r2, %r3, noswap
			stxw [%r7], %r3
			stxw [%r7+4], %r2
		noswap:
			add %r7, 4
			add %r8, 1
			jlt %r8, %r6, inner
			sub %r6, 1
			jne %r6, 0, outer
			ldxw %r0, [%r10-256]
			exit`,
		mem: func() []byte {
			b := make([]byte, 256)
			for i := 0; i < 64; i++ {
				binary.LittleEndian.PutUint32(b[4*i:], uint32((i*37+11)%64)+1)
			}
			return b
		},
		want: 1,
	},
	{
		// Parse 64 Ethernet/IPv4/TCP packets of 64 bytes laid end to end;
		// count those to TCP port 80 with a valid header length.
		name: "parse",
		src: `
			mov %r0, 0
			mov %r3, %r1
			add %r3, %r2
		pkt:
			mov %r4, %r1
			add %r4, 64
			jgt %r4, %r3, done
			ldxh %r5, [%r1+12]
			be16 %r5
			jne %r5, 0x0800, next
			ldxb %r5, [%r1+14]
			mov %r6, %r5
			rsh %r6, 4
			jne %r6, 4, next
			and %r5, 15
			lsh %r5, 2
			jlt %r5, 20, next
			ldxb %r6, [%r1+23]
			jne %r6, 6, next
			mov %r7, %r1
			add %r7, 14
			add %r7, %r5
			ldxh %r8, [%r7+2]
			be16 %r8
			jne %r8, 80, next
			add %r0, 1
		next:
			mov %r1, %r4
			ja pkt
		done:
			exit`,
		mem: func() []byte {
			b := make([]byte, 64*64)
			for i := 0; i < 64; i++ {
				p := b[64*i:]
				binary.BigEndian.PutUint16(p[12:], 0x0800)
				p[14] = 0x45
				p[23] = 6
				port := uint16(80)
				if i%3 == 0 {
					port = 443
				}
				binary.BigEndian.PutUint16(p[14+20+2:], port)
			}
			return b
		},
		want: 42,
	},
	{
		// Sieve of Eratosthenes over the input bytes; returns the number of
		// primes below its length.
		name: "sieve",
		src: `
			mov %r0, 0
			mov %r3, 2
		clear:
			mov %r4, %r1
			add %r4, %r3
			stb [%r4], 0
			add %r3, 1
			jlt %r3, %r2, clear
			mov %r3, 2
		outer:
			mov %r4, %r1
			add %r4, %r3
			ldxb %r5, [%r4]
			jne %r5, 0, next
			add %r0, 1
			mov %r5, %r3
			add %r5, %r3
		mark:
			jge %r5, %r2, next
			mov %r4, %r1
			add %r4, %r5
			stb [%r4], 1
			add %r5, %r3
			ja mark
		next:
			add %r3, 1
			jlt %r3, %r2, outer
			exit`,
		mem:  func() []byte { return make([]byte, 4096) },
		want: 564,
	},
}

func seq(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + 3)
	}
	return b
}

// timeRuns returns the mean time of one run of x on env over about d.
func timeRuns(x vm.Executable, env *vm.Env, d time.Duration) float64 {
	n := 1
	for {
		t0 := time.Now()
		for i := 0; i < n; i++ {
			x.Run(env)
		}
		el := time.Since(t0)
		if el >= d {
			return float64(el.Nanoseconds()) / float64(n)
		}
		n *= 2
	}
}

// BenchmarkPrograms runs the corpus on both engines. The jit sub-benchmarks
// report ns/insn and x-interp, the interpreter's time divided by the JIT's.
func BenchmarkPrograms(b *testing.B) {
	if !Supported() {
		b.Skip(ErrUnsupported)
	}
	for _, bp := range benchPrograms {
		p, err := asm.Assemble(bp.src)
		if err != nil {
			b.Fatal(err)
		}
		vp, err := vm.Load(p, nil)
		if err != nil {
			b.Fatal(err)
		}
		jp, err := Compile(vp, nil)
		if err != nil {
			b.Fatal(err)
		}
		env := &vm.Env{Mem: bp.mem()}
		want, err := vp.Run(env)
		if err != nil {
			b.Fatal(err)
		}
		if bp.want != 0 && want.R0 != bp.want {
			b.Fatalf("%s: r0 = %d, want %d", bp.name, want.R0, bp.want)
		}
		if got, err := jp.Run(env); err != nil || got != want {
			b.Fatalf("%s: jit %+v %v, interp %+v", bp.name, got, err, want)
		}
		for _, e := range []struct {
			name string
			x    vm.Executable
		}{{"interp", vp}, {"jit", jp}} {
			b.Run(bp.name+"/"+e.name, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					e.x.Run(env)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(uint64(b.N)*want.Insns), "ns/insn")
				if e.name == "jit" {
					b.StopTimer()
					ti := timeRuns(vp, env, 100*time.Millisecond)
					b.ReportMetric(ti/(float64(b.Elapsed().Nanoseconds())/float64(b.N)), "x-interp")
				}
			})
		}
		jp.Close()
	}
}

// BenchmarkTrivial is the cost of one Run of a two-instruction program.
func BenchmarkTrivial(b *testing.B) {
	if !Supported() {
		b.Skip(ErrUnsupported)
	}
	p, _ := asm.Assemble("mov %r0, 1\nexit")
	vp, _ := vm.Load(p, nil)
	jp, err := Compile(vp, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer jp.Close()
	env := &vm.Env{}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		jp.Run(env)
	}
}

// BenchmarkHelperCall is the round trip of one helper call (exit to Go,
// call, re-entry), measured over a loop of 1000 calls.
func BenchmarkHelperCall(b *testing.B) {
	if !Supported() {
		b.Skip(ErrUnsupported)
	}
	p, _ := asm.Assemble("mov %r6, 1000\nloop:\ncall 2\nsub %r6, 1\njne %r6, 0, loop\nexit")
	vp, err := vm.Load(p, &vm.Options{Helpers: testHelpers()})
	if err != nil {
		b.Fatal(err)
	}
	jp, err := Compile(vp, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer jp.Close()
	env := &vm.Env{}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		jp.Run(env)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/call")
}

func TestTrivialAllocs(t *testing.T) {
	if !Supported() || testing.Short() {
		t.Skip()
	}
	p, _ := asm.Assemble("mov %r0, 1\nexit")
	vp, _ := vm.Load(p, nil)
	jp, err := Compile(vp, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer jp.Close()
	env := &vm.Env{}
	jp.Run(env)
	if n := testing.AllocsPerRun(100, func() { jp.Run(env) }); n != 0 {
		t.Errorf("%v allocations per run", n)
	}
}
