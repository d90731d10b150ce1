/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SYNAGENT_PKI_H
#define SYNAGENT_PKI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "agent/config.h"

#define ED25519_SIG_LEN		64
#define ED25519_PUB_LEN		32
#define SAN_URI_SCHEME		"synapse://"

/* File names inside a CA directory made by pki_ca_init(). */
#define CA_KEY_FILE		"ca.key"
#define CA_CERT_FILE		"ca.crt"
#define CA_CRL_FILE		"ca.crl"

struct pki_issue_opts {
	const char *node_id;
	const char *outdir;
	int days;		/* validity from now */
	bool expired;		/* for tests: validity ended yesterday */
};

int pki_ca_init(const char *dir, const char *cluster, int days,
		char *err, size_t errlen);
int pki_issue(const char *cadir, const struct pki_issue_opts *o,
	      char *err, size_t errlen);
int pki_revoke(const char *cadir, const char *certfile, int days,
	       char *err, size_t errlen);

EVP_PKEY *pki_load_key(const char *path, char *err, size_t errlen);
X509 *pki_load_cert(const char *path, char *err, size_t errlen);
X509_CRL *pki_load_crl(const char *path, char *err, size_t errlen);

int pki_cert_cluster(X509 *cert, char *cluster, size_t len);
int pki_cert_node_id(X509 *cert, const char *cluster, char *id, size_t len);
int pki_pubkey_raw(EVP_PKEY *key, uint8_t pub[ED25519_PUB_LEN]);
void pki_fingerprint(X509 *cert, char hex[65]);
/* notAfter as ms since the Unix epoch (0 if unreadable). */
uint64_t pki_not_after_ms(X509 *cert);

int pki_sign(EVP_PKEY *key, const void *data, size_t len,
	     uint8_t sig[ED25519_SIG_LEN]);
int pki_verify(EVP_PKEY *pub, const void *data, size_t len,
	       const uint8_t sig[ED25519_SIG_LEN]);

void pki_openssl_err(char *err, size_t errlen, const char *what);

#endif
