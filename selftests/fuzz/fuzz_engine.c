// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: decode + validate + compile a module, then run its
 * first exported function that takes no arguments (or "run") as a task
 * with small limits and bounded fuel. Three oracles beyond the sanitizers:
 *   - the same task run in slices of 7 fuel ends with identical hashes;
 *   - restoring the oldest kept checkpoint and replaying ends with
 *     identical hashes;
 *   - the unmetered engine returns the same status and results when the
 *     metered run ended OK.
 * Any mismatch aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kmod/vm/svm.h"
#include "kmod/vm/task.h"
#include "uapi/synapse_abi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *pick_entry(const struct svm_module *m)
{
	static char name[64];
	uint32_t i;

	for (i = 0; i < m->nexports; i++) {
		const struct svm_export *e = &m->exports[i];
		const struct svm_functype *t;

		if (e->kind != SVM_EXT_FUNC || e->nlen >= sizeof(name) ||
		    memchr(e->name, 0, e->nlen))
			continue;
		t = &m->types[m->func_types[e->idx]];
		if (t->nparams)
			continue;
		memcpy(name, e->name, e->nlen);
		name[e->nlen] = 0;
		return name;
	}
	return NULL;
}

struct result {
	int status, code;
	uint64_t fuel;
	uint8_t trace[32], output[32];
	uint32_t nresults;
	uint64_t results[SVM_MAX_ARGS];
};

static struct svm_task *start(const struct svm_module *m, const char *entry,
			      bool meter)
{
	struct svm_task_params p;
	struct svm_error err;

	memset(&p, 0, sizeof(p));
	svm_task_default_limits(&p.lim);
	p.entry = entry;
	p.meter = meter;
	p.input = (const uint8_t *)"fuzz input";
	p.input_len = 10;
	p.lim.fuel = 200000;
	p.lim.max_pages = 32;
	p.lim.max_table = 4096;
	p.lim.stack_slots = 1u << 16;
	p.lim.max_frames = 500;
	p.lim.max_output = 1u << 16;
	p.lim.checkpoint_every = 5000;
	p.lim.keep = 3;
	return svm_task_create(m, &p, NULL, &err);
}

static void capture(const struct svm_task *t, struct result *r)
{
	memset(r, 0, sizeof(*r));
	r->status = svm_task_status(t);
	r->code = svm_task_code(t);
	r->fuel = svm_task_fuel_used(t);
	memcpy(r->trace, t->trace_hash, 32);
	memcpy(r->output, t->output_hash, 32);
	r->nresults = t->nresults;
	memcpy(r->results, t->results, sizeof(r->results));
}

static bool same(const struct result *a, const struct result *b)
{
	return a->status == b->status && a->code == b->code &&
	       a->fuel == b->fuel && !memcmp(a->trace, b->trace, 32) &&
	       !memcmp(a->output, b->output, 32);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct svm_config cfg = { .meter = true }, ucfg = { .meter = false };
	struct svm_module *m, *u;
	struct svm_task *t;
	struct svm_error err;
	struct result a, b;
	const char *entry;
	uint64_t seqs[8];
	int guard = 0;

	m = svm_module_load(data, size, &cfg, &err);
	if (!m)
		return 0;
	entry = pick_entry(m);
	if (!entry)
		goto out_free_module;

	t = start(m, entry, true);
	if (!t)
		goto out_free_module;
	svm_task_run(t, 0);
	capture(t, &a);
	if (svm_task_kept(t, seqs, 8) && !svm_task_restore(t, seqs[0])) {
		svm_task_run(t, 0);
		capture(t, &b);
		if (!same(&a, &b))
			abort();
	}
	svm_task_free(t);

	t = start(m, entry, true);
	if (!t)
		abort();
	while (svm_task_run(t, 7) == SVM_RUN_YIELD && guard++ < 1000000)
		;
	capture(t, &b);
	svm_task_free(t);
	if (!same(&a, &b))
		abort();

	if (a.status == SYNAPSE_STATUS_OK) {
		u = svm_module_load(data, size, &ucfg, &err);
		if (!u)
			abort();
		t = start(u, entry, false);
		if (t) {
			/* unmetered: no fuel bound, so only short runs compare */
			svm_task_run(t, 0);
			capture(t, &b);
			if (b.status != a.status ||
			    memcmp(b.results, a.results, sizeof(a.results)))
				abort();
			svm_task_free(t);
		}
		svm_module_free(u);
	}
out_free_module:
	svm_module_free(m);
	return 0;
}
