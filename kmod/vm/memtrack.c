// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * memtrack.c - dirty pages, the incremental Merkle memory root, and
 * copy-on-write snapshots for rollback (see memtrack.h and
 * Documentation/hashes.md).
 *
 * Snapshots are deltas: snapshot seq holds the pages written since the
 * previous checkpoint, as they were at seq. Page p at checkpoint j is thus
 * found in the newest snapshot <= j that holds p, else in the base (folded
 * evicted snapshots), else it is zero: the first checkpoint saves every
 * non-zero page, so nothing older is ever needed.
 */
#include "memtrack.h"
#include "hashenc.h"

static const uint8_t svm_mt_zero32[SVM_SHA256_LEN];

/* Number of positions at tree level l for n pages: ceil(n / 2^l). */
static uint32_t level_len(uint32_t n, unsigned int l)
{
	return (uint32_t)(((uint64_t)n + (1ull << l) - 1) >> l);
}

/* Levels above the leaves: ceil(log2(n)), 0 for n <= 1. */
static unsigned int tree_depth(uint32_t n)
{
	unsigned int d = 0;

	while (d < 32 && (1ull << d) < n)
		d++;
	return d;
}

static unsigned int log2_cap(uint32_t cap)
{
	return tree_depth(cap);
}

static uint8_t *node(struct svm_memtrack *mt, unsigned int l, uint32_t i)
{
	return mt->tree[(mt->cap >> l) + i];
}

static int hash_leaf(const uint8_t *page, uint8_t out[SVM_SHA256_LEN])
{
	struct svm_hasher h;

	svm_hash_begin(&h, "page");
	svm_hash_raw(&h, page, SVM_PAGE_SIZE);
	return svm_hash_end(&h, out);
}

/* The leaf of a zero page, without a 4 KiB buffer. */
static int hash_zero_leaf(uint8_t out[SVM_SHA256_LEN])
{
	struct svm_hasher h;
	uint32_t i;

	svm_hash_begin(&h, "page");
	for (i = 0; i < SVM_PAGE_SIZE; i += SVM_SHA256_LEN)
		svm_hash_raw(&h, svm_mt_zero32, SVM_SHA256_LEN);
	return svm_hash_end(&h, out);
}

static int hash_node(const uint8_t *left, const uint8_t *right,
		     uint8_t out[SVM_SHA256_LEN])
{
	struct svm_hasher h;

	svm_hash_begin(&h, "node");
	svm_hash_raw(&h, left, SVM_SHA256_LEN);
	svm_hash_raw(&h, right, SVM_SHA256_LEN);
	return svm_hash_end(&h, out);
}

static int hash_root(struct svm_memtrack *mt, uint8_t out[SVM_SHA256_LEN])
{
	const uint8_t *top = svm_mt_zero32;
	struct svm_hasher h;

	if (mt->npages)
		top = node(mt, tree_depth(mt->npages), 0);
	svm_hash_begin(&h, "memory");
	svm_hash_u32(&h, mt->npages);
	svm_hash_raw(&h, top, SVM_SHA256_LEN);
	return svm_hash_end(&h, out);
}

static bool page_is_zero(const uint8_t *page)
{
	uint32_t i;

	for (i = 0; i < SVM_PAGE_SIZE; i += 8)
		if (svm_get_le64(page + i))
			return false;
	return true;
}

/*
 * Recompute every ancestor of the n leaf positions in mt->work (ascending,
 * leaves already set). The list is rewritten in place level by level: the
 * parents of an ascending list are ascending, duplicates adjacent.
 */
static int propagate(struct svm_memtrack *mt, uint32_t n)
{
	unsigned int l, depth = tree_depth(mt->npages);
	uint32_t *w = mt->work;

	for (l = 0; l < depth && n; l++) {
		uint32_t i, m = 0;

		for (i = 0; i < n; i++) {
			uint32_t p = w[i] >> 1;

			if (m && w[m - 1] == p)
				continue;
			w[m++] = p;
		}
		n = m;
		for (i = 0; i < n; i++) {
			uint32_t p = w[i];

			/* Positions past the level's end hold zeros. */
			if (hash_node(node(mt, l, 2 * p), node(mt, l, 2 * p + 1),
				      node(mt, l + 1, p)))
				return -SVM_EIO;
		}
	}
	return 0;
}

