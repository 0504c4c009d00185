// Packet parsing: Ethernet, IPv4, UDP/TCP with bounds checks, as an XDP
// program does it.
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;

struct xdp_md {
	u32 data;
	u32 data_end;
};

struct ethhdr {
	u8 dst[6];
	u8 src[6];
	u16 proto;
};

struct iphdr {
	u8 ihl_version;
	u8 tos;
	u16 tot_len;
	u16 id;
	u16 frag_off;
	u8 ttl;
	u8 protocol;
	u16 check;
	u32 saddr;
	u32 daddr;
};

struct udphdr {
	u16 source;
	u16 dest;
	u16 len;
	u16 check;
};

unsigned long long counters[4];

__attribute__((section("xdp"))) int parse(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return 1;
	if (eth->proto != __builtin_bswap16(0x0800))
		return 2;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end)
		return 1;
	u32 hl = (ip->ihl_version & 0xf) * 4;
	if (hl < sizeof(*ip))
		return 1;
	if (ip->protocol == 17) {
		struct udphdr *udp = (void *)ip + hl;
		if ((void *)(udp + 1) > end)
			return 1;
		if (udp->dest == __builtin_bswap16(53)) {
			counters[0]++;
			return 3;
		}
		counters[1] += __builtin_bswap16(udp->len);
		return 2;
	}
	if ((__builtin_bswap32(ip->saddr) >> 24) == 10)
		counters[2]++;
	return ip->ttl > 1 ? 2 : 0;
}

// Legacy packet loads (ldabs/ldind) through the LLVM intrinsics.
unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");

__attribute__((section("socket"))) int legacy(void *skb)
{
	unsigned long long proto = load_byte(skb, 23);
	unsigned long long len = load_half(skb, 16);
	unsigned long long hl = (load_byte(skb, 14) & 0xf) * 4;
	unsigned long long port = load_half(skb, 14 + hl + 2);
	unsigned long long saddr = load_word(skb, 26);
	return proto == 6 && len > 40 && saddr != 0 && port == 80;
}
