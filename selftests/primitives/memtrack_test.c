// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kmod/vm/memtrack.c: the Merkle memory root against the
 * test vectors of Documentation/hashes.md (computed independently in
 * Python), and a model check of incremental roots, growth, snapshots,
 * eviction and restore against full recomputation and saved images.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmod/vm/hashenc.h"
#include "kmod/vm/memtrack.h"
#include <kselftest_harness.h>

#define PG	SVM_PAGE_SIZE

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

#define EXPECT_HASH(d, str) do {				\
	char _h[2 * SVM_SHA256_LEN + 1];			\
	hex(d, SVM_SHA256_LEN, _h);				\
	EXPECT_STREQ(str, _h);					\
} while (0)

/* Reference: the whole tree from scratch, recursively, per the spec. */
static void ref_sub(const uint8_t *mem, uint32_t n, unsigned int l, uint64_t i,
		    uint8_t out[32])
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
	ref_sub(mem, n, l - 1, 2 * i, a);
	ref_sub(mem, n, l - 1, 2 * i + 1, b);
	svm_hash_begin(&h, "node");
	svm_hash_raw(&h, a, 32);
	svm_hash_raw(&h, b, 32);
	svm_hash_end(&h, out);
}

static void ref_root(const uint8_t *mem, uint32_t n, uint8_t out[32])
{
	struct svm_hasher h;
	unsigned int d = 0;
	uint8_t top[32];

	while ((1ull << d) < n)
		d++;
	ref_sub(mem, n, d, 0, top);
	svm_hash_begin(&h, "memory");
	svm_hash_u32(&h, n);
	svm_hash_raw(&h, top, 32);
	svm_hash_end(&h, out);
}

static int one_shot(uint8_t *mem, uint32_t n, uint8_t root[32])
{
	struct svm_memtrack mt;
	int err;

	err = svm_memtrack_init(&mt, n, 2);
	if (!err)
		err = svm_memtrack_grow(&mt, n);
	if (!err)
		err = svm_memtrack_checkpoint(&mt, mem, n, 0, root);
	svm_memtrack_destroy(&mt);
	return err;
}

TEST(vectors)
{
	uint8_t *mem = calloc(16, PG);
	uint8_t r[32];
	uint32_t i;

	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, one_shot(mem, 0, r));
	EXPECT_HASH(r, "4ea5221a7ee3034f848595c907341d13ea1cbac5c68f0fa95e4f87262801e73c");
	ASSERT_EQ(0, one_shot(mem, 1, r));
	EXPECT_HASH(r, "006870dd750a0e9e7bda30981e45fa1dd1242773306bbb018061ba1e898079d0");
	ASSERT_EQ(0, one_shot(mem, 16, r));
	EXPECT_HASH(r, "0526ecf78163746b9762ebc25fbcf0cb54a7ae5d8797e6c36fdd979dc2f1a823");
	for (i = 0; i < 3; i++)
		memset(mem + i * PG, i + 1, PG);
	ASSERT_EQ(0, one_shot(mem, 3, r));
	EXPECT_HASH(r, "1e26bb2ae3f797b5a67c935518a7b48e49d61721d7f83d6135e367af14ae376d");
	memset(mem, 0, 16 * PG);
	for (i = 0; i < PG; i++)
		mem[i] = i & 0xff;
	mem[4 * PG] = 0x5a;
	ASSERT_EQ(0, one_shot(mem, 5, r));
	EXPECT_HASH(r, "ed9af43cd9c3b531d1256528f87224212b19f6f542c43f649dcbf0272b74607c");
	free(mem);
}

TEST(selftest_passes)
{
	EXPECT_EQ(0, svm_memtrack_selftest());
}

TEST(zero_leaf_vector)
{
	struct svm_memtrack mt;

	ASSERT_EQ(0, svm_memtrack_init(&mt, 4, 1));
	EXPECT_HASH(mt.zero_leaf, "faffc0fbcf54c26f24bec7922e8605e54aafe2f3f8ceeda7bbcd096b7d32878f");
	svm_memtrack_destroy(&mt);
}

