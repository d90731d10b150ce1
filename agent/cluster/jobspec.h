/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SYNAGENT_JOBSPEC_H
#define SYNAGENT_JOBSPEC_H

/*
 * Job hashes that need no engine (shared by synapsed and synctl job
 * verify): the job input hash over the canonical job spec, and the Merkle
 * roots of the job execution and output hashes (Documentation/cluster.md
 * "Hashes"). The per-task input hash is the engine's
 * (svm_task_input_hash(), Documentation/hashes.md).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#define HASH_LEN	32
#define TASK_ID_MAX	63
#define JOB_ID_LEN	32	/* hex chars: the first 16 bytes of the input hash */
#define JOB_MAX_TASKS	1024
#define JOB_NAME_MAX	63

#define TAG_JOB		"synapse/job/v1"
#define TAG_PLAN	"synapse/plan/v1"
#define TAG_MERKLE	"synapse/merkle/v1"
#define TAG_ATTEST	"synapse/attest/v1"

/* Canonical hashing: tag, then fixed-width LE integers and u32-length-prefixed bytes. */
struct hctx {
	EVP_MD_CTX *md;
};

int h_init(struct hctx *h, const char *tag);
void h_u32(struct hctx *h, uint32_t v);
void h_u64(struct hctx *h, uint64_t v);
void h_lp(struct hctx *h, const void *p, size_t n);	/* u32 length, bytes */
void h_str(struct hctx *h, const char *s);
void h_raw(struct hctx *h, const void *p, size_t n);
void h_final(struct hctx *h, uint8_t out[HASH_LEN]);

bool task_id_valid(const char *id);
/* Tasks must be sorted by id (strcmp). */
void job_input_hash(const char *name, uint32_t replicas,
		    const uint8_t cap_id[HASH_LEN],
		    unsigned int ntasks, const char *const *task_ids,
		    const uint8_t (*task_input)[HASH_LEN], uint8_t out[HASH_LEN]);
void merkle_root(const uint8_t (*leaves)[HASH_LEN], unsigned int n,
		 uint8_t out[HASH_LEN]);

void hex_encode(const uint8_t *p, size_t n, char *out);	/* out: 2n+1 */
int hex_decode(const char *s, uint8_t *p, size_t n);	/* exactly 2n chars */

#endif
