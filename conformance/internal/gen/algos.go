package gen

import (
	"encoding/binary"
	"fmt"
	"hash/adler32"
	"hash/crc32"
	"hash/fnv"
	"math/bits"
	"sort"
)

func init() { register(algoFiles) }

// Expected values below come from plain Go code (or the standard library)
// computing the same function as the eBPF program, never from a run.

func algoFiles() []*File {
	var out []*File
	add := func(name, desc, asm string, mem []byte, want uint64) {
		out = append(out, &File{Name: "algo-" + name + ".data", Desc: desc, Asm: asm, Mem: mem, Result: want})
	}
	// Factorial 20 in a loop.
	{
		f := uint64(1)
		for i := uint64(1); i <= 20; i++ {
			f *= i
		}
		add("factorial-loop", "20! in a loop", "mov %r0, 1\nmov %r1, 1\nloop:\nmul %r0, %r1\nadd %r1, 1\njle %r1, 20, loop\nexit\n", nil, f)
	}
	// Fibonacci 90 iteratively.
	{
		a, b := uint64(0), uint64(1)
		for i := 0; i < 90; i++ {
			a, b = b, a+b
		}
		add("fibonacci-loop", "F(90) iteratively", "mov %r1, 0\nmov %r2, 1\nmov %r3, 0\nloop:\njge %r3, 90, end\nmov %r4, %r1\nadd %r4, %r2\nmov %r1, %r2\nmov %r2, %r4\nadd %r3, 1\nja loop\nend:\nmov %r0, %r1\nexit\n", nil, a)
	}
	// Primes below 1000 by trial division.
	{
		n := uint64(0)
		for i := 2; i < 1000; i++ {
			prime := true
			for j := 2; j*j <= i; j++ {
				if i%j == 0 {
					prime = false
					break
				}
			}
			if prime {
				n++
			}
		}
		add("primes-trial-division", "count of primes below 1000 by trial division",
			"mov %r0, 0\nmov %r1, 2\nouter:\njge %r1, 1000, end\nmov %r2, 2\ninner:\nmov %r3, %r2\nmul %r3, %r2\njgt %r3, %r1, prime\nmov %r4, %r1\nmod %r4, %r2\njeq %r4, 0, next\nadd %r2, 1\nja inner\nprime:\nadd %r0, 1\nnext:\nadd %r1, 1\nja outer\nend:\nexit\n", nil, n)
	}
	// Sieve of Eratosthenes in a 500-byte array on the stack.
	{
		comp := make([]bool, 500)
		n := uint64(0)
		for i := 2; i < 500; i++ {
			if comp[i] {
				continue
			}
			n++
			for k := i * i; k < 500; k += i {
				comp[k] = true
			}
		}
		add("primes-sieve-stack", "count of primes below 500 with a sieve in a 500-byte stack array",
			"mov %r6, %r10\nadd %r6, -500\nmov %r1, 0\nzero:\nmov %r3, %r6\nadd %r3, %r1\nstb [%r3+0], 0\nadd %r1, 1\njlt %r1, 500, zero\n"+
				"mov %r0, 0\nmov %r1, 2\nouter:\njge %r1, 500, end\nmov %r3, %r6\nadd %r3, %r1\nldxb %r4, [%r3+0]\njne %r4, 0, next\nadd %r0, 1\n"+
				"mov %r5, %r1\nmul %r5, %r1\nmark:\njge %r5, 500, next\nmov %r3, %r6\nadd %r3, %r5\nstb [%r3+0], 1\nadd %r5, %r1\nja mark\n"+
				"next:\nadd %r1, 1\nja outer\nend:\nexit\n", nil, n)
	}
	// GCD by Euclid with mod, 64-bit operands.
	for _, g := range [][2]uint64{{1071, 462}, {0x123456789abcdef0, 0x0fedcba987654320}, {1 << 63, 3 << 40}} {
		a, b := g[0], g[1]
		for b != 0 {
			a, b = b, a%b
		}
		pg := &prog{}
		pg.lddw(1, g[0]).lddw(2, g[1]).label("loop").op("jeq %%r2, 0, end").op("mov %%r3, %%r1").op("mod %%r3, %%r2").op("mov %%r1, %%r2").op("mov %%r2, %%r3").op("ja loop").
			label("end").op("mov %%r0, %%r1").op("exit")
		add(fmt.Sprintf("gcd-%x-%x", g[0], g[1]), fmt.Sprintf("gcd(%d, %d) by Euclid", g[0], g[1]), pg.String(), nil, a)
	}
	// Collatz steps.
	for _, start := range []uint64{27, 97, 871} {
		n, steps := start, uint64(0)
		for n != 1 {
			steps++
			if n%2 == 0 {
				n /= 2
			} else {
				n = 3*n + 1
			}
		}
		add(fmt.Sprintf("collatz-%d", start), fmt.Sprintf("Collatz steps from %d to 1", start),
			fmt.Sprintf("mov %%r1, %d\nmov %%r0, 0\nloop:\njeq %%r1, 1, end\nadd %%r0, 1\nmov %%r2, %%r1\nand %%r2, 1\njeq %%r2, 0, even\nmul %%r1, 3\nadd %%r1, 1\nja loop\neven:\nrsh %%r1, 1\nja loop\nend:\nexit\n", start), nil, steps)
	}
	// Popcount (Kernighan), bit reversal, integer log2.
	for _, v := range []uint64{0, 1, 0xf0f0f0f0f0f0f0f1, ^uint64(0), 0x8000000000000000} {
		pg := &prog{}
		pg.lddw(1, v).op("mov %%r0, 0").label("loop").op("jeq %%r1, 0, end").op("mov %%r2, %%r1").op("sub %%r2, 1").op("and %%r1, %%r2").op("add %%r0, 1").op("ja loop").label("end").op("exit")
		add("popcount-"+valName(v), fmt.Sprintf("population count of %#x", v), pg.String(), nil, uint64(bits.OnesCount64(v)))
		pg = &prog{}
		pg.lddw(1, v).op("mov %%r0, 0").op("mov %%r3, 64").label("loop").op("lsh %%r0, 1").op("mov %%r2, %%r1").op("and %%r2, 1").op("or %%r0, %%r2").op("rsh %%r1, 1").op("sub %%r3, 1").op("jne %%r3, 0, loop").op("exit")
		add("bitreverse-"+valName(v), fmt.Sprintf("bit reversal of %#x", v), pg.String(), nil, bits.Reverse64(v))
		if v != 0 {
			pg = &prog{}
			pg.lddw(1, v).op("mov %%r0, -1").label("loop").op("jeq %%r1, 0, end").op("add %%r0, 1").op("rsh %%r1, 1").op("ja loop").label("end").op("exit")
			add("log2-"+valName(v), fmt.Sprintf("floor(log2(%#x))", v), pg.String(), nil, uint64(bits.Len64(v)-1))
		}
	}
	// Bubble sort of the input bytes, then a weighted sum and the top doubleword.
	{
		data := []byte{0x42, 0x07, 0xff, 0x00, 0x80, 0x13, 0x7f, 0x01, 0xfe, 0x42, 0x99, 0x10, 0x03, 0xc8, 0x55, 0x20}
		sorted := append([]byte(nil), data...)
		sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
		sum := uint64(0)
		for i, x := range sorted {
			sum += uint64(i+1) * uint64(x)
		}
		sortAsm := "mov %r3, %r2\nouter:\njle %r3, 1, done\nmov %r4, 0\nmov %r5, %r3\nsub %r5, 1\ninner:\njge %r4, %r5, next\nmov %r6, %r1\nadd %r6, %r4\n" +
			"ldxb %r7, [%r6+0]\nldxb %r8, [%r6+1]\njle %r7, %r8, noswap\nstxb [%r6+0], %r8\nstxb [%r6+1], %r7\nnoswap:\nadd %r4, 1\nja inner\nnext:\nsub %r3, 1\nja outer\ndone:\n"
		add("bubble-sort-weighted", "bubble sort of 16 input bytes; r0 = sum of (i+1)*v[i]", sortAsm+
			"mov %r0, 0\nmov %r4, 0\nsum:\njge %r4, %r2, out\nmov %r6, %r1\nadd %r6, %r4\nldxb %r7, [%r6+0]\nmov %r8, %r4\nadd %r8, 1\nmul %r7, %r8\nadd %r0, %r7\nadd %r4, 1\nja sum\nout:\nexit\n", data, sum)
		add("bubble-sort-top", "bubble sort of 16 input bytes; r0 = the last 8 bytes as a doubleword", sortAsm+"ldxdw %r0, [%r1+8]\nexit\n", data, binary.LittleEndian.Uint64(sorted[8:]))
	}
	// Insertion sort of signed doublewords on the stack.
	{
		vals := []int64{5, -3, 1 << 62, -1 << 63, 0, 42, -42, 7}
		s := append([]int64(nil), vals...)
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		sum := uint64(0)
		for i, x := range s {
			sum += uint64(i+1) * uint64(x)
		}
		pg := &prog{}
		for i, v := range vals {
			pg.lddw(1, uint64(v)).op("stxdw [%%r10%+d], %%r1", -64+8*i)
		}
		pg.op("mov %%r6, %%r10").op("add %%r6, -64")
		// for i = 1..7: key = a[i]; j = i-1; while j >= 0 && a[j] > key: a[j+1] = a[j]; j--; a[j+1] = key
		pg.op("mov %%r1, 1").label("outer").op("jge %%r1, 8, done").
			op("mov %%r3, %%r1").op("lsh %%r3, 3").op("add %%r3, %%r6").op("ldxdw %%r4, [%%r3+0]").
			op("mov %%r2, %%r1").label("inner").op("jeq %%r2, 0, place").
			op("mov %%r3, %%r2").op("lsh %%r3, 3").op("add %%r3, %%r6").op("ldxdw %%r5, [%%r3-8]").op("jsle %%r5, %%r4, place").
			op("stxdw [%%r3+0], %%r5").op("sub %%r2, 1").op("ja inner").
			label("place").op("mov %%r3, %%r2").op("lsh %%r3, 3").op("add %%r3, %%r6").op("stxdw [%%r3+0], %%r4").op("add %%r1, 1").op("ja outer").
			label("done").op("mov %%r0, 0").op("mov %%r1, 0").label("sum").op("mov %%r3, %%r1").op("lsh %%r3, 3").op("add %%r3, %%r6").op("ldxdw %%r4, [%%r3+0]").
			op("mov %%r5, %%r1").op("add %%r5, 1").op("mul %%r4, %%r5").op("add %%r0, %%r4").op("add %%r1, 1").op("jlt %%r1, 8, sum").op("exit")
		add("insertion-sort-signed-stack", "insertion sort of 8 signed doublewords on the stack (jsle); r0 = sum of (i+1)*v[i]", pg.String(), nil, sum)
	}
	// Binary search in a sorted array of 16 little-endian u32.
	{
		arr := []uint32{1, 3, 4, 9, 17, 23, 100, 255, 256, 1000, 4096, 65535, 70000, 1 << 24, 0x7fffffff, 0xfffffff0}
		mem := make([]byte, 4*len(arr))
		for i, v := range arr {
			binary.LittleEndian.PutUint32(mem[4*i:], v)
		}
		for _, key := range []uint32{1, 256, 0xfffffff0, 5, 0xffffffff} {
			want := ^uint64(0)
			if i := sort.Search(len(arr), func(i int) bool { return arr[i] >= key }); i < len(arr) && arr[i] == key {
				want = uint64(i)
			}
			asm := fmt.Sprintf("lddw %%r6, %#x\nmov %%r3, 0\nmov %%r4, 16\nloop:\njge %%r3, %%r4, notfound\nmov %%r5, %%r3\nadd %%r5, %%r4\nrsh %%r5, 1\n"+
				"mov %%r7, %%r5\nlsh %%r7, 2\nadd %%r7, %%r1\nldxw %%r8, [%%r7+0]\njeq %%r8, %%r6, found\njlt %%r8, %%r6, right\nmov %%r4, %%r5\nja loop\n"+
				"right:\nmov %%r3, %%r5\nadd %%r3, 1\nja loop\nfound:\nmov %%r0, %%r5\nexit\nnotfound:\nmov %%r0, -1\nexit\n", key)
			add(fmt.Sprintf("binary-search-%x", key), fmt.Sprintf("binary search for %#x in 16 sorted u32 (index, or -1)", key), asm, mem, want)
		}
	}
	// strlen and a copy loop.
	{
		mem := []byte("hello, world\x00garbage")
		add("strlen", "length of the NUL-terminated input string",
			"mov %r0, 0\nloop:\nmov %r3, %r1\nadd %r3, %r0\nldxb %r4, [%r3+0]\njeq %r4, 0, end\nadd %r0, 1\nja loop\nend:\nexit\n", mem, 12)
		sum := uint64(0)
		for _, b := range mem[:16] {
			sum = sum*31 + uint64(b)
		}
		add("memcpy-hash", "copy 16 input bytes to the stack byte by byte, then hash them from the stack (h = h*31 + b)",
			"mov %r3, 0\ncopy:\nmov %r4, %r1\nadd %r4, %r3\nldxb %r5, [%r4+0]\nmov %r4, %r10\nadd %r4, -16\nadd %r4, %r3\nstxb [%r4+0], %r5\nadd %r3, 1\njlt %r3, 16, copy\n"+
				"mov %r0, 0\nmov %r3, 0\nhash:\nmul %r0, 31\nmov %r4, %r10\nadd %r4, -16\nadd %r4, %r3\nldxb %r5, [%r4+0]\nadd %r0, %r5\nadd %r3, 1\njlt %r3, 16, hash\nexit\n", mem, sum)
	}
	// Checksums: CRC-32 (bitwise), Adler-32, FNV-1a 64.
	crcAsm := fmt.Sprintf("lddw %%r0, 0xffffffff\nmov %%r3, 0\nloop:\njge %%r3, %%r2, end\nmov %%r4, %%r1\nadd %%r4, %%r3\nldxb %%r5, [%%r4+0]\nxor %%r0, %%r5\nmov %%r6, 8\n"+
		"bit:\nmov %%r7, %%r0\nand %%r7, 1\nrsh %%r0, 1\njeq %%r7, 0, nox\nxor32 %%r0, %d\nnox:\nsub %%r6, 1\njne %%r6, 0, bit\nadd %%r3, 1\nja loop\nend:\nxor32 %%r0, -1\nexit\n", int32(-306674912))
	adlerAsm := "mov %r3, 1\nmov %r4, 0\nmov %r5, 0\nloop:\njge %r5, %r2, end\nmov %r6, %r1\nadd %r6, %r5\nldxb %r7, [%r6+0]\nadd %r3, %r7\nmod %r3, 65521\nadd %r4, %r3\nmod %r4, 65521\nadd %r5, 1\nja loop\nend:\nmov %r0, %r4\nlsh %r0, 16\nor %r0, %r3\nexit\n"
	fnvAsm := "lddw %r0, 0xcbf29ce484222325\nlddw %r8, 0x100000001b3\nmov %r3, 0\nloop:\njge %r3, %r2, end\nmov %r4, %r1\nadd %r4, %r3\nldxb %r5, [%r4+0]\nxor %r0, %r5\nmul %r0, %r8\nadd %r3, 1\nja loop\nend:\nexit\n"
	for i, s := range []string{"123456789", "Wikipedia", "The quick brown fox jumps over the lazy dog", "\x00\xff\x80\x7f"} {
		mem := []byte(s)
		tag := fmt.Sprintf("%d", i)
		add("crc32-"+tag, fmt.Sprintf("bitwise CRC-32 (IEEE) of %q", s), crcAsm, mem, uint64(crc32.ChecksumIEEE(mem)))
		add("adler32-"+tag, fmt.Sprintf("Adler-32 of %q", s), adlerAsm, mem, uint64(adler32.Checksum(mem)))
		h := fnv.New64a()
		h.Write(mem)
		add("fnv1a64-"+tag, fmt.Sprintf("FNV-1a 64 of %q", s), fnvAsm, mem, h.Sum64())
	}
	out = append(out, packetAlgoFiles()...)
	return out
}

