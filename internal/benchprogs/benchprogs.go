// Package benchprogs holds the loop-heavy eBPF programs that the engines'
// benchmarks share (checksum, CRC-32, hashes, sort, parsing, sieve), in the
// conformance assembly dialect, with their inputs and expected results.
package benchprogs

import "encoding/binary"

// Program is one benchmark program.
type Program struct {
	Name string
	Src  string        // conformance-dialect assembly
	Mem  func() []byte // a fresh input
	Want uint64        // expected r0; 0 means unchecked
}

// Programs is the corpus, in a fixed order.
var Programs = []Program{
	{
		// Internet checksum (RFC 1071) over the input, 16 bits at a time.
		Name: "checksum",
		Src: `
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
		Mem: func() []byte { return Seq(1500) },
	},
	{
		// FNV-1a 64 over the input, a byte at a time.
		Name: "fnv1a",
		Src: `
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
		Mem: func() []byte { return Seq(1024) },
	},
	{
		// CRC-32 (IEEE, reflected), bit by bit.
		Name: "crc32",
		Src: `
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
		Mem: func() []byte { return Seq(256) },
	},
	{
		// Bubble sort of 64 u32 copied from the input to the stack; returns
		// the smallest.
		Name: "bubblesort",
		Src: `
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
		Mem: func() []byte {
			b := make([]byte, 256)
			for i := 0; i < 64; i++ {
				binary.LittleEndian.PutUint32(b[4*i:], uint32((i*37+11)%64)+1)
			}
			return b
		},
		Want: 1,
	},
	{
		// Parse 64 Ethernet/IPv4/TCP packets of 64 bytes laid end to end;
		// count those to TCP port 80 with a valid header length.
		Name: "parse",
		Src: `
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
		Mem: func() []byte {
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
		Want: 42,
	},
	{
		// Sieve of Eratosthenes over the input bytes; returns the number of
		// primes below its length.
		Name: "sieve",
		Src: `
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
		Mem:  func() []byte { return make([]byte, 4096) },
		Want: 564,
	},
}

// Seq returns n bytes of a fixed pseudo-random-looking sequence.
func Seq(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + 3)
	}
	return b
}