/* Make room for n leaves: the tree keeps its levels, at the new offsets. */
static int tree_reserve(struct svm_memtrack *mt, uint32_t n)
{
	uint8_t (*tree)[SVM_SHA256_LEN];
	uint32_t cap = mt->cap, *work;
	unsigned int l;

	if (n <= cap)
		return 0;
	while (cap < n)
		cap <<= 1;
	tree = svm_valloc(2 * (size_t)cap * sizeof(*tree));
	work = svm_valloc(((size_t)cap + 1) * sizeof(*work));
	if (!tree || !work) {
		svm_vfree(tree);
		svm_vfree(work);
		return -SVM_ENOMEM;
	}
	for (l = 0; l <= log2_cap(mt->cap); l++)
		memcpy(tree[(cap >> l)], node(mt, l, 0),
		       (size_t)level_len(mt->npages, l) * sizeof(*tree));
	svm_vfree(mt->tree);
	svm_vfree(mt->work);
	mt->tree = tree;
	mt->work = work;
	mt->cap = cap;
	return 0;
}

/* The base must be able to take any page of the current memory. */
static int base_reserve(struct svm_memtrack *mt, uint32_t n)
{
	uint8_t **base;

	if (n <= mt->base_cap)
		return 0;
	base = svm_valloc((size_t)n * sizeof(*base));
	if (!base)
		return -SVM_ENOMEM;
	if (mt->base_cap)
		memcpy(base, mt->base, mt->base_cap * sizeof(*base));
	svm_vfree(mt->base);
	mt->base = base;
	mt->base_cap = n;
	return 0;
}

/*
 * Page copies are recycled through a small free list (linked through the
 * pages themselves): in the steady state every checkpoint frees, by folding,
 * about as many pages as it copies, and reusing them saves an allocation and
 * its zeroing per page.
 */
static uint8_t *page_get(struct svm_memtrack *mt)
{
	uint8_t *pg = mt->pool;

	if (!pg)
		return svm_alloc(SVM_PAGE_SIZE);
	memcpy(&mt->pool, pg, sizeof(mt->pool));
	mt->npool--;
	return pg;
}

static void page_put(struct svm_memtrack *mt, uint8_t *pg)
{
	if (mt->npool >= SVM_MT_POOL_PAGES) {
		svm_free(pg);
		return;
	}
	memcpy(pg, &mt->pool, sizeof(mt->pool));
	mt->pool = pg;
	mt->npool++;
}

static void pool_drain(struct svm_memtrack *mt)
{
	while (mt->pool)
		svm_free(page_get(mt));
}

static void snap_free(struct svm_memtrack *mt, struct svm_mt_snap *s)
{
	uint32_t i;

	for (i = 0; i < s->count; i++)
		page_put(mt, s->pg[i]);
	mt->held_pages -= s->count;
	svm_vfree(s->idx);
	svm_vfree(s->pg);
	memset(s, 0, sizeof(*s));
}

/* Move the oldest snapshot's pages into the base (no copying). */
static void fold_oldest(struct svm_memtrack *mt)
{
	struct svm_mt_snap *s = &mt->snaps[0];
	uint32_t i;

	for (i = 0; i < s->count; i++) {
		uint32_t p = s->idx[i];

		if (mt->base[p]) {
			page_put(mt, mt->base[p]);
			mt->held_pages--;
		}
		mt->base[p] = s->pg[i];
	}
	svm_vfree(s->idx);
	svm_vfree(s->pg);
	mt->nsnaps--;
	memmove(&mt->snaps[0], &mt->snaps[1], mt->nsnaps * sizeof(*s));
	memset(&mt->snaps[mt->nsnaps], 0, sizeof(*s));
}

int svm_memtrack_init(struct svm_memtrack *mt, uint32_t max_pages,
		      uint32_t keep)
{
	int err;

	memset(mt, 0, sizeof(*mt));
	if (max_pages > SVM_MT_MAX_PAGES)
		return -SVM_EINVAL;
	mt->max_pages = max_pages;
	mt->keep = keep;
	mt->cap = 1;
	/* +1: a zero-page memory still has a valid map. */
	mt->dirty = svm_valloc((size_t)max_pages + 1);
	mt->tree = svm_valloc(2 * sizeof(*mt->tree));
	mt->work = svm_valloc(2 * sizeof(*mt->work));
	mt->snaps = svm_alloc(((size_t)keep + 1) * sizeof(*mt->snaps));
	err = -SVM_ENOMEM;
	if (!mt->dirty || !mt->tree || !mt->work || !mt->snaps)
		goto out_destroy;
	err = -SVM_EIO;
	if (hash_zero_leaf(mt->zero_leaf))
		goto out_destroy;
	return 0;

out_destroy:
	svm_memtrack_destroy(mt);
	return err;
}

