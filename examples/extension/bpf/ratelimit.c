/* A plugin of examples/extension written in C: counts each user's requests
 * in a hash map and denies a user's request beyond the quota of its tier,
 * which it asks the service for with a custom helper. Helper numbers 1000+
 * are the service's own (see service.go).
 *
 * Rebuilt by `make testdata` (scripts/testdata.sh) into bpf/ratelimit.o. */
#include "../../../testdata/ebpf/iovm_bpf.h"

/* The service's helpers. */
static __u64 (*user_tier)(__u32 user) = (void *)1000;
static long (*log_msg)(const char *msg, __u32 len) = (void *)1001;

struct request {
	__u32 user;
	__u32 method;
	__u32 path_len;
	__u32 pad;
	char path[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} requests SEC(".maps");

SEC("extension")
int ratelimit(struct request *r)
{
	__u32 user = r->user;
	__u64 n = 1;
	__u64 *count = bpf_map_lookup_elem(&requests, &user);
	if (count)
		n = __sync_fetch_and_add(count, 1) + 1;
	else
		bpf_map_update_elem(&requests, &user, &n, BPF_ANY);

	__u64 quota = user_tier(user) >= 2 ? 100 : 3;
	if (n > quota) {
		static const char msg[] = "ratelimit: over quota";
		log_msg(msg, sizeof(msg) - 1);
		return 1; /* deny */
	}
	return 0; /* allow */
}

char _license[] SEC("license") = "GPL";
