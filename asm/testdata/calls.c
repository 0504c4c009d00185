// Calls between static functions (local calls), helper calls and a call
// through a function pointer.
typedef unsigned long long u64;

static long (*helper_lookup)(void *map, const void *key) = (void *)1;
static long (*helper_trace)(const char *fmt, int size, ...) = (void *)6;

static __attribute__((noinline)) u64 square(u64 x)
{
	return x * x;
}

static __attribute__((noinline)) u64 poly(u64 x, u64 a, u64 b, u64 c)
{
	return square(x) * a + x * b + c;
}

static __attribute__((noinline)) int fib(int n)
{
	int a = 0, b = 1;
	for (int i = 0; i < n && i < 90; i++) {
		int t = a + b;
		a = b;
		b = t;
	}
	return a;
}

int entry(u64 x)
{
	char fmt[] = "x=%d";
	u64 key = x;
	long v = helper_lookup(0, &key);
	helper_trace(fmt, sizeof(fmt), (int)v);
	return poly(x, 3, 5, 7) + fib((int)x) + square(v);
}
