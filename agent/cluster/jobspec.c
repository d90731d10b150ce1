// SPDX-License-Identifier: GPL-2.0
/* Job input hash and Merkle roots (see jobspec.h, Documentation/cluster.md). */
#include <string.h>

#include "agent/cluster/jobspec.h"

int h_init(struct hctx *h, const char *tag)
{
	h->md = EVP_MD_CTX_new();
	if (!h->md || !EVP_DigestInit_ex(h->md, EVP_sha256(), NULL))
		return -1;
	h_lp(h, tag, strlen(tag));
	return 0;
}

void h_raw(struct hctx *h, const void *p, size_t n)
{
	EVP_DigestUpdate(h->md, p, n);
}

void h_u32(struct hctx *h, uint32_t v)
{
	uint8_t b[4] = { v, v >> 8, v >> 16, v >> 24 };

	h_raw(h, b, 4);
}

void h_u64(struct hctx *h, uint64_t v)
{
	h_u32(h, (uint32_t)v);
	h_u32(h, (uint32_t)(v >> 32));
}

void h_lp(struct hctx *h, const void *p, size_t n)
{
	h_u32(h, n);
	h_raw(h, p, n);
}

void h_str(struct hctx *h, const char *s)
{
	h_lp(h, s, strlen(s));
}

void h_final(struct hctx *h, uint8_t out[HASH_LEN])
{
	EVP_DigestFinal_ex(h->md, out, NULL);
	EVP_MD_CTX_free(h->md);
	h->md = NULL;
}

bool task_id_valid(const char *id)
{
	size_t n = strlen(id), i;

	if (!n || n > TASK_ID_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", id[i]))
			return false;
	return true;
}

void job_input_hash(const char *name, uint32_t replicas,
		    const uint8_t cap_id[HASH_LEN],
		    unsigned int ntasks, const char *const *task_ids,
		    const uint8_t (*task_input)[HASH_LEN], uint8_t out[HASH_LEN])
{
	struct hctx h;
	unsigned int i;

	if (h_init(&h, TAG_JOB)) {
		memset(out, 0, HASH_LEN);
		return;
	}
	h_str(&h, name);
	h_u32(&h, replicas);
	h_raw(&h, cap_id, HASH_LEN);
	h_u32(&h, ntasks);
	for (i = 0; i < ntasks; i++) {
		h_str(&h, task_ids[i]);
		h_raw(&h, task_input[i], HASH_LEN);
	}
	h_final(&h, out);
}

/*
 * RFC 6962 shape: leaf = H(0x00 || h), node = H(0x01 || l || r), the
 * tree split at the largest power of two below n; the root is then bound
 * to the tag and the count, so an empty list has a well-defined root too.
 */
static void sha(const void *a, size_t an, const void *b, size_t bn,
		const void *c, size_t cn, uint8_t out[HASH_LEN])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	EVP_DigestUpdate(md, a, an);
	EVP_DigestUpdate(md, b, bn);
	EVP_DigestUpdate(md, c, cn);
	EVP_DigestFinal_ex(md, out, NULL);
	EVP_MD_CTX_free(md);
}

static void mth(const uint8_t (*l)[HASH_LEN], unsigned int n, uint8_t out[HASH_LEN])
{
	static const uint8_t zero = 0, one = 1;
	uint8_t a[HASH_LEN], b[HASH_LEN];
	unsigned int k = 1;

	if (n == 1) {
		sha(&zero, 1, l[0], HASH_LEN, NULL, 0, out);
		return;
	}
	while (k * 2 < n)
		k *= 2;
	mth(l, k, a);
	mth(l + k, n - k, b);
	sha(&one, 1, a, HASH_LEN, b, HASH_LEN, out);
}

void merkle_root(const uint8_t (*leaves)[HASH_LEN], unsigned int n,
		 uint8_t out[HASH_LEN])
{
	uint8_t root[HASH_LEN] = { 0 };
	struct hctx h;

	if (n)
		mth(leaves, n, root);
	if (h_init(&h, TAG_MERKLE)) {
		memset(out, 0, HASH_LEN);
		return;
	}
	h_u32(&h, n);
	h_raw(&h, root, HASH_LEN);
	h_final(&h, out);
}

void hex_encode(const uint8_t *p, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static int nib(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int hex_decode(const char *s, uint8_t *p, size_t n)
{
	size_t i;

	if (!s || strlen(s) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		int hi = nib(s[2 * i]), lo = nib(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		p[i] = hi << 4 | lo;
	}
	return 0;
}
