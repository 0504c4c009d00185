package gen

import (
	"fmt"
	"strings"
)

var condOps = []string{"jeq", "jne", "jgt", "jge", "jlt", "jle", "jset", "jsgt", "jsge", "jslt", "jsle"}

func init() { register(jumpFiles) }

func jumpFiles() []*File {
	var out []*File
	regPairs := []pair{p(1, 1), p(1, 2), p(m(-1), 1), p(min64, max64), p(0x100000001, 1), p(0x80000000, 0x7fffffff),
		p(0xffffffff00000000, 0), p(0x00000000ffffffff, m(-1))}
	immPairs := []pair{p(1, 1), p(0xffffffffffffffff, m(-1)), p(0xffffffff, m(-1)), p(2, m(-1)), p(0x80000000, m(-0x80000000)),
		p(0xffffffff80000000, m(-0x80000000)), p(0x100000005, 5), p(0, 0x7fffffff)}
	for _, is32 := range []bool{false, true} {
		sfx, wn := "", "64"
		if is32 {
			sfx, wn = "32", "32"
		}
		for _, op := range condOps {
			mn := op + sfx
			for _, imm := range []bool{false, true} {
				pairs, form := regPairs, "reg"
				if imm {
					pairs, form = immPairs, "imm"
				}
				for i, pr := range pairs {
					b := pr.b
					pg := &prog{}
					pg.lddw(1, pr.a)
					operand := ""
					if imm {
						operand = fmt.Sprint(int32(pr.b))
						b = uint64(int64(int32(pr.b)))
					} else {
						pg.lddw(2, pr.b)
						operand = "%r2"
					}
					taken := cond(op, is32, pr.a, b)
					var want uint64
					if i%2 == 0 {
						// label target
						pg.op("%s %%r1, %s, yes", mn, operand).op("mov %%r0, 0").op("exit").label("yes").op("mov %%r0, 1").op("exit")
					} else {
						// numeric offset
						pg.op("mov %%r0, 1").op("%s %%r1, %s, +1", mn, operand).op("mov %%r0, 0").op("exit")
					}
					if taken {
						want = 1
					}
					out = append(out, &File{
						Name:   fmt.Sprintf("jmp%s-%s-%s-%s-%s.data", wn, op, form, valName(pr.a), valName(b)),
						Desc:   fmt.Sprintf("%s %#x, %#x (%s): r0 = 1 when taken", mn, pr.a, b, form),
						Asm:    pg.String(),
						Result: want,
					})
				}
				out = append(out, jumpMatrix(op, is32, imm))
			}
		}
	}
	// Backward conditional jumps: a counting loop per operation.
	for _, is32 := range []bool{false, true} {
		sfx := ""
		if is32 {
			sfx = "32"
		}
		for _, op := range []string{"jne", "jlt", "jle", "jslt", "jsle"} {
			// r1 counts 0..; loop while cond(r1, 10)
			pg := &prog{}
			pg.op("mov %%r0, 0").op("mov %%r1, 0").label("loop").op("add %%r0, 3").op("add %%r1, 1").op("%s%s %%r1, 10, loop", op, sfx).op("exit")
			n := uint64(0)
			r0 := uint64(0)
			for {
				r0 += 3
				n++
				if !cond(op, is32, n, 10) {
					break
				}
			}
			out = append(out, &File{Name: fmt.Sprintf("jmp-loop-%s%s.data", op, sfx), Desc: fmt.Sprintf("backward %s%s closing a counting loop", op, sfx),
				Asm: pg.String(), Result: r0})
		}
	}
	out = append(out, jumpRangeFiles()...)
	// ja forward and backward with small offsets, and gotol.
	{
		pg := &prog{}
		pg.op("mov %%r0, 1").op("ja +1").op("mov %%r0, 2").op("ja +2").op("mov %%r0, 3").op("exit").op("add %%r0, 10").op("exit")
		out = append(out, &File{Name: "jmp-ja-forward.data", Desc: "ja over instructions", Asm: pg.String(), Result: 11})
		pg = &prog{}
		pg.op("mov %%r0, 0").op("ja fwd").label("back").op("add %%r0, 5").op("exit").label("fwd").op("add %%r0, 1").op("ja back")
		out = append(out, &File{Name: "jmp-ja-backward.data", Desc: "ja backward to a label", Asm: pg.String(), Result: 6})
		pg = &prog{}
		pg.op("mov %%r0, 1").op("ja +0").op("add %%r0, 1").op("exit")
		out = append(out, &File{Name: "jmp-ja-zero.data", Desc: "ja +0 falls through", Asm: pg.String(), Result: 2})
		pg = &prog{}
		pg.op("mov %%r0, 1").op("ja32 fwd").op("mov %%r0, 2").op("exit").label("fwd").op("add %%r0, 40").op("exit")
		out = append(out, &File{Name: "jmp-gotol-forward.data", Desc: "gotol (ja32) forward", Asm: pg.String(), Result: 41})
		pg = &prog{}
		pg.op("mov %%r0, 0").op("mov %%r1, 0").label("loop").op("add %%r0, 7").op("add %%r1, 1").op("jge %%r1, 4, done").op("ja32 loop").label("done").op("exit")
		out = append(out, &File{Name: "jmp-gotol-backward.data", Desc: "gotol (ja32) closing a loop", Asm: pg.String(), Result: 28})
	}
	return out
}

