package gen

import "fmt"

var memPattern = []byte{0x11, 0x82, 0x7f, 0xff, 0x80, 0x00, 0x01, 0xfe, 0x33, 0xc4, 0x55, 0xe6, 0x77, 0x88, 0x99, 0xaa}

var sizeNames = map[int]string{1: "b", 2: "h", 4: "w", 8: "dw"}

func init() { register(memFiles) }

func memFiles() []*File {
	var out []*File
	// Loads from the input memory at several offsets, zero- and sign-extending.
	for _, size := range []int{1, 2, 4, 8} {
		for _, sx := range []bool{false, true} {
			if sx && size == 8 {
				continue
			}
			mn := "ldx" + sizeNames[size]
			if sx {
				mn = "ldxs" + sizeNames[size]
			}
			for _, off := range []int{0, 1, 3, 4, 9, len(memPattern) - size} {
				if off+size > len(memPattern) || (off == len(memPattern)-size && off != 9 && off < 9) {
					continue
				}
				want := le(memPattern[off:], size)
				if sx {
					want = sext(want, size)
				}
				pg := &prog{}
				pg.lddw(0, 0xdeadbeefdeadbeef).op("%s %%r0, [%%r1+%d]", mn, off).op("exit")
				out = append(out, &File{
					Name:   fmt.Sprintf("mem-%s-input-off%d.data", mn, off),
					Desc:   fmt.Sprintf("%s from the input memory at offset %d", mn, off),
					Asm:    pg.String(),
					Mem:    memPattern,
					Result: want,
				})
			}
			// Negative offset from a pointer past the end.
			off := len(memPattern) - size
			want := le(memPattern[off:], size)
			if sx {
				want = sext(want, size)
			}
			pg := &prog{}
			pg.op("mov %%r3, %%r1").op("add %%r3, %%r2").op("%s %%r0, [%%r3-%d]", mn, size).op("exit")
			out = append(out, &File{
				Name:   fmt.Sprintf("mem-%s-input-negoff.data", mn),
				Desc:   fmt.Sprintf("%s with a negative offset from the end of the input memory", mn),
				Asm:    pg.String(),
				Mem:    memPattern,
				Result: want,
			})
		}
	}
	// Stores: immediate and register, on the stack and in the input memory,
	// read back as a whole doubleword to see exactly which bytes changed.
	imms := []int32{-1, 0x80, -0x80000000, 0x7fffffff, 0x12345678}
	regVals := []uint64{0x8899aabbccddeeff, 0xffffffffffffffff, 0x0000000080000080}
	fill := uint64(0x1122334455667788)
	for _, size := range []int{1, 2, 4, 8} {
		for _, where := range []string{"stack", "input"} {
			positions := []int{0}
			if size < 8 {
				positions = append(positions, 8-size)
			}
			for _, pos := range positions {
				base, baseOff := "%r10", -16+pos
				if where == "input" {
					base, baseOff = "%r1", 8+pos
				}
				readOff := baseOff - pos
				emit := func(pg *prog, store string) {
					if where == "stack" {
						pg.lddw(4, fill).op("stxdw [%%r10%+d], %%r4", readOff)
					}
					pg.op("%s", store)
					pg.op("ldxdw %%r0, [%s%+d]", base, readOff)
					pg.op("exit")
				}
				initial := make([]byte, 8)
				if where == "stack" {
					putLE(initial, 8, fill)
				} else {
					copy(initial, memPattern[8:16])
				}
				for _, imm := range imms {
					buf := append([]byte(nil), initial...)
					putLE(buf[pos:], size, uint64(int64(imm)))
					pg := &prog{}
					emit(pg, fmt.Sprintf("st%s [%s%+d], %d", sizeNames[size], base, baseOff, imm))
					out = append(out, &File{
						Name:   fmt.Sprintf("mem-st%s-%s-pos%d-%s.data", sizeNames[size], where, pos, valName(uint64(int64(imm)))),
						Desc:   fmt.Sprintf("st%s of immediate %d at byte %d of a doubleword (%s)", sizeNames[size], imm, pos, where),
						Asm:    pg.String(),
						Mem:    memPattern,
						Result: le(buf, 8),
					})
				}
				for i, v := range regVals {
					buf := append([]byte(nil), initial...)
					putLE(buf[pos:], size, v)
					pg := &prog{}
					r := 5 + i
					pg.lddw(r, v)
					emit(pg, fmt.Sprintf("stx%s [%s%+d], %%r%d", sizeNames[size], base, baseOff, r))
					out = append(out, &File{
						Name:   fmt.Sprintf("mem-stx%s-%s-pos%d-%s.data", sizeNames[size], where, pos, valName(v)),
						Desc:   fmt.Sprintf("stx%s of %#x at byte %d of a doubleword (%s)", sizeNames[size], v, pos, where),
						Asm:    pg.String(),
						Mem:    memPattern,
						Result: le(buf, 8),
					})
				}
			}
		}
	}
	// The whole 512-byte frame is usable: store at its bottom and top.
	{
		pg := &prog{}
		pg.lddw(1, 0x0102030405060708).op("stxdw [%%r10-512], %%r1").op("stdw [%%r10-8], 9")
		pg.op("ldxdw %%r0, [%%r10-512]").op("ldxdw %%r2, [%%r10-8]").op("add %%r0, %%r2").op("exit")
		out = append(out, &File{Name: "mem-stack-frame-ends.data", Desc: "stores at the lowest and highest doubleword of the 512-byte frame",
			Asm: pg.String(), Result: 0x0102030405060708 + 9})
	}
	return out
}

