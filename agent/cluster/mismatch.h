/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SYNAGENT_MISMATCH_H
#define SYNAGENT_MISMATCH_H

/*
 * State mismatch (Documentation/cluster.md "State mismatch"): every replica
 * publishes the checkpoint digests of its trace chain, with the fuel at
 * each, next to its attestation (jobs/<job>/cps/<task>/<node>) and keeps
 * its ended run - with the engine's last K copy-on-write checkpoints -
 * until the task is committed. A replica that disagrees with the committed
 * majority compares its list with a majority replica's: the first index
 * where they differ is the first divergent checkpoint; it rolls back to
 * the newest kept checkpoint before it (the last agreed state) and replays
 * from there. The outcome goes to jobs/<job>/mismatch/<task>/<node>.
 */
#include <stdbool.h>
#include <stdint.h>

#include "agent/exec/executor.h"
#include "agent/cluster/jobspec.h"

struct cluster;

#define MM_KEPT_MAX	8	/* ended runs kept for a rollback */
#define MM_CPS_MAX	4096	/* checkpoints published per replica */
#define MM_KEEP_NS	(120 * 1000000000ull)	/* ended runs kept at most */

/* Ended runs, keyed by job and task: the table owns them. */
void mm_keep(const char *job, const char *task, struct exec_run *r);
/* Removes and returns a kept run (the caller owns it), or NULL. */
struct exec_run *mm_take(const char *job, const char *task);
void mm_drop(const char *job, const char *task);
/* Frees runs kept longer than max_age_ns (their job is long over). */
void mm_prune(uint64_t now_ns, uint64_t max_age_ns);
void mm_drop_all(void);
/* The (job, task) of every kept run; returns how many. */
unsigned int mm_kept_list(char jobs[][JOB_ID_LEN + 1],
			  char tasks[][TASK_ID_MAX + 1], unsigned int max);

/* A published checkpoint list: the first have of n checkpoints. */
struct mm_list {
	uint64_t n, have, end_fuel;
	uint8_t (*d)[HASH_LEN];
	uint64_t *fuel;
};

int mm_list_parse(const char *text, struct mm_list *l);
int mm_list_of_run(struct exec_run *r, uint64_t end_fuel, struct mm_list *l);
void mm_list_free(struct mm_list *l);
/* Writes jobs/<job>/cps/<task>/<self> for an ended run. */
int mm_publish(struct cluster *c, const char *job, const char *task,
	       struct exec_run *r, uint64_t end_fuel);

struct mm_divergence {
	bool known;		/* both lists were available */
	bool after_last;	/* all common checkpoints agree */
	uint64_t first;		/* first divergent checkpoint */
	uint64_t first_fuel;	/* the majority's fuel there */
	int64_t last_agreed;	/* first - 1, or -1 */
	uint64_t last_agreed_fuel;
	int64_t from;		/* checkpoint the replay started from, -1: input */
	uint64_t from_fuel;
};

void mm_compare(const struct mm_list *mine, const struct mm_list *major,
		struct mm_divergence *d);
/*
 * Rolls r back to the newest kept checkpoint <= d->last_agreed and sets
 * d->from; -1 (r untouched) when none is kept: replay from the input.
 */
int mm_rollback(struct exec_run *r, struct mm_divergence *d);
/* jobs/<job>/mismatch/<task>/<self> = what was found and done. */
void mm_report(struct cluster *c, const char *job, const char *task,
	       const char *with, const struct mm_divergence *d,
	       const char *outcome);

#endif
