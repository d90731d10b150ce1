// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * mix64: i64 arithmetic — multiply, xor-shift, rotate, divide and
 * remainder, compare — n x 1024 rounds over a small state.
 */
#include "bench.h"

static u64 rotl(u64 x, int k)
{
	return (x << k) | (x >> (64 - k));
}

i64 bench(int n)
{
	u64 s0 = 0x9e3779b97f4a7c15ull, s1 = 0xbf58476d1ce4e5b9ull;
	u64 acc = 0;
	i64 r, rounds = (i64)n * 1024;

	for (r = 0; r < rounds; r++) {
		u64 x = s0 + s1;

		s1 ^= s0;
		s0 = rotl(s0, 24) ^ s1 ^ (s1 << 16);
		s1 = rotl(s1, 37);
		x ^= x >> 31;
		x *= 0x94d049bb133111ebull;
		acc += x / ((s1 & 0xffff) | 1);
		acc ^= (u64)((i64)x % 1000003);
		acc = (i64)acc < 0 ? acc + x : acc - (x >> 7);
	}
	return (i64)acc;
}

BENCH_DEFAULT
