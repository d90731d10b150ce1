// SPDX-License-Identifier: GPL-2.0 OR MIT
/* fib: naive doubly recursive Fibonacci — calls and returns dominate. */
#include "bench.h"

__attribute__((noinline)) static u32 fib(u32 k)
{
	return k < 2 ? k : fib(k - 1) + fib(k - 2);
}

i64 bench(int n)
{
	return fib((u32)n);
}

BENCH_DEFAULT
