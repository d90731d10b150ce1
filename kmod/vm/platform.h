/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * platform.h - the only door from the engine to the world.
 *
 * The engine (kmod/vm/) is compiled twice: into synapse.ko and into the
 * userspace library build/libsynvm.a (xz-embedded's pattern). Engine sources
 * include this header and call nothing else from the kernel or libc: the
 * fixed-width integer types, mem*()/str*() basics, allocation, SHA-256 and
 * little-endian access are all that is mapped here.
 *
 * Hashes must be byte-identical across the two builds: both use a real
 * SHA-256 (the kernel crypto API, OpenSSL in userspace) and all multi-byte
 * values that reach a hash go through svm_put_le*() first.
 */
#ifndef SYNAPSE_VM_PLATFORM_H
#define SYNAPSE_VM_PLATFORM_H

#define SVM_SHA256_LEN	32

#ifdef __KERNEL__

#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/string.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <crypto/hash.h>
#include <asm/unaligned.h>
#include <linux/stdarg.h>

/*
 * Task memory is charged to the caller's cgroup; __GFP_NOWARN because a
 * too-large request is a task limit error reported to userspace, not a splat.
 */
#define SVM_GFP		(GFP_KERNEL_ACCOUNT | __GFP_NOWARN)

static inline void *svm_alloc(size_t n)		{ return kzalloc(n, SVM_GFP); }
static inline void svm_free(const void *p)	{ kfree(p); }
/* Large, possibly non-contiguous: value stacks, linear memory, tables. */
static inline void *svm_valloc(size_t n)	{ return kvzalloc(n, SVM_GFP); }
static inline void svm_vfree(const void *p)	{ kvfree(p); }

/* The module-wide "sha256" transform; set up by the module before any use. */
extern struct crypto_shash *svm_sha256_tfm;

struct svm_sha256 {
	union {
		struct shash_desc desc;
		char space[sizeof(struct shash_desc) + HASH_MAX_DESCSIZE];
	};
};

static inline int svm_sha256_init(struct svm_sha256 *c)
{
	c->desc.tfm = svm_sha256_tfm;
	return crypto_shash_init(&c->desc);
}

static inline int svm_sha256_update(struct svm_sha256 *c, const void *p,
				    size_t n)
{
	return crypto_shash_update(&c->desc, p, n);
}

static inline int svm_sha256_final(struct svm_sha256 *c,
				   uint8_t out[SVM_SHA256_LEN])
{
	return crypto_shash_final(&c->desc, out);
}

static inline uint16_t svm_get_le16(const void *p) { return get_unaligned_le16(p); }
static inline uint32_t svm_get_le32(const void *p) { return get_unaligned_le32(p); }
static inline uint64_t svm_get_le64(const void *p) { return get_unaligned_le64(p); }
static inline void svm_put_le16(void *p, uint16_t v) { put_unaligned_le16(v, p); }
static inline void svm_put_le32(void *p, uint32_t v) { put_unaligned_le32(v, p); }
static inline void svm_put_le64(void *p, uint64_t v) { put_unaligned_le64(v, p); }

#define svm_likely(x)	likely(x)
#define svm_unlikely(x)	unlikely(x)

/* The C99 names the engine uses for limits. */
#ifndef UINT32_MAX
#define UINT32_MAX	U32_MAX
#endif
#ifndef UINT64_MAX
#define UINT64_MAX	U64_MAX
#endif
#ifndef INT32_MIN
#define INT32_MIN	S32_MIN
#endif
#ifndef INT64_MIN
#define INT64_MIN	S64_MIN
#endif
#ifndef INT64_MAX
#define INT64_MAX	S64_MAX
#endif

/* No libgcc in the kernel: __builtin_popcount may become a call. */
static inline uint32_t svm_popcount32(uint32_t x) { return hweight32(x); }
static inline uint64_t svm_popcount64(uint64_t x) { return hweight64(x); }

#else /* userspace */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <stdio.h>
/* The one-call-per-block API is the cheapest OpenSSL SHA-256 path. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

static inline void *svm_alloc(size_t n)		{ return calloc(1, n); }
static inline void svm_free(const void *p)	{ free((void *)p); }
static inline void *svm_valloc(size_t n)	{ return calloc(1, n); }
static inline void svm_vfree(const void *p)	{ free((void *)p); }

struct svm_sha256 {
	SHA256_CTX ctx;
};

static inline int svm_sha256_init(struct svm_sha256 *c)
{
	return SHA256_Init(&c->ctx) == 1 ? 0 : -1;
}

static inline int svm_sha256_update(struct svm_sha256 *c, const void *p,
				    size_t n)
{
	return SHA256_Update(&c->ctx, p, n) == 1 ? 0 : -1;
}

static inline int svm_sha256_final(struct svm_sha256 *c,
				   uint8_t out[SVM_SHA256_LEN])
{
	return SHA256_Final(out, &c->ctx) == 1 ? 0 : -1;
}

/* memcpy through a local keeps unaligned access defined; compilers fold it. */
#define SVM_LE_ACCESS(bits)						\
static inline uint##bits##_t svm_get_le##bits(const void *p)		\
{									\
	uint##bits##_t v;						\
	memcpy(&v, p, sizeof(v));					\
	return v;							\
}									\
static inline void svm_put_le##bits(void *p, uint##bits##_t v)		\
{									\
	memcpy(p, &v, sizeof(v));					\
}
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "userspace engine build assumes a little-endian host"
#endif
SVM_LE_ACCESS(16)
SVM_LE_ACCESS(32)
SVM_LE_ACCESS(64)
#undef SVM_LE_ACCESS

#define svm_likely(x)	__builtin_expect(!!(x), 1)
#define svm_unlikely(x)	__builtin_expect(!!(x), 0)

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

static inline uint32_t svm_popcount32(uint32_t x) { return __builtin_popcount(x); }
static inline uint64_t svm_popcount64(uint64_t x) { return __builtin_popcountll(x); }

#endif /* __KERNEL__ */

#endif /* SYNAPSE_VM_PLATFORM_H */