void svm_memtrack_destroy(struct svm_memtrack *mt)
{
	uint32_t i;

	if (mt->snaps)
		for (i = 0; i < mt->nsnaps; i++)
			snap_free(mt, &mt->snaps[i]);
	for (i = 0; i < mt->base_cap; i++)
		svm_free(mt->base[i]);
	pool_drain(mt);
	svm_free(mt->snaps);
	svm_vfree(mt->base);
	svm_vfree(mt->work);
	svm_vfree(mt->tree);
	svm_vfree(mt->dirty);
	memset(mt, 0, sizeof(*mt));
}

size_t svm_memtrack_bytes(const struct svm_memtrack *mt)
{
	size_t n = (size_t)mt->max_pages + 1;
	uint32_t i;

	n += 2 * (size_t)mt->cap * sizeof(*mt->tree);
	n += ((size_t)mt->cap + 1) * sizeof(*mt->work);
	n += ((size_t)mt->keep + 1) * sizeof(*mt->snaps);
	n += (size_t)mt->base_cap * sizeof(*mt->base);
	for (i = 0; i < mt->nsnaps; i++)
		n += (size_t)mt->snaps[i].count *
		     (sizeof(*mt->snaps[i].idx) + sizeof(*mt->snaps[i].pg));
	return n + (mt->held_pages + mt->npool) * SVM_PAGE_SIZE;
}

void svm_memtrack_dirty_range(struct svm_memtrack *mt, uint64_t addr,
			      uint64_t len)
{
	uint64_t first = addr >> SVM_PAGE_SHIFT;
	uint64_t last = (addr + len - 1) >> SVM_PAGE_SHIFT;

	if (!len || first >= mt->max_pages)
		return;
	if (last >= mt->max_pages)
		last = mt->max_pages - 1;
	memset(mt->dirty + first, SVM_MT_WRITTEN, last - first + 1);
}

int svm_memtrack_grow(struct svm_memtrack *mt, uint32_t npages)
{
	uint32_t p;
	int err;

	if (npages < mt->npages || npages > mt->max_pages)
		return -SVM_EINVAL;
	err = tree_reserve(mt, npages);
	if (err)
		return err;
	/* Wasm zero-fills new memory: the leaf is known, no hashing. */
	for (p = mt->npages; p < npages; p++) {
		memcpy(node(mt, 0, p), mt->zero_leaf, SVM_SHA256_LEN);
		if (mt->dirty[p] != SVM_MT_WRITTEN)
			mt->dirty[p] = SVM_MT_GROWN;
	}
	mt->npages = npages;
	return 0;
}

/*
 * Before the first checkpoint writes need not be marked: classify every page
 * by its content instead. A page absent from every snapshot reads as zero,
 * so a zero page needs neither hashing nor a copy, only the zero leaf.
 */
static void mark_all(struct svm_memtrack *mt, const uint8_t *mem)
{
	uint32_t p;

	for (p = 0; p < mt->npages; p++) {
		if (!page_is_zero(mem + ((size_t)p << SVM_PAGE_SHIFT))) {
			mt->dirty[p] = SVM_MT_WRITTEN;
			continue;
		}
		mt->dirty[p] = SVM_MT_GROWN;
		memcpy(node(mt, 0, p), mt->zero_leaf, SVM_SHA256_LEN);
	}
}

/* Fill in the leaves of the changed pages; the list goes to mt->work. */
static int update_leaves(struct svm_memtrack *mt, const uint8_t *mem,
			 struct svm_mt_snap *s, uint32_t *nwork)
{
	uint32_t p, n = 0, c = 0;

	for (p = 0; p < mt->npages; p++) {
		const uint8_t *page = mem + ((size_t)p << SVM_PAGE_SHIFT);
		uint8_t d = mt->dirty[p];

		/* Skip clean runs a word at a time. */
		if (!(p & 7) && p + 8 <= mt->npages &&
		    !svm_get_le64(mt->dirty + p)) {
			p += 7;
			continue;
		}
		if (!d)
			continue;
		mt->work[n++] = p;
		if (d == SVM_MT_GROWN)
			continue;
		if (hash_leaf(page, node(mt, 0, p)))
			return -SVM_EIO;
		if (!s)
			continue;
		memcpy(s->pg[c], page, SVM_PAGE_SIZE);
		s->idx[c++] = p;
	}
	*nwork = n;
	return 0;
}

