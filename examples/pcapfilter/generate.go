package main

import (
	"encoding/binary"
	"io"
	"math/rand/v2"
	"net/netip"
	"time"
)

// The sample capture: a deterministic mix of the traffic a filter meets
// (HTTPS, HTTP, SSH, DNS, QUIC, IPv6, VLAN-tagged frames, ARP, ICMP, IP
// fragments) and some frames cut short, as a capture with a small snap
// length or a damaged link produces.

// sources are the IPv4 hosts of the sample capture.
var sources = []netip.Addr{
	netip.MustParseAddr("10.0.0.1"),
	netip.MustParseAddr("10.0.0.2"),
	netip.MustParseAddr("10.0.0.3"),
	netip.MustParseAddr("192.168.1.20"),
	netip.MustParseAddr("192.168.1.21"),
}

// generate writes a sample capture of n packets to w; the same n gives
// the same bytes.
func generate(w io.Writer, n int) error {
	pw, err := newPcapWriter(w, 65535)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	ts := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	dst4 := netip.MustParseAddr("203.0.113.7")
	src6 := netip.MustParseAddr("2001:db8::1")
	dst6 := netip.MustParseAddr("2001:db8::443")
	for i := 0; i < n; i++ {
		ts = ts.Add(time.Duration(rng.IntN(2000)) * time.Microsecond)
		src := sources[rng.IntN(len(sources))]
		payload := rng.IntN(200)
		var pkt []byte
		switch k := rng.IntN(100); {
		case k < 35:
			pkt = ipv4(src, dst4, 6, tcp(rng, 443, payload))
		case k < 50:
			pkt = ipv4(src, dst4, 6, tcp(rng, 80, payload))
		case k < 55:
			pkt = ipv4(src, dst4, 6, tcp(rng, 22, payload))
		case k < 65:
			pkt = ipv4(src, dst4, 17, udp(rng, 53, payload%100))
		case k < 72:
			pkt = ipv4(src, dst4, 17, udp(rng, 443, payload)) // QUIC: not TCP
		case k < 80:
			pkt = ipv6(src6, dst6, 6, tcp(rng, 443, payload))
		case k < 85:
			pkt = vlan(100, ipv4(src, dst4, 6, tcp(rng, 443, payload)))
		case k < 89:
			pkt = arp(src, dst4)
		case k < 93:
			pkt = ipv4(src, dst4, 1, make([]byte, 8+payload%64)) // ICMP
		case k < 96:
			p := ipv4(src, dst4, 6, make([]byte, 64)) // a later fragment
			binary.BigEndian.PutUint16(p[14+6:], 185)
			pkt = p
		default:
			// Cut short inside the Ethernet, IP or TCP header.
			p := ipv4(src, dst4, 6, tcp(rng, 443, payload))
			if err := pw.write(ts, p[:rng.IntN(14+20+4)], len(p)); err != nil {
				return err
			}
			continue
		}
		if err := pw.write(ts, pkt, len(pkt)); err != nil {
			return err
		}
	}
	return nil
}

func ether(proto uint16, payload []byte) []byte {
	p := make([]byte, 14, 14+len(payload))
	copy(p[0:], []byte{0x02, 0, 0, 0, 0, 0x01})
	copy(p[6:], []byte{0x02, 0, 0, 0, 0, 0x02})
	binary.BigEndian.PutUint16(p[12:], proto)
	return append(p, payload...)
}

func ipv4(src, dst netip.Addr, proto byte, payload []byte) []byte {
	h := make([]byte, 20, 20+len(payload))
	h[0] = 0x45
	binary.BigEndian.PutUint16(h[2:], uint16(20+len(payload)))
	h[8] = 64
	h[9] = proto
	s, d := src.As4(), dst.As4()
	copy(h[12:], s[:])
	copy(h[16:], d[:])
	binary.BigEndian.PutUint16(h[10:], ^checksum(h))
	return ether(0x0800, append(h, payload...))
}

func ipv6(src, dst netip.Addr, next byte, payload []byte) []byte {
	h := make([]byte, 40, 40+len(payload))
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:], uint16(len(payload)))
	h[6] = next
	h[7] = 64
	s, d := src.As16(), dst.As16()
	copy(h[8:], s[:])
	copy(h[24:], d[:])
	return ether(0x86dd, append(h, payload...))
}

func vlan(id uint16, frame []byte) []byte {
	p := make([]byte, 0, len(frame)+4)
	p = append(p, frame[:12]...)
	p = binary.BigEndian.AppendUint16(p, 0x8100)
	p = binary.BigEndian.AppendUint16(p, id)
	return append(p, frame[12:]...)
}

func arp(sender, target netip.Addr) []byte {
	a := make([]byte, 28)
	binary.BigEndian.PutUint16(a[0:], 1)      // Ethernet
	binary.BigEndian.PutUint16(a[2:], 0x0800) // IPv4
	a[4], a[5] = 6, 4
	binary.BigEndian.PutUint16(a[6:], 1) // request
	s, t := sender.As4(), target.As4()
	copy(a[14:], s[:])
	copy(a[24:], t[:])
	return ether(0x0806, a)
}

func tcp(rng *rand.Rand, dport uint16, payload int) []byte {
	h := make([]byte, 20+payload)
	binary.BigEndian.PutUint16(h[0:], uint16(32768+rng.IntN(28000)))
	binary.BigEndian.PutUint16(h[2:], dport)
	binary.BigEndian.PutUint32(h[4:], rng.Uint32())
	h[12] = 5 << 4
	h[13] = []byte{0x02, 0x10, 0x18, 0x11}[rng.IntN(4)] // SYN, ACK, PSH|ACK, FIN|ACK
	binary.BigEndian.PutUint16(h[14:], 65535)
	for i := 20; i < len(h); i++ {
		h[i] = byte(i)
	}
	return h
}

func udp(rng *rand.Rand, dport uint16, payload int) []byte {
	h := make([]byte, 8+payload)
	binary.BigEndian.PutUint16(h[0:], uint16(32768+rng.IntN(28000)))
	binary.BigEndian.PutUint16(h[2:], dport)
	binary.BigEndian.PutUint16(h[4:], uint16(8+payload))
	return h
}

// checksum is the Internet checksum's one's complement sum of b.
func checksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}
