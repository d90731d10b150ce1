// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for kmod/vm/memtrack.c (built with ASan + UBSan): the
 * input is a program of writes, grows, checkpoints and restores on a small
 * memory; every root is checked against a from-scratch Merkle computation
 * and every restore against the image saved at that checkpoint.
 *
 *   make fuzz-memtrack FUZZ_SECS=600
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmod/vm/hashenc.h"
#include "kmod/vm/memtrack.h"

#define PG	SVM_PAGE_SIZE
#define MAXP	12
#define MAXSEQ	256

static uint8_t mem[MAXP * PG];
static uint8_t img[MAXSEQ][MAXP * PG];
static uint32_t img_pages[MAXSEQ];

static void sub(uint32_t n, unsigned int l, uint64_t i, uint8_t out[32])
{
	struct svm_hasher h;
	uint8_t a[32], b[32];

	if ((i << l) >= n) {
		memset(out, 0, 32);
		return;
	}
	if (!l) {
		svm_hash_begin(&h, "page");
		svm_hash_raw(&h, mem + i * PG, PG);
		svm_hash_end(&h, out);
		return;
	}
	sub(n, l - 1, 2 * i, a);
	sub(n, l - 1, 2 * i + 1, b);
	svm_hash_begin(&h, "node");
	svm_hash_raw(&h, a, 32);
	svm_hash_raw(&h, b, 32);
	svm_hash_end(&h, out);
}

static void ref_root(uint32_t n, uint8_t out[32])
{
	struct svm_hasher h;
	unsigned int d = 0;
	uint8_t top[32];

	while ((1u << d) < n)
		d++;
	sub(n, d, 0, top);
	svm_hash_begin(&h, "memory");
	svm_hash_u32(&h, n);
	svm_hash_raw(&h, top, 32);
	svm_hash_end(&h, out);
}

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "memtrack_fuzz: %s:%d: %s\n",		\
			__FILE__, __LINE__, #c);			\
		abort();						\
	}								\
} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct svm_memtrack mt;
	uint32_t n, keep, got;
	uint64_t seq = 0, kept[8];	/* model of the restorable seqs */
	uint32_t nkept = 0, k;
	size_t i = 2;
	int have = 0;

	if (size < 2)
		return 0;
	keep = data[0] % 5;
	n = data[1] % (MAXP + 1);
	memset(mem, 0, sizeof(mem));
	CHECK(!svm_memtrack_init(&mt, MAXP, keep));
	CHECK(!svm_memtrack_grow(&mt, n));
	while (i + 4 <= size) {
		uint8_t op = data[i] % 8, a = data[i + 1], b = data[i + 2];
		uint8_t c = data[i + 3];
		uint8_t r[32], want[32];

		i += 4;
		switch (op) {
		case 0: case 1: case 2: {	/* write: page, offset, length */
			uint64_t size_b = (uint64_t)n * PG, addr, len;

			if (!n)
				break;
			addr = ((uint64_t)(a % n) * PG + (uint64_t)b * 17) % size_b;
			len = c < 200 ? 1 + c % 8 : (uint64_t)(c - 199) * 300;
			if (addr + len > size_b)
				len = size_b - addr;
			memset(mem + addr, a ^ c, len);
			svm_memtrack_dirty(&mt, addr, len);
			break;
		}
		case 3:				/* grow */
			if (n + a % 4 <= MAXP) {
				n += a % 4;
				CHECK(!svm_memtrack_grow(&mt, n));
			}
			break;
		case 4: case 5:			/* checkpoint */
			if (seq >= MAXSEQ)
				break;
			CHECK(!svm_memtrack_checkpoint(&mt, mem, n, seq, r));
			ref_root(n, want);
			CHECK(!memcmp(r, want, 32));
			memcpy(img[seq], mem, (size_t)n * PG);
			img_pages[seq] = n;
			kept[nkept++] = seq;
			if (nkept > keep)
				memmove(kept, kept + 1, --nkept * sizeof(*kept));
			seq++;
			have = 1;
			break;
		default: {			/* restore a recent checkpoint */
			uint64_t to;
			int err;

			if (!have)
				break;
			to = seq - 1 - (a % (seq < 6 ? seq : 6));
			err = svm_memtrack_restore(&mt, to, mem, &got);
			for (k = 0; k < nkept && kept[k] != to; k++)
				;
			if (k == nkept) {
				CHECK(err == -SVM_ENOENT);
				break;
			}
			CHECK(!err);
			nkept = k + 1;
			CHECK(got == img_pages[to]);
			CHECK(!memcmp(mem, img[to], (size_t)got * PG));
			for (size_t z = (size_t)got * PG; z < (size_t)n * PG; z++)
				CHECK(!mem[z]);
			n = got;
			seq = to + 1;
			break;
		}
		}
	}
	svm_memtrack_destroy(&mt);
	return 0;
}
