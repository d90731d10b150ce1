/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SYNAGENT_JOB_H
#define SYNAGENT_JOB_H

/*
 * One job as read from etcd in one range call (jobs/<id>/...), and the
 * lifecycle every agent drives from its cluster timer
 * (Documentation/cluster.md "Job lifecycle"):
 *
 *   submitted -> planned (coordinator fixes the epoch) -> accepted (a
 *   quorum of members signed the same input hash and plan hash) ->
 *   running (replicas attest) -> each task committed by a strict majority
 *   of its replicas -> committed (coordinator writes the result with its
 *   quorum certificate, create-once) ; a member change before that ->
 *   re-planned in the new epoch, committed tasks kept.
 */
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "agent/cluster/attest.h"
#include "agent/identity/captoken.h"
#include "agent/cluster/etcd.h"
#include "agent/exec/executor.h"
#include "agent/cluster/scheduler.h"

struct job {
	char id[JOB_ID_LEN + 1];
	char name[JOB_NAME_MAX + 1];
	char origin[NODE_ID_MAX + 1];	/* the submitting node: holds the blobs */
	uint32_t r;
	uint8_t cap_id[HASH_LEN];	/* all zero: no capability */
	uint64_t fuel;
	uint32_t memory;		/* max 64 KiB pages per task; 0: default */
	/* the capability token (spec "cap"), parsed but not yet verified */
	bool has_token;
	struct captoken token;
	uint8_t *token_bytes;
	size_t token_len;
	uint64_t checkpoint_every;	/* 0: the engine's default */
	unsigned int ntasks;
	struct task_spec *tasks;	/* sorted by id */
	const char **task_ids;
	uint8_t input[HASH_LEN];
	bool have_epoch;
	uint64_t epoch;
	struct etcd_kv *kvs;		/* everything under jobs/<id>/ */
	size_t nkv;
	size_t plen;			/* strlen of ".../jobs/<id>/" */
};

/*
 * Spec JSON (as stored) -> job; computes the job input hash from the task
 * input hashes the spec declares ("input_hash" per task). The inputs are
 * blobs ("input_blob", "input_size"), their bytes not in the spec.
 */
int job_parse_spec(json_t *spec, struct job *j, char *err, size_t errlen);
/*
 * The same at submit, where the blobs are in the local store: each task
 * input hash is computed from the input bytes (and "input_hash" ignored).
 */
int job_parse_submit(json_t *spec, struct job *j, char *err, size_t errlen);
/*
 * The capability check every agent makes before it accepts a job or starts
 * one of its tasks (Documentation/cluster.md "Capability tokens"): the
 * token's CA signature and cluster, its validity at now, the job name and
 * the fuel and memory ceilings. 0 when the job may run; otherwise the
 * reason in err. A job without a token passes unless require_cap.
 */
int job_cap_check(const struct job *j, const char *ca, bool require_cap,
		  uint64_t now, char *err, size_t errlen);
void job_free(struct job *j);
const char *job_state_name(const struct job *j);

#endif
