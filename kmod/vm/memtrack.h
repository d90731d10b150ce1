/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * memtrack.h - dirty tracking of a task's linear memory in 4 KiB pages, the
 * incremental Merkle memory root, and copy-on-write page snapshots of the
 * last K checkpoints.
 *
 * The tree and the root are specified byte for byte in
 * Documentation/hashes.md ("Memory root"). In short:
 *   leaf(p)   = H("page", raw 4096 bytes of page p)
 *   node      = H("node", raw left 32 bytes, raw right 32 bytes)
 *   a subtree covering no page is 32 zero bytes; depth = ceil(log2(npages))
 *   root      = H("memory", u32 npages, raw top 32 bytes)
 *
 * Usage by the engine:
 *   svm_memtrack_init(mt, max_pages, keep);
 *   svm_memtrack_grow(mt, initial_pages);  after every memory.grow too
 *   svm_memtrack_dirty(mt, addr, len);     on EVERY write to linear memory
 *                                          (stores, bulk ops, host calls,
 *                                          data segments at instantiation)
 *   svm_memtrack_checkpoint(mt, mem, npages, seq, root);  seq strictly rising
 *   svm_memtrack_restore(mt, seq, mem, &npages);
 *
 * The first checkpoint scans the whole memory (writes before it need not be
 * marked); after it, a write that is not marked is missed by the root and
 * by the snapshots: the engine must mark every write.
 *
 * Memory bound (documented in Documentation/hashes.md): max_pages bytes of
 * dirty map; 68 bytes per page of tree capacity (rounded up to a power of
 * two); keep+1 snapshots of the pages written in their interval plus a base
 * holding at most one copy of each page, so at most (keep + 1) x the memory
 * size in page copies in the worst case (every page written every interval;
 * keep + 2 for a moment while a checkpoint folds the oldest), plus up to
 * SVM_MT_POOL_PAGES free copies kept for reuse.
 * Not thread-safe: one task, one thread at a time.
 */
#ifndef SYNAPSE_VM_MEMTRACK_H
#define SYNAPSE_VM_MEMTRACK_H

#include "platform.h"

/* Negative errno-like results, identical values in both builds. */
#ifndef SVM_ENOENT
#define SVM_ENOENT	2	/* checkpoint not kept (evicted or never taken) */
#endif
#ifndef SVM_EIO
#define SVM_EIO		5	/* hashing failed, or a restore self-check failed */
#endif
#ifndef SVM_ENOMEM
#define SVM_ENOMEM	12
#endif
#ifndef SVM_EINVAL
#define SVM_EINVAL	22
#endif

#define SVM_PAGE_SHIFT	12
#define SVM_PAGE_SIZE	(1u << SVM_PAGE_SHIFT)
/* The whole 4 GiB of a wasm32 memory (65536 Wasm pages of 64 KiB). */
#define SVM_MT_MAX_PAGES	(1u << 20)

/* Values of the dirty map; 0 = clean since the last checkpoint. */
#define SVM_MT_WRITTEN	1	/* may differ: re-hash and snapshot */
#define SVM_MT_GROWN	2	/* new zero page: leaf known, parents stale */

/* The pages written between checkpoint seq-1 and seq, as they were at seq. */
struct svm_mt_snap {
	uint64_t seq;
	uint32_t npages;		/* memory size at seq */
	uint32_t count;			/* pages saved */
	uint32_t *idx;			/* their indices, ascending */
	uint8_t **pg;			/* their contents, SVM_PAGE_SIZE each */
	uint8_t root[SVM_SHA256_LEN];	/* memory root at seq (self-check) */
};

struct svm_memtrack {
	/*
	 * One byte per page, max_pages long: a store is a single byte write.
	 * Allocated once by svm_memtrack_init() and never moved, so the
	 * interpreter may keep this pointer in a register for the task's
	 * lifetime and store SVM_MT_WRITTEN into it directly.
	 */
	uint8_t *dirty;
	uint32_t max_pages;
	uint32_t npages;		/* tracked memory size */
	uint32_t keep;			/* K: restorable checkpoints */

	/*
	 * Merkle tree, heap layout: node (level l, position i) is at
	 * tree[(cap >> l) + i]; leaves are level 0; cap a power of two.
	 */
	uint8_t (*tree)[SVM_SHA256_LEN];
	uint32_t cap;
	uint32_t *work;			/* cap + 1 positions, scratch */
	uint8_t zero_leaf[SVM_SHA256_LEN];

	bool have_ckpt;			/* a checkpoint was taken */
	uint64_t last_seq;
	uint8_t root[SVM_SHA256_LEN];	/* root at last_seq */

	/* Snapshots, oldest first; at most keep (+1 while folding). */
	struct svm_mt_snap *snaps;
	uint32_t nsnaps;
	/*
	 * Pages folded out of evicted snapshots: base[p] is page p as of the
	 * newest evicted checkpoint, NULL = zero. base_cap entries.
	 */
	uint8_t **base;
	uint32_t base_cap;
	size_t held_pages;		/* page copies in snaps and base */
	uint8_t *pool;			/* free page copies, for reuse */
	uint32_t npool;			/* at most SVM_MT_POOL_PAGES */
};

/* Free page copies kept for reuse (1 MiB). */
#define SVM_MT_POOL_PAGES	256

int svm_memtrack_init(struct svm_memtrack *mt, uint32_t max_pages,
		      uint32_t keep);
void svm_memtrack_destroy(struct svm_memtrack *mt);
int svm_memtrack_grow(struct svm_memtrack *mt, uint32_t npages);
int svm_memtrack_checkpoint(struct svm_memtrack *mt, const uint8_t *mem,
			    uint32_t npages, uint64_t seq,
			    uint8_t root[SVM_SHA256_LEN]);
int svm_memtrack_restore(struct svm_memtrack *mt, uint64_t seq, uint8_t *mem,
			 uint32_t *npages);
/* Bytes currently allocated by the tracker (tests, limits, docs). */
size_t svm_memtrack_bytes(const struct svm_memtrack *mt);

/*
 * Known-answer test of the hash contract (encoding + memory root vectors of
 * Documentation/hashes.md): 0, -SVM_EIO on a wrong answer, -SVM_ENOMEM.
 * Meant to run once at module load / library start in both builds.
 */
int svm_memtrack_selftest(void);

void svm_memtrack_dirty_range(struct svm_memtrack *mt, uint64_t addr,
			      uint64_t len);

/*
 * Mark [addr, addr+len) written. The caller has bounds-checked the access
 * against the current memory size. For a store of a constant size (<= 4096
 * bytes) this compiles to two byte stores, no branch: the first and the last
 * page of the access (usually the same page).
 */
static inline void svm_memtrack_dirty(struct svm_memtrack *mt, uint64_t addr,
				      uint64_t len)
{
	if (svm_likely(len - 1 < SVM_PAGE_SIZE)) {
		mt->dirty[addr >> SVM_PAGE_SHIFT] = SVM_MT_WRITTEN;
		mt->dirty[(addr + len - 1) >> SVM_PAGE_SHIFT] = SVM_MT_WRITTEN;
		return;
	}
	svm_memtrack_dirty_range(mt, addr, len);
}

#endif /* SYNAPSE_VM_MEMTRACK_H */