/* Count the pages a checkpoint will copy, to allocate them up front. */
static uint32_t count_copies(struct svm_memtrack *mt)
{
	uint32_t p, n = 0;

	for (p = 0; p < mt->npages; p++)
		n += mt->dirty[p] == SVM_MT_WRITTEN;
	return n;
}

static int snap_alloc(struct svm_memtrack *mt, struct svm_mt_snap *s,
		      uint32_t count)
{
	uint32_t i;

	memset(s, 0, sizeof(*s));
	s->idx = svm_valloc(((size_t)count + 1) * sizeof(*s->idx));
	s->pg = svm_valloc(((size_t)count + 1) * sizeof(*s->pg));
	if (!s->idx || !s->pg)
		goto out_free;
	for (i = 0; i < count; i++) {
		s->pg[i] = page_get(mt);
		if (!s->pg[i])
			goto out_free;
		s->count++;
		mt->held_pages++;
	}
	return 0;

out_free:
	snap_free(mt, s);
	return -SVM_ENOMEM;
}

int svm_memtrack_checkpoint(struct svm_memtrack *mt, const uint8_t *mem,
			    uint32_t npages, uint64_t seq,
			    uint8_t root[SVM_SHA256_LEN])
{
	struct svm_mt_snap *s = NULL;
	uint32_t nwork;
	int err;

	if (mt->have_ckpt && seq <= mt->last_seq)
		return -SVM_EINVAL;
	if (npages < mt->npages)
		return -SVM_EINVAL;
	err = svm_memtrack_grow(mt, npages);
	if (err)
		return err;
	if (!mt->have_ckpt)
		mark_all(mt, mem);
	if (mt->keep) {
		err = base_reserve(mt, npages);
		if (err)
			return err;
		s = &mt->snaps[mt->nsnaps];
		err = snap_alloc(mt, s, count_copies(mt));
		if (err)
			return err;
	}
	err = update_leaves(mt, mem, s, &nwork);
	if (!err)
		err = propagate(mt, nwork);
	if (!err)
		err = hash_root(mt, mt->root) ? -SVM_EIO : 0;
	if (err) {
		/* Dirty bits stay set: a retry recomputes everything. */
		if (s)
			snap_free(mt, s);
		return err;
	}
	memset(mt->dirty, 0, npages);
	mt->have_ckpt = true;
	mt->last_seq = seq;
	memcpy(root, mt->root, SVM_SHA256_LEN);
	if (s) {
		s->seq = seq;
		s->npages = npages;
		memcpy(s->root, mt->root, SVM_SHA256_LEN);
		mt->nsnaps++;
		if (mt->nsnaps > mt->keep)
			fold_oldest(mt);
	}
	return 0;
}

/* Page p as of snapshot k: newest holder at or before k, base, or zero. */
static const uint8_t *lookup(struct svm_memtrack *mt, uint32_t k, uint32_t p)
{
	uint32_t t = k + 1;

	while (t--) {
		const struct svm_mt_snap *s = &mt->snaps[t];
		uint32_t lo = 0, hi = s->count;

		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;

			if (s->idx[mid] < p)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < s->count && s->idx[lo] == p)
			return s->pg[lo];
	}
	return p < mt->base_cap ? mt->base[p] : NULL;
}

/* Cut the tree to n pages: positions past each level's new end are zeros. */
static void tree_shrink(struct svm_memtrack *mt, uint32_t n)
{
	unsigned int l;

	for (l = 0; l <= log2_cap(mt->cap); l++) {
		uint32_t from = level_len(n, l), to = level_len(mt->npages, l);

		if (to > from)
			memset(node(mt, l, from), 0,
			       (size_t)(to - from) * SVM_SHA256_LEN);
	}
	mt->npages = n;
}

