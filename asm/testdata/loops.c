// Loops: bounded for/while loops, nested loops, early exits.
typedef unsigned int u32;
typedef unsigned long long u64;

int sum(u32 *p, int n)
{
	int s = 0;
	for (int i = 0; i < n && i < 64; i++)
		s += p[i];
	return s;
}

u64 collatz(u64 x)
{
	u64 steps = 0;
	while (x != 1 && steps < 1000) {
		if (x & 1)
			x = 3 * x + 1;
		else
			x >>= 1;
		steps++;
	}
	return steps;
}

unsigned matrix(unsigned *m)
{
	unsigned t = 0;
#pragma clang loop unroll(disable)
	for (int i = 0; i < 8; i++)
#pragma clang loop unroll(disable)
		for (int j = 0; j < 8; j++)
			t += m[i * 8 + j] * (i ^ j) / (j + 1) % 7;
	return t;
}

long find(const char *s, long n, char c)
{
	for (long i = 0; i < n; i++)
		if (s[i] == c)
			return i;
	return -1;
}
