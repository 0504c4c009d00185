package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// The classic libpcap file format (https://www.tcpdump.org/manpages/pcap-savefile.5.html):
// a 24-byte file header, then records of a 16-byte header and the captured
// bytes. The magic number gives the byte order of the header fields and the
// resolution of the timestamps.
const (
	pcapMagicMicro   = 0xa1b2c3d4
	pcapMagicNano    = 0xa1b23c4d
	linkTypeEthernet = 1
	maxSnapLen       = 256 << 10
)

// pcapReader reads the packets of a pcap file.
type pcapReader struct {
	r        *bufio.Reader
	order    binary.ByteOrder
	nano     bool
	snapLen  uint32
	linkType uint32
	hdr      [16]byte
	buf      []byte
}

// newPcapReader reads the file header of a pcap stream.
func newPcapReader(r io.Reader) (*pcapReader, error) {
	p := &pcapReader{r: bufio.NewReader(r)}
	var h [24]byte
	if _, err := io.ReadFull(p.r, h[:]); err != nil {
		return nil, fmt.Errorf("pcap: file header: %w", err)
	}
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		switch order.Uint32(h[0:]) {
		case pcapMagicMicro:
			p.order = order
		case pcapMagicNano:
			p.order, p.nano = order, true
		}
	}
	if p.order == nil {
		return nil, fmt.Errorf("pcap: bad magic %#x (pcapng is not supported)", binary.LittleEndian.Uint32(h[0:]))
	}
	if major := p.order.Uint16(h[4:]); major != 2 {
		return nil, fmt.Errorf("pcap: unsupported version %d", major)
	}
	p.snapLen = p.order.Uint32(h[16:])
	p.linkType = p.order.Uint32(h[20:]) & 0x0fffffff // upper bits: FCS length
	return p, nil
}

// next returns the next packet: its timestamp and the captured bytes (valid
// until the following call). It returns io.EOF after the last packet.
func (p *pcapReader) next() (ts time.Time, data []byte, err error) {
	if _, err := io.ReadFull(p.r, p.hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("pcap: truncated record header")
		}
		return time.Time{}, nil, err
	}
	sec := int64(p.order.Uint32(p.hdr[0:]))
	frac := int64(p.order.Uint32(p.hdr[4:]))
	n := p.order.Uint32(p.hdr[8:])
	if n > maxSnapLen {
		return time.Time{}, nil, fmt.Errorf("pcap: record of %d bytes", n)
	}
	if !p.nano {
		frac *= 1000
	}
	if cap(p.buf) < int(n) {
		p.buf = make([]byte, n)
	}
	p.buf = p.buf[:n]
	if _, err := io.ReadFull(p.r, p.buf); err != nil {
		return time.Time{}, nil, fmt.Errorf("pcap: truncated record: %w", err)
	}
	return time.Unix(sec, frac).UTC(), p.buf, nil
}

// pcapWriter writes a pcap file: little-endian, microsecond timestamps,
// Ethernet link type.
type pcapWriter struct {
	w       io.Writer
	snapLen uint32
}

func newPcapWriter(w io.Writer, snapLen uint32) (*pcapWriter, error) {
	var h [24]byte
	binary.LittleEndian.PutUint32(h[0:], pcapMagicMicro)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], snapLen)
	binary.LittleEndian.PutUint32(h[20:], linkTypeEthernet)
	if _, err := w.Write(h[:]); err != nil {
		return nil, err
	}
	return &pcapWriter{w: w, snapLen: snapLen}, nil
}

// write writes one packet captured at ts whose original length on the wire
// was orig bytes, truncated to the snap length.
func (p *pcapWriter) write(ts time.Time, pkt []byte, orig int) error {
	if len(pkt) > int(p.snapLen) {
		pkt = pkt[:p.snapLen]
	}
	var h [16]byte
	binary.LittleEndian.PutUint32(h[0:], uint32(ts.Unix()))
	binary.LittleEndian.PutUint32(h[4:], uint32(ts.Nanosecond()/1000))
	binary.LittleEndian.PutUint32(h[8:], uint32(len(pkt)))
	binary.LittleEndian.PutUint32(h[12:], uint32(orig))
	if _, err := p.w.Write(h[:]); err != nil {
		return err
	}
	_, err := p.w.Write(pkt)
	return err
}
