// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * sha256: SHA-256 (the examples' pure-C version) over 16 KiB, n times,
 * each round hashing the previous digest in — 32-bit rotates and adds.
 * Returns the first 8 bytes of the final digest.
 */
#include "bench.h"
#include <synapse_sha256.h>

#define BUFSZ	16384

static u8 buf[BUFSZ];

i64 bench(int n)
{
	struct sha256_ctx c;
	u8 d[32] = { 0 };
	u64 v = 0;
	int i, r;

	for (i = 0; i < BUFSZ; i++)
		buf[i] = (u8)(i * 131 + 7);
	for (r = 0; r < n; r++) {
		for (i = 0; i < 32; i++)
			buf[i] = d[i];
		sha256_init(&c);
		sha256_update(&c, buf, BUFSZ);
		sha256_final(&c, d);
	}
	for (i = 0; i < 8; i++)
		v = v << 8 | d[i];
	return (i64)v;
}

BENCH_DEFAULT
