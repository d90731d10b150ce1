// SPDX-License-Identifier: GPL-2.0
/*
 * memtrack-bench.c - what the engine's memory tracking costs: the dirty
 * mark on a store, a checkpoint as a function of the pages written since
 * the last one, the first (full) checkpoint, a restore, and the SHA-256
 * throughput underneath (userspace build: OpenSSL). Medians of a few runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kmod/vm/hashenc.h"
#include "kmod/vm/memtrack.h"

#define PAGES	4096	/* 16 MiB, 256 Wasm pages */
#define RUNS	5

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

static void die(const char *what, int err)
{
	fprintf(stderr, "memtrack-bench: %s: %d\n", what, err);
	exit(1);
}

/* Stores of 8 bytes at pseudo-random offsets, with or without marking. */
static uint64_t stores(struct svm_memtrack *mt, uint8_t *mem, int mark)
{
	const uint32_t n = 1u << 24, mask = PAGES * SVM_PAGE_SIZE - 8;
	uint32_t i, x = 1;
	uint64_t t0 = now_ns();

	for (i = 0; i < n; i++) {
		uint32_t a = (x = x * 1664525u + 1013904223u) & mask;

		svm_put_le64(mem + a, i);
		if (mark)
			svm_memtrack_dirty(mt, a, 8);
		__asm__ volatile("" ::: "memory");
	}
	return (now_ns() - t0) * 1000 / n;	/* picoseconds per store */
}

static void bench_stores(struct svm_memtrack *mt, uint8_t *mem)
{
	uint64_t plain[RUNS], marked[RUNS];
	int r;

	for (r = 0; r < RUNS; r++) {
		plain[r] = stores(mt, mem, 0);
		marked[r] = stores(mt, mem, 1);
	}
	printf("store + dirty mark        %7.2f ns  (plain store %.2f ns)\n",
	       median(marked, RUNS) / 1000.0, median(plain, RUNS) / 1000.0);
}

static void bench_checkpoints(struct svm_memtrack *mt, uint8_t *mem,
			      uint64_t *seq)
{
	static const uint32_t dirty[] = { 0, 1, 16, 256, PAGES };
	uint8_t root[SVM_SHA256_LEN];
	uint64_t t[RUNS];
	unsigned int d;
	int r, err;

	for (d = 0; d < sizeof(dirty) / sizeof(dirty[0]); d++) {
		for (r = 0; r < RUNS; r++) {
			uint64_t t0;
			uint32_t p;

			for (p = 0; p < dirty[d]; p++) {
				uint32_t pg = (uint32_t)(((uint64_t)p * 2654435761u) % PAGES);

				mem[(size_t)pg * SVM_PAGE_SIZE] ^= 1;
				svm_memtrack_dirty(mt, (uint64_t)pg * SVM_PAGE_SIZE, 1);
			}
			t0 = now_ns();
			err = svm_memtrack_checkpoint(mt, mem, PAGES, ++*seq, root);
			t[r] = now_ns() - t0;
			if (err)
				die("checkpoint", err);
		}
		printf("checkpoint, %4u dirty   %10.1f us\n", dirty[d],
		       median(t, RUNS) / 1000.0);
	}
}

static void bench_restore(struct svm_memtrack *mt, uint8_t *mem, uint64_t *seq)
{
	uint8_t root[SVM_SHA256_LEN];
	uint64_t t[RUNS];
	uint32_t n, p;
	int r, err;

	for (r = 0; r < RUNS; r++) {
		uint64_t t0, base = ++*seq;

		err = svm_memtrack_checkpoint(mt, mem, PAGES, base, root);
		for (p = 0; p < 16 && !err; p++) {
			mem[(size_t)p * 64 * SVM_PAGE_SIZE] ^= 1;
			svm_memtrack_dirty(mt, (uint64_t)p * 64 * SVM_PAGE_SIZE, 1);
		}
		if (!err)
			err = svm_memtrack_checkpoint(mt, mem, PAGES, ++*seq, root);
		if (err)
			die("checkpoint", err);
		t0 = now_ns();
		err = svm_memtrack_restore(mt, base, mem, &n);
		t[r] = now_ns() - t0;
		if (err)
			die("restore", err);
		*seq = base;
	}
	printf("restore, 16 pages back    %10.1f us\n", median(t, RUNS) / 1000.0);
}

static void bench_sha(uint8_t *mem)
{
	uint8_t d[SVM_SHA256_LEN];
	uint64_t t[RUNS];
	int r;

	for (r = 0; r < RUNS; r++) {
		uint64_t t0 = now_ns();

		svm_sha256(mem, (size_t)PAGES * SVM_PAGE_SIZE, d);
		t[r] = now_ns() - t0;
	}
	printf("SHA-256 (platform.h)      %10.2f GB/s\n",
	       (double)PAGES * SVM_PAGE_SIZE / median(t, RUNS));
}

int main(void)
{
	uint8_t *mem = calloc(PAGES, SVM_PAGE_SIZE), root[SVM_SHA256_LEN];
	struct svm_memtrack mt;
	uint64_t t0, seq = 0;
	int err;

	if (!mem)
		die("calloc", -12);
	err = svm_memtrack_init(&mt, PAGES, 4);
	if (!err)
		err = svm_memtrack_grow(&mt, PAGES);
	if (err)
		die("init", err);
	printf("# memory: %u pages of 4 KiB (%u MiB), keep = 4\n", PAGES,
	       PAGES / 256);
	bench_sha(mem);
	memset(mem, 0x11, (size_t)PAGES * SVM_PAGE_SIZE / 2);
	t0 = now_ns();
	err = svm_memtrack_checkpoint(&mt, mem, PAGES, seq, root);
	if (err)
		die("first checkpoint", err);
	printf("first checkpoint (full)   %10.1f us  (half the pages non-zero)\n",
	       (now_ns() - t0) / 1000.0);
	bench_stores(&mt, mem);
	err = svm_memtrack_checkpoint(&mt, mem, PAGES, ++seq, root);
	if (err)
		die("checkpoint", err);
	bench_checkpoints(&mt, mem, &seq);
	bench_restore(&mt, mem, &seq);
	printf("tracker memory            %10.1f MiB\n",
	       svm_memtrack_bytes(&mt) / 1048576.0);
	svm_memtrack_destroy(&mt);
	free(mem);
	return 0;
}
