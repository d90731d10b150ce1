// SPDX-License-Identifier: GPL-2.0
/*
 * State mismatch: checkpoint lists, the first divergent checkpoint, the
 * rollback point and the report (see mismatch.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agent/cluster/etcd.h"
#include "agent/cluster/membership.h"
#include "agent/cluster/mismatch.h"
#include "agent/synapsed.h"

/* ---- ended runs kept for a rollback ---- */

struct kept_run {
	char job[JOB_ID_LEN + 1];
	char task[TASK_ID_MAX + 1];
	struct exec_run *r;
	uint64_t at_ns;
};

static struct kept_run kept[MM_KEPT_MAX];

static struct kept_run *kept_find(const char *job, const char *task)
{
	unsigned int i;

	for (i = 0; i < MM_KEPT_MAX; i++)
		if (kept[i].r && !strcmp(kept[i].job, job) &&
		    !strcmp(kept[i].task, task))
			return &kept[i];
	return NULL;
}

static void kept_free(struct kept_run *k)
{
	executor_abort(k->r);
	memset(k, 0, sizeof(*k));
}

void mm_keep(const char *job, const char *task, struct exec_run *r)
{
	struct kept_run *k = kept_find(job, task), *old = &kept[0];
	unsigned int i;

	if (!k) {
		/* a free slot, else the oldest run goes */
		for (i = 0; i < MM_KEPT_MAX && !k; i++)
			if (!kept[i].r)
				k = &kept[i];
		for (i = 1; i < MM_KEPT_MAX && !k; i++)
			if (kept[i].at_ns < old->at_ns)
				old = &kept[i];
		if (!k)
			k = old;
	}
	if (k->r)
		kept_free(k);
	snprintf(k->job, sizeof(k->job), "%s", job);
	snprintf(k->task, sizeof(k->task), "%s", task);
	k->r = r;
	k->at_ns = mono_now_ns();
}

struct exec_run *mm_take(const char *job, const char *task)
{
	struct kept_run *k = kept_find(job, task);
	struct exec_run *r;

	if (!k)
		return NULL;
	r = k->r;
	memset(k, 0, sizeof(*k));
	return r;
}

void mm_drop(const char *job, const char *task)
{
	struct kept_run *k = kept_find(job, task);

	if (k)
		kept_free(k);
}

void mm_prune(uint64_t now_ns, uint64_t max_age_ns)
{
	unsigned int i;

	for (i = 0; i < MM_KEPT_MAX; i++)
		if (kept[i].r && now_ns - kept[i].at_ns > max_age_ns)
			kept_free(&kept[i]);
}

unsigned int mm_kept_list(char jobs[][JOB_ID_LEN + 1],
			  char tasks[][TASK_ID_MAX + 1], unsigned int max)
{
	unsigned int i, n = 0;

	for (i = 0; i < MM_KEPT_MAX && n < max; i++) {
		if (!kept[i].r)
			continue;
		strcpy(jobs[n], kept[i].job);
		strcpy(tasks[n], kept[i].task);
		n++;
	}
	return n;
}

void mm_drop_all(void)
{
	unsigned int i;

	for (i = 0; i < MM_KEPT_MAX; i++)
		if (kept[i].r)
			kept_free(&kept[i]);
}

/* ---- checkpoint lists ---- */

#define CP_REC	(HASH_LEN + 8)	/* digest, fuel u64 LE */

void mm_list_free(struct mm_list *l)
{
	free(l->d);
	free(l->fuel);
	memset(l, 0, sizeof(*l));
}

static int list_alloc(struct mm_list *l, uint64_t have)
{
	l->d = calloc(have + 1, HASH_LEN);
	l->fuel = calloc(have + 1, sizeof(*l->fuel));
	if (l->d && l->fuel)
		return 0;
	mm_list_free(l);
	return -1;
}

int mm_list_of_run(struct exec_run *r, uint64_t end_fuel, struct mm_list *l)
{
	const uint8_t (*d)[HASH_LEN];
	const uint64_t *fuel;
	uint64_t n;

	memset(l, 0, sizeof(*l));
	if (executor_checkpoints(r, &d, &fuel, &n))
		return -1;
	l->n = n;
	l->have = n < MM_CPS_MAX ? n : MM_CPS_MAX;
	l->end_fuel = end_fuel;
	if (list_alloc(l, l->have))
		return -1;
	if (l->have) {
		memcpy(l->d, d, l->have * HASH_LEN);
		memcpy(l->fuel, fuel, l->have * sizeof(*fuel));
	}
	return 0;
}