// ipChecksum is the Internet checksum (RFC 1071) of b.
func ipChecksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

func be16(v uint16) []byte { return []byte{byte(v >> 8), byte(v)} }

// frame builds Ethernet + (VLAN) + IPv4/IPv6 + L4 headers with real layouts.
func ethernet(ethertype uint16, vlan bool) []byte {
	f := []byte{0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02}
	if vlan {
		f = append(f, 0x81, 0x00, 0x20, 0x64) // TPID, PCP 1, VID 100
	}
	return append(f, be16(ethertype)...)
}

func ipv4(proto byte, options int, payloadLen int) []byte {
	ihl := 5 + options/4
	h := []byte{byte(0x40 | ihl), 0, 0, 0, 0xbe, 0xef, 0x40, 0, 64, proto, 0, 0, 10, 0, 0, 1, 8, 8, 8, 8}
	h = append(h, make([]byte, options)...)
	for i := 20; i < len(h); i++ {
		h[i] = 0x01 // NOP options
	}
	binary.BigEndian.PutUint16(h[2:], uint16(len(h)+payloadLen))
	binary.BigEndian.PutUint16(h[10:], ipChecksum(h))
	return h
}

func udp(sport, dport uint16, payload []byte) []byte {
	h := append(be16(sport), be16(dport)...)
	h = append(h, be16(uint16(8+len(payload)))...)
	h = append(h, 0, 0)
	return append(h, payload...)
}

