// SPDX-License-Identifier: GPL-2.0
/* Task execution on the embedded engine (see executor.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmod/vm/task.h"
#include "uapi/synapse_abi.h"
#include "agent/executor.h"
#include "agent/fault.h"

static const char *engine = "user";

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
	p->cap_id = t->cap_id;
	p->meter = true;
	svm_task_default_limits(&p->lim);
	if (t->fuel)
		p->lim.fuel = t->fuel;
}

int executor_input_hash(struct task_spec *t)
{
	struct svm_task_params p;

	params_of(t, &p);
	return svm_task_input_hash(t->module_id, &p, t->input_hash) ? -1 : 0;
}

int executor_run(const struct task_spec *t, const uint8_t *mod, size_t modlen,
		 struct exec_result *r, char *err, size_t errlen)
{
	struct svm_config cfg = { .meter = true };
	struct svm_task_params p;
	struct svm_error e;
	struct svm_module *m;
	struct svm_task *task;

	memset(r, 0, sizeof(*r));
	memset(&e, 0, sizeof(e));
	params_of(t, &p);
	m = svm_module_load(mod, modlen, &cfg, &e);
	if (!m) {
		snprintf(err, errlen, "module load: %s", e.msg);
		return -1;
	}
	task = svm_task_create(m, &p, NULL, &e);
	if (!task) {
		snprintf(err, errlen, "instantiate: %s", e.msg);
		svm_module_free(m);
		return -1;
	}
	while (svm_task_run(task, 0) == SVM_RUN_YIELD)
		;
	r->status = svm_task_status(task);
	r->code = svm_task_code(task);
	r->fuel_used = svm_task_fuel_used(task);
	memcpy(r->trace, task->trace_hash, HASH_LEN);
	memcpy(r->output, task->output_hash, HASH_LEN);
	fault_apply_output(r->output);
	r->out_len = task->out_len;
	r->out = malloc(r->out_len + 1);
	if (r->out)
		memcpy(r->out, task->out, r->out_len);
	svm_task_free(task);
	svm_module_free(m);
	return r->out ? 0 : -1;
}

void exec_result_free(struct exec_result *r)
{
	free(r->out);
	r->out = NULL;
}
