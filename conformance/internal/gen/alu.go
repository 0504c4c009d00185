package gen

import "fmt"

var (
	// vals is the edge-value set of the matrix files.
	vals = []uint64{0, 1, ^uint64(0), 7, min64, max64, 0x80000000, 0x7fffffff, 0xffffffff,
		0xffffffff80000000, 0x0123456789abcdef, 0xfedcba9876543210}
	// imms is the immediate edge-value set.
	imms = []int32{0, 1, -1, 7, -7, -0x80000000, 0x7fffffff, 0x12345678}
	// shiftCounts holds shift amounts, including ones the mask reduces.
	shiftCounts = []uint64{0, 1, 7, 31, 32, 33, 63, 64, 65, ^uint64(0), 0x100000021}
	// shiftImms are shift amounts given as immediates.
	shiftImms = []int32{0, 1, 31, 32, 63, 64, -1}
)

type pair struct{ a, b uint64 }

func p(a, b uint64) pair { return pair{a, b} }

func m(v int64) uint64 { return uint64(v) }

var binOps = []string{"add", "sub", "mul", "div", "sdiv", "mod", "smod", "or", "and", "lsh", "rsh", "arsh", "xor", "mov"}

// pairsFor returns the curated (dst, src) pairs of the single-value files.
func pairsFor(op string) []pair {
	general := []pair{p(max64, 1), p(m(-1), 1), p(min64, m(-1)), p(0x0123456789abcdef, 0xfedcba9876543210),
		p(0xffffffff, 1), p(0x7fffffff, 1), p(0x80000000, 0x80000000), p(7, m(-7)), p(0xdeadbeef00000005, 3)}
	switch op {
	case "div", "mod":
		return []pair{p(7, 2), p(m(-1), 2), p(0xfedcba9876543210, 0), p(0, 0), p(min64, m(-1)), p(m(-1), m(-1)),
			p(0x80000000, 0xffffffff), p(0x123456789, 0x10), p(1, 0x7fffffff), p(0xdeadbeef00000010, 0xffffffff00000003),
			p(0xffffffff00000000, 0x100000000), p(m(-7), 2)}
	case "sdiv", "smod":
		return []pair{p(min64, m(-1)), p(0xffffffff80000000, m(-1)), p(0x80000000, 0xffffffff), p(m(-7), 2), p(7, m(-2)),
			p(m(-7), m(-2)), p(m(-1), 0), p(min64, 0), p(7, 0), p(0x0000000580000000, 0x00000003ffffffff), p(max64, m(-1)),
			p(0x7fffffff, 0x80000000)}
	case "lsh", "rsh", "arsh":
		var out []pair
		for _, a := range []uint64{0x8765432187654321, 0x4000000140000001} {
			for _, c := range shiftCounts {
				out = append(out, p(a, c))
			}
		}
		return out
	}
	return general
}

// immPairsFor returns (dst, imm) pairs for the immediate form.
func immPairsFor(op string, is64 bool) []pair {
	var out []pair
	for _, pr := range pairsFor(op) {
		if op == "lsh" || op == "rsh" || op == "arsh" {
			continue
		}
		if !is64 || pr.b == uint64(int64(int32(pr.b))) {
			out = append(out, pr)
		}
	}
	switch op {
	case "lsh", "rsh", "arsh":
		for _, c := range shiftImms {
			out = append(out, p(0x8765432187654321, uint64(int64(c))))
		}
	default:
		for _, imm := range []int32{-1, -0x80000000, 0x7fffffff, 0} {
			out = append(out, p(0x0123456789abcdef, uint64(int64(imm))))
		}
	}
	// de-duplicate
	seen := map[pair]bool{}
	var uniq []pair
	for _, pr := range out {
		if !seen[pr] {
			seen[pr] = true
			uniq = append(uniq, pr)
		}
	}
	return uniq
}

func width(is64 bool) (sfx string, name string) {
	if is64 {
		return "", "64"
	}
	return "32", "32"
}

func init() { register(aluFiles) }