func tcp(sport, dport uint16) []byte {
	h := append(be16(sport), be16(dport)...)
	h = append(h, 0, 0, 0x10, 0x00, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0)
	return h
}

// classify is the Go reference of the classifier program.
func classify(f []byte) uint64 {
	n := len(f)
	if n < 14 {
		return 0xdead
	}
	et := binary.BigEndian.Uint16(f[12:])
	l3 := 14
	if et == 0x8100 {
		if n < 18 {
			return 0xdead
		}
		et = binary.BigEndian.Uint16(f[16:])
		l3 = 18
	}
	var class uint64
	var l4 int
	switch et {
	case 0x0800:
		if l3+20 > n {
			return 0xdead
		}
		ihl := int(f[l3]&0x0f) * 4
		proto := f[l3+9]
		l4 = l3 + ihl
		switch proto {
		case 6:
			class = 0x10000
		case 17:
			class = 0x20000
		default:
			return uint64(proto) | 0x40000
		}
	case 0x86dd:
		if l3+40 > n {
			return 0xdead
		}
		if f[l3+6] != 17 {
			return uint64(f[l3+6]) | 0x50000
		}
		class, l4 = 0x30000, l3+40
	default:
		return uint64(et) | 0xf0000
	}
	if l4+4 > n {
		return 0xdead
	}
	return uint64(binary.BigEndian.Uint16(f[l4+2:])) | class
}

