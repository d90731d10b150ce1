/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SYNAGENT_EXECUTOR_H
#define SYNAGENT_EXECUTOR_H

/*
 * Runs one task of a job. Engines: "user" is the embedded engine
 * (build/libsynvm.a, the same kmod/vm sources as synapse.ko, so the same
 * hashes). "kernel" would drive synapse.ko over generic netlink; this
 * agent does not implement that path yet, so --engine=kernel is refused
 * and "auto" means "user" (Documentation/cluster.md says so).
 */
#include <stddef.h>
#include <stdint.h>

#include "agent/jobspec.h"

struct task_spec {
	char id[TASK_ID_MAX + 1];
	uint8_t module_id[HASH_LEN];
	char entry[64];
	uint8_t *input;
	size_t input_len;
	uint64_t fuel;
	uint64_t cap_id;
	uint8_t input_hash[HASH_LEN];	/* filled by executor_input_hash() */
};

struct exec_result {
	uint32_t status;
	int32_t code;
	uint64_t fuel_used;
	uint8_t trace[HASH_LEN];
	uint8_t output[HASH_LEN];
	uint8_t *out;		/* malloc'd output bytes */
	size_t out_len;
};

int executor_init(const char *engine, char *err, size_t errlen);
const char *executor_engine(void);
int executor_input_hash(struct task_spec *t);
/* Runs t on module bytes (already checked against t->module_id). */
int executor_run(const struct task_spec *t, const uint8_t *mod, size_t modlen,
		 struct exec_result *r, char *err, size_t errlen);
void exec_result_free(struct exec_result *r);

#endif