TEST(dirty_marks_both_pages_of_a_straddling_store)
{
	struct svm_memtrack mt;

	ASSERT_EQ(0, svm_memtrack_init(&mt, 8, 1));
	ASSERT_EQ(0, svm_memtrack_grow(&mt, 8));
	memset(mt.dirty, 0, 8);
	svm_memtrack_dirty(&mt, PG - 1, 2);
	EXPECT_EQ(SVM_MT_WRITTEN, mt.dirty[0]);
	EXPECT_EQ(SVM_MT_WRITTEN, mt.dirty[1]);
	EXPECT_EQ(0, mt.dirty[2]);
	svm_memtrack_dirty(&mt, 2 * PG + 8, 0);	/* empty: nothing */
	EXPECT_EQ(0, mt.dirty[2]);
	svm_memtrack_dirty(&mt, 3 * PG + 5, 3 * PG);	/* bulk: 3..6 */
	EXPECT_EQ(0, mt.dirty[2]);
	EXPECT_EQ(SVM_MT_WRITTEN, mt.dirty[3]);
	EXPECT_EQ(SVM_MT_WRITTEN, mt.dirty[6]);
	EXPECT_EQ(0, mt.dirty[7]);
	svm_memtrack_destroy(&mt);
}

TEST(bad_arguments)
{
	uint8_t *mem = calloc(4, PG), r[32];
	struct svm_memtrack mt;
	uint32_t n;

	ASSERT_NE(NULL, mem);
	EXPECT_EQ(-SVM_EINVAL, svm_memtrack_init(&mt, SVM_MT_MAX_PAGES + 1, 2));
	ASSERT_EQ(0, svm_memtrack_init(&mt, 4, 2));
	EXPECT_EQ(-SVM_EINVAL, svm_memtrack_grow(&mt, 5));
	EXPECT_EQ(-SVM_ENOENT, svm_memtrack_restore(&mt, 0, mem, &n));
	ASSERT_EQ(0, svm_memtrack_checkpoint(&mt, mem, 2, 3, r));
	EXPECT_EQ(-SVM_EINVAL, svm_memtrack_checkpoint(&mt, mem, 2, 3, r));
	EXPECT_EQ(-SVM_EINVAL, svm_memtrack_checkpoint(&mt, mem, 1, 4, r));
	EXPECT_EQ(-SVM_EINVAL, svm_memtrack_grow(&mt, 1));
	EXPECT_EQ(-SVM_ENOENT, svm_memtrack_restore(&mt, 2, mem, &n));
	svm_memtrack_destroy(&mt);
	free(mem);
}

TEST(keep_zero_hashes_without_snapshots)
{
	uint8_t *mem = calloc(4, PG), r[32], want[32];
	struct svm_memtrack mt;
	uint32_t n;

	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, svm_memtrack_init(&mt, 4, 0));
	mem[5] = 1;
	ASSERT_EQ(0, svm_memtrack_checkpoint(&mt, mem, 4, 0, r));
	ref_root(mem, 4, want);
	EXPECT_EQ(0, memcmp(r, want, 32));
	mem[3 * PG] = 9;
	svm_memtrack_dirty(&mt, 3 * PG, 1);
	ASSERT_EQ(0, svm_memtrack_checkpoint(&mt, mem, 4, 1, r));
	ref_root(mem, 4, want);
	EXPECT_EQ(0, memcmp(r, want, 32));
	EXPECT_EQ(0, mt.held_pages);
	EXPECT_EQ(-SVM_ENOENT, svm_memtrack_restore(&mt, 1, mem, &n));
	svm_memtrack_destroy(&mt);
	free(mem);
}

/*
 * Model check: random stores (some straddling pages, some bulk), random
 * growth, a checkpoint every step, and now and then a restore to a random
 * checkpoint — kept ones must come back byte for byte with their root,
 * evicted ones must fail with -ENOENT. Every root is compared with a full
 * recomputation.
 */
#define MAXP	40
#define STEPS	300
#define MAXKEEP	8

struct image {
	uint8_t *mem;
	uint32_t npages;
	uint8_t root[32];
};

static uint32_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

