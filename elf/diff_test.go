package elf_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/iovm/iovm/conformance"
	"github.com/iovm/iovm/elf"
	"github.com/iovm/iovm/vm"
)

// state prints the maps and global data of c.
func state(c *elf.Collection) string {
	var b bytes.Buffer
	for i, ms := range c.Object.Maps {
		if ms.Global {
			fmt.Fprintf(&b, "%s: %x\n", ms.Name, c.Regions[i].Data)
			continue
		}
		c.Maps[i].Iterate(func(k, v []byte) bool {
			fmt.Fprintf(&b, "%s[%x] = %x\n", ms.Name, k, v)
			return true
		})
	}
	return b.String()
}

// TestDifferential runs corpus programs on random inputs on every engine,
// each with its own collection, and compares results, errors and the final
// maps and global data with the interpreter's.
func TestDifferential(t *testing.T) {
	engines := conformance.Engines()
	if len(engines) < 2 {
		t.Skip("only one engine on this host")
	}
	progs := []struct {
		obj, name string
		packet    bool
		size      int
	}{
		{"xdp_filter.o", "xdp_filter", true, 60},
		{"xdp_filter.eb.o", "xdp_filter", true, 60},
		{"globals.o", "sum", false, 8},
		{"lru.o", "lru_insert", false, 4},
		{"counters.o", "count", false, 4},
		{"legacy.o", "legacy", false, 0},
		{"loop.o", "loop", false, 8},
	}
	for _, pr := range progs {
		t.Run(pr.obj+"/"+pr.name, func(t *testing.T) {
			o := open(t, pr.obj)
			type engineRun struct {
				c *elf.Collection
				x vm.Executable
			}
			var runs []engineRun
			for _, e := range engines {
				c := newColl(t, o, nil)
				opts := &vm.Options{}
				if pr.packet {
					opts.ContextSize = elf.PacketContextSize
				}
				runs = append(runs, engineRun{c, load(t, e, c, pr.name, opts)})
			}
			rng := rand.New(rand.NewPCG(1, 2))
			for i := 0; i < 300; i++ {
				in := make([]byte, rng.IntN(pr.size+1))
				for j := range in {
					in[j] = byte(rng.IntN(4)) // small values hit more branches
				}
				if pr.packet && len(in) > 23 && rng.IntN(2) == 0 {
					in[12], in[13], in[14], in[23] = 8, 0, 0x45, []byte{6, 17}[rng.IntN(2)]
				}
				if pr.name == "loop" && len(in) >= 4 {
					in[0] = byte(rng.IntN(50))
				}
				var want string
				for k, r := range runs {
					env := &vm.Env{Mem: append([]byte(nil), in...), Budget: 100000}
					if pr.packet {
						env.Context = elf.PacketContext(o.Order, len(in))
					}
					res, err := r.x.Run(env)
					got := fmt.Sprintf("r0=%#x err=%v mem=%x", res.R0, err, env.Mem)
					if k == 0 {
						want = got
					} else if got != want {
						t.Fatalf("run %d, input %x: %s: %s; %s: %s", i, in, engines[0].Name, want, engines[k].Name, got)
					}
				}
			}
			for k := 1; k < len(runs); k++ {
				if a, b := state(runs[0].c), state(runs[k].c); a != b {
					t.Errorf("maps differ after the runs:\n%s:\n%s\n%s:\n%s", engines[0].Name, a, engines[k].Name, b)
				}
			}
		})
	}
}
