/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SYNAGENT_ATTEST_H
#define SYNAGENT_ATTEST_H

/*
 * Signed attestations (Documentation/cluster.md "Attestations"):
 *   accept: a member saw job J in epoch E with input hash I and plan hash P;
 *   task:   a replica ran task T of job J (planned in epoch E) with task
 *           input hash I and got end status S, trace hash X, output hash O.
 * signature = Ed25519(node key, canonical bytes below), so a quorum
 * certificate - the set of attestations plus the signers' certificates -
 * can be checked offline with only the cluster CA certificate.
 */
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "agent/config.h"
#include "agent/cluster/jobspec.h"
#include "agent/identity/pki.h"

enum attest_kind {
	ATT_ACCEPT = 1,
	ATT_TASK = 2,
};

struct attest {
	enum attest_kind kind;
	char node[NODE_ID_MAX + 1];
	char job[JOB_ID_LEN + 1];
	uint64_t epoch;
	char task[TASK_ID_MAX + 1];	/* ATT_TASK */
	uint8_t input[HASH_LEN];	/* job input (accept) / task input (task) */
	uint8_t plan[HASH_LEN];		/* ATT_ACCEPT */
	uint8_t trace[HASH_LEN];	/* ATT_TASK */
	uint8_t output[HASH_LEN];	/* ATT_TASK */
	uint32_t status;		/* ATT_TASK: end status */
	uint8_t sig[ED25519_SIG_LEN];
};

/* The signed message: H(tag, kind, node, job, epoch, fields) - 32 bytes. */
void attest_digest(const struct attest *a, uint8_t out[HASH_LEN]);
int attest_sign(struct attest *a, EVP_PKEY *key);
int attest_verify(const struct attest *a, EVP_PKEY *pub);
json_t *attest_to_json(const struct attest *a);
int attest_from_json(json_t *j, struct attest *a);
/* Same claim (everything but the signer and signature)? */
bool attest_task_same(const struct attest *a, const struct attest *b);

/*
 * Checks a PEM certificate against the CA (chain, validity now) and returns
 * its public key and node id from the SAN URI for cluster; NULL on failure.
 */
EVP_PKEY *attest_cert_check(X509 *ca, const char *pem, const char *cluster,
			    char node[NODE_ID_MAX + 1], char *err, size_t errlen);

#endif
