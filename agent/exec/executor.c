// SPDX-License-Identifier: GPL-2.0
/*
 * Task execution: picks the engine and forwards to its backend (see
 * executor.h). What is the same on every engine lives here: the task
 * input hash and the fault-injection switch on the output hash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmod/vm/task.h"
#include "agent/exec/executor.h"
#include "agent/cluster/fault.h"
#include "agent/log.h"

static const struct exec_engine *engine = &exec_engine_user;
static int (*revoked_fn)(const uint8_t cap_id[HASH_LEN], void *arg);
static void *revoked_arg;
static void (*wake_fn)(void *arg);
static void *wake_arg;

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

int executor_revoked(const uint8_t cap_id[HASH_LEN])
{
	return revoked_fn && !cap_id_none(cap_id) ?
	       revoked_fn(cap_id, revoked_arg) : 0;
}

void executor_wake(void)
{
	if (wake_fn)
		wake_fn(wake_arg);
}

static int engine_init(const struct exec_engine *e, struct event_base *base,
		       char *err, size_t errlen)
{
	if (e->init && e->init(base, err, errlen))
		return -1;
	engine = e;
	return 0;
}

int executor_init(const char *name, struct event_base *base,
		  void (*wake)(void *arg), void *arg, char *err, size_t errlen)
{
	char why[256];

	wake_fn = wake;
	wake_arg = arg;
	if (name && !strcmp(name, "user"))
		return engine_init(&exec_engine_user, base, err, errlen);
	if (name && !strcmp(name, "kernel")) {
		if (!engine_init(&exec_engine_kernel, base, why, sizeof(why)))
			return 0;
		snprintf(err, errlen, "engine kernel: %s", why);
		return -1;
	}
	if (name && strcmp(name, "auto")) {
		snprintf(err, errlen, "engine %s: unknown (user, kernel or auto)", name);
		return -1;
	}
	if (!engine_init(&exec_engine_kernel, base, why, sizeof(why)))
		return 0;
	log_info("engine auto: kernel engine unavailable (%s); using the embedded engine",
		 why);
	return engine_init(&exec_engine_user, base, err, errlen);
}

/* The engine parameters of a task: the same for every engine. */
void executor_params(const struct task_spec *t, struct svm_task_params *p)
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

void executor_exit(void)
{
	if (engine->exit)
		engine->exit();
	engine = &exec_engine_user;
}

const char *executor_engine(void)
{
	return engine->name;
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

	executor_params(t, &p);
	return svm_task_input_hash(t->module_id, &p, t->input_hash) ? -1 : 0;
}

struct exec_run *executor_start(const struct task_spec *t, const uint8_t *mod,
				size_t modlen, char *err, size_t errlen)
{
	return engine->start(t, mod, modlen, err, errlen);
}

int executor_step(struct exec_run *r, uint64_t budget)
{
	return r->engine->step(r, budget);
}

void executor_stop(struct exec_run *r, int status)
{
	r->engine->stop(r, status);
}

void executor_abort(struct exec_run *r)
{
	if (r)
		r->engine->abort(r);
}

int executor_result(struct exec_run *r, struct exec_result *res)
{
	memset(res, 0, sizeof(*res));
	if (r->engine->result(r, res))
		return -1;
	fault_apply_output(res->output);
	return 0;
}

int executor_finish(struct exec_run *r, struct exec_result *res)
{
	int ret = executor_result(r, res);

	executor_abort(r);
	return ret;
}

void executor_wait(struct exec_run *r, int ms)
{
	if (r->engine->wait)
		r->engine->wait(r, ms);
}

int executor_checkpoints(struct exec_run *r, const uint8_t (**digests)[HASH_LEN],
			 const uint64_t **fuel, uint64_t *n)
{
	if (!r->engine->checkpoints)
		return -1;
	return r->engine->checkpoints(r, digests, fuel, n);
}

uint32_t executor_kept(struct exec_run *r, uint64_t *seqs, uint32_t max)
{
	return r->engine->kept ? r->engine->kept(r, seqs, max) : 0;
}

int executor_restore(struct exec_run *r, uint64_t seq, uint64_t *fuel)
{
	return r->engine->restore ? r->engine->restore(r, seq, fuel) : -1;
}

void executor_set_replay(struct exec_run *r)
{
	if (r->engine->set_replay)
		r->engine->set_replay(r);
}

int executor_run(const struct task_spec *t, const uint8_t *mod, size_t modlen,
		 struct exec_result *res, char *err, size_t errlen)
{
	struct exec_run *r = executor_start(t, mod, modlen, err, errlen);

	if (!r)
		return -1;
	while (executor_step(r, 0) != EXEC_DONE)
		;
	return executor_finish(r, res);
}

void exec_result_free(struct exec_result *r)
{
	free(r->out);
	r->out = NULL;
}
