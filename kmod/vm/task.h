/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * task.h - a Synapse task: one module instance running one entry function
 * under the host ABI of uapi/synapse_abi.h, with the hashes and
 * checkpoints of the hash contract v1 (Documentation/hashes.md).
 *
 *   t = svm_task_create(mod, &params, &host, &err);
 *   while (svm_task_run(t, budget) == SVM_RUN_YIELD)
 *           (kill / revoke checks; svm_task_stop() to end early)
 *   svm_task_status(t) ... t->trace_hash, t->output_hash
 *
 * The module must have been loaded with cfg.meter == params.meter.
 */
#ifndef SYNAPSE_VM_TASK_H
#define SYNAPSE_VM_TASK_H

#include "svm.h"
#include "memtrack.h"

struct svm_task_limits {
	uint64_t fuel;			/* fuel limit */
	uint32_t max_pages;		/* linear memory, 64 KiB pages */
	uint32_t max_table;		/* entries per table */
	uint32_t stack_slots;		/* value stack, 8-byte slots */
	uint32_t max_frames;		/* call depth */
	uint32_t max_output;		/* output bytes */
	uint64_t checkpoint_every;	/* fuel between checkpoints, 0: none */
	uint32_t keep;			/* restorable checkpoints (K) */
};

/* Documented defaults (Documentation/determinism.md). */
#define SVM_DEFAULT_FUEL	10000000000ull
#define SVM_DEFAULT_PAGES	1024u		/* 64 MiB */
#define SVM_DEFAULT_TABLE	65536u
#define SVM_DEFAULT_SLOTS	(1u << 20)	/* 8 MiB value stack */
#define SVM_DEFAULT_FRAMES	10000u
#define SVM_DEFAULT_OUTPUT	(1u << 20)
#define SVM_DEFAULT_CP_EVERY	100000000ull
#define SVM_DEFAULT_KEEP	8u
#define SVM_MAX_ARGS		16u

/* Where the capability is being checked. */
#define SVM_CAP_START		0
#define SVM_CAP_CALL		1
#define SVM_CAP_CHECKPOINT	2

struct svm_task;

struct svm_task_host {
	/* 0: the capability holds; non-zero: revoked. NULL: always holds. */
	int (*cap_check)(void *ctx, struct svm_task *t, int where, int32_t op);
	void *ctx;
};

struct svm_task_params {
	const char *entry;		/* exported function, default "run" */
	const uint8_t *input;
	size_t input_len;
	uint8_t cap_id[SVM_SHA256_LEN];	/* all zero: no capability */
	struct svm_task_limits lim;
	bool meter;			/* fuel, trace and checkpoints */
	uint32_t nargs;
	uint8_t arg_types[SVM_MAX_ARGS];
	uint64_t args[SVM_MAX_ARGS];
};

/* Engine state at one kept checkpoint (memory lives in memtrack). */
struct svm_snap {
	uint64_t seq;
	uint64_t fuel_used, next_cp;
	uint8_t trace[SVM_SHA256_LEN];	/* t_seq */
	uint64_t out_len;
	union svm_cell *ip;
	struct svm_funcinst *fn;
	uint64_t fp_off;
	uint32_t nframes;
	struct svm_frame *frames;
	uint64_t *stack;
	uint64_t nstack;
	uint64_t *globals;
	uint32_t *table_sizes;
	uint64_t **tables;
	uint8_t *elem_dropped, *data_dropped;
	uint32_t pages;
};

struct svm_task {
	const struct svm_module *mod;
	struct svm_task_params p;
	struct svm_task_host host;
	uint8_t *input;
	struct svm_store store;
	struct svm_exec ex;
	struct svm_instance *inst;
	struct svm_funcinst *entry;
	struct svm_memtrack mt;
	bool have_mt;
	bool in_start;			/* ex runs the start function */
	bool done;

	uint8_t *out;
	uint64_t out_len, out_cap;

	/* host calls since the last checkpoint, canonically encoded */
	uint8_t *calls;
	size_t calls_len, calls_cap;
	uint32_t ncalls;

	uint64_t seq;			/* last checkpoint taken */
	uint8_t trace[SVM_SHA256_LEN];	/* t_seq */
	uint8_t (*digests)[SVM_SHA256_LEN];	/* every checkpoint's state digest */
	uint64_t *cp_fuel;		/* and the fuel used when it was taken */
	uint64_t ndigests, cdigests;
	struct svm_snap *snaps;		/* ring of the last K */
	uint32_t nsnaps;
	int err;			/* internal failure (ENOMEM...) */

	uint8_t input_hash[SVM_SHA256_LEN];
	uint8_t trace_hash[SVM_SHA256_LEN];	/* final, once done */
	uint8_t output_hash[SVM_SHA256_LEN];
	uint32_t nresults;
	uint64_t results[SVM_MAX_ARGS];
	uint32_t nresults_host;		/* of the host call at a checkpoint */
};

void svm_task_default_limits(struct svm_task_limits *lim);
struct svm_task *svm_task_create(const struct svm_module *m,
				 const struct svm_task_params *p,
				 const struct svm_task_host *host,
				 struct svm_error *err);
/* SVM_RUN_DONE or SVM_RUN_YIELD; budget 0 runs to the end. */
int svm_task_run(struct svm_task *t, uint64_t budget);
/* End a running task from outside (KILLED, REVOKED) at a slice boundary. */
void svm_task_stop(struct svm_task *t, int status);
void svm_task_free(struct svm_task *t);

static inline int svm_task_status(const struct svm_task *t) { return t->ex.status; }
static inline int svm_task_code(const struct svm_task *t) { return t->ex.code; }
static inline uint64_t svm_task_fuel_used(const struct svm_task *t)
{
	return t->ex.fuel_used;
}

/* Seq numbers of the kept checkpoints, oldest first; returns how many. */
uint32_t svm_task_kept(const struct svm_task *t, uint64_t *seqs, uint32_t max);
/* Roll back to kept checkpoint seq; svm_task_run() then replays. */
int svm_task_restore(struct svm_task *t, uint64_t seq);

/* Hash helpers, also used by tests and tools. */
int svm_task_input_hash(const uint8_t module_id[SVM_SHA256_LEN],
			const struct svm_task_params *p,
			uint8_t out[SVM_SHA256_LEN]);

#endif /* SYNAPSE_VM_TASK_H */
