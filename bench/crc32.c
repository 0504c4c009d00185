/* CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) of the input,
 * bit by bit: no table, eight iterations of shift-and-xor per byte. */
#include "bench.h"

BENCH(crc32)
{
	u32 crc = 0xffffffff;
	for (u64 i = 0; i < len; i++) {
		crc ^= data[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320 & -(crc & 1));
	}
	return ~crc;
}
