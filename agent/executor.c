// SPDX-License-Identifier: GPL-2.0
/* Task execution on the embedded engine (see executor.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmod/vm/task.h"
#include "uapi/synapse_abi.h"
#include "agent/executor.h"
#include "agent/fault.h"
#include "agent/log.h"

static const char *engine = "user";
static int (*revoked_fn)(const uint8_t cap_id[HASH_LEN], void *arg);
static void *revoked_arg;

bool cap_id_none(const uint8_t cap_id[HASH_LEN])
{
	static const uint8_t zero[HASH_LEN];

	return !memcmp(cap_id, zero, HASH_LEN);
}

void executor_set_revoked(int (*fn)(const uint8_t cap_id[HASH_LEN], void *arg),
			  void *arg)
{
	revoked_fn = fn;
	revoked_arg = arg;
}

static int cap_check(void *ctx, struct svm_task *t, int where, int32_t op)
{
	const struct task_spec *ts = ctx;

	return revoked_fn && !cap_id_none(ts->cap_id) ?
	       revoked_fn(ts->cap_id, revoked_arg) : 0;
}

int executor_init(const char *name, char *err, size_t errlen)
{
	if (!name || !strcmp(name, "auto") || !strcmp(name, "user")) {
		engine = "user";
		return 0;
	}
	snprintf(err, errlen, "engine %s: only the embedded engine (user) is implemented in synapsed",
		 name);
	return -1;
}

const char *executor_engine(void)
{
	return engine;
}

static void params_of(const struct task_spec *t, struct svm_task_params *p)
{
	memset(p, 0, sizeof(*p));
	p->entry = t->entry;
	p->input = t->input;
	p->input_len = t->input_len;
	memcpy(p->cap_id, t->cap_id, sizeof(p->cap_id));
	p->meter = true;
	svm_task_default_limits(&p->lim);
	if (t->fuel)
		p->lim.fuel = t->fuel;
	if (t->checkpoint_every)
		p->lim.checkpoint_every = t->checkpoint_every;
	if (t->memory)
		p->lim.max_pages = t->memory;
}

void executor_limits(uint64_t fuel, uint32_t memory, uint64_t *task_fuel,
		     uint64_t *task_pages)
{
	struct svm_task_limits lim;

	svm_task_default_limits(&lim);
	*task_fuel = fuel ? fuel : lim.fuel;
	*task_pages = memory ? memory : lim.max_pages;
}

int executor_input_hash(struct task_spec *t)
{
	struct svm_task_params p;

	params_of(t, &p);
	return svm_task_input_hash(t->module_id, &p, t->input_hash) ? -1 : 0;
}

struct exec_run {
	struct task_spec spec;		/* copy: the engine keeps pointers to it */
	struct svm_task_host host;
	struct svm_module *m;
	struct svm_task *task;
	bool replay;			/* restored from a checkpoint */
	bool faulted;			/* the state fault hit this pass */
};

struct exec_run *executor_start(const struct task_spec *t, const uint8_t *mod,
				size_t modlen, char *err, size_t errlen)
{
	struct svm_config cfg = { .meter = true };
	struct svm_task_params p;
	struct exec_run *r;
	struct svm_error e;

	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	memset(&e, 0, sizeof(e));
	r->spec = *t;
	r->spec.input = NULL;		/* the engine copies the input */
	r->host.cap_check = cap_check;
	r->host.ctx = &r->spec;
	params_of(t, &p);
	p.entry = r->spec.entry;
	r->m = svm_module_load(mod, modlen, &cfg, &e);
	if (!r->m) {
		snprintf(err, errlen, "module load: %s", e.msg);
		free(r);
		return NULL;
	}
	r->task = svm_task_create(r->m, &p, &r->host, &e);
	if (!r->task) {
		snprintf(err, errlen, "instantiate: %s", e.msg);
		svm_module_free(r->m);
		free(r);
		return NULL;
	}
	return r;
}

