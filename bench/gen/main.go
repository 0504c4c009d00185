// Command gen writes the inputs of the benchmark corpus (bench/inputs,
// committed): deterministic pseudo-random data, the same on every run.
//
//	go run ./bench/gen [-dir bench/inputs]
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
)

func main() {
	dir := flag.String("dir", "bench/inputs", "output `directory`")
	flag.Parse()
	if err := write(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func write(dir string) error {
	rng := rand.New(rand.NewPCG(2026, 9))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	inputs := map[string][]byte{
		"checksum": random(4096), // bytes summed
		"fnv1a":    random(4096), // bytes hashed
		"crc32":    random(1024), // bytes, 8 steps each
		"sieve":    random(8192), // flags, overwritten: primes below 8192
		"sort":     sortInput(rng, 256),
		"parse":    parseInput(rng, 256),
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, b := range inputs {
		if err := os.WriteFile(filepath.Join(dir, name+".bin"), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// sortInput is n random little-endian u32 followed by n words of scratch.
func sortInput(rng *rand.Rand, n int) []byte {
	b := make([]byte, 8*n)
	for i := 0; i < n; i++ {
		binary.LittleEndian.PutUint32(b[4*i:], rng.Uint32())
	}
	for i := 4 * n; i < len(b); i++ {
		b[i] = 0xee
	}
	return b
}

// parseInput is n records (u16 length, frame) of mixed traffic: IPv4 and
// IPv6, TCP, UDP and ICMP, some VLAN-tagged, some cut short.
func parseInput(rng *rand.Rand, n int) []byte {
	var out []byte
	for i := 0; i < n; i++ {
		var f []byte
		f = append(f, 0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2)
		if rng.IntN(5) == 0 {
			f = append(f, 0x81, 0x00, 0x00, 0x64)
		}
		proto := []byte{6, 6, 6, 17, 17, 1}[rng.IntN(6)]
		l4len := map[byte]int{6: 20, 17: 8, 1: 8}[proto]
		payload := rng.IntN(64)
		switch rng.IntN(4) {
		case 0: // IPv6
			f = append(f, 0x86, 0xdd)
			ip := make([]byte, 40)
			ip[0] = 0x60
			ip[6] = proto
			for j := 8; j < 40; j++ {
				ip[j] = byte(rng.Uint32())
			}
			f = append(f, ip...)
		default: // IPv4, sometimes with options
			f = append(f, 0x08, 0x00)
			ihl := 5 + rng.IntN(2)
			ip := make([]byte, 4*ihl)
			ip[0] = 0x40 | byte(ihl)
			ip[9] = proto
			for j := 12; j < 20; j++ {
				ip[j] = byte(rng.Uint32())
			}
			f = append(f, ip...)
		}
		l4 := make([]byte, l4len+payload)
		for j := range l4 {
			l4[j] = byte(rng.Uint32())
		}
		f = append(f, l4...)
		if rng.IntN(10) == 0 {
			f = f[:rng.IntN(len(f))] // truncated
		}
		out = binary.LittleEndian.AppendUint16(out, uint16(len(f)))
		out = append(out, f...)
	}
	return out
}
