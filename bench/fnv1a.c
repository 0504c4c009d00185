/* 64-bit FNV-1a hash of the input, byte by byte. */
#include "bench.h"

BENCH(fnv1a)
{
	u64 h = 0xcbf29ce484222325ULL;
	for (u64 i = 0; i < len; i++) {
		h ^= data[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}