/*
 * The corrupt-state fault: flip a byte of linear memory (marked dirty so
 * the memory root sees it), the way a bad DIMM or an engine bug would.
 * Address 0 is never used by C programs, so the task still runs to its
 * end: only the state digests, hence the trace hash, differ.
 */
static void corrupt_state(struct exec_run *r)
{
	struct svm_task *t = r->task;
	struct svm_memory *mem = t->inst ? t->inst->mem : NULL;

	r->faulted = true;
	if (!mem || !mem->pages || !t->have_mt)
		return;
	mem->data[0] ^= 0x5a;
	svm_memtrack_dirty(&t->mt, 0, 1);
	log_warn("fault: task %s: corrupted engine state at fuel %llu", r->spec.id,
		 (unsigned long long)svm_task_fuel_used(t));
}

int executor_step(struct exec_run *r, uint64_t budget)
{
	uint64_t at, used = svm_task_fuel_used(r->task);
	int ret;

	if (r->faulted || !fault_state_at(r->replay, &at))
		return svm_task_run(r->task, budget) == SVM_RUN_YIELD ? 0 : 1;
	/* stop at the fault's fuel position, then corrupt */
	if (used < at && (!budget || budget > at - used))
		budget = at - used;
	ret = svm_task_run(r->task, budget) == SVM_RUN_YIELD ? 0 : 1;
	if (!ret && svm_task_fuel_used(r->task) >= at)
		corrupt_state(r);
	return ret;
}

int executor_checkpoints(struct exec_run *r, const uint8_t (**digests)[HASH_LEN],
			 const uint64_t **fuel, uint64_t *n)
{
	*digests = (const uint8_t (*)[HASH_LEN])r->task->digests;
	*fuel = r->task->cp_fuel;
	*n = r->task->ndigests;
	return 0;
}

uint32_t executor_kept(struct exec_run *r, uint64_t *seqs, uint32_t max)
{
	return svm_task_kept(r->task, seqs, max);
}

int executor_restore(struct exec_run *r, uint64_t seq, uint64_t *fuel)
{
	if (svm_task_restore(r->task, seq))
		return -1;
	r->replay = true;
	r->faulted = false;
	*fuel = svm_task_fuel_used(r->task);
	return 0;
}

void executor_set_replay(struct exec_run *r)
{
	r->replay = true;
}

void executor_stop(struct exec_run *r, int status)
{
	svm_task_stop(r->task, status);
}

void executor_abort(struct exec_run *r)
{
	if (!r)
		return;
	svm_task_free(r->task);
	svm_module_free(r->m);
	free(r);
}

int executor_finish(struct exec_run *r, struct exec_result *res)
{
	int ret = executor_result(r, res);

	executor_abort(r);
	return ret;
}

int executor_result(struct exec_run *r, struct exec_result *res)
{
	struct svm_task *task = r->task;

	memset(res, 0, sizeof(*res));
	res->status = svm_task_status(task);
	res->code = svm_task_code(task);
	res->fuel_used = svm_task_fuel_used(task);
	memcpy(res->trace, task->trace_hash, HASH_LEN);
	memcpy(res->output, task->output_hash, HASH_LEN);
	fault_apply_output(res->output);
	res->out_len = task->out_len;
	res->out = malloc(res->out_len + 1);
	if (res->out)
		memcpy(res->out, task->out, res->out_len);
	return res->out ? 0 : -1;
}

int executor_run(const struct task_spec *t, const uint8_t *mod, size_t modlen,
		 struct exec_result *res, char *err, size_t errlen)
{
	struct exec_run *r = executor_start(t, mod, modlen, err, errlen);

	if (!r)
		return -1;
	while (!executor_step(r, 0))
		;
	return executor_finish(r, res);
}

void exec_result_free(struct exec_result *r)
{
	free(r->out);
	r->out = NULL;
}
