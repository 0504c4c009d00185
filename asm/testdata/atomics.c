// Atomics: add, or, and, xor (with and without fetch), xchg, cmpxchg, in
// 32 and 64 bits.
typedef unsigned int u32;
typedef unsigned long long u64;

u64 c64;
u32 c32;

u64 atomics64(u64 *p, u64 v)
{
	__sync_fetch_and_add(p, v);
	u64 a = __sync_fetch_and_add(p, 1);
	u64 b = __sync_fetch_and_or(p, v);
	u64 c = __sync_fetch_and_and(p, ~v);
	u64 d = __sync_fetch_and_xor(p, a);
	u64 e = __sync_lock_test_and_set(&c64, b);
	u64 f = __sync_val_compare_and_swap(&c64, c, d);
	__sync_fetch_and_or(&c64, 4);
	__sync_fetch_and_xor(&c64, e);
	__sync_fetch_and_and(&c64, f);
	return a + b + c + d + e + f;
}

u32 atomics32(u32 *p, u32 v)
{
	__sync_fetch_and_add(p, v);
	u32 a = __sync_fetch_and_add(p, 1);
	u32 b = __sync_fetch_and_or(p, v);
	u32 c = __sync_fetch_and_and(p, ~v);
	u32 d = __sync_fetch_and_xor(p, a);
	u32 e = __sync_lock_test_and_set(&c32, b);
	u32 f = __sync_val_compare_and_swap(&c32, c, d);
	__sync_fetch_and_sub(&c32, 4);
	return a ^ b ^ c ^ d ^ e ^ f;
}
