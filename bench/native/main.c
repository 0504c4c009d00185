/* Native timing program of the benchmark corpus: runs each corpus function
 * (the same C sources iovm runs as eBPF, compiled for the host with clang
 * -O2 -fno-vectorize -fno-slp-vectorize by scripts/bench.sh) on its input
 * and prints one line per benchmark:
 *
 *	NAME RESULT NS_PER_RUN RUNS
 *
 * usage: native INPUT_DIR [MIN_MS [cpu|wall [NAME...]]]
 *
 * cpu measures the CPU time of the thread (robust on a loaded machine, as
 * iovm bench --cpu), wall (the default) the monotonic clock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../bench.h"

u64 checksum(u8 *data, u64 len);
u64 crc32(u8 *data, u64 len);
u64 fnv1a(u8 *data, u64 len);
u64 parse(u8 *data, u64 len);
u64 sieve(u8 *data, u64 len);
u64 sort(u8 *data, u64 len);

static const struct {
	const char *name;
	u64 (*fn)(u8 *, u64);
} benches[] = {
	{"checksum", checksum}, {"crc32", crc32}, {"fnv1a", fnv1a},
	{"parse", parse},       {"sieve", sieve}, {"sort", sort},
};

static clockid_t clock_id = CLOCK_MONOTONIC;

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(clock_id, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static u8 *read_file(const char *path, u64 *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	u8 *b = malloc(n ? n : 1);
	if (fread(b, 1, n, f) != (size_t)n) {
		fclose(f);
		free(b);
		return NULL;
	}
	fclose(f);
	*len = n;
	return b;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: native INPUT_DIR [MIN_MS [cpu|wall [NAME...]]]\n");
		return 2;
	}
	double min_ns = (argc > 2 ? atof(argv[2]) : 300) * 1e6;
	if (argc > 3 && strcmp(argv[3], "cpu") == 0)
		clock_id = CLOCK_THREAD_CPUTIME_ID;
	for (size_t b = 0; b < sizeof(benches) / sizeof(benches[0]); b++) {
		if (argc > 4) {
			int want = 0;
			for (int i = 4; i < argc; i++)
				want |= strcmp(argv[i], benches[b].name) == 0;
			if (!want)
				continue;
		}
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s.bin", argv[1], benches[b].name);
		u64 len;
		u8 *data = read_file(path, &len);
		if (!data) {
			fprintf(stderr, "native: cannot read %s\n", path);
			return 1;
		}
		u64 result = benches[b].fn(data, len);
		double el = 0;
		u64 runs = 1;
		for (;;) {
			double t0 = now_ns();
			for (u64 i = 0; i < runs; i++)
				benches[b].fn(data, len);
			el = now_ns() - t0;
			if (el >= min_ns || runs >= (1ULL << 40))
				break;
			runs *= 2;
		}
		printf("%s 0x%llx %.1f %llu\n", benches[b].name, result, el / runs, runs);
		free(data);
	}
	return 0;
}
