// SPDX-License-Identifier: GPL-2.0
/*
 * native.c - runs a benchmark workload natively: bench(n) `reps` times,
 * printing one line per run: "<result> <nanoseconds>". Linked with one
 * workload of bench/workloads/ compiled by clang -O2, the reference for slowdowns.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "workloads/bench.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	int n, reps, i;

	if (argc != 3) {
		fprintf(stderr, "usage: %s N REPS\n", argv[0]);
		return 2;
	}
	n = atoi(argv[1]);
	reps = atoi(argv[2]);
	for (i = 0; i < reps; i++) {
		uint64_t t0 = now_ns();
		i64 v = bench(n);
		uint64_t t1 = now_ns();

		printf("%lld %llu\n", v, (unsigned long long)(t1 - t0));
	}
	return 0;
}