func aluFiles() []*File {
	var out []*File
	for _, is64 := range []bool{true, false} {
		sfx, wn := width(is64)
		for _, op := range binOps {
			mn := op + sfx
			// Register form, single values.
			for i, pr := range pairsFor(op) {
				d := i % 10
				s := (d + 1 + i/10) % 10
				if s == d {
					s = (s + 1) % 10
				}
				pg := &prog{}
				pg.lddw(d, pr.a).lddw(s, pr.b).op("%s %%r%d, %%r%d", mn, d, s)
				if d != 0 {
					pg.op("mov %%r0, %%r%d", d)
				}
				pg.op("exit")
				out = append(out, &File{
					Name:   fmt.Sprintf("alu%s-%s-reg-%s-%s.data", wn, op, valName(pr.a), valName(pr.b)),
					Desc:   fmt.Sprintf("%s %#x, %#x (register source)", mn, pr.a, pr.b),
					Asm:    pg.String(),
					Result: alu(op, is64, pr.a, pr.b),
				})
			}
			// Immediate form, single values.
			for i, pr := range immPairsFor(op, is64) {
				d := (i + 3) % 10
				imm := int32(pr.b)
				pg := &prog{}
				pg.lddw(d, pr.a).op("%s %%r%d, %d", mn, d, imm)
				if d != 0 {
					pg.op("mov %%r0, %%r%d", d)
				}
				pg.op("exit")
				out = append(out, &File{
					Name:   fmt.Sprintf("alu%s-%s-imm-%s-%s.data", wn, op, valName(pr.a), valName(uint64(int64(imm)))),
					Desc:   fmt.Sprintf("%s %#x, %d (immediate source)", mn, pr.a, imm),
					Asm:    pg.String(),
					Result: alu(op, is64, pr.a, immOperand(is64, imm)),
				})
			}
			// Same register as source and destination.
			{
				v := uint64(0x8000000180000003)
				pg := &prog{}
				pg.lddw(5, v).op("%s %%r5, %%r5", mn).op("mov %%r0, %%r5").op("exit")
				out = append(out, &File{
					Name:   fmt.Sprintf("alu%s-%s-reg-same.data", wn, op),
					Desc:   fmt.Sprintf("%s %%r5, %%r5 with r5 = %#x", mn, v),
					Asm:    pg.String(),
					Result: alu(op, is64, v, v),
				})
			}
			out = append(out, aluMatrix(op, is64, false), aluMatrix(op, is64, true))
		}
		// neg
		for _, v := range vals {
			pg := &prog{}
			pg.lddw(0, v).op("neg%s %%r0", sfx).op("exit")
			out = append(out, &File{
				Name:   fmt.Sprintf("alu%s-neg-%s.data", wn, valName(v)),
				Desc:   fmt.Sprintf("neg%s %#x", sfx, v),
				Asm:    pg.String(),
				Result: neg(is64, v),
			})
		}
	}
	// Sign-extending moves.
	sxVals := []uint64{0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff,
		0x123456789abcdef0, 0xffffffffffffff7f, 0xa5a5a5a5a5a58080}
	for _, v := range []struct {
		from, to int
	}{{8, 32}, {16, 32}, {8, 64}, {16, 64}, {32, 64}} {
		for _, x := range sxVals {
			pg := &prog{}
			pg.lddw(0, 0xdeadbeefdeadbeef).lddw(3, x).op("movsx%d%d %%r0, %%r3", v.from, v.to).op("exit")
			out = append(out, &File{
				Name:   fmt.Sprintf("alu%d-movsx%d-%s.data", v.to, v.from, valName(x)),
				Desc:   fmt.Sprintf("movsx%d%d of %#x: sign-extend the low %d bits", v.from, v.to, x, v.from),
				Asm:    pg.String(),
				Result: movsx(v.from, v.to, x),
			})
		}
	}
	// Byte order.
	endVals := []uint64{0x0123456789abcdef, 0xfedcba9876543210, 0x8000000000000080, 0xffffffffffff00ff, 0x00000000000080ff}
	for _, kind := range []string{"le", "be", "bswap"} {
		for _, w := range []int{16, 32, 64} {
			for _, x := range endVals {
				pg := &prog{}
				pg.lddw(0, x).op("%s%d %%r0", kind, w).op("exit")
				out = append(out, &File{
					Name:   fmt.Sprintf("end-%s%d-%s.data", kind, w, valName(x)),
					Desc:   fmt.Sprintf("%s%d of %#x (little-endian program)", kind, w, x),
					Asm:    pg.String(),
					Result: endian(kind, w, x),
				})
			}
		}
	}
	// 32-bit moves and loads of immediates.
	for _, x := range []uint64{0, 1, ^uint64(0), min64, 0x80000000, 0xffffffff, 0xffffffff00000000, 0x123456789abcdef0, 0x7fffffff} {
		pg := &prog{}
		pg.op("mov %%r0, 5").lddw(0, x).op("exit")
		out = append(out, &File{
			Name:   fmt.Sprintf("lddw-%s.data", valName(x)),
			Desc:   fmt.Sprintf("lddw of %#x", x),
			Asm:    pg.String(),
			Result: x,
		})
	}
	for r := 0; r <= 9; r++ {
		pg := &prog{}
		pg.lddw(r, 0x1122334455667788+uint64(r))
		if r != 0 {
			pg.op("mov %%r0, %%r%d", r)
		}
		pg.op("exit")
		out = append(out, &File{
			Name:   fmt.Sprintf("lddw-r%d.data", r),
			Desc:   fmt.Sprintf("lddw into r%d", r),
			Asm:    pg.String(),
			Result: 0x1122334455667788 + uint64(r),
		})
	}
	return out
}

// aluMatrix checks op on every pair of edge values in one program: r0 is
// the 1-based index of the first wrong check, 0 when all are right.
func aluMatrix(op string, is64, imm bool) *File {
	sfx, wn := width(is64)
	mn := op + sfx
	pg := &prog{}
	n := 0
	check := func(a uint64, emit func(), want uint64) {
		n++
		pg.lddw(1, a)
		emit()
		pg.lddw(3, want).op("mov %%r0, %d", n).op("jne %%r1, %%r3, fail")
	}
	shift := op == "lsh" || op == "rsh" || op == "arsh"
	for _, a := range vals {
		if imm {
			list := imms
			if shift {
				list = shiftImms
			}
			for _, b := range list {
				check(a, func() { pg.op("%s %%r1, %d", mn, b) }, alu(op, is64, a, immOperand(is64, b)))
			}
			continue
		}
		list := vals
		if shift {
			list = shiftCounts
		}
		for _, b := range list {
			check(a, func() { pg.lddw(2, b).op("%s %%r1, %%r2", mn) }, alu(op, is64, a, b))
		}
	}
	pg.op("mov %%r0, 0").label("fail").op("exit")
	form := "reg"
	if imm {
		form = "imm"
	}
	return &File{
		Name: fmt.Sprintf("matrix-alu%s-%s-%s.data", wn, op, form),
		Desc: fmt.Sprintf("%s on every pair of edge values (%s source); r0 is the number of the first wrong check, 0 when all pass", mn, form),
		Asm:  pg.String(),
	}
}
