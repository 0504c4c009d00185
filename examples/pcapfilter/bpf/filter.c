/* Packet filter of examples/pcapfilter: parses Ethernet (with an optional
 * 802.1Q tag), IPv4 and IPv6, then TCP and UDP, with bounds checks against
 * data_end as the kernel's verifier demands, and counts packets per class in
 * the array map "stats". A packet matches when it is TCP to the port in
 * config[0] (set from Go; 443 by default); matches are also counted per
 * IPv4 source address in the hash map "sources". Returns 1 for a match,
 * else 0.
 *
 * Rebuilt by `make testdata` (scripts/testdata.sh) into bpf/filter.o. */
#include "../../../testdata/ebpf/iovm_bpf.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

/* Indices of the stats array (kept in sync with main.go). */
enum {
	STAT_PACKETS,
	STAT_BYTES,
	STAT_IPV4,
	STAT_IPV6,
	STAT_TCP,
	STAT_UDP,
	STAT_OTHER,
	STAT_MALFORMED,
	STAT_MATCHES,
	STAT_MAX,
};

struct ethhdr { __u8 dst[6]; __u8 src[6]; __u16 proto; } __attribute__((packed));
struct vlanhdr { __u16 tci; __u16 proto; };
struct iphdr { __u8 ihl_ver; __u8 tos; __u16 len; __u16 id; __u16 frag; __u8 ttl; __u8 proto; __u16 csum; __u32 saddr; __u32 daddr; };
struct ipv6hdr { __u32 vtc_flow; __u16 plen; __u8 nexthdr; __u8 hlim; __u8 saddr[16]; __u8 daddr[16]; };
struct ports { __u16 sport; __u16 dport; };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} sources SEC(".maps");

static __always_inline void bump(__u32 stat, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &stat);
	if (v)
		__sync_fetch_and_add(v, n);
}

static __always_inline int malformed(void)
{
	bump(STAT_MALFORMED, 1);
	return 0;
}

SEC("xdp")
int pcap_filter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 zero = 0, saddr = 0;
	__u8 proto;
	void *l4;

	bump(STAT_PACKETS, 1);
	bump(STAT_BYTES, data_end - data);

	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return malformed();
	__u16 ethproto = eth->proto;
	void *l3 = eth + 1;
	if (ethproto == bpf_htons(ETH_P_8021Q)) {
		struct vlanhdr *vlan = l3;
		if ((void *)(vlan + 1) > data_end)
			return malformed();
		ethproto = vlan->proto;
		l3 = vlan + 1;
	}

	if (ethproto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;
		if ((void *)(ip + 1) > data_end)
			return malformed();
		__u32 ihl = (ip->ihl_ver & 0xf) * 4;
		if (ihl < sizeof(*ip))
			return malformed();
		bump(STAT_IPV4, 1);
		if (ip->frag & bpf_htons(0x1fff)) { /* not the first fragment */
			bump(STAT_OTHER, 1);
			return 0;
		}
		proto = ip->proto;
		saddr = ip->saddr;
		l4 = (void *)ip + ihl;
	} else if (ethproto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;
		if ((void *)(ip6 + 1) > data_end)
			return malformed();
		bump(STAT_IPV6, 1);
		proto = ip6->nexthdr;
		l4 = ip6 + 1;
	} else {
		bump(STAT_OTHER, 1);
		return 0;
	}

	if (proto == IPPROTO_UDP) {
		bump(STAT_UDP, 1);
		return 0;
	}
	if (proto != IPPROTO_TCP) {
		bump(STAT_OTHER, 1);
		return 0;
	}
	struct ports *ports = l4;
	if ((void *)(ports + 1) > data_end)
		return malformed();
	bump(STAT_TCP, 1);

	__u32 *port = bpf_map_lookup_elem(&config, &zero);
	if (!port || bpf_ntohs(ports->dport) != *port)
		return 0;
	bump(STAT_MATCHES, 1);
	if (saddr) {
		__u64 *n = bpf_map_lookup_elem(&sources, &saddr);
		if (n) {
			__sync_fetch_and_add(n, 1);
		} else {
			__u64 one = 1;
			bpf_map_update_elem(&sources, &saddr, &one, BPF_NOEXIST);
		}
	}
	return 1;
}

char _license[] SEC("license") = "GPL";
