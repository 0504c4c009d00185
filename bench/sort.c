/* Insertion sort: the input is 2n little-endian u32, the first n the values
 * to sort; they are copied to the second half, which is sorted in place (so
 * every run sorts the same data). Returns a checksum of the sorted values
 * weighted by position. */
#include "bench.h"

BENCH(sort)
{
	u64 n = len / 8;
	u32 *src = (u32 *)data;
	u32 *a = (u32 *)data + n;
	for (u64 i = 0; i < n; i++)
		a[i] = src[i];
	for (u64 i = 1; i < n; i++) {
		u32 v = a[i];
		u64 j = i;
		while (j > 0 && a[j - 1] > v) {
			a[j] = a[j - 1];
			j--;
		}
		a[j] = v;
	}
	u64 sum = 0;
	for (u64 i = 0; i < n; i++)
		sum += (u64)a[i] * (i + 1);
	return sum;
}
