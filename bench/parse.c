/* Packet parsing: the input is a sequence of records, each a little-endian
 * u16 length and that many bytes of an Ethernet frame. Each frame is parsed
 * (802.1Q tag, IPv4 with options or IPv6, TCP or UDP) with bounds checks,
 * and the flows are folded into a hash of the 5-tuples. Returns the hash
 * mixed with the counts of good and malformed frames. */
#include "bench.h"

static inline u32 be16(const u8 *p) { return (u32)p[0] << 8 | p[1]; }

static inline u32 be32(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

BENCH(parse)
{
	u64 hash = 0, good = 0, bad = 0, off = 0;
	while (off + 2 <= len) {
		u64 n = data[off] | (u64)data[off + 1] << 8;
		off += 2;
		if (n > len - off)
			break;
		const u8 *p = data + off, *end = p + n;
		off += n;
		if (p + 14 > end) {
			bad++;
			continue;
		}
		u32 proto = be16(p + 12);
		const u8 *l3 = p + 14;
		if (proto == 0x8100) {
			if (l3 + 4 > end) {
				bad++;
				continue;
			}
			proto = be16(l3 + 2);
			l3 += 4;
		}
		u64 src, dst;
		u32 l4proto;
		const u8 *l4;
		if (proto == 0x0800) {
			if (l3 + 20 > end || (l3[0] & 0xf) < 5) {
				bad++;
				continue;
			}
			src = be32(l3 + 12);
			dst = be32(l3 + 16);
			l4proto = l3[9];
			l4 = l3 + (l3[0] & 0xf) * 4;
		} else if (proto == 0x86dd) {
			if (l3 + 40 > end) {
				bad++;
				continue;
			}
			src = (u64)be32(l3 + 8) << 32 | be32(l3 + 20);
			dst = (u64)be32(l3 + 24) << 32 | be32(l3 + 36);
			l4proto = l3[6];
			l4 = l3 + 40;
		} else {
			good++;
			continue;
		}
		u32 ports = 0;
		if (l4proto == 6 || l4proto == 17) {
			if (l4 + (l4proto == 6 ? 20 : 8) > end) {
				bad++;
				continue;
			}
			ports = be32(l4);
		}
		u64 h = src * 0x9E3779B97F4A7C15ULL ^ dst;
		h = (h ^ ports) * 0xff51afd7ed558ccdULL;
		hash += h ^ (h >> 33) ^ l4proto;
		good++;
	}
	return hash ^ good << 48 ^ bad << 56;
}