const classifierAsm = `# r0 = class << 16 | destination port; 0xdead when truncated
mov %r6, %r1
mov %r7, %r2
mov %r0, 0xdead
jlt %r7, 14, out
mov %r9, 14
ldxh %r3, [%r6+12]
be16 %r3
jne %r3, 0x8100, l3
jlt %r7, 18, out
ldxh %r3, [%r6+16]
be16 %r3
mov %r9, 18
l3:
jeq %r3, 0x0800, ipv4
jeq %r3, 0x86dd, ipv6
mov %r0, %r3
or %r0, 0xf0000
ja out
ipv4:
mov %r4, %r9
add %r4, 20
jgt %r4, %r7, trunc
mov %r5, %r6
add %r5, %r9
ldxb %r4, [%r5+0]
and %r4, 15
lsh %r4, 2
ldxb %r3, [%r5+9]
add %r4, %r9
mov %r1, 0x10000
jeq %r3, 6, l4
mov %r1, 0x20000
jeq %r3, 17, l4
mov %r0, %r3
or %r0, 0x40000
ja out
ipv6:
mov %r4, %r9
add %r4, 40
jgt %r4, %r7, trunc
mov %r5, %r6
add %r5, %r9
ldxb %r3, [%r5+6]
mov %r4, %r9
add %r4, 40
mov %r1, 0x30000
jeq %r3, 17, l4
mov %r0, %r3
or %r0, 0x50000
ja out
l4:
mov %r2, %r4
add %r2, 4
jgt %r2, %r7, trunc
mov %r5, %r6
add %r5, %r4
ldxh %r0, [%r5+2]
be16 %r0
or %r0, %r1
ja out
trunc:
mov %r0, 0xdead
out:
exit
`

