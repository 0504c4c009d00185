package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iovm/iovm"
)

// reference classifies the packets of a capture in Go, as filter.c does.
func reference(t *testing.T, capture []byte, port uint16) (stats [statMax]uint64, sources map[netip.Addr]uint64) {
	t.Helper()
	pr, err := newPcapReader(bytes.NewReader(capture))
	if err != nil {
		t.Fatal(err)
	}
	sources = map[netip.Addr]uint64{}
	be := binary.BigEndian
	for {
		_, p, err := pr.next()
		if err == io.EOF {
			return stats, sources
		}
		if err != nil {
			t.Fatal(err)
		}
		stats[statPackets]++
		stats[statBytes] += uint64(len(p))
		if len(p) < 14 {
			stats[statMalformed]++
			continue
		}
		proto, l3 := be.Uint16(p[12:]), p[14:]
		if proto == 0x8100 {
			if len(l3) < 4 {
				stats[statMalformed]++
				continue
			}
			proto, l3 = be.Uint16(l3[2:]), l3[4:]
		}
		var l4proto byte
		var l4 []byte
		var src netip.Addr
		switch proto {
		case 0x0800:
			if len(l3) < 20 || int(l3[0]&15)*4 < 20 {
				stats[statMalformed]++
				continue
			}
			stats[statIPv4]++
			if be.Uint16(l3[6:])&0x1fff != 0 {
				stats[statOther]++
				continue
			}
			l4proto, src = l3[9], netip.AddrFrom4([4]byte(l3[12:16]))
			l4 = l3[min(int(l3[0]&15)*4, len(l3)):]
		case 0x86dd:
			if len(l3) < 40 {
				stats[statMalformed]++
				continue
			}
			stats[statIPv6]++
			l4proto, l4 = l3[6], l3[40:]
		default:
			stats[statOther]++
			continue
		}
		switch {
		case l4proto == 17:
			stats[statUDP]++
		case l4proto != 6:
			stats[statOther]++
		case len(l4) < 4:
			stats[statMalformed]++
		default:
			stats[statTCP]++
			if be.Uint16(l4[2:]) == port {
				stats[statMatches]++
				if src.IsValid() {
					sources[src]++
				}
			}
		}
	}
}

func TestSampleCaptureIsGenerated(t *testing.T) {
	var b bytes.Buffer
	if err := generate(&b, samplePackets); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), sampleCapture) {
		t.Fatal("capture.pcap differs from the generator's output: run go run ./examples/pcapfilter -generate examples/pcapfilter/capture.pcap")
	}
}

func TestFilter(t *testing.T) {
	for _, engine := range iovm.Engines() {
		for _, port := range []uint16{443, 80, 22, 53} {
			rep, err := Filter(bytes.NewReader(sampleCapture), port, engine)
			if err != nil {
				t.Fatalf("%s: %v", engine, err)
			}
			stats, sources := reference(t, sampleCapture, port)
			if rep.Stats != stats {
				t.Errorf("%s port %d: stats\n got %v\nwant %v", engine, port, rep.Stats, stats)
			}
			if rep.Matched != int(stats[statMatches]) {
				t.Errorf("%s port %d: filter returned 1 for %d packets, want %d", engine, port, rep.Matched, stats[statMatches])
			}
			if len(rep.Sources) != len(sources) {
				t.Errorf("%s port %d: sources %v, want %v", engine, port, rep.Sources, sources)
			}
			for a, n := range sources {
				if rep.Sources[a] != n {
					t.Errorf("%s port %d: sources[%s] = %d, want %d", engine, port, a, rep.Sources[a], n)
				}
			}
		}
	}
	// Every kind of packet of the generator is in the sample, and UDP to
	// port 53 is never a match.
	stats, _ := reference(t, sampleCapture, 443)
	for i, n := range stats {
		if n == 0 {
			t.Errorf("the sample capture has no %s", statNames[i])
		}
	}
	if stats, _ := reference(t, sampleCapture, 53); stats[statMatches] != 0 {
		t.Errorf("%d matches for TCP port 53", stats[statMatches])
	}
}

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(nil, &out); err != nil {
		t.Fatal(err)
	}
	stats, srcs := reference(t, sampleCapture, 443)
	if len(srcs) != len(sources) {
		t.Errorf("matches from %d sources, the generator has %d", len(srcs), len(sources))
	}
	wants := []string{
		fmt.Sprintf("%d packets", samplePackets),
		"filter on " + iovm.DefaultEngine(),
		fmt.Sprintf("matches (TCP to port 443): %d\n", stats[statMatches]),
		fmt.Sprintf("  %-10s %6d\n", "malformed", stats[statMalformed]),
	}
	for a, n := range srcs {
		wants = append(wants, fmt.Sprintf("  from %-15s %6d\n", a, n))
	}
	for _, want := range wants {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestGenerateAndFilterFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.pcap")
	if err := run([]string{"-generate", path}, io.Discard); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run([]string{"-engine", iovm.EngineInterp, "-port", "22", path}, &out); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	stats, _ := reference(t, b, 22)
	if want := fmt.Sprintf("matches (TCP to port 22): %d\n", stats[statMatches]); !strings.Contains(out.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, out.String())
	}
}

// TestPcapFormats reads a big-endian capture with nanosecond timestamps.
func TestPcapFormats(t *testing.T) {
	be := binary.BigEndian
	h := make([]byte, 24+16+3)
	be.PutUint32(h[0:], pcapMagicNano)
	be.PutUint16(h[4:], 2)
	be.PutUint16(h[6:], 4)
	be.PutUint32(h[16:], 65535)
	be.PutUint32(h[20:], linkTypeEthernet)
	be.PutUint32(h[24:], 1700000000)
	be.PutUint32(h[28:], 123456789)
	be.PutUint32(h[32:], 3)
	be.PutUint32(h[36:], 60)
	copy(h[40:], "abc")
	pr, err := newPcapReader(bytes.NewReader(h))
	if err != nil {
		t.Fatal(err)
	}
	ts, data, err := pr.next()
	if err != nil || string(data) != "abc" || ts.UnixNano() != 1700000000123456789 {
		t.Fatalf("next = %v, %q, %v", ts, data, err)
	}
	if _, _, err := pr.next(); err != io.EOF {
		t.Fatalf("after the last packet: %v, want EOF", err)
	}
	if _, err := newPcapReader(strings.NewReader("\x0a\x0d\x0d\x0a" + strings.Repeat("x", 20))); err == nil {
		t.Fatal("pcapng accepted")
	}
	if _, _, err := mustReader(t, h[:24+16+1]).next(); err == nil || err == io.EOF {
		t.Fatalf("truncated record: %v", err)
	}
}

func mustReader(t *testing.T, b []byte) *pcapReader {
	pr, err := newPcapReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return pr
}