static void random_writes(struct svm_memtrack *mt, uint8_t *mem, uint32_t n,
			  uint64_t *s)
{
	uint32_t k, nw = rnd(s) % 6;

	for (k = 0; k < nw && n; k++) {
		uint64_t size = n * (uint64_t)PG;
		uint64_t len = (rnd(s) % 4) ? 1 + rnd(s) % 8 : rnd(s) % (3 * PG);
		uint64_t addr = rnd(s) % size;

		if (addr + len > size)
			len = size - addr;
		memset(mem + addr, rnd(s) % 3 ? rnd(s) : 0, len);
		svm_memtrack_dirty(mt, addr, len);
	}
}

FIXTURE(model) {
	int unused;
};

FIXTURE_VARIANT(model) {
	uint64_t seed;
	uint32_t keep;
};

FIXTURE_VARIANT_ADD(model, keep1) { .seed = 7, .keep = 1 };
FIXTURE_VARIANT_ADD(model, keep4) { .seed = 42, .keep = 4 };
FIXTURE_VARIANT_ADD(model, keep4_other_seed) { .seed = 99, .keep = 4 };
FIXTURE_VARIANT_ADD(model, keep8) { .seed = 1234, .keep = 8 };

FIXTURE_SETUP(model) {}
FIXTURE_TEARDOWN(model) {}

TEST_F(model, grow_checkpoint_restore)
{
	const uint32_t KEEP = variant->keep;
	uint8_t *mem = calloc(MAXP, PG), r[32], want[32];
	struct image *img = calloc(STEPS, sizeof(*img));
	struct svm_memtrack mt;
	uint64_t seed = variant->seed, seq = 0;
	uint32_t n = 3, i, restores = 0, evicted = 0;
	uint64_t kept[MAXKEEP + 1], nkept = 0;	/* model of the kept seqs */

	ASSERT_NE(NULL, mem);
	ASSERT_NE(NULL, img);
	ASSERT_EQ(0, svm_memtrack_init(&mt, MAXP, KEEP));
	ASSERT_EQ(0, svm_memtrack_grow(&mt, n));
	memset(mem, 7, 100);	/* like a data segment, before checkpoint 0 */
	for (i = 0; i < STEPS; i++, seq++) {
		random_writes(&mt, mem, n, &seed);
		if (rnd(&seed) % 10 == 0 && n < MAXP) {
			n += 1 + rnd(&seed) % (MAXP - n);
			ASSERT_EQ(0, svm_memtrack_grow(&mt, n));
			random_writes(&mt, mem, n, &seed);
		}
		ASSERT_EQ(0, svm_memtrack_checkpoint(&mt, mem, n, seq, r));
		ref_root(mem, n, want);
		ASSERT_EQ(0, memcmp(r, want, 32)) TH_LOG("step %u", i);
		img[seq].npages = n;
		free(img[seq].mem);
		img[seq].mem = malloc((size_t)n * PG + 1);
		ASSERT_NE(NULL, img[seq].mem);
		memcpy(img[seq].mem, mem, (size_t)n * PG);
		memcpy(img[seq].root, r, 32);
		kept[nkept++] = seq;
		if (nkept > KEEP)
			memmove(kept, kept + 1, --nkept * sizeof(*kept));
		ASSERT_EQ(nkept, mt.nsnaps);

		/* Dirty some pages after the checkpoint, then maybe roll back. */
		random_writes(&mt, mem, n, &seed);
		if (rnd(&seed) % 4 == 0) {
			uint64_t back = rnd(&seed) % (KEEP + 3);
			uint64_t to = back > seq ? 0 : seq - back;
			uint32_t got = 12345;
			int err = svm_memtrack_restore(&mt, to, mem, &got);

			if (to < kept[0]) {
				ASSERT_EQ(-SVM_ENOENT, err);
				evicted++;
				continue;
			}
			ASSERT_EQ(0, err) TH_LOG("restore %llu at %u",
						 (unsigned long long)to, i);
			ASSERT_EQ(img[to].npages, got);
			ASSERT_EQ(0, memcmp(mem, img[to].mem, (size_t)got * PG));
			for (uint64_t b = (uint64_t)got * PG; b < (uint64_t)n * PG; b++)
				ASSERT_EQ(0, mem[b]);
			n = got;
			seq = to;
			while (kept[nkept - 1] > to)
				nkept--;
			restores++;
		}
	}
	TH_LOG("%u restores, %u refused as evicted, %zu bytes tracked",
	       restores, evicted, svm_memtrack_bytes(&mt));
	/* Both paths were exercised. */
	EXPECT_GT(restores, 10);
	EXPECT_GT(evicted, 5);
	/* Bounded: snapshots + base hold at most (K + 2) copies of memory. */
	EXPECT_LE(mt.held_pages, (size_t)(KEEP + 2) * MAXP);
	svm_memtrack_destroy(&mt);
	for (i = 0; i < STEPS; i++)
		free(img[i].mem);
	free(img);
	free(mem);
}

