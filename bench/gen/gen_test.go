package main

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"hash/fnv"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/iovm/iovm"
	"github.com/iovm/iovm/elf"
	"github.com/iovm/iovm/vm"
)

// TestInputs checks that the committed inputs are the generator's.
func TestInputs(t *testing.T) {
	dir := t.TempDir()
	if err := write(dir); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.bin"))
	if len(files) != 6 {
		t.Fatalf("generator wrote %d files", len(files))
	}
	for _, f := range files {
		want, _ := os.ReadFile(f)
		got, err := os.ReadFile(filepath.Join("../inputs", filepath.Base(f)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("bench/inputs/%s differs from the generator's (run go run ./bench/gen): %v", filepath.Base(f), err)
		}
	}
}

// reference computes the corpus programs' results in Go; parse's result is
// the native build's.
var reference = map[string]func(b []byte) uint64{
	"checksum": func(b []byte) uint64 {
		var s uint64
		for i := 0; i+1 < len(b); i += 2 {
			s += uint64(b[i])<<8 | uint64(b[i+1])
		}
		for s>>16 != 0 {
			s = s&0xffff + s>>16
		}
		return uint64(^uint16(s))
	},
	"crc32": func(b []byte) uint64 { return uint64(crc32.ChecksumIEEE(b)) },
	"fnv1a": func(b []byte) uint64 { h := fnv.New64a(); h.Write(b); return h.Sum64() },
	"sieve": func(b []byte) uint64 {
		n := 0
	next:
		for i := 2; i < len(b); i++ {
			for d := 2; d*d <= i; d++ {
				if i%d == 0 {
					continue next
				}
			}
			n++
		}
		return uint64(n)
	},
	"sort": func(b []byte) uint64 {
		v := make([]uint32, len(b)/8)
		for i := range v {
			v[i] = binary.LittleEndian.Uint32(b[4*i:])
		}
		slices.Sort(v)
		var s uint64
		for i, x := range v {
			s += uint64(x) * uint64(i+1)
		}
		return s
	},
	"parse": func([]byte) uint64 { return 0x628b24f4082ff0f },
}

// TestCorpus runs every corpus object on every engine of the host.
func TestCorpus(t *testing.T) {
	objs, _ := filepath.Glob("../*.o")
	if len(objs) != len(reference) {
		t.Fatalf("%d objects in bench/, want %d", len(objs), len(reference))
	}
	for _, path := range objs {
		name := filepath.Base(path[:len(path)-2])
		input, err := os.ReadFile(filepath.Join("../inputs", name+".bin"))
		if err != nil {
			t.Fatal(err)
		}
		want := reference[name](input)
		obj, err := elf.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(obj.Programs) != 1 || obj.Programs[0].Name != name {
			t.Fatalf("%s: want one program %s", path, name)
		}
		coll, err := elf.NewCollection(obj, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, engine := range iovm.Engines() {
			p, err := iovm.LoadEngine(engine, obj.Programs[0].Insns, coll.Options(nil))
			if err != nil {
				t.Fatalf("%s on %s: %v", name, engine, err)
			}
			env := &vm.Env{Mem: slices.Clone(input)}
			for run := 0; run < 2; run++ { // sort and sieve write to their input
				res, err := p.Run(env)
				if err != nil || res.R0 != want {
					t.Errorf("%s on %s, run %d: %#x, %v; want %#x", name, engine, run, res.R0, err, want)
				}
			}
			p.Close()
		}
	}
}
