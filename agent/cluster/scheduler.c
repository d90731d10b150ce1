// SPDX-License-Identifier: GPL-2.0
/* The deterministic scheduler and the plan hash (see scheduler.h). */
#include <stdlib.h>
#include <string.h>

#include "agent/cluster/scheduler.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **sorted_copy(const char *const *v, unsigned int n)
{
	char **c = calloc(n ? n : 1, sizeof(*c));
	unsigned int i;

	if (!c)
		return NULL;
	for (i = 0; i < n; i++) {
		c[i] = strdup(v[i]);
		if (!c[i])
			goto free_copies;
	}
	qsort(c, n, sizeof(*c), cmp_str);
	for (i = 1; i < n; i++)
		if (!strcmp(c[i - 1], c[i]))
			goto free_copies;	/* duplicates are refused */
	return c;
free_copies:
	for (i = 0; i < n; i++)
		free(c[i]);
	free(c);
	return NULL;
}

int plan_compute(struct plan *p, uint64_t epoch, const char *const *members,
		 unsigned int nmembers, const char *const *tasks,
		 unsigned int ntasks, unsigned int r)
{
	unsigned int i, k;

	memset(p, 0, sizeof(*p));
	if (!nmembers || !r)
		return -1;
	p->epoch = epoch;
	p->nmembers = nmembers;
	p->ntasks = ntasks;
	p->r = r < nmembers ? r : nmembers;
	p->members = sorted_copy(members, nmembers);
	p->tasks = sorted_copy(tasks, ntasks);
	p->assign = calloc(ntasks * p->r + 1, sizeof(*p->assign));
	if (!p->members || !p->tasks || !p->assign) {
		plan_free(p);
		return -1;
	}
	for (i = 0; i < ntasks; i++)
		for (k = 0; k < p->r; k++)
			p->assign[i * p->r + k] = (i + k) % nmembers;
	return 0;
}

void plan_free(struct plan *p)
{
	unsigned int i;

	for (i = 0; p->members && i < p->nmembers; i++)
		free(p->members[i]);
	for (i = 0; p->tasks && i < p->ntasks; i++)
		free(p->tasks[i]);
	free(p->members);
	free(p->tasks);
	free(p->assign);
	memset(p, 0, sizeof(*p));
}

void plan_hash(const struct plan *p, uint8_t out[HASH_LEN])
{
	struct hctx h;
	unsigned int i, k;

	if (h_init(&h, TAG_PLAN)) {
		memset(out, 0, HASH_LEN);
		return;
	}
	h_u64(&h, p->epoch);
	h_u32(&h, p->nmembers);
	for (i = 0; i < p->nmembers; i++)
		h_str(&h, p->members[i]);
	h_u32(&h, p->ntasks);
	h_u32(&h, p->r);
	for (i = 0; i < p->ntasks; i++) {
		h_str(&h, p->tasks[i]);
		for (k = 0; k < p->r; k++)
			h_str(&h, p->members[p->assign[i * p->r + k]]);
	}
	h_final(&h, out);
}

int plan_task_index(const struct plan *p, const char *task)
{
	unsigned int i;

	for (i = 0; i < p->ntasks; i++)
		if (!strcmp(p->tasks[i], task))
			return i;
	return -1;
}

int plan_member_index(const struct plan *p, const char *node)
{
	unsigned int i;

	for (i = 0; i < p->nmembers; i++)
		if (!strcmp(p->members[i], node))
			return i;
	return -1;
}

const char *plan_replica(const struct plan *p, unsigned int task, unsigned int k)
{
	return p->members[p->assign[task * p->r + k]];
}

bool plan_runs(const struct plan *p, unsigned int task, const char *node)
{
	unsigned int k;

	for (k = 0; k < p->r; k++)
		if (!strcmp(plan_replica(p, task, k), node))
			return true;
	return false;
}

const char *plan_replica_ext(const struct plan *p, unsigned int task, unsigned int k)
{
	return p->members[(task + k) % p->nmembers];
}

bool plan_runs_ext(const struct plan *p, unsigned int task, const char *node,
		   unsigned int nrep)
{
	unsigned int k;

	for (k = 0; k < nrep && k < p->nmembers; k++)
		if (!strcmp(plan_replica_ext(p, task, k), node))
			return true;
	return false;
}