func init() { register(atomicFiles) }

var atomicOps = []string{"add", "or", "and", "xor", "fetch add", "fetch or", "fetch and", "fetch xor", "xchg", "cmpxchg"}

func atomicFiles() []*File {
	var out []*File
	type apair struct{ old, src uint64 }
	pairs := []apair{{0x8000000180000001, 0xffffffff7fffffff}, {0x00000000ffffffff, 1}, {0x123456789abcdef0, 0x0fedcba987654321}}
	for _, size := range []int{8, 4} {
		sfx := ""
		if size == 4 {
			sfx = "32"
		}
		for _, op := range atomicOps {
			mn := "lock " + op + sfx
			fname := fmt.Sprintf("atomic%d-%s", size*8, map[bool]string{true: "", false: ""}[true]+spaceToDash(op))
			for i, pr := range pairs {
				outputs := []string{"mem"}
				if op == "xchg" || len(op) > 6 && op[:6] == "fetch " {
					outputs = append(outputs, "src")
				}
				var r0s []uint64
				if op == "cmpxchg" {
					// success (r0 equals memory in the compared width, the
					// upper half dirty for the 32-bit form) and failure
					succ := pr.old
					if size == 4 {
						succ = pr.old&0xffffffff | 0xabcd000000000000
					}
					r0s = []uint64{succ, pr.old ^ 0x10}
					outputs = []string{"mem", "r0"}
				} else {
					r0s = []uint64{0x5a5a}
				}
				for ci, r0 := range r0s {
					for _, o := range outputs {
						memAfter, srcAfter, r0After := atomic(op, size, pr.old, pr.src, r0)
						// The 32-bit forms touch the low word only.
						fullMem := memAfter
						if size == 4 {
							fullMem = pr.old&^0xffffffff | memAfter
						}
						where := "stack"
						if i == 2 {
							where = "input"
						}
						pg := &prog{}
						base, off := "%r10", -8
						var mem []byte
						if where == "input" {
							base, off = "%r1", 8
							mem = make([]byte, 16)
							putLE(mem[8:], 8, pr.old)
						} else {
							pg.lddw(4, pr.old).op("stxdw [%%r10-8], %%r4")
						}
						pg.lddw(6, pr.src).lddw(0, r0)
						pg.op("%s [%s%+d], %%r6", mn, base, off)
						var want uint64
						switch o {
						case "mem":
							pg.op("ldxdw %%r0, [%s%+d]", base, off)
							want = fullMem
						case "src":
							pg.op("mov %%r0, %%r6")
							want = srcAfter
						case "r0":
							want = r0After
						}
						pg.op("exit")
						name := fmt.Sprintf("%s-%d-%s", fname, i, o)
						desc := fmt.Sprintf("%s on %#x with %#x (%s); result: %s after", mn, pr.old, pr.src, where, o)
						if op == "cmpxchg" {
							name += []string{"-success", "-failure"}[ci]
							desc += fmt.Sprintf(", r0 = %#x (%s)", r0, []string{"equal", "different"}[ci])
						}
						out = append(out, &File{Name: name + ".data", Desc: desc, Asm: pg.String(), Mem: mem, Result: want})
					}
				}
			}
		}
	}
	// A counter incremented in a loop with lock add.
	{
		pg := &prog{}
		pg.op("stdw [%%r10-8], 0").op("mov %%r2, 1").op("mov %%r3, 0")
		pg.label("loop").op("lock add [%%r10-8], %%r2").op("add %%r2, 1").op("add %%r3, 1").op("jlt %%r3, 100, loop")
		pg.op("ldxdw %%r0, [%%r10-8]").op("exit")
		out = append(out, &File{Name: "atomic64-add-loop.data", Desc: "lock add of 1..100 into a stack counter", Asm: pg.String(), Result: 5050})
	}
	return out
}

func spaceToDash(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == ' ' {
			b[i] = '-'
		}
	}
	return string(b)
}
