package jit

import (
	"encoding/binary"

	"github.com/iovm/iovm/vm"
)

// AMD64Pins returns how many region deltas, permissions and speculation
// bounds the amd64 backend keeps in registers for p, and the instructions
// of its code that may write one of those registers outside the entry
// stubs (there should be none).
func AMD64Pins(p *vm.Program) (delta, perm, spec int, writes []string, err error) {
	b := &amd64Backend{}
	o := p.Options()
	cfg := Config{StackSize: o.StackSize, MaxCallDepth: o.MaxCallDepth, BigEndian: o.Order == binary.BigEndian, Key: randKey}
	c, err := lower(b, p.Resolved(), p.Facts(), cfg)
	if err != nil {
		return 0, 0, 0, nil, err
	}
	if writes, err = pinWrites(b, c.bytes); err != nil {
		return 0, 0, 0, nil, err
	}
	for i, r := range b.pin {
		switch {
		case r == 0:
		case i < cPerm || i >= cHost: // host bases are deltas plus r1
			delta++
		case i < cSpec:
			perm++
		default:
			spec++
		}
	}
	return delta, perm, spec, writes, nil
}

// AMD64Folds returns the number of accesses the amd64 lowering of p folds
// into one host access (Access.Fold), or -1 if it fails.
func AMD64Folds(p *vm.Program) int {
	o := p.Options()
	cfg := Config{StackSize: o.StackSize, MaxCallDepth: o.MaxCallDepth, BigEndian: o.Order == binary.BigEndian, Key: randKey}
	c, err := lower(&amd64Backend{}, p.Resolved(), p.Facts(), cfg)
	if err != nil {
		return -1
	}
	return c.folds
}

// AMD64Unrolls returns the loops the amd64 lowering of p (its writable
// variant if writable) unrolls, those of them counted, and those of
// several blocks, or -1s if it fails.
func AMD64Unrolls(p *vm.Program, writable bool) (loops, counted, blocks int) {
	c, err := generateVariant(p, "amd64", nil, p.Facts(), writable)
	if err != nil {
		return -1, -1, -1
	}
	for _, u := range c.unrolls {
		loops++
		if u.counted {
			counted++
		}
		if len(u.trace) > 1 {
			blocks++
		}
	}
	return loops, counted, blocks
}
