/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SYNAGENT_SCHEDULER_H
#define SYNAGENT_SCHEDULER_H

/*
 * The seed's deterministic scheduler (DESIGN.md section 4): tasks sorted by
 * id, members sorted by node id, task i goes to member i mod n and its
 * replicas to the next r-1 members in that order (r is clamped to n).
 * Every member computes it alone from the committed membership epoch.
 */
#include <stdbool.h>
#include <stdint.h>

#include "agent/cluster/jobspec.h"

struct plan {
	uint64_t epoch;
	unsigned int nmembers, ntasks, r;
	char **members;		/* sorted copies */
	char **tasks;		/* sorted copies */
	unsigned int *assign;	/* ntasks * r member indexes, primary first */
};

/* members and tasks need not be sorted; returns -1 on bad input / ENOMEM. */
int plan_compute(struct plan *p, uint64_t epoch, const char *const *members,
		 unsigned int nmembers, const char *const *tasks,
		 unsigned int ntasks, unsigned int r);
void plan_free(struct plan *p);
/* plan hash = H(tag, epoch, members, every task's replica list). */
void plan_hash(const struct plan *p, uint8_t out[HASH_LEN]);
int plan_task_index(const struct plan *p, const char *task);
int plan_member_index(const struct plan *p, const char *node);
bool plan_runs(const struct plan *p, unsigned int task, const char *node);
const char *plan_replica(const struct plan *p, unsigned int task, unsigned int k);
/*
 * Replica k of a task counting tie-breakers (k < nmembers): k < r as
 * planned, k >= r the next members in plan order, added one at a time
 * while the replicas so far have no strict majority (cluster.md "Ties").
 */
const char *plan_replica_ext(const struct plan *p, unsigned int task, unsigned int k);
bool plan_runs_ext(const struct plan *p, unsigned int task, const char *node,
		   unsigned int nrep);
/* strict majority of n */
static inline unsigned int quorum_of(unsigned int n)
{
	return n / 2 + 1;
}

#endif
