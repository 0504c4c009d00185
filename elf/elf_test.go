package elf_test

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/iovm/iovm/conformance"
	"github.com/iovm/iovm/elf"
	"github.com/iovm/iovm/vm"
)

const corpus = "../testdata/ebpf/"

func open(t testing.TB, name string) *elf.Object {
	t.Helper()
	o, err := elf.Open(corpus + name)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func newColl(t testing.TB, o *elf.Object, cfg *elf.Config) *elf.Collection {
	t.Helper()
	c, err := elf.NewCollection(o, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// load loads program name of c on engine e.
func load(t testing.TB, e conformance.Engine, c *elf.Collection, name string, opts *vm.Options) vm.Executable {
	t.Helper()
	p := c.Object.Program(name)
	if p == nil {
		t.Fatalf("no program %q", name)
	}
	x, err := e.Load(p.Insns, c.Options(opts))
	if err != nil {
		t.Fatalf("%s: load %s: %v", e.Name, name, err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

// eachEngine runs f on every engine registered with package conformance
// and available on the host: the interpreter, and the JIT where there is one.
func eachEngine(t *testing.T, f func(t *testing.T, e conformance.Engine)) {
	for _, e := range conformance.Engines() {
		t.Run(e.Name, func(t *testing.T) { f(t, e) })
	}
}

func le32(v uint32) []byte { b := make([]byte, 4); binary.LittleEndian.PutUint32(b, v); return b }

func lookupU64(t testing.TB, c *elf.Collection, m string, key []byte) uint64 {
	t.Helper()
	v, err := c.Map(m).Lookup(key)
	if err != nil {
		t.Fatalf("%s[%x]: %v", m, key, err)
	}
	return binary.LittleEndian.Uint64(v)
}

func isNoCallbacks(err error) bool { return errors.Is(err, vm.ErrNoCallbacks) }
