package elf_test

import (
	"encoding/binary"
	"fmt"

	"github.com/iovm/iovm/elf"
	"github.com/iovm/iovm/vm"
)

// An embedder loads an object compiled with clang, runs its XDP-style
// filter on packets and reads the counters the program keeps in a map.
func Example() {
	obj, err := elf.Open("../testdata/ebpf/xdp_filter.o")
	if err != nil {
		panic(err)
	}
	coll, err := elf.NewCollection(obj, nil) // creates the maps and global data
	if err != nil {
		panic(err)
	}
	prog, err := coll.Load("xdp_filter", &vm.Options{ContextSize: elf.PacketContextSize})
	if err != nil {
		panic(err)
	}
	pkt := make([]byte, 60) // not IPv4: passes
	res, err := prog.Run(&vm.Env{Mem: pkt, Context: elf.PacketContext(obj.Order, len(pkt))})
	if err != nil {
		panic(err)
	}
	v, _ := coll.Map("verdicts").Lookup(binary.LittleEndian.AppendUint32(nil, uint32(res.R0)))
	fmt.Println("verdict", res.R0, "count", binary.LittleEndian.Uint64(v))
	// Output: verdict 2 count 1
}