int svm_memtrack_restore(struct svm_memtrack *mt, uint64_t seq, uint8_t *mem,
			 uint32_t *npages)
{
	uint32_t k, t, p, i, n = 0, tgt, cur = mt->npages;
	uint8_t root[SVM_SHA256_LEN];
	int err;

	for (k = 0; k < mt->nsnaps; k++)
		if (mt->snaps[k].seq == seq)
			break;
	if (k == mt->nsnaps)
		return -SVM_ENOENT;
	tgt = mt->snaps[k].npages;
	if (tgt > cur)
		return -SVM_EINVAL;

	/* Pages written after seq: in later snapshots, or dirty now. */
	for (t = k + 1; t < mt->nsnaps; t++)
		for (i = 0; i < mt->snaps[t].count; i++)
			mt->dirty[mt->snaps[t].idx[i]] = SVM_MT_WRITTEN;
	for (p = 0; p < tgt; p++) {
		uint8_t *page = mem + ((size_t)p << SVM_PAGE_SHIFT);
		const uint8_t *old;

		if (!mt->dirty[p])
			continue;
		old = lookup(mt, k, p);
		if (old) {
			memcpy(page, old, SVM_PAGE_SIZE);
			err = hash_leaf(page, node(mt, 0, p));
			if (err)
				return -SVM_EIO;
		} else {
			memset(page, 0, SVM_PAGE_SIZE);
			memcpy(node(mt, 0, p), mt->zero_leaf, SVM_SHA256_LEN);
		}
		mt->work[n++] = p;
	}
	/* Memory beyond the old size reads as zero if it grows again. */
	if (cur > tgt)
		memset(mem + ((size_t)tgt << SVM_PAGE_SHIFT), 0,
		       (size_t)(cur - tgt) << SVM_PAGE_SHIFT);
	memset(mt->dirty, 0, mt->max_pages);
	tree_shrink(mt, tgt);
	/* The right edge changed too: recompute the last page's ancestors. */
	if (tgt && (!n || mt->work[n - 1] != tgt - 1))
		mt->work[n++] = tgt - 1;
	while (mt->nsnaps > k + 1)
		snap_free(mt, &mt->snaps[--mt->nsnaps]);

	err = propagate(mt, n);
	if (err)
		return err;
	if (hash_root(mt, root))
		return -SVM_EIO;
	mt->last_seq = seq;
	memcpy(mt->root, root, SVM_SHA256_LEN);
	*npages = tgt;
	/* Self-check of the snapshot bookkeeping: the tree is seq's again. */
	if (memcmp(root, mt->snaps[k].root, SVM_SHA256_LEN))
		return -SVM_EIO;
	return 0;
}

/*
 * Known-answer test of hash contract v1 (Documentation/hashes.md): the
 * canonical encoding and a memory root. Cheap enough to run at module load
 * and at library start, so a build that would not produce the same bytes as
 * every other node refuses to run instead of signing wrong hashes.
 */
int svm_memtrack_selftest(void)
{
	static const uint8_t want_tag[SVM_SHA256_LEN] = {
		0x4a, 0xe5, 0x90, 0x53, 0x05, 0xc7, 0xd2, 0xcd,
		0x09, 0x0a, 0x78, 0x11, 0x25, 0xf7, 0x97, 0xe6,
		0xe2, 0x13, 0xa0, 0xe3, 0xb9, 0xd5, 0xf7, 0x8c,
		0xa5, 0x37, 0x80, 0x7e, 0x40, 0x4b, 0xa3, 0xc3,
	};
	static const uint8_t want_root[SVM_SHA256_LEN] = {
		0x1e, 0x26, 0xbb, 0x2a, 0xe3, 0xf7, 0x97, 0xb5,
		0xa6, 0x7c, 0x93, 0x55, 0x18, 0xa7, 0xb4, 0x8e,
		0x49, 0xd6, 0x17, 0x21, 0xd7, 0xf8, 0x3d, 0x61,
		0x35, 0xe3, 0x67, 0xaf, 0x14, 0xae, 0x37, 0x6d,
	};
	uint8_t d[SVM_SHA256_LEN], *mem;
	struct svm_memtrack mt;
	struct svm_hasher h;
	uint32_t i;
	int err;

	svm_hash_begin(&h, "test");
	if (svm_hash_end(&h, d) || memcmp(d, want_tag, sizeof(d)))
		return -SVM_EIO;

	mem = svm_valloc(3 * SVM_PAGE_SIZE);
	if (!mem)
		return -SVM_ENOMEM;
	for (i = 0; i < 3; i++)
		memset(mem + i * SVM_PAGE_SIZE, (int)i + 1, SVM_PAGE_SIZE);
	err = svm_memtrack_init(&mt, 3, 0);
	if (!err) {
		err = svm_memtrack_checkpoint(&mt, mem, 3, 0, d);
		svm_memtrack_destroy(&mt);
	}
	svm_vfree(mem);
	if (err)
		return err;
	return memcmp(d, want_root, sizeof(d)) ? -SVM_EIO : 0;
}
