package jit

import (
	"github.com/iovm/iovm/isa"
	x "github.com/iovm/iovm/jit/amd64"
)

// versioned returns the host operand of a Versioned access: the address
// plus the delta of its Spec's region (version.go).
func (b *amd64Backend) versioned(ac Access) x.Mem {
	base := b.read(ac.Base, x.RDX)
	d, m := b.word(cVDelta + int(ac.Spec) - 1)
	if d == 0 {
		b.a.Load(x.RAX, m, 8, false)
		d = x.RAX
	}
	return x.MI(d, base, 1, int32(ac.Off))
}

// VersionGuard implements Versioner: rcx = P, the iterations passing the
// loop's test, then each range's offsets in its region, in rax.
func (b *amd64Backend) VersionGuard(g VersionGuard, pass, free Label) {
	b.raxBase = false
	a := &b.a
	fail := b.NewLabel()
	c := reg(g.Count)
	// limit loads the limit (plus add) into r.
	limit := func(r x.Reg, add int32) {
		if g.Limit.IsImm {
			a.MovRI64(r, uint64(g.Limit.Imm+int64(add)))
			return
		}
		n := b.read(g.Limit.Reg, r)
		a.Lea(r, x.M(n, add))
	}
	switch g.Op {
	case isa.JumpJNE:
		// P = (N - c') >> shift, or (c' - N) >> shift counting down; the
		// low bits must be 0, else c never equals N.
		limit(x.RCX, -int32(g.Adj))
		a.ALURR(x.SUB, true, x.RCX, c)
		if g.Down {
			a.Unary(3, true, x.RCX) // neg
		}
		if g.Shift > 0 {
			a.TestRI(true, x.RCX, int32(1)<<g.Shift-1)
			b.jcc(x.CondNE, fail)
			a.ShiftRI(x.SHR, true, x.RCX, g.Shift)
		}
	case isa.JumpJLT, isa.JumpJLE:
		// P = c' < N ? ceil((N - c') >> shift) : 0, N < 2^63.
		add := int32(0)
		if g.Op == isa.JumpJLE {
			add = 1
		}
		if !g.Limit.IsImm {
			n := b.read(g.Limit.Reg, x.RCX)
			a.TestRR(true, n, n)
			b.jcc(x.CondS, fail)
		}
		limit(x.RCX, add)
		a.Lea(x.RDX, x.M(c, int32(g.Adj)))
		a.ALURR(x.SUB, true, x.RCX, x.RDX)
		a.MovRI32(x.RDX, 0) // keeps the flags
		a.Cmov(x.CondBE, true, x.RCX, x.RDX)
		if g.Shift > 0 {
			a.ALURI(x.ADD, true, x.RCX, int32(1)<<g.Shift-1)
			a.ShiftRI(x.SHR, true, x.RCX, g.Shift)
		}
	default: // JGT, JGE counting down by 1: P = c' > N' ? c' - N' : 0
		add := int32(0)
		if g.Op == isa.JumpJGE {
			add = -1
			if !g.Limit.IsImm {
				n := b.read(g.Limit.Reg, x.RCX)
				a.TestRR(true, n, n)
				b.jcc(x.CondE, fail) // c >= 0 always holds
			}
		}
		limit(x.RDX, add)
		a.Lea(x.RCX, x.M(c, int32(g.Adj)))
		a.ALURR(x.SUB, true, x.RCX, x.RDX)
		a.MovRI32(x.RDX, 0)
		a.Cmov(x.CondBE, true, x.RCX, x.RDX)
	}
	a.ALURI(x.CMP, true, x.RCX, 1<<31-1)
	b.jcc(x.CondA, fail)
	for _, r := range g.Ranges {
		dir := limDir(r.Read, r.Write)
		// rax = base + Lo (+ Step*P going down), the lowest address.
		switch {
		case r.HasIV && r.HasInv:
			iv := b.read(r.IV, x.RAX)
			inv := b.read(r.Inv, x.RDX)
			a.Lea(x.RAX, x.MI(iv, inv, 1, int32(r.Lo)))
		case r.HasIV:
			a.Lea(x.RAX, x.M(b.read(r.IV, x.RAX), int32(r.Lo)))
		default:
			a.Lea(x.RAX, x.M(b.read(r.Inv, x.RAX), int32(r.Lo)))
		}
		if r.Step != 0 {
			a.IMulRRI(true, x.RDX, x.RCX, int32(r.Step)) // Step*P
		}
		if r.Step < 0 {
			a.ALURR(x.ADD, true, x.RAX, x.RDX)
		}
		// Its offset in the region, then the end's (+ |Step|*P + Hi - Lo),
		// at most the length with the permissions (unsigned: below the
		// region fails too). No cache word is pinned in rdx.
		b.cacheOp(x.SUB, x.RAX, specWord(r.Spec, csBase))
		b.cacheOp(x.CMP, x.RAX, specWord(r.Spec, csLenR+dir))
		b.jcc(x.CondA, fail)
		switch {
		case r.Step > 0:
			a.ALURR(x.ADD, true, x.RAX, x.RDX)
		case r.Step < 0:
			a.ALURR(x.SUB, true, x.RAX, x.RDX)
		}
		if d := r.Hi - r.Lo; d != 0 {
			a.ALURI(x.ADD, true, x.RAX, int32(d))
		}
		b.cacheOp(x.CMP, x.RAX, specWord(r.Spec, csLenR+dir))
		b.jcc(x.CondA, fail)
	}
	// The budget: (P+1)*IterLen+Prepay, below 2^38.
	a.Lea(x.RDX, x.M(x.RCX, 1))
	a.IMulRRI(true, x.RDX, x.RDX, int32(g.IterLen))
	a.ALURI(x.ADD, true, x.RDX, int32(g.Prepay))
	a.ALURR(x.CMP, true, aCnt, x.RDX)
	b.jcc(x.CondAE, free)
	b.jmp(pass)
	b.Bind(fail)
}

// ChargeFree implements Versioner.
func (b *amd64Backend) ChargeFree(n int) {
	b.a.ALURI(x.SUB, true, aCnt, int32(n))
}
