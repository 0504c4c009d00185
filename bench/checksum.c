/* Internet checksum (RFC 1071) of the input: one's complement sum of
 * big-endian 16-bit words, folded. */
#include "bench.h"

BENCH(checksum)
{
	u64 sum = 0;
	u64 i;
	for (i = 0; i + 1 < len; i += 2)
		sum += (u32)data[i] << 8 | data[i + 1];
	if (i < len)
		sum += (u32)data[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (u16)~sum;
}
