package verifier_test

import (
	"errors"
	"math/rand"
	"os"
	"testing"

	"github.com/iovm/iovm/conformance"
	"github.com/iovm/iovm/elf"
	"github.com/iovm/iovm/verifier"
	"github.com/iovm/iovm/vm"
)

// TestBenchObjectsSound verifies the benchmark objects (bench/*.o) in
// Checked mode, checks that the loop accesses stay proven (a floor on the
// count), and runs each on the interpreter over every input length up to
// 300 (random bytes, and for parse well-formed records): no run may fault
// at an access the verifier claims proven.
func TestBenchObjectsSound(t *testing.T) {
	floor := map[string]int{"checksum": 3, "sieve": 4, "parse": 46, "sort": 3, "crc32": 0, "fnv1a": 0}
	hs := conformance.TestHelpers()
	for name, min := range floor {
		path := "../bench/" + name + ".o"
		if _, err := os.Stat(path); err != nil {
			t.Skipf("%s: %v", path, err)
		}
		obj, err := elf.Open(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		p := obj.Programs[0].Insns
		facts, err := verifier.Verify(p, &verifier.Config{Helpers: protosOf(hs)})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		proven := 0
		for _, a := range facts.Access {
			if a.Proven {
				proven++
			}
		}
		if proven < min {
			t.Errorf("%s: %d accesses proven, want at least %d", name, proven, min)
		}
		prog, err := vm.Load(p, &vm.Options{Order: obj.Order, Helpers: hs})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		rng := rand.New(rand.NewSource(1))
		for n := 0; n <= 300; n++ {
			mem := make([]byte, n)
			rng.Read(mem)
			if name == "parse" && n%2 == 0 {
				records(rng, mem)
			}
			_, rerr := prog.Run(&vm.Env{Mem: mem, Budget: 1 << 24})
			var e *vm.Error
			if errors.As(rerr, &e) && e.Kind == vm.KindFault && e.PC >= 0 && e.PC < len(facts.Access) && facts.Access[e.PC].Proven {
				t.Fatalf("%s: %d bytes of input: faults at pc %d, which checked mode claims proven: %v", name, n, e.PC, rerr)
			}
		}
	}
}

// records fills mem with parse's records (a little-endian u16 length, then
// that many bytes), the last one sometimes running past the end.
func records(rng *rand.Rand, mem []byte) {
	for off := 0; off+2 <= len(mem); {
		n := rng.Intn(80)
		mem[off], mem[off+1] = byte(n), byte(n>>8)
		off += 2 + n
	}
}
