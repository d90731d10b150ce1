// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * sieve: Eratosthenes over 1 MiB of byte flags, n times — memory loads
 * and stores in tight loops. Returns the sum of the prime counts.
 */
#include "bench.h"

#define LIMIT	(1u << 20)

static u8 composite[LIMIT];

static u32 sieve(u32 round)
{
	u32 i, j, count = 0;

	for (i = 0; i < LIMIT; i++)
		composite[i] = 0;
	/* Vary the bound a little so no round can be folded away. */
	for (i = 2; i * i < LIMIT - (round & 7); i++) {
		if (composite[i])
			continue;
		for (j = i * i; j < LIMIT - (round & 7); j += i)
			composite[j] = 1;
	}
	for (i = 2; i < LIMIT - (round & 7); i++)
		count += !composite[i];
	return count;
}

i64 bench(int n)
{
	i64 sum = 0;
	int r;

	for (r = 0; r < n; r++)
		sum += sieve((u32)r);
	return sum;
}

BENCH_DEFAULT
