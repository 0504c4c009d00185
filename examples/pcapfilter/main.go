// Command pcapfilter counts the packets of a pcap capture that match a packet
// filter written in C, compiled to eBPF (bpf/filter.c, built into bpf/filter.o by
// `make testdata`) and run by iovm: JIT-compiled where the host has a JIT
// backend, interpreted elsewhere. The filter counts every packet class and
// the matches (TCP to a port, 443 by default) into maps that this program
// reads and prints.
//
//	go run ./examples/pcapfilter                        # the bundled capture
//	go run ./examples/pcapfilter -port 80 some.pcap     # any Ethernet capture
//	go run ./examples/pcapfilter -generate capture.pcap # write the sample capture
//
// The capture is parsed with the standard library (classic libpcap format,
// either byte order, microsecond or nanosecond timestamps).
package main

import (
	"bytes"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sort"
	"time"

	"github.com/iovm/iovm"
	"github.com/iovm/iovm/elf"
	"github.com/iovm/iovm/vm"
)

//go:embed bpf/filter.o
var filterObject []byte

//go:embed capture.pcap
var sampleCapture []byte

// samplePackets is the number of packets of the sample capture.
const samplePackets = 400

// Indices of the filter's stats array (enum in filter.c).
const (
	statPackets = iota
	statBytes
	statIPv4
	statIPv6
	statTCP
	statUDP
	statOther
	statMalformed
	statMatches
	statMax
)

var statNames = [statMax]string{"packets", "bytes", "ipv4", "ipv6", "tcp", "udp", "other", "malformed", "matches"}

// Report is what the filter counted over a capture.
type Report struct {
	Engine   string                // the engine that ran the filter
	Stats    [statMax]uint64       // the stats map, by index
	Matched  int                   // packets for which the filter returned 1
	Sources  map[netip.Addr]uint64 // matches by IPv4 source (the sources map)
	Duration time.Duration         // time spent in the filter
}

// Filter runs the filter over every packet of the pcap stream r on the given
// engine (iovm.EngineAuto, EngineJIT or EngineInterp) and returns its counts.
func Filter(r io.Reader, port uint16, engine string) (*Report, error) {
	pr, err := newPcapReader(r)
	if err != nil {
		return nil, err
	}
	if pr.linkType != linkTypeEthernet {
		return nil, fmt.Errorf("pcap: link type %d, want Ethernet (1)", pr.linkType)
	}

	// Parse the object, create its maps and load the program on the engine.
	obj, err := elf.Parse(filterObject)
	if err != nil {
		return nil, err
	}
	coll, err := elf.NewCollection(obj, nil)
	if err != nil {
		return nil, err
	}
	spec := obj.Program("pcap_filter")
	if spec == nil {
		return nil, errors.New("filter.o has no program pcap_filter")
	}
	prog, err := iovm.LoadEngine(engine, spec.Insns, coll.Options(&vm.Options{ContextSize: elf.PacketContextSize}))
	if err != nil {
		return nil, err
	}
	defer prog.Close()

	// The port to match goes in config[0], in the program's byte order.
	order := obj.Order
	key := func(i uint32) []byte { b := make([]byte, 4); order.PutUint32(b, i); return b }
	if err := coll.Map("config").Update(key(0), key(uint32(port)), 0); err != nil {
		return nil, err
	}

	rep := &Report{Engine: engine, Sources: map[netip.Addr]uint64{}}
	if engine == "" || engine == iovm.EngineAuto {
		rep.Engine = iovm.DefaultEngine()
	}
	ctx := make([]byte, elf.PacketContextSize)
	env := &vm.Env{Context: ctx, ContextReadOnly: true, MemReadOnly: true}
	for {
		_, pkt, err := pr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		// The context holds the packet's data and data_end addresses.
		copy(ctx, elf.PacketContext(order, len(pkt)))
		env.Mem = pkt
		start := time.Now()
		res, err := prog.Run(env)
		rep.Duration += time.Since(start)
		if err != nil {
			return nil, err
		}
		if res.R0 == 1 {
			rep.Matched++
		}
	}

	// Read the counters from Go.
	stats := coll.Map("stats")
	for i := range rep.Stats {
		v, err := stats.Lookup(key(uint32(i)))
		if err != nil {
			return nil, err
		}
		rep.Stats[i] = order.Uint64(v)
	}
	coll.Map("sources").Iterate(func(k, v []byte) bool {
		// The key is the address as the program loaded it from the
		// packet: the packet's bytes, in network order.
		rep.Sources[netip.AddrFrom4([4]byte(k))] = order.Uint64(v)
		return true
	})
	return rep, nil
}

// Print writes the report.
func (rep *Report) Print(w io.Writer, name string, port uint16) {
	fmt.Fprintf(w, "%s: %d packets, %d bytes, filter on %s (%.0f ns/packet)\n", name,
		rep.Stats[statPackets], rep.Stats[statBytes], rep.Engine,
		float64(rep.Duration.Nanoseconds())/float64(max(rep.Stats[statPackets], 1)))
	for i := statIPv4; i < statMatches; i++ {
		fmt.Fprintf(w, "  %-10s %6d\n", statNames[i], rep.Stats[i])
	}
	fmt.Fprintf(w, "matches (TCP to port %d): %d\n", port, rep.Stats[statMatches])
	addrs := make([]netip.Addr, 0, len(rep.Sources))
	for a := range rep.Sources {
		addrs = append(addrs, a)
	}
	sort.Slice(addrs, func(i, j int) bool { return addrs[i].Less(addrs[j]) })
	for _, a := range addrs {
		fmt.Fprintf(w, "  from %-15s %6d\n", a, rep.Sources[a])
	}
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "pcapfilter:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("pcapfilter", flag.ContinueOnError)
	port := fs.Uint("port", 443, "count TCP packets to this destination `port`")
	engine := fs.String("engine", iovm.EngineAuto, "engine: auto, jit or interp")
	gen := fs.String("generate", "", "write the sample capture to `file` and exit")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: pcapfilter [-port N] [-engine E] [capture.pcap]\n       pcapfilter -generate capture.pcap")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *port > 65535 {
		return fmt.Errorf("bad port %d", *port)
	}
	if *gen != "" {
		var b bytes.Buffer
		if err := generate(&b, samplePackets); err != nil {
			return err
		}
		return os.WriteFile(*gen, b.Bytes(), 0o644)
	}
	var r io.Reader = bytes.NewReader(sampleCapture)
	name := "capture.pcap (bundled)"
	switch fs.NArg() {
	case 0:
	case 1:
		f, err := os.Open(fs.Arg(0))
		if err != nil {
			return err
		}
		defer f.Close()
		r, name = f, fs.Arg(0)
	default:
		fs.Usage()
		return errors.New("too many arguments")
	}
	rep, err := Filter(r, uint16(*port), *engine)
	if err != nil {
		return err
	}
	rep.Print(stdout, name, uint16(*port))
	return nil
}
