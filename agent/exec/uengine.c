// SPDX-License-Identifier: GPL-2.0
/* The embedded engine backend: libsynvm in the agent's own process. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmod/vm/task.h"
#include "agent/exec/executor.h"
#include "agent/cluster/fault.h"
#include "agent/log.h"

struct user_run {
	struct exec_run run;
	struct task_spec spec;		/* copy: the engine keeps pointers to it */
	struct svm_task_host host;
	struct svm_module *m;
	struct svm_task *task;
	bool replay;			/* restored from a checkpoint */
	bool faulted;			/* the state fault hit this pass */
};

static struct user_run *to_user(struct exec_run *r)
{
	return (struct user_run *)r;
}

static int cap_check(void *ctx, struct svm_task *t, int where, int32_t op)
{
	const struct task_spec *ts = ctx;

	return executor_revoked(ts->cap_id);
}

static struct exec_run *user_start(const struct task_spec *t, const uint8_t *mod,
				   size_t modlen, char *err, size_t errlen)
{
	struct svm_config cfg = { .meter = true };
	struct svm_task_params p;
	struct user_run *u;
	struct svm_error e;

	u = calloc(1, sizeof(*u));
	if (!u) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memset(&e, 0, sizeof(e));
	u->run.engine = &exec_engine_user;
	u->spec = *t;
	u->spec.input = NULL;		/* the engine copies the input */
	u->host.cap_check = cap_check;
	u->host.ctx = &u->spec;
	executor_params(t, &p);
	p.entry = u->spec.entry;
	u->m = svm_module_load(mod, modlen, &cfg, &e);
	if (!u->m) {
		snprintf(err, errlen, "module load: %s", e.msg);
		goto free_run;
	}
	u->task = svm_task_create(u->m, &p, &u->host, &e);
	if (!u->task) {
		snprintf(err, errlen, "instantiate: %s", e.msg);
		goto free_module;
	}
	return &u->run;
free_module:
	svm_module_free(u->m);
free_run:
	free(u);
	return NULL;
}

/*
 * The corrupt-state fault: flip a byte of linear memory (marked dirty so
 * the memory root sees it), the way a bad DIMM or an engine bug would.
 * Address 0 is never used by C programs, so the task still runs to its
 * end: only the state digests, hence the trace hash, differ.
 */
static void corrupt_state(struct user_run *u)
{
	struct svm_task *t = u->task;
	struct svm_memory *mem = t->inst ? t->inst->mem : NULL;

	u->faulted = true;
	if (!mem || !mem->pages || !t->have_mt)
		return;
	mem->data[0] ^= 0x5a;
	svm_memtrack_dirty(&t->mt, 0, 1);
	log_warn("fault: task %s: corrupted engine state at fuel %llu", u->spec.id,
		 (unsigned long long)svm_task_fuel_used(t));
}

static int user_step(struct exec_run *r, uint64_t budget)
{
	struct user_run *u = to_user(r);
	uint64_t at, used = svm_task_fuel_used(u->task);
	int ret;

	if (u->faulted || !fault_state_at(u->replay, &at))
		return svm_task_run(u->task, budget) == SVM_RUN_YIELD ?
		       EXEC_YIELD : EXEC_DONE;
	/* stop at the fault's fuel position, then corrupt */
	if (used < at && (!budget || budget > at - used))
		budget = at - used;
	ret = svm_task_run(u->task, budget) == SVM_RUN_YIELD ? EXEC_YIELD : EXEC_DONE;
	if (ret == EXEC_YIELD && svm_task_fuel_used(u->task) >= at)
		corrupt_state(u);
	return ret;
}

static int user_checkpoints(struct exec_run *r, const uint8_t (**digests)[HASH_LEN],
			    const uint64_t **fuel, uint64_t *n)
{
	struct svm_task *t = to_user(r)->task;

	*digests = (const uint8_t (*)[HASH_LEN])t->digests;
	*fuel = t->cp_fuel;
	*n = t->ndigests;
	return 0;
}

static uint32_t user_kept(struct exec_run *r, uint64_t *seqs, uint32_t max)
{
	return svm_task_kept(to_user(r)->task, seqs, max);
}

static int user_restore(struct exec_run *r, uint64_t seq, uint64_t *fuel)
{
	struct user_run *u = to_user(r);

	if (svm_task_restore(u->task, seq))
		return -1;
	u->replay = true;
	u->faulted = false;
	*fuel = svm_task_fuel_used(u->task);
	return 0;
}

static void user_set_replay(struct exec_run *r)
{
	to_user(r)->replay = true;
}

static void user_stop(struct exec_run *r, int status)
{
	svm_task_stop(to_user(r)->task, status);
}

static void user_abort(struct exec_run *r)
{
	struct user_run *u = to_user(r);

	svm_task_free(u->task);
	svm_module_free(u->m);
	free(u);
}

static int user_result(struct exec_run *r, struct exec_result *res)
{
	struct svm_task *task = to_user(r)->task;

	res->status = svm_task_status(task);
	res->code = svm_task_code(task);
	res->fuel_used = svm_task_fuel_used(task);
	memcpy(res->trace, task->trace_hash, HASH_LEN);
	memcpy(res->output, task->output_hash, HASH_LEN);
	res->out_len = task->out_len;
	res->out = malloc(res->out_len + 1);
	if (res->out && res->out_len)	/* no output: task->out may be NULL */
		memcpy(res->out, task->out, res->out_len);
	return res->out ? 0 : -1;
}

const struct exec_engine exec_engine_user = {
	.name = "user",
	.start = user_start,
	.step = user_step,
	.stop = user_stop,
	.result = user_result,
	.abort = user_abort,
	.checkpoints = user_checkpoints,
	.kept = user_kept,
	.restore = user_restore,
	.set_replay = user_set_replay,
};
