package gen

import (
	"fmt"
	"math/big"
)

func init() { register(callFiles) }

// isqrt is the reference integer square root (math/big, independent of the
// helper's Newton iteration).
func isqrt(x uint64) uint64 {
	return new(big.Int).Sqrt(new(big.Int).SetUint64(x)).Uint64()
}

func gather(a, b, c, d, e uint64) uint64 {
	return (a&0xff)<<32 | (b&0xff)<<24 | (c&0xff)<<16 | (d&0xff)<<8 | e&0xff
}

func callFiles() []*File {
	var out []*File
	add := func(name, desc, asm string, mem []byte, want uint64) {
		out = append(out, &File{Name: name, Desc: desc, Asm: asm, Mem: mem, Result: want})
	}
	// Helper 0: gather_bytes.
	for i, args := range [][5]uint64{{1, 2, 3, 4, 5}, {0x101, 0x1202, 0xff03, 0x04, 0xdeadbe05}, {0xff, 0xff, 0xff, 0xff, 0xff}, {m(-1), 0, m(-1), 0, 0x80}} {
		pg := &prog{}
		for r, v := range args {
			pg.setReg(r+1, v)
		}
		pg.op("call 0").op("exit")
		add(fmt.Sprintf("helper-gather-bytes-%d.data", i), fmt.Sprintf("helper 0 (gather_bytes) of %#x", args), pg.String(), nil, gather(args[0], args[1], args[2], args[3], args[4]))
	}
	// Helper 1: memfrob on the stack and on the input memory.
	{
		data := []byte("eBPF!vm\x00")
		v := le(data, 8)
		frob := append([]byte(nil), data...)
		for i := range frob {
			frob[i] ^= 42
		}
		pg := &prog{}
		pg.lddw(1, v).op("stxdw [%%r10-8], %%r1").op("mov %%r1, %%r10").op("add %%r1, -8").op("mov %%r2, 8").op("call 1").op("ldxdw %%r0, [%%r10-8]").op("exit")
		add("helper-memfrob-stack.data", "helper 1 (memfrob) on 8 bytes of the stack", pg.String(), nil, le(frob, 8))
		pg = &prog{}
		pg.lddw(1, v).op("stxdw [%%r10-8], %%r1").op("mov %%r1, %%r10").op("add %%r1, -8").op("mov %%r2, 8").op("call 1").
			op("mov %%r1, %%r10").op("add %%r1, -8").op("mov %%r2, 8").op("call 1").op("ldxdw %%r0, [%%r10-8]").op("exit")
		add("helper-memfrob-twice.data", "memfrob twice restores the bytes", pg.String(), nil, v)
		mem := []byte{0, 1, 2, 3, 0x2a, 0xff, 0x80, 0x7f, 9, 9}
		frobMem := append([]byte(nil), mem...)
		for i := 2; i < 8; i++ {
			frobMem[i] ^= 42
		}
		pg = &prog{}
		pg.op("mov %%r6, %%r1").op("add %%r1, 2").op("mov %%r2, 6").op("call 1").op("ldxdw %%r0, [%%r6+2]").op("exit")
		add("helper-memfrob-input.data", "memfrob on 6 bytes of the input memory", pg.String(), mem, le(frobMem[2:], 8))
		pg = &prog{}
		pg.op("mov %%r1, %%r10").op("mov %%r2, 0").op("call 1").op("exit")
		add("helper-memfrob-empty.data", "memfrob of 0 bytes returns 0", pg.String(), nil, 0)
	}
	// Helper 2: no_op; r6-r9 survive helper calls.
	{
		pg := &prog{}
		pg.op("mov %%r0, 77").op("call 2").op("exit")
		add("helper-no-op.data", "helper 2 (no_op) returns 0", pg.String(), nil, 0)
		pg = &prog{}
		pg.op("mov %%r6, 6").op("mov %%r7, 7").op("mov %%r8, 8").lddw(9, 0x900000009).op("call 2").
			op("mov %%r0, %%r6").op("add %%r0, %%r7").op("add %%r0, %%r8").op("add %%r0, %%r9").op("exit")
		add("helper-preserves-r6-r9.data", "r6-r9 survive a helper call", pg.String(), nil, 6+7+8+0x900000009)
	}
	// Helper 3: sqrti.
	for _, x := range []uint64{0, 1, 2, 3, 4, 15, 16, 17, 1 << 62, 0xffffffffffffffff, 0xfffffffe00000001, 0xfffffffe00000000, 1000000007 * 1000000007, 1000000007*1000000007 - 1} {
		pg := &prog{}
		pg.setReg(1, x).op("call 3").op("exit")
		add(fmt.Sprintf("helper-sqrti-%s.data", valName(x)), fmt.Sprintf("helper 3 (sqrti) of %#x", x), pg.String(), nil, isqrt(x))
	}
	// Helper 4: strcmp_ext, sign of the result mapped to 0 (equal), 1 (less), 2 (greater).
	for i, sp := range [][2]string{{"abc", "abc"}, {"abc", "abd"}, {"abd", "abc"}, {"ab", "abc"}, {"abc", "ab"}, {"", ""}, {"\xff", "a"}, {"hello w", "hello w"}} {
		a, b := sp[0], sp[1]
		want := uint64(0)
		switch {
		case a < b: // Go compares bytes as unsigned, like C strcmp
			want = 1
		case a > b:
			want = 2
		}
		pad := func(s string) uint64 { bs := make([]byte, 8); copy(bs, s); return le(bs, 8) }
		pg := &prog{}
		pg.lddw(1, pad(a)).op("stxdw [%%r10-16], %%r1").lddw(1, pad(b)).op("stxdw [%%r10-8], %%r1").
			op("mov %%r1, %%r10").op("add %%r1, -16").op("mov %%r2, %%r10").op("add %%r2, -8").op("call 4").
			op("mov %%r1, %%r0").op("mov %%r0, 0").op("jeq %%r1, 0, done").op("mov %%r0, 1").op("jslt %%r1, 0, done").op("mov %%r0, 2").label("done").op("exit")
		add(fmt.Sprintf("helper-strcmp-%d.data", i), fmt.Sprintf("helper 4 (strcmp_ext) of %q and %q: 0 equal, 1 less, 2 greater", a, b), pg.String(), nil, want)
	}
	{
		mem := append([]byte("input\x00"), []byte("inpuT\x00")...)
		pg := &prog{}
		pg.op("mov %%r2, %%r1").op("add %%r2, 6").op("call 4").op("mov %%r1, %%r0").op("mov %%r0, 0").op("jsle %%r1, 0, done").op("mov %%r0, 1").label("done").op("exit")
		add("helper-strcmp-input.data", "strcmp_ext of two strings in the input memory (\"input\" > \"inpuT\")", pg.String(), mem, 1)
	}
	// Helper 5: unwind.
	{
		pg := &prog{}
		pg.op("mov %%r1, 5").op("call 5").op("add %%r0, 1").op("exit")
		add("helper-unwind-continue.data", "unwind with a non-zero argument returns it", pg.String(), nil, 6)
		pg = &prog{}
		pg.op("mov %%r6, 9").op("mov %%r1, 0").op("call 5").op("mov %%r0, %%r6").op("exit")
		add("helper-unwind-stop.data", "unwind with 0 ends the program at once with r0 = 0", pg.String(), nil, 0)
		pg = &prog{}
		pg.op("mov %%r0, 3").op("call local f").op("mov %%r0, 100").op("exit").
			label("f").op("call local g").op("mov %%r0, 200").op("exit").
			label("g").op("mov %%r1, 0").op("call 5").op("mov %%r0, 300").op("exit")
		add("helper-unwind-nested.data", "unwind with 0 from a nested local call ends the whole program", pg.String(), nil, 0)
	}
	// callx: helper id in a register (dst field).
	{
		pg := &prog{}
		pg.op("mov %%r8, 3").op("mov %%r1, 144").op("call %%r8").op("exit")
		add("callx-sqrti.data", "call %r8 with r8 = 3 calls sqrti", pg.String(), nil, 12)
		pg = &prog{}
		pg.op("mov %%r0, 0").op("mov %%r1, 1").op("mov %%r2, 2").op("mov %%r3, 3").op("mov %%r4, 4").op("mov %%r5, 5").op("call %%r0").op("exit")
		add("callx-r0-gather.data", "call %r0 with r0 = 0 calls gather_bytes", pg.String(), nil, gather(1, 2, 3, 4, 5))
		pg = &prog{}
		pg.op("mov %%r9, 0").op("mov %%r0, 0").label("loop").op("mov %%r1, %%r9").op("call %%r9").op("add %%r0, 0").op("add %%r9, 1").op("jlt %%r9, 3, loop").op("exit")
		// r9 = 0 gather(0,...) ; r9 = 1 memfrob(1, ...)? avoid: only ids with safe args
		_ = pg
		pg = &prog{}
		pg.op("mov %%r6, 2").op("mov %%r0, 55").op("call %%r6").op("mov %%r7, %%r0").op("mov %%r6, 3").op("mov %%r1, 81").op("call %%r6").op("add %%r0, %%r7").op("exit")
		add("callx-two.data", "callx through the same register to no_op then sqrti", pg.String(), nil, 0+9)
	}
	// Local calls.
	{
		pg := &prog{}
		pg.op("call local f").op("add %%r0, 1").op("exit").label("f").op("mov %%r0, 41").op("exit")
		add("call-local-simple.data", "a local call returns to the next instruction", pg.String(), nil, 42)

		pg = &prog{}
		pg.op("mov %%r1, 20").op("mov %%r2, 22").op("call local sum").op("exit").label("sum").op("mov %%r0, %%r1").op("add %%r0, %%r2").op("exit")
		add("call-local-args.data", "r1-r5 pass arguments to a local function", pg.String(), nil, 42)

		// r6-r9 of each caller survive callees that overwrite them, four levels deep.
		pg = &prog{}
		pg.op("mov %%r6, 1").op("mov %%r7, 2").op("mov %%r8, 3").op("mov %%r9, 4").op("call local f1")
		pg.op("mov %%r1, %%r6").op("lsh %%r1, 12").op("mov %%r2, %%r7").op("lsh %%r2, 8").op("or %%r1, %%r2").op("mov %%r2, %%r8").op("lsh %%r2, 4").op("or %%r1, %%r2").op("or %%r1, %%r9")
		pg.op("lsh %%r0, 16").op("or %%r0, %%r1").op("exit")
		for lvl := 1; lvl <= 4; lvl++ {
			pg.label(fmt.Sprintf("f%d", lvl))
			pg.op("mov %%r6, %d", 10*lvl+1).op("mov %%r7, %d", 10*lvl+2).op("mov %%r8, %d", 10*lvl+3).op("mov %%r9, %d", 10*lvl+4)
			if lvl < 4 {
				pg.op("call local f%d", lvl+1)
				// check own r6..r9 survived the deeper call: r0 += (r6+r7+r8+r9 == expected)
				pg.op("mov %%r1, %%r6").op("add %%r1, %%r7").op("add %%r1, %%r8").op("add %%r1, %%r9").op("jne %%r1, %d, bad%d", 40*lvl+10, lvl).op("add %%r0, 1").label(fmt.Sprintf("bad%d", lvl))
			} else {
				pg.op("mov %%r0, 0")
			}
			pg.op("exit")
		}
		add("call-local-r6-r9-preserved.data", "r6-r9 are preserved across local calls four levels deep; each level counts its own intact registers",
			pg.String(), nil, 3<<16|0x1234)

		// Per-frame stacks: each level stores at [r10-8], calls deeper, and reads its own value back.
		pg = &prog{}
		pg.op("stdw [%%r10-8], 1000").op("mov %%r1, 1").op("call local f").op("ldxdw %%r1, [%%r10-8]").op("add %%r0, %%r1").op("exit")
		pg.label("f").op("mov %%r6, %%r1").op("stxdw [%%r10-8], %%r1").op("mov %%r0, 0").op("jge %%r1, 5, leaf").
			op("add %%r1, 1").op("call local f").label("leaf").op("ldxdw %%r2, [%%r10-8]").op("lsh %%r0, 4").op("add %%r0, %%r2").op("exit")
		// f(1) stores 1, f(2) 2 ... f(5) 5: f(5)=5; f(4)=5<<4+4; ...
		v := uint64(0)
		for k := 5; k >= 1; k-- {
			v = v<<4 + uint64(k)
		}
		add("call-local-frame-stacks.data", "each local call has its own stack frame (r10)", pg.String(), nil, v+1000)

		// r10 differs between frames by at least 512 bytes... only observable by separation: write in callee, caller unchanged.
		pg = &prog{}
		pg.op("stdw [%%r10-512], 7").op("call local f").op("ldxdw %%r0, [%%r10-512]").op("exit").
			label("f").op("stdw [%%r10-512], 9").op("stdw [%%r10-8], 9").op("exit")
		add("call-local-frame-isolation.data", "a callee's stores to its frame leave the caller's frame alone", pg.String(), nil, 7)

		// Recursion: factorial and Fibonacci.
		pg = &prog{}
		pg.op("mov %%r1, 6").op("call local fact").op("exit").
			label("fact").op("mov %%r0, 1").op("jle %%r1, 1, ret").op("mov %%r6, %%r1").op("sub %%r1, 1").op("call local fact").op("mul %%r0, %%r6").label("ret").op("exit")
		add("call-local-factorial.data", "recursive factorial of 6 (7 frames)", pg.String(), nil, 720)

		pg = &prog{}
		pg.op("mov %%r1, 6").op("call local fib").op("exit").
			label("fib").op("mov %%r0, %%r1").op("jle %%r1, 1, ret").op("mov %%r6, %%r1").op("sub %%r1, 1").op("call local fib").
			op("mov %%r7, %%r0").op("mov %%r1, %%r6").op("sub %%r1, 2").op("call local fib").op("add %%r0, %%r7").label("ret").op("exit")
		add("call-local-fibonacci.data", "doubly recursive Fibonacci of 6", pg.String(), nil, 8)

		// A local function calling a helper, and a helper result passed back.
		pg = &prog{}
		pg.op("mov %%r1, 10000").op("call local f").op("add %%r0, 1").op("exit").label("f").op("call 3").op("exit")
		add("call-local-then-helper.data", "a local function calls sqrti", pg.String(), nil, 101)
		// Local call target before the caller (negative imm).
		pg = &prog{}
		pg.op("ja main").label("f").op("mov %%r0, 5").op("exit").label("main").op("call local f").op("add %%r0, 2").op("exit")
		add("call-local-backward.data", "a local call to a function earlier in the program", pg.String(), nil, 7)
	}
	return out
}

