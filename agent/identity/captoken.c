// SPDX-License-Identifier: GPL-2.0
/*
 * captoken.c - capability tokens: canonical encoding, CA signature, id.
 *
 * Decoding is strict twice over: fields are read in canonical order with
 * exact counts, and the body must re-encode to the very same bytes, so one
 * capability has one encoding and therefore one id.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "agent/identity/canon.h"
#include "agent/identity/captoken.h"
#include "agent/identity/pki.h"

#define BODY_FIELDS	10
#define TOKEN_FIELDS	2

int captoken_encode(const struct captoken *t, uint8_t **body, size_t *len)
{
	cbor_item_t *map = cbor_new_definite_map(BODY_FIELDS);

	if (!map)
		return -1;
	if (canon_put_text(map, 0, CAPTOKEN_TAG) ||
	    canon_put_uint(map, 1, CAPTOKEN_VERSION) ||
	    canon_put_text(map, 2, t->cluster) ||
	    canon_put_text(map, 3, t->subject) ||
	    canon_put_text(map, 4, t->job) ||
	    canon_put_uint(map, 5, t->fuel_max) ||
	    canon_put_uint(map, 6, t->memory_pages_max) ||
	    canon_put_uint(map, 7, t->not_before) ||
	    canon_put_uint(map, 8, t->not_after) ||
	    canon_put_bytes(map, 9, t->nonce, sizeof(t->nonce))) {
		cbor_decref(&map);
		return -1;
	}
	return canon_finish(map, body, len);
}

void captoken_id(const uint8_t *body, size_t len, uint8_t id[CAPTOKEN_ID_LEN])
{
	SHA256(body, len, id);
}

static int rd_str(struct canon_rd *rd, uint64_t key, char *out, bool empty_ok)
{
	const char *p;
	size_t n;

	if (canon_rd_key(rd, key) || canon_rd_text(rd, &p, &n) ||
	    (n == 0 && !empty_ok) || n >= CAPTOKEN_STR_MAX || memchr(p, 0, n))
		return -1;
	memcpy(out, p, n);
	out[n] = 0;
	return 0;
}

static int decode_body(const uint8_t *body, size_t len, struct captoken *t)
{
	struct canon_rd rd;
	const uint8_t *p;
	uint64_t v;
	size_t n;

	memset(t, 0, sizeof(*t));
	canon_rd_init(&rd, body, len);
	if (canon_rd_map(&rd, &n) || n != BODY_FIELDS ||
	    canon_rd_key(&rd, 0) || canon_rd_text(&rd, (const char **)&p, &n) ||
	    n != strlen(CAPTOKEN_TAG) || memcmp(p, CAPTOKEN_TAG, n) ||
	    canon_rd_key(&rd, 1) || canon_rd_uint(&rd, &v) ||
	    v != CAPTOKEN_VERSION ||
	    rd_str(&rd, 2, t->cluster, false) ||
	    rd_str(&rd, 3, t->subject, false) || rd_str(&rd, 4, t->job, true) ||
	    canon_rd_key(&rd, 5) || canon_rd_uint(&rd, &t->fuel_max) ||
	    canon_rd_key(&rd, 6) || canon_rd_uint(&rd, &t->memory_pages_max) ||
	    canon_rd_key(&rd, 7) || canon_rd_uint(&rd, &t->not_before) ||
	    canon_rd_key(&rd, 8) || canon_rd_uint(&rd, &t->not_after) ||
	    canon_rd_key(&rd, 9) || canon_rd_bytes(&rd, &p, &n) ||
	    n != CAPTOKEN_NONCE_LEN || !canon_rd_done(&rd))
		return -1;
	memcpy(t->nonce, p, n);
	return 0;
}

/* The body and signature of a token, pointing into tok. */
static int split(const uint8_t *tok, size_t len, const uint8_t **body,
		 size_t *body_len, const uint8_t **sig)
{
	struct canon_rd rd;
	size_t n;

	if (len > CAPTOKEN_MAX_LEN)
		return -1;
	canon_rd_init(&rd, tok, len);
	if (canon_rd_map(&rd, &n) || n != TOKEN_FIELDS ||
	    canon_rd_key(&rd, 1) || canon_rd_bytes(&rd, body, body_len) ||
	    canon_rd_key(&rd, 2) || canon_rd_bytes(&rd, sig, &n) ||
	    n != ED25519_SIG_LEN || !canon_rd_done(&rd))
		return -1;
	return 0;
}

