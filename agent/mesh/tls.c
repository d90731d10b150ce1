// SPDX-License-Identifier: GPL-2.0
/*
 * The mesh's TLS context: TLS 1.3 only, mutual authentication against the
 * cluster CA and its CRL, our Ed25519 key and certificate. Built anew on
 * start and on SIGHUP; live sessions keep a reference to the context they
 * were made with, so swapping it never disturbs them.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "agent/identity/pki.h"
#include "agent/synapsed.h"

static SSL_CTX *build_ctx(struct agent *a, EVP_PKEY *key, X509 *cert,
			  X509 *ca, X509_CRL *crl, char *err, size_t errlen)
{
	X509_STORE *store;
	SSL_CTX *ctx;

	ctx = SSL_CTX_new(TLS_method());
	if (!ctx)
		goto out_err;
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION))
		goto out_err;
	if (SSL_CTX_use_certificate(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		goto out_err;
	store = SSL_CTX_get_cert_store(ctx);
	if (X509_STORE_add_cert(store, ca) != 1)
		goto out_err;
	if (crl) {
		if (X509_STORE_add_crl(store, crl) != 1)
			goto out_err;
		X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
			   SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_verify_depth(ctx, 1);
	/* every session proves its certificate afresh: no resumption */
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
	return ctx;

out_err:
	pki_openssl_err(err, errlen, "TLS context");
	SSL_CTX_free(ctx);
	return NULL;
}

int tls_load(struct agent *a, char *err, size_t errlen)
{
	const struct agent_config *cfg = &a->cfg;
	char id[NODE_ID_MAX + 1];
	X509_CRL *crl = NULL;
	EVP_PKEY *key;
	X509 *cert = NULL, *ca = NULL;
	SSL_CTX *ctx;

	key = pki_load_key(cfg->key, err, errlen);
	if (!key)
		return -1;
	cert = pki_load_cert(cfg->cert, err, errlen);
	if (!cert)
		goto out_free;
	ca = pki_load_cert(cfg->ca, err, errlen);
	if (!ca)
		goto out_free;
	if (cfg->crl[0]) {
		crl = pki_load_crl(cfg->crl, err, errlen);
		if (!crl)
			goto out_free;
	}
	if (pki_cert_node_id(cert, cfg->cluster, id, sizeof(id)) ||
	    strcmp(id, cfg->node_id)) {
		snprintf(err, errlen, "%s: no SAN URI synapse://%s/node/%s",
			 cfg->cert, cfg->cluster, cfg->node_id);
		goto out_free;
	}
	ctx = build_ctx(a, key, cert, ca, crl, err, errlen);
	if (!ctx)
		goto out_free;
	SSL_CTX_free(a->ssl_ctx);
	EVP_PKEY_free(a->key);
	X509_free(a->cert);
	X509_CRL_free(a->crl);
	a->ssl_ctx = ctx;
	a->key = key;
	a->cert = cert;
	a->crl = crl;
	pki_fingerprint(cert, a->cert_fpr);
	X509_free(ca);
	return 0;

out_free:
	X509_CRL_free(crl);
	X509_free(ca);
	X509_free(cert);
	EVP_PKEY_free(key);
	return -1;
}

enum reject_reason tls_failure_reason(SSL *ssl)
{
	long v = SSL_get_verify_result(ssl);

	switch (v) {
	case X509_V_OK:
		return REJ_TLS;
	case X509_V_ERR_CERT_REVOKED:
		return REJ_CERT_REVOKED;
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return REJ_CERT_EXPIRED;
	default:
		return REJ_CERT_UNTRUSTED;
	}
}

bool tls_cert_revoked(struct agent *a, X509 *cert)
{
	X509_REVOKED *rev;

	if (!a->crl || !cert)
		return false;
	return X509_CRL_get0_by_cert(a->crl, &rev, cert) == 1;
}
