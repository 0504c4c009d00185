/* Sieve of Eratosthenes over the input used as len byte flags: returns the
 * number of primes below len. */
#include "bench.h"

BENCH(sieve)
{
	for (u64 i = 0; i < len; i++)
		data[i] = i & 1 ? 1 : i == 2; /* odd numbers and 2 are candidates */
	if (len > 1)
		data[1] = 0;
	for (u64 i = 3; i * i < len; i += 2) {
		if (!data[i])
			continue;
		for (u64 j = i * i; j < len; j += 2 * i)
			data[j] = 0;
	}
	u64 count = 0;
	for (u64 i = 0; i < len; i++)
		count += data[i];
	return count;
}