// jumpMatrix checks a conditional jump on every pair of edge values.
func jumpMatrix(op string, is32, imm bool) *File {
	sfx, wn := "", "64"
	if is32 {
		sfx, wn = "32", "32"
	}
	mn := op + sfx
	pg := &prog{}
	n := 0
	for _, a := range vals {
		var bs []uint64
		if imm {
			for _, x := range imms {
				bs = append(bs, uint64(int64(x)))
			}
		} else {
			bs = vals
		}
		for _, b := range bs {
			n++
			pg.lddw(1, a)
			operand := "%r2"
			if imm {
				operand = fmt.Sprint(int32(b))
			} else {
				pg.lddw(2, b)
			}
			pg.op("mov %%r0, %d", n).op("%s %%r1, %s, t%d", mn, operand, n)
			if cond(op, is32, a, b) {
				pg.op("exit").label(fmt.Sprintf("t%d", n))
			} else {
				pg.op("ja n%d", n).label(fmt.Sprintf("t%d", n)).op("exit").label(fmt.Sprintf("n%d", n))
			}
		}
	}
	pg.op("mov %%r0, 0").op("exit")
	form := "reg"
	if imm {
		form = "imm"
	}
	return &File{
		Name: fmt.Sprintf("matrix-jmp%s-%s-%s.data", wn, op, form),
		Desc: fmt.Sprintf("%s on every pair of edge values (%s operand); r0 is the number of the first wrong decision, 0 when all are right", mn, form),
		Asm:  pg.String(),
	}
}

// jumpRangeFiles jump as far as the offset field reaches, both ways.
func jumpRangeFiles() []*File {
	fill := func(b *strings.Builder, n int) {
		for i := 0; i < n; i++ {
			b.WriteString("exit\n")
		}
	}
	var out []*File
	{
		// slot 0 mov, 1 ja +32767 -> 32769; 2..32768 exits; 32769 mov r0, 1; exit
		var b strings.Builder
		b.WriteString("mov %r0, 0\nja +32767\n")
		fill(&b, 32767)
		b.WriteString("mov %r0, 1\nexit\n")
		out = append(out, &File{Name: "jmp-ja-max-forward.data", Desc: "ja +32767, the farthest forward jump; the slots jumped over exit with r0 = 0",
			Asm: b.String(), Result: 1})
	}
	{
		// 0 mov r0,0; 1 ja +32767 -> 32769; 2 mov r0,1; 3 exit; 4..32768 exits; 32769 jeq r0, 0, -32768 -> 2
		var b strings.Builder
		b.WriteString("mov %r0, 0\nja +32767\nmov %r0, 1\nexit\n")
		fill(&b, 32765)
		b.WriteString("jeq %r0, 0, -32768\nexit\n")
		out = append(out, &File{Name: "jmp-jeq-min-backward.data", Desc: "jeq with offset -32768, the farthest backward jump",
			Asm: b.String(), Result: 1})
	}
	{
		// 0 mov r0,0; 1 ja32 +40000 -> 40002; 2 mov r0, 1; 3 exit; 4..40001 exits;
		// 40002 add r0, 2; 40003 ja32 -40002 -> 2
		var b strings.Builder
		b.WriteString("mov %r0, 0\nja32 +40000\nadd %r0, 1\nexit\n")
		fill(&b, 39998)
		b.WriteString("add %r0, 2\nja32 -40002\n")
		out = append(out, &File{Name: "jmp-gotol-far.data", Desc: "gotol (ja32) 40000 slots forward and back, beyond the 16-bit offset",
			Asm: b.String(), Result: 3})
	}
	return out
}