/* After a restore, checkpointing with no writes reproduces the root. */
TEST(restore_then_checkpoint_same_root)
{
	uint8_t *mem = calloc(32, PG), r0[32], r1[32], r2[32];
	struct svm_memtrack mt;
	uint32_t n;

	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, svm_memtrack_init(&mt, 32, 3));
	ASSERT_EQ(0, svm_memtrack_grow(&mt, 5));
	mem[PG + 3] = 1;
	ASSERT_EQ(0, svm_memtrack_checkpoint(&mt, mem, 5, 0, r0));
	/* Grow past a power of two, write in the new part. */
	ASSERT_EQ(0, svm_memtrack_grow(&mt, 20));
	mem[17 * PG] = 2;
	svm_memtrack_dirty(&mt, 17 * PG, 1);
	ASSERT_EQ(0, svm_memtrack_checkpoint(&mt, mem, 20, 1, r1));
	/* Back to the smaller memory, and forward again identically. */
	ASSERT_EQ(0, svm_memtrack_restore(&mt, 0, mem, &n));
	ASSERT_EQ(5, n);
	ASSERT_EQ(0, svm_memtrack_checkpoint(&mt, mem, 5, 1, r2));
	EXPECT_EQ(0, memcmp(r0, r2, 32));
	ASSERT_EQ(0, svm_memtrack_grow(&mt, 20));
	EXPECT_EQ(0, mem[17 * PG]);
	mem[17 * PG] = 2;
	svm_memtrack_dirty(&mt, 17 * PG, 1);
	ASSERT_EQ(0, svm_memtrack_checkpoint(&mt, mem, 20, 2, r2));
	EXPECT_EQ(0, memcmp(r1, r2, 32));
	svm_memtrack_destroy(&mt);
	free(mem);
}

/* Checkpoints that touch few pages cost few hashes: count held pages. */
TEST(snapshots_copy_only_dirty_pages)
{
	uint8_t *mem = calloc(64, PG), r[32];
	struct svm_memtrack mt;

	ASSERT_NE(NULL, mem);
	memset(mem, 1, 64 * PG);
	ASSERT_EQ(0, svm_memtrack_init(&mt, 64, 2));
	ASSERT_EQ(0, svm_memtrack_checkpoint(&mt, mem, 64, 0, r));
	EXPECT_EQ(64, mt.held_pages);
	mem[0] = 2;
	svm_memtrack_dirty(&mt, 0, 1);
	ASSERT_EQ(0, svm_memtrack_checkpoint(&mt, mem, 64, 1, r));
	EXPECT_EQ(65, mt.held_pages);
	/*
	 * From checkpoint 2 on, the oldest folds into the base, where
	 * page 0 is replaced each time: 64 in the base + 2 snapshots.
	 */
	for (uint64_t seq = 2; seq < 10; seq++) {
		mem[0] = seq;
		svm_memtrack_dirty(&mt, 0, 1);
		ASSERT_EQ(0, svm_memtrack_checkpoint(&mt, mem, 64, seq, r));
		EXPECT_EQ(66, mt.held_pages);
		EXPECT_EQ(2, mt.nsnaps);
	}
	svm_memtrack_destroy(&mt);
	free(mem);
}

TEST_HARNESS_MAIN
