/* SPDX-License-Identifier: GPL-2.0 */
/*
 * captoken.h - capability tokens (Documentation/capabilities.md).
 *
 * A token is the canonical CBOR map {1: body, 2: signature}: body is the
 * canonical CBOR encoding of struct captoken (first field the tag
 * CAPTOKEN_TAG), signature is Ed25519 by the cluster CA's key over body.
 * The capability id is SHA-256(body); the kernel only ever sees the id.
 */
#ifndef SYNAPSE_AGENT_CAPTOKEN_H
#define SYNAPSE_AGENT_CAPTOKEN_H

#include <stddef.h>
#include <stdint.h>

#define CAPTOKEN_TAG		"synapse/cap/v2"
#define CAPTOKEN_VERSION	2
#define CAPTOKEN_ID_LEN		32
#define CAPTOKEN_NONCE_LEN	16
#define CAPTOKEN_STR_MAX	128
#define CAPTOKEN_MAX_LEN	1024	/* bigger tokens are refused unread */

struct captoken {
	char cluster[CAPTOKEN_STR_MAX];	/* the issuing CA's cluster */
	char subject[CAPTOKEN_STR_MAX];	/* who submits under it */
	char job[CAPTOKEN_STR_MAX];	/* job name; "": any job of the subject */
	uint64_t fuel_max;		/* per task; 0: no ceiling */
	uint64_t memory_pages_max;	/* 64 KiB pages per task; 0: none */
	uint64_t not_before;		/* seconds since the epoch */
	uint64_t not_after;		/* expiry; 0 is not allowed */
	uint8_t nonce[CAPTOKEN_NONCE_LEN]; /* makes every token's id unique */
};

/* The canonical body (malloc'd) and its id. */
int captoken_encode(const struct captoken *t, uint8_t **body, size_t *len);
void captoken_id(const uint8_t *body, size_t len, uint8_t id[CAPTOKEN_ID_LEN]);

/*
 * Sign with the CA in cadir (ca.key, ca.crt): t->cluster is taken from
 * ca.crt and a fresh nonce is drawn. Returns the token (malloc'd) and id.
 */
int captoken_issue(const char *cadir, struct captoken *t, uint8_t **tok,
		   size_t *len, uint8_t id[CAPTOKEN_ID_LEN],
		   char *err, size_t errlen);

/*
 * Parse strictly (canonical encoding only), check the signature against
 * the CA certificate, its cluster, and that now lies in
 * [not_before, not_after). Fills *t and id even when only the time check
 * fails (returns -2 then; -1 for any other failure).
 */
int captoken_verify(const char *ca_cert, const uint8_t *tok, size_t len,
		    uint64_t now, struct captoken *t,
		    uint8_t id[CAPTOKEN_ID_LEN], char *err, size_t errlen);

/* Parse without checking the signature (for display). */
int captoken_parse(const uint8_t *tok, size_t len, struct captoken *t,
		   uint8_t id[CAPTOKEN_ID_LEN]);

#endif /* SYNAPSE_AGENT_CAPTOKEN_H */