/* {"n", "end_fuel", "cps": base64 of have x (digest, fuel u64 LE)} */
int mm_list_parse(const char *text, struct mm_list *l)
{
	json_t *o = json_loads(text, 0, NULL);
	const char *b = json_string_value(json_object_get(o, "cps"));
	uint8_t *raw = NULL;
	size_t len = 0;
	uint64_t i;
	int k;

	memset(l, 0, sizeof(*l));
	if (b)
		raw = b64_decode(b, &len);
	if (!raw || len % CP_REC) {
		free(raw);
		json_decref(o);
		return -1;
	}
	l->n = json_integer_value(json_object_get(o, "n"));
	l->end_fuel = json_integer_value(json_object_get(o, "end_fuel"));
	l->have = len / CP_REC;
	json_decref(o);
	if (l->have > l->n || list_alloc(l, l->have)) {
		free(raw);
		return -1;
	}
	for (i = 0; i < l->have; i++) {
		const uint8_t *p = raw + i * CP_REC;

		memcpy(l->d[i], p, HASH_LEN);
		for (k = 7; k >= 0; k--)
			l->fuel[i] = l->fuel[i] << 8 | p[HASH_LEN + k];
	}
	free(raw);
	return 0;
}

int mm_publish(struct cluster *c, const char *job, const char *task,
	       struct exec_run *r, uint64_t end_fuel)
{
	struct mm_list l;
	char key[256], *b64, *s;
	uint8_t *raw;
	uint64_t i;
	json_t *o;
	int k, ret = -1;

	if (mm_list_of_run(r, end_fuel, &l))
		return -1;
	raw = malloc(l.have * CP_REC + 1);
	if (!raw)
		goto out_list;
	for (i = 0; i < l.have; i++) {
		uint8_t *p = raw + i * CP_REC;

		memcpy(p, l.d[i], HASH_LEN);
		for (k = 0; k < 8; k++)
			p[HASH_LEN + k] = l.fuel[i] >> (8 * k);
	}
	b64 = b64_encode(raw, l.have * CP_REC);
	free(raw);
	if (!b64)
		goto out_list;
	o = json_pack("{s:s, s:I, s:I, s:s}", "node", c->a->cfg.node_id,
		      "n", (json_int_t)l.n, "end_fuel", (json_int_t)end_fuel,
		      "cps", b64);
	free(b64);
	s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	cluster_key(c, key, sizeof(key), "jobs/%s/cps/%s/%s", job, task,
		    c->a->cfg.node_id);
	if (s)
		ret = etcd_put(c->etcd, key, s, strlen(s), 0);
	free(s);
out_list:
	mm_list_free(&l);
	return ret;
}

/* ---- the first divergent checkpoint and the rollback point ---- */

void mm_compare(const struct mm_list *mine, const struct mm_list *major,
		struct mm_divergence *d)
{
	uint64_t i, common = mine->have < major->have ? mine->have : major->have;

	memset(d, 0, sizeof(*d));
	d->from = -1;
	d->last_agreed = -1;
	d->known = mine->d && major->d;
	if (!d->known)
		return;
	for (i = 0; i < common; i++)
		if (memcmp(mine->d[i], major->d[i], HASH_LEN) ||
		    mine->fuel[i] != major->fuel[i])
			break;
	d->first = i;
	/*
	 * Every common checkpoint agrees: the lists end differently, or both
	 * are whole and equal and only the final link (end status, output)
	 * differs - then the last checkpoint is the last agreed state.
	 */
	d->after_last = i == common;
	if (i < major->have)
		d->first_fuel = major->fuel[i];
	else
		d->first_fuel = major->end_fuel;
	if (i > 0) {
		d->last_agreed = i - 1;
		d->last_agreed_fuel = major->fuel[i - 1];
	}
}

int mm_rollback(struct exec_run *r, struct mm_divergence *d)
{
	uint64_t seqs[64], fuel;
	uint32_t n, k;

	if (!d->known || d->last_agreed < 0)
		return -1;
	n = executor_kept(r, seqs, 64);
	if (n > 64)
		n = 64;
	/* the newest kept checkpoint at or before the last agreed one */
	for (k = n; k-- > 0;) {
		if (seqs[k] > (uint64_t)d->last_agreed)
			continue;
		if (executor_restore(r, seqs[k], &fuel))
			return -1;
		d->from = seqs[k];
		d->from_fuel = fuel;
		return 0;
	}
	return -1;
}

void mm_report(struct cluster *c, const char *job, const char *task,
	       const char *with, const struct mm_divergence *d,
	       const char *outcome)
{
	char key[256], *s;
	json_t *o;

	o = json_pack("{s:s, s:s, s:s, s:b, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:I}",
		      "node", c->a->cfg.node_id, "task", task, "majority", with,
		      "known", d->known, "after_last", d->after_last,
		      "first_divergent", (json_int_t)d->first,
		      "first_divergent_fuel", (json_int_t)d->first_fuel,
		      "last_agreed", (json_int_t)d->last_agreed,
		      "last_agreed_fuel", (json_int_t)d->last_agreed_fuel,
		      "replayed_from", (json_int_t)d->from,
		      "replayed_from_fuel", (json_int_t)d->from_fuel,
		      "outcome", outcome, "at", (json_int_t)now_realtime_ms());
	s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	cluster_key(c, key, sizeof(key), "jobs/%s/mismatch/%s/%s", job, task,
		    c->a->cfg.node_id);
	if (s)
		etcd_put(c->etcd, key, s, strlen(s), 0);
	free(s);
}
