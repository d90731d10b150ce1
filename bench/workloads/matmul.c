// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * matmul: 96x96 i32 matrix product, n times, feeding the result back —
 * nested loops, address arithmetic, multiply-accumulate.
 */
#include "bench.h"

#define N	96

static i32 a[N][N], b[N][N], c[N][N];

i64 bench(int n)
{
	u32 seed = 12345;
	i64 sum = 0;
	int i, j, k, r;

	for (i = 0; i < N; i++)
		for (j = 0; j < N; j++) {
			seed = seed * 1103515245u + 12345u;
			a[i][j] = (i32)(seed >> 16) % 17 - 8;
			seed = seed * 1103515245u + 12345u;
			b[i][j] = (i32)(seed >> 16) % 17 - 8;
		}
	for (r = 0; r < n; r++) {
		for (i = 0; i < N; i++)
			for (j = 0; j < N; j++) {
				i32 s = 0;

				for (k = 0; k < N; k++)
					s += a[i][k] * b[k][j];
				c[i][j] = s;
			}
		/* Keep values small and make every round depend on the last. */
		for (i = 0; i < N; i++)
			for (j = 0; j < N; j++)
				a[i][j] = (c[i][j] ^ r) % 9;
	}
	for (i = 0; i < N; i++)
		for (j = 0; j < N; j++)
			sum += c[i][j] * (i64)(i + j + 1);
	return sum;
}

BENCH_DEFAULT
