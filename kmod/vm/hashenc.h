/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * hashenc.h - canonical hashing for the Synapse hash contract v1.
 *
 * Every hashed structure is SHA-256 over a canonical encoding
 * (Documentation/hashes.md, DESIGN.md §4):
 *
 *   - the domain tag "synapse/<kind>/v1" first, encoded as a byte string;
 *   - integers fixed-width little-endian (u32: 4 bytes, u64: 8 bytes);
 *   - byte strings as a u64 little-endian length followed by the bytes;
 *   - raw bytes (fixed-size fields such as other hashes) as they are.
 *
 * Errors are sticky: once an update fails, the rest are skipped and
 * svm_hash_end() reports -1, so callers check once at the end.
 */
#ifndef SYNAPSE_VM_HASHENC_H
#define SYNAPSE_VM_HASHENC_H

#include "platform.h"

struct svm_hasher {
	struct svm_sha256 sha;
	int err;
};

void svm_hash_begin(struct svm_hasher *h, const char *kind);
void svm_hash_u32(struct svm_hasher *h, uint32_t v);
void svm_hash_u64(struct svm_hasher *h, uint64_t v);
/* A byte string: u64 LE length, then the bytes. */
void svm_hash_bytes(struct svm_hasher *h, const void *p, size_t n);
/* Fixed-size field, no length prefix (e.g. an embedded 32-byte hash). */
void svm_hash_raw(struct svm_hasher *h, const void *p, size_t n);
/* 0, or -1 if any step failed (out is then zeroed). */
int svm_hash_end(struct svm_hasher *h, uint8_t out[SVM_SHA256_LEN]);

/* Plain SHA-256 of a buffer (module id); 0 or -1. */
int svm_sha256(const void *p, size_t n, uint8_t out[SVM_SHA256_LEN]);

#endif /* SYNAPSE_VM_HASHENC_H */
