// SPDX-License-Identifier: GPL-2.0
/* Attestations and their offline checks (see attest.h). */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include "agent/cluster/attest.h"

void attest_digest(const struct attest *a, uint8_t out[HASH_LEN])
{
	struct hctx h;

	if (h_init(&h, TAG_ATTEST)) {
		memset(out, 0, HASH_LEN);
		return;
	}
	h_u32(&h, a->kind);
	h_str(&h, a->node);
	h_str(&h, a->job);
	h_u64(&h, a->epoch);
	h_raw(&h, a->input, HASH_LEN);
	if (a->kind == ATT_ACCEPT) {
		h_raw(&h, a->plan, HASH_LEN);
	} else {
		h_str(&h, a->task);
		h_u32(&h, a->status);
		h_raw(&h, a->trace, HASH_LEN);
		h_raw(&h, a->output, HASH_LEN);
	}
	h_final(&h, out);
}

int attest_sign(struct attest *a, EVP_PKEY *key)
{
	uint8_t d[HASH_LEN];

	attest_digest(a, d);
	return pki_sign(key, d, sizeof(d), a->sig);
}

int attest_verify(const struct attest *a, EVP_PKEY *pub)
{
	uint8_t d[HASH_LEN];

	attest_digest(a, d);
	return pki_verify(pub, d, sizeof(d), a->sig);
}

static json_t *hexj(const uint8_t *p, size_t n)
{
	char buf[2 * ED25519_SIG_LEN + 1];

	hex_encode(p, n, buf);
	return json_string(buf);
}

json_t *attest_to_json(const struct attest *a)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:o}",
			      "kind", a->kind == ATT_ACCEPT ? "accept" : "task",
			      "node", a->node, "job", a->job,
			      "epoch", (json_int_t)a->epoch,
			      "input_hash", hexj(a->input, HASH_LEN));

	if (!j)
		return NULL;
	if (a->kind == ATT_ACCEPT) {
		json_object_set_new(j, "plan_hash", hexj(a->plan, HASH_LEN));
	} else {
		json_object_set_new(j, "task", json_string(a->task));
		json_object_set_new(j, "status", json_integer(a->status));
		json_object_set_new(j, "trace_hash", hexj(a->trace, HASH_LEN));
		json_object_set_new(j, "output_hash", hexj(a->output, HASH_LEN));
	}
	json_object_set_new(j, "signature", hexj(a->sig, ED25519_SIG_LEN));
	return j;
}

static int jstr(json_t *j, const char *k, char *out, size_t len)
{
	const char *s = json_string_value(json_object_get(j, k));

	if (!s || strlen(s) >= len)
		return -1;
	strcpy(out, s);
	return 0;
}

static int jhex(json_t *j, const char *k, uint8_t *out, size_t n)
{
	return hex_decode(json_string_value(json_object_get(j, k)), out, n);
}

int attest_from_json(json_t *j, struct attest *a)
{
	const char *kind = json_string_value(json_object_get(j, "kind"));
	json_t *e = json_object_get(j, "epoch");

	memset(a, 0, sizeof(*a));
	if (!kind || !json_is_integer(e))
		return -1;
	a->epoch = json_integer_value(e);
	if (jstr(j, "node", a->node, sizeof(a->node)) ||
	    jstr(j, "job", a->job, sizeof(a->job)) ||
	    jhex(j, "input_hash", a->input, HASH_LEN) ||
	    jhex(j, "signature", a->sig, ED25519_SIG_LEN))
		return -1;
	if (!strcmp(kind, "accept")) {
		a->kind = ATT_ACCEPT;
		return jhex(j, "plan_hash", a->plan, HASH_LEN);
	}
	if (strcmp(kind, "task"))
		return -1;
	a->kind = ATT_TASK;
	if (!json_is_integer(json_object_get(j, "status")))
		return -1;
	a->status = json_integer_value(json_object_get(j, "status"));
	return jstr(j, "task", a->task, sizeof(a->task)) ||
	       jhex(j, "trace_hash", a->trace, HASH_LEN) ||
	       jhex(j, "output_hash", a->output, HASH_LEN);
}

bool attest_task_same(const struct attest *a, const struct attest *b)
{
	return a->kind == b->kind && !strcmp(a->job, b->job) &&
	       !strcmp(a->task, b->task) && a->status == b->status &&
	       !memcmp(a->input, b->input, HASH_LEN) &&
	       !memcmp(a->trace, b->trace, HASH_LEN) &&
	       !memcmp(a->output, b->output, HASH_LEN);
}

EVP_PKEY *attest_cert_check(X509 *ca, const char *pem, const char *cluster,
			    char node[NODE_ID_MAX + 1], char *err, size_t errlen)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	EVP_PKEY *pub = NULL;
	X509 *cert = NULL;
	BIO *bio;

	bio = BIO_new_mem_buf(pem, -1);
	if (bio)
		cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (!store || !ctx || !cert) {
		snprintf(err, errlen, "unreadable certificate");
		goto out;
	}
	X509_STORE_add_cert(store, ca);
	if (!X509_STORE_CTX_init(ctx, store, cert, NULL) ||
	    X509_verify_cert(ctx) != 1) {
		snprintf(err, errlen, "certificate does not chain to the CA: %s",
			 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		goto out;
	}
	if (pki_cert_node_id(cert, cluster, node, NODE_ID_MAX + 1)) {
		snprintf(err, errlen, "certificate has no node id for cluster %s", cluster);
		goto out;
	}
	pub = X509_get_pubkey(cert);
	if (!pub)
		snprintf(err, errlen, "certificate has no public key");
out:
	ERR_clear_error();
	X509_free(cert);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return pub;
}
