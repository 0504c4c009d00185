package elf_test

import (
	"encoding/binary"
	"testing"

	"github.com/iovm/iovm/conformance"
	"github.com/iovm/iovm/elf"
	"github.com/iovm/iovm/vm"
)

// packet builds an Ethernet/IPv4 packet with an UDP or TCP header.
// saddr is stored in the program's byte order, as the program reads it.
func packet(order binary.ByteOrder, proto byte, saddr uint32, dport uint16, flags byte) []byte {
	p := make([]byte, 14+20+20)
	binary.BigEndian.PutUint16(p[12:], 0x0800)
	ip := p[14:]
	ip[0] = 0x45
	ip[9] = proto
	order.PutUint32(ip[12:], saddr)
	l4 := ip[20:]
	binary.BigEndian.PutUint16(l4[2:], dport)
	if proto == 6 {
		l4[13] = flags
	} else {
		p = p[:14+20+8]
	}
	return p
}

func runPacket(t *testing.T, x vm.Executable, order binary.ByteOrder, pkt []byte) uint64 {
	t.Helper()
	res, err := x.Run(&vm.Env{Mem: pkt, Context: elf.PacketContext(order, len(pkt)), ContextReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	return res.R0
}

func TestXDPFilter(t *testing.T) {
	for _, obj := range []string{"xdp_filter.o", "xdp_filter.eb.o"} {
		t.Run(obj, func(t *testing.T) { testXDPFilter(t, obj) })
	}
}

func testXDPFilter(t *testing.T, obj string) {
	o := open(t, obj)
	ord := o.Order
	k32 := func(v uint32) []byte { b := make([]byte, 4); ord.PutUint32(b, v); return b }
	u64 := func(c *elf.Collection, m string, k []byte) uint64 {
		v, err := c.Map(m).Lookup(k)
		if err != nil {
			t.Fatalf("%s[%x]: %v", m, k, err)
		}
		return ord.Uint64(v)
	}
	eachEngine(t, func(t *testing.T, e conformance.Engine) {
		c := newColl(t, o, nil)
		x := load(t, e, c, "xdp_filter", &vm.Options{ContextSize: elf.PacketContextSize})
		const src1, src2 = 0x0a000001, 0x0a000002
		c.Map("blocklist").Update(k32(src2), []byte{1}, 0)
		cases := []struct {
			name string
			pkt  []byte
			want uint64
		}{
			{"udp dns dropped", packet(ord, 17, src1, 53, 0), 1},
			{"udp other passes", packet(ord, 17, src1, 80, 0), 2},
			{"tcp syn from blocked", packet(ord, 6, src2, 80, 0x02), 1},
			{"tcp ack from blocked", packet(ord, 6, src2, 80, 0x10), 2},
			{"tcp syn from other", packet(ord, 6, src1, 80, 0x02), 2},
			{"truncated eth", make([]byte, 10), 0},
			{"truncated ip", packet(ord, 17, src1, 53, 0)[:30], 0},
			{"truncated udp", packet(ord, 17, src1, 53, 0)[:38], 0},
			{"not ip", make([]byte, 60), 2},
			{"empty", []byte{}, 0},
		}
		for _, tc := range cases {
			if got := runPacket(t, x, ord, tc.pkt); got != tc.want {
				t.Errorf("%s: verdict %d, want %d", tc.name, got, tc.want)
			}
		}
		for verdict, want := range map[uint32]uint64{0: 4, 1: 2, 2: 4} {
			if got := u64(c, "verdicts", k32(verdict)); got != want {
				t.Errorf("verdicts[%d] = %d, want %d", verdict, got, want)
			}
		}
		if got := u64(c, "sources", k32(src1)); got != 4 {
			t.Errorf("sources[src1] = %d, want 4", got)
		}
		if got := u64(c, "sources", k32(src2)); got != 2 {
			t.Errorf("sources[src2] = %d, want 2", got)
		}
	})
}
