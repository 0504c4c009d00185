// Byte swaps: htons/htonl/htobe64 and their inverses on values and memory.
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

u64 swaps(u64 *p)
{
	u16 a = __builtin_bswap16((u16)p[0]);
	u32 b = __builtin_bswap32((u32)p[1]);
	u64 c = __builtin_bswap64(p[2]);
	p[3] = __builtin_bswap64(p[3] + a);
	return a + b + c;
}

int mixed(int x, unsigned char *m)
{
	u16 h = (u16)(m[0] << 8 | m[1]);
	u32 w = (u32)m[2] << 24 | (u32)m[3] << 16 | (u32)m[4] << 8 | m[5];
	return (h == __builtin_bswap16((u16)x)) + (w > __builtin_bswap32((u32)x)) + (x >> 3) + (signed char)m[6];
}
