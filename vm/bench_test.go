package vm

import (
	"encoding/binary"
	"runtime"
	"testing"

	"github.com/iovm/iovm/asm"
)

// Benchmark programs: loop-heavy code, in the conformance dialect.
var benchPrograms = []struct {
	name string
	src  string
	mem  func() []byte
	want uint64 // 0: not checked
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

func BenchmarkInterp(b *testing.B) {
	for _, bp := range benchPrograms {
		b.Run(bp.name, func(b *testing.B) {
			p, err := asm.Assemble(bp.src)
			if err != nil {
				b.Fatal(err)
			}
			prog, err := Load(p, nil)
			if err != nil {
				b.Fatal(err)
			}
			env := &Env{Mem: bp.mem()}
			res, err := prog.Run(env)
			if err != nil {
				b.Fatal(err)
			}
			if bp.want != 0 && res.R0 != bp.want {
				b.Fatalf("r0 = %d, want %d", res.R0, bp.want)
			}
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			b.ResetTimer()
			cpu0, cpuOK := cpuTime()
			for i := 0; i < b.N; i++ {
				prog.Run(env)
			}
			cpu1, _ := cpuTime()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(uint64(b.N)*res.Insns), "ns/insn")
			if cpuOK {
				// CPU time of the thread: what a run costs when the machine
				// is shared (coarse: use -benchtime of a second or more).
				b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(uint64(b.N)*res.Insns), "cpu-ns/insn")
			}
			b.ReportMetric(float64(res.Insns), "insns/run")
		})
	}
}

func TestBenchProgramsAllocate0(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("allocation counts need the pool (no -race) and time (no -short)")
	}
	for _, bp := range benchPrograms {
		p, err := asm.Assemble(bp.src)
		if err != nil {
			t.Fatal(err)
		}
		prog, err := Load(p, nil)
		if err != nil {
			t.Fatal(err)
		}
		env := &Env{Mem: bp.mem()}
		if _, err := prog.Run(env); err != nil {
			t.Fatalf("%s: %v", bp.name, err)
		}
		if n := testing.AllocsPerRun(20, func() { prog.Run(env) }); n != 0 {
			t.Errorf("%s: %v allocations per run", bp.name, n)
		}
	}
}