int captoken_parse(const uint8_t *tok, size_t len, struct captoken *t,
		   uint8_t id[CAPTOKEN_ID_LEN])
{
	const uint8_t *body, *sig;
	uint8_t *again = NULL;
	size_t body_len, again_len;
	int ret = -1;

	if (split(tok, len, &body, &body_len, &sig) ||
	    decode_body(body, body_len, t))
		return -1;
	/* One capability, one encoding, one id. */
	if (captoken_encode(t, &again, &again_len))
		return -1;
	if (again_len == body_len && !memcmp(again, body, body_len)) {
		captoken_id(body, body_len, id);
		ret = 0;
	}
	free(again);
	return ret;
}

static int wrap(const uint8_t *body, size_t body_len,
		const uint8_t sig[ED25519_SIG_LEN], uint8_t **tok, size_t *len)
{
	cbor_item_t *map = cbor_new_definite_map(TOKEN_FIELDS);

	if (!map)
		return -1;
	if (canon_put_bytes(map, 1, body, body_len) ||
	    canon_put_bytes(map, 2, sig, ED25519_SIG_LEN)) {
		cbor_decref(&map);
		return -1;
	}
	return canon_finish(map, tok, len);
}

static int ca_path(char *buf, size_t len, const char *dir, const char *file)
{
	int n = snprintf(buf, len, "%s/%s", dir, file);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int captoken_issue(const char *cadir, struct captoken *t, uint8_t **tok,
		   size_t *len, uint8_t id[CAPTOKEN_ID_LEN],
		   char *err, size_t errlen)
{
	uint8_t sig[ED25519_SIG_LEN], *body = NULL;
	char path[4096];
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	size_t body_len;
	int ret = -1;

	if (!t->not_after || t->not_after <= t->not_before) {
		snprintf(err, errlen, "the token needs an expiry after its start");
		return -1;
	}
	if (ca_path(path, sizeof(path), cadir, CA_CERT_FILE))
		goto out;
	cert = pki_load_cert(path, err, errlen);
	if (!cert)
		goto out;
	if (pki_cert_cluster(cert, t->cluster, sizeof(t->cluster))) {
		snprintf(err, errlen, "%s names no cluster", path);
		goto out;
	}
	if (ca_path(path, sizeof(path), cadir, CA_KEY_FILE))
		goto out;
	key = pki_load_key(path, err, errlen);
	if (!key)
		goto out;
	if (RAND_bytes(t->nonce, sizeof(t->nonce)) != 1) {
		pki_openssl_err(err, errlen, "RAND_bytes");
		goto out;
	}
	if (captoken_encode(t, &body, &body_len)) {
		snprintf(err, errlen, "cannot encode the token");
		goto out;
	}
	if (pki_sign(key, body, body_len, sig)) {
		pki_openssl_err(err, errlen, "signing the token");
		goto out;
	}
	if (wrap(body, body_len, sig, tok, len)) {
		snprintf(err, errlen, "cannot encode the token");
		goto out;
	}
	captoken_id(body, body_len, id);
	ret = 0;
out:
	free(body);
	EVP_PKEY_free(key);
	X509_free(cert);
	return ret;
}

int captoken_verify(const char *ca_cert, const uint8_t *tok, size_t len,
		    uint64_t now, struct captoken *t,
		    uint8_t id[CAPTOKEN_ID_LEN], char *err, size_t errlen)
{
	char cluster[CAPTOKEN_STR_MAX];
	const uint8_t *body, *sig;
	EVP_PKEY *pub = NULL;
	X509 *cert = NULL;
	size_t body_len;
	int ret = -1;

	if (captoken_parse(tok, len, t, id) ||
	    split(tok, len, &body, &body_len, &sig)) {
		snprintf(err, errlen, "not a canonical capability token");
		return -1;
	}
	cert = pki_load_cert(ca_cert, err, errlen);
	if (!cert)
		return -1;
	pub = X509_get_pubkey(cert);
	if (!pub || pki_verify(pub, body, body_len, sig)) {
		snprintf(err, errlen, "bad signature: not issued by this CA");
		goto out;
	}
	if (pki_cert_cluster(cert, cluster, sizeof(cluster)) ||
	    strcmp(cluster, t->cluster)) {
		snprintf(err, errlen, "token of cluster '%s', CA of another",
			 t->cluster);
		goto out;
	}
	if (now < t->not_before || now >= t->not_after) {
		snprintf(err, errlen, now < t->not_before ?
			 "not valid yet" : "expired");
		ret = -2;
		goto out;
	}
	ret = 0;
out:
	EVP_PKEY_free(pub);
	X509_free(cert);
	return ret;
}
