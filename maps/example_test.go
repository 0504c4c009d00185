package maps_test

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/iovm/iovm/maps"
)

// Maps are used from Go as from a program: keys and values are bytes in
// the program's byte order.
func ExampleNew() {
	m, err := maps.New(maps.Spec{Name: "counts", Type: maps.Hash, KeySize: 4, ValueSize: 8, MaxEntries: 16})
	if err != nil {
		panic(err)
	}
	le := binary.LittleEndian
	for _, port := range []uint32{443, 80, 443} {
		key := le.AppendUint32(nil, port)
		n := uint64(0)
		if v, err := m.Lookup(key); err == nil {
			n = le.Uint64(v)
		}
		if err := m.Update(key, le.AppendUint64(nil, n+1), maps.UpdateAny); err != nil {
			panic(err)
		}
	}
	v, _ := m.Lookup(le.AppendUint32(nil, 443))
	fmt.Println("443:", le.Uint64(v), "entries:", m.Len())

	_, err = m.Lookup(le.AppendUint32(nil, 22))
	fmt.Println(errors.Is(err, maps.ErrKeyNotExist), maps.Errno(err))
	// Output:
	// 443: 2 entries: 2
	// true -2
}