func packetAlgoFiles() []*File {
	var out []*File
	dns := []byte{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1}
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	u := udp(53000, 53, dns)
	t := tcp(51234, 443)
	ip6 := []byte{0x60, 0, 0, 0, 0, byte(len(u)), 17, 64}
	ip6 = append(ip6, make([]byte, 32)...)
	ip6[8+15], ip6[24+15] = 1, 2
	ip6TCP := append([]byte(nil), ip6...)
	ip6TCP[6] = 6
	frames := []struct {
		name string
		f    []byte
	}{
		{"ipv4-tcp", cat(ethernet(0x0800, false), ipv4(6, 0, len(t)), t)},
		{"ipv4-udp-dns", cat(ethernet(0x0800, false), ipv4(17, 0, len(u)), u)},
		{"vlan-ipv4-options-udp", cat(ethernet(0x0800, true), ipv4(17, 8, len(u)), u)},
		{"ipv6-udp", cat(ethernet(0x86dd, false), ip6, u)},
		{"ipv6-tcp", cat(ethernet(0x86dd, false), ip6TCP, t)},
		{"ipv4-icmp", cat(ethernet(0x0800, false), ipv4(1, 0, 8), []byte{8, 0, 0xf7, 0xff, 0, 0, 0, 0})},
		{"arp", cat(ethernet(0x0806, false), make([]byte, 28))},
		{"truncated-l4", cat(ethernet(0x0800, false), ipv4(6, 0, len(t)), t)[:36]},
		{"truncated-l2", []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
	}
	for _, fr := range frames {
		out = append(out, &File{Name: "algo-parse-" + fr.name + ".data", Desc: "classify an Ethernet frame (" + fr.name + "): class<<16 | destination port",
			Asm: classifierAsm, Mem: fr.f, Result: classify(fr.f)})
	}
	// IPv4 header checksum: compute over a header whose checksum field is
	// zero, then verify a correct header (0).
	csumAsm := "mov %r6, %r1\nldxb %r3, [%r6+14]\nand %r3, 15\nlsh %r3, 2\nmov %r4, 0\nmov %r5, 0\nloop:\nmov %r7, %r6\nadd %r7, 14\nadd %r7, %r5\nldxh %r8, [%r7+0]\nbe16 %r8\nadd %r4, %r8\nadd %r5, 2\njlt %r5, %r3, loop\n" +
		"fold:\nmov %r8, %r4\nrsh %r8, 16\njeq %r8, 0, done\nand %r4, 0xffff\nadd %r4, %r8\nja fold\ndone:\nxor %r4, 0xffff\nmov %r0, %r4\nexit\n"
	for _, opts := range []int{0, 8} {
		f := cat(ethernet(0x0800, false), ipv4(17, opts, len(u)), u)
		hdr := f[14 : 14+20+opts]
		zero := append([]byte(nil), f...)
		zero[24], zero[25] = 0, 0
		out = append(out, &File{Name: fmt.Sprintf("algo-ipv4-checksum-compute-%d.data", 20+opts), Desc: fmt.Sprintf("Internet checksum of a %d-byte IPv4 header with its checksum field zero", 20+opts),
			Asm: csumAsm, Mem: zero, Result: uint64(ipChecksum(zero[14 : 14+20+opts]))})
		out = append(out, &File{Name: fmt.Sprintf("algo-ipv4-checksum-verify-%d.data", 20+opts), Desc: fmt.Sprintf("Internet checksum over a valid %d-byte IPv4 header is 0", 20+opts),
			Asm: csumAsm, Mem: f, Result: uint64(ipChecksum(hdr))})
	}
	return out
}
