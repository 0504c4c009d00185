/* Common header of the benchmark corpus. Each corpus file defines one
 * function BENCH(name) taking the input memory and its length and returning
 * a 64-bit result. The same source compiles two ways:
 *
 *   - to eBPF (clang -target bpfel, by `make testdata`): the function is a
 *     program in section "bench", run by iovm with r1 = the input memory and
 *     r2 = its length (iovm's default entry convention);
 *   - natively (clang -O2 -fno-vectorize -fno-slp-vectorize, by
 *     scripts/bench.sh): the function is called by native/main.c, which
 *     times it on the same input.
 *
 * No helpers, maps or library calls: only loops over memory, so both sides
 * run the same code. Multi-byte values of the inputs are little-endian. */
#ifndef BENCH_H
#define BENCH_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

#ifdef __bpf__
#define BENCH(name) __attribute__((section("bench"), used)) u64 name(u8 *data, u64 len)
#else
#define BENCH(name) __attribute__((noinline)) u64 name(u8 *data, u64 len)
#endif

#endif
