// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * hashenc.c - canonical hashing (the encoding rules are in hashenc.h and
 * Documentation/hashes.md). Compiled into synapse.ko and into libsynvm.
 */
#include "hashenc.h"

#define SVM_TAG_PREFIX	"synapse/"
#define SVM_TAG_SUFFIX	"/v1"

static void svm_hash_update(struct svm_hasher *h, const void *p, size_t n)
{
	if (h->err || !n)
		return;
	if (svm_sha256_update(&h->sha, p, n))
		h->err = -1;
}

void svm_hash_begin(struct svm_hasher *h, const char *kind)
{
	size_t klen = strlen(kind);

	h->err = svm_sha256_init(&h->sha) ? -1 : 0;
	/* The tag is one byte string; hashed in pieces to avoid a buffer. */
	svm_hash_u64(h, sizeof(SVM_TAG_PREFIX) - 1 + klen +
			sizeof(SVM_TAG_SUFFIX) - 1);
	svm_hash_update(h, SVM_TAG_PREFIX, sizeof(SVM_TAG_PREFIX) - 1);
	svm_hash_update(h, kind, klen);
	svm_hash_update(h, SVM_TAG_SUFFIX, sizeof(SVM_TAG_SUFFIX) - 1);
}

void svm_hash_u32(struct svm_hasher *h, uint32_t v)
{
	uint8_t b[4];

	svm_put_le32(b, v);
	svm_hash_update(h, b, sizeof(b));
}

void svm_hash_u64(struct svm_hasher *h, uint64_t v)
{
	uint8_t b[8];

	svm_put_le64(b, v);
	svm_hash_update(h, b, sizeof(b));
}

void svm_hash_bytes(struct svm_hasher *h, const void *p, size_t n)
{
	svm_hash_u64(h, n);
	svm_hash_update(h, p, n);
}

void svm_hash_raw(struct svm_hasher *h, const void *p, size_t n)
{
	svm_hash_update(h, p, n);
}

int svm_hash_end(struct svm_hasher *h, uint8_t out[SVM_SHA256_LEN])
{
	/* Always finalise so the context holds no pending state. */
	if (svm_sha256_final(&h->sha, out))
		h->err = -1;
	if (h->err) {
		memset(out, 0, SVM_SHA256_LEN);
		return -1;
	}
	return 0;
}

int svm_sha256(const void *p, size_t n, uint8_t out[SVM_SHA256_LEN])
{
	struct svm_sha256 c;

	if (svm_sha256_init(&c))
		goto fail;
	if (n && svm_sha256_update(&c, p, n)) {
		svm_sha256_final(&c, out);
		goto fail;
	}
	if (svm_sha256_final(&c, out))
		goto fail;
	return 0;
fail:
	memset(out, 0, SVM_SHA256_LEN);
	return -1;
}
