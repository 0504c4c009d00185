/* XDP-style packet filter: parses Ethernet/IPv4/UDP/TCP with bounds checks
 * against data_end, drops UDP to a blocked port and TCP SYNs from a
 * blocklisted source, and counts packets per verdict (array) and per source
 * address (hash). */
#include "iovm_bpf.h"

#define ETH_P_IP 0x0800
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

struct ethhdr { __u8 dst[6]; __u8 src[6]; __u16 proto; } __attribute__((packed));
struct iphdr { __u8 ihl_ver; __u8 tos; __u16 len; __u16 id; __u16 frag; __u8 ttl; __u8 proto; __u16 csum; __u32 saddr; __u32 daddr; };
struct udphdr { __u16 sport; __u16 dport; __u16 len; __u16 csum; };
struct tcphdr { __u16 sport; __u16 dport; __u32 seq; __u32 ack; __u8 off; __u8 flags; __u16 win; __u16 csum; __u16 urg; };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} verdicts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} sources SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u8);
} blocklist SEC(".maps");

const volatile __u16 blocked_udp_port = 53; /* .rodata */

static __noinline int count(__u32 verdict, __u32 saddr)
{
	__u64 *v = bpf_map_lookup_elem(&verdicts, &verdict);
	if (v)
		__sync_fetch_and_add(v, 1);
	if (saddr) {
		__u64 *n = bpf_map_lookup_elem(&sources, &saddr);
		if (n) {
			__sync_fetch_and_add(n, 1);
		} else {
			__u64 one = 1;
			bpf_map_update_elem(&sources, &saddr, &one, BPF_NOEXIST);
		}
	}
	return verdict;
}

SEC("xdp")
int xdp_filter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return count(XDP_ABORTED, 0);
	if (eth->proto != bpf_htons(ETH_P_IP))
		return count(XDP_PASS, 0);
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return count(XDP_ABORTED, 0);
	__u32 ihl = (ip->ihl_ver & 0xf) * 4;
	if (ihl < sizeof(*ip))
		return count(XDP_ABORTED, 0);
	void *l4 = (void *)ip + ihl;
	if (ip->proto == IPPROTO_UDP) {
		struct udphdr *udp = l4;
		if ((void *)(udp + 1) > data_end)
			return count(XDP_ABORTED, ip->saddr);
		if (udp->dport == bpf_htons(blocked_udp_port))
			return count(XDP_DROP, ip->saddr);
	} else if (ip->proto == IPPROTO_TCP) {
		struct tcphdr *tcp = l4;
		if ((void *)(tcp + 1) > data_end)
			return count(XDP_ABORTED, ip->saddr);
		if ((tcp->flags & 0x12) == 0x02 && bpf_map_lookup_elem(&blocklist, &ip->saddr))
			return count(XDP_DROP, ip->saddr);
	}
	return count(XDP_PASS, ip->saddr);
}

char _license[] SEC("license") = "GPL";