func init() { register(packetFiles) }

// A real frame: Ethernet, IPv4 (with checksum), TCP from 192.168.1.10:51234 to
// 93.184.216.34:443, SYN.
var tcpFrame = []byte{
	0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x08, 0x00,
	0x45, 0x00, 0x00, 0x3c, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00, 0xc0, 0xa8, 0x01, 0x0a, 0x5d, 0xb8, 0xd8, 0x22,
	0xc8, 0x22, 0x01, 0xbb, 0x6b, 0x8b, 0x45, 0x67, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0, 0x00, 0x00, 0x00, 0x00,
	0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x9c, 0x27, 0x24, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
}

func packetFiles() []*File {
	var out []*File
	sizes := map[string]int{"b": 1, "h": 2, "w": 4}
	n := len(tcpFrame)
	for _, s := range []string{"b", "h", "w"} {
		size := sizes[s]
		seenOff := map[int]bool{}
		for _, off := range []int{0, 12, 23, n - size, n - size + 1, n, 0x7fffffff, -1} {
			if seenOff[off] {
				continue
			}
			seenOff[off] = true
			inb := off >= 0 && off+size <= n
			want := uint64(0)
			if inb {
				want = be(tcpFrame[off:], size)
			}
			pg := &prog{}
			pg.op("mov %%r0, 99").op("ldabs%s %d", s, off)
			if inb {
				pg.op("exit")
			} else {
				pg.op("mov %%r0, 1234").op("exit")
			}
			tag := fmt.Sprint(off)
			if off < 0 {
				tag = fmt.Sprintf("m%d", -off)
			}
			desc := fmt.Sprintf("ldabs%s at %d of a %d-byte packet (network byte order)", s, off, n)
			if !inb {
				desc += "; out of bounds: the program ends with r0 = 0"
			}
			out = append(out, &File{Name: fmt.Sprintf("packet-ldabs%s-%s.data", s, tag), Desc: desc, Asm: pg.String(), Mem: tcpFrame, Result: want})
			// ind: src register + imm
			for _, base := range []int{14, 0} {
				imm := off - base
				pg := &prog{}
				pg.op("mov %%r0, 99").op("mov %%r7, %d", base).op("ldind%s %%r7, %d", s, imm)
				if inb {
					pg.op("exit")
				} else {
					pg.op("mov %%r0, 1234").op("exit")
				}
				if off < 0 || off == 0x7fffffff {
					if base != 0 {
						continue
					}
				}
				out = append(out, &File{Name: fmt.Sprintf("packet-ldind%s-%s-base%d.data", s, tag, base),
					Desc: fmt.Sprintf("ldind%s at r7 = %d plus %d", s, base, imm) + map[bool]string{true: "", false: "; out of bounds: r0 = 0"}[inb],
					Asm:  pg.String(), Mem: tcpFrame, Result: want})
			}
		}
	}
	{
		pg := &prog{}
		pg.op("mov %%r0, 5").op("ldabsb 0").op("mov %%r0, 6").op("exit")
		out = append(out, &File{Name: "packet-ldabs-no-packet.data", Desc: "ldabsb without input memory is out of bounds: r0 = 0", Asm: pg.String(), Result: 0})
		// r6-r9 survive legacy loads; the loaded values combine.
		pg = &prog{}
		pg.op("mov %%r6, 0x1000").op("ldabsh 12").op("mov %%r7, %%r0").op("ldabsb 23").op("lsh %%r7, 8").op("or %%r0, %%r7").op("add %%r0, %%r6").op("exit")
		out = append(out, &File{Name: "packet-ldabs-combined.data", Desc: "ethertype and IP protocol via legacy loads; r6 survives",
			Asm: pg.String(), Mem: tcpFrame, Result: (be(tcpFrame[12:], 2)<<8 | uint64(tcpFrame[23])) + 0x1000})
		// IP header length from the low nibble, then the TCP destination port with ldind.
		ihl := int(tcpFrame[14]&0x0f) * 4
		pg = &prog{}
		pg.op("ldabsb 14").op("and %%r0, 15").op("lsh %%r0, 2").op("mov %%r8, %%r0").op("ldindh %%r8, 16").op("exit")
		out = append(out, &File{Name: "packet-ldind-tcp-dport.data", Desc: "TCP destination port at 14 + IHL*4 + 2 via ldindh",
			Asm: pg.String(), Mem: tcpFrame, Result: be(tcpFrame[14+ihl+2:], 2)})
	}
	return out
}
