/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SYNAGENT_EXECUTOR_H
#define SYNAGENT_EXECUTOR_H

/*
 * Runs one task of a job on an engine. Two backends:
 *   "user"   the embedded engine (build/libsynvm.a, the same kmod/vm
 *            sources as synapse.ko, so the same hashes), agent/exec/uengine.c;
 *   "kernel" synapse.ko driven over generic netlink, agent/kengine.c.
 * "auto" picks kernel when synapse.ko answers GET_INFO, user otherwise.
 * job.c sees only the calls below and does not care which engine runs.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/cluster/jobspec.h"

struct event_base;
struct svm_task_params;

struct task_spec {
	char id[TASK_ID_MAX + 1];
	uint8_t module_id[HASH_LEN];
	char entry[64];
	uint8_t *input;
	size_t input_len;
	uint64_t fuel;
	uint32_t memory;		/* max_pages; 0: the default */
	uint8_t cap_id[HASH_LEN];	/* capability id; all zero: none */
	uint64_t checkpoint_every;	/* fuel between checkpoints, 0: default */
	uint8_t input_hash[HASH_LEN];	/* filled by executor_input_hash() */
	/* the bytes as blobs (Documentation/cluster.md "Blobs") */
	uint64_t module_size;
	uint8_t input_id[HASH_LEN];	/* SHA-256 of the input bytes */
	uint64_t input_size;
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

/* What executor_step() says about a run. */
enum exec_step {
	EXEC_YIELD = 0,		/* ran its budget: call again */
	EXEC_DONE = 1,		/* ended: call executor_finish() */
	EXEC_WAIT = 2,		/* runs elsewhere (kernel): the wake callback
				 * fires when it ends, then step says DONE */
};

/* Every backend's run starts with this (container_of to the backend's). */
struct exec_run {
	const struct exec_engine *engine;
};

struct exec_engine {
	const char *name;
	/* 0 when the engine can run here; err says why not otherwise. */
	int (*init)(struct event_base *base, char *err, size_t errlen);
	void (*exit)(void);
	struct exec_run *(*start)(const struct task_spec *t, const uint8_t *mod,
				  size_t modlen, char *err, size_t errlen);
	int (*step)(struct exec_run *r, uint64_t budget);
	/* waits up to ms for a run that said EXEC_WAIT (may be NULL) */
	void (*wait)(struct exec_run *r, int ms);
	void (*stop)(struct exec_run *r, int status);
	/* fills res from an ended run and keeps it */
	int (*result)(struct exec_run *r, struct exec_result *res);
	void (*abort)(struct exec_run *r);
	/* rollback and replay (may be NULL: the engine cannot) */
	int (*checkpoints)(struct exec_run *r, const uint8_t (**digests)[HASH_LEN],
			   const uint64_t **fuel, uint64_t *n);
	uint32_t (*kept)(struct exec_run *r, uint64_t *seqs, uint32_t max);
	int (*restore)(struct exec_run *r, uint64_t seq, uint64_t *fuel);
	void (*set_replay)(struct exec_run *r);
};

extern const struct exec_engine exec_engine_user;
extern const struct exec_engine exec_engine_kernel;

/*
 * Capability check, asked by the engine at task start, at every cap_check
 * host call and at every checkpoint: non-zero = revoked, and the task ends
 * with SYNAPSE_STATUS_REVOKED there. NULL: capabilities always hold.
 * (The kernel engine asks its own eBPF checkpoint instead; the agent stops
 * a revoked task at its next slice boundary on either engine.)
 */
void executor_set_revoked(int (*fn)(const uint8_t cap_id[HASH_LEN], void *arg),
			  void *arg);
int executor_revoked(const uint8_t cap_id[HASH_LEN]);
/* True for the all-zero id: the task runs under no capability. */
bool cap_id_none(const uint8_t cap_id[HASH_LEN]);
/*
 * engine: "user", "kernel" or "auto" (NULL = auto). base: the agent's
 * event loop (the kernel engine listens for completion events on it).
 * wake: called from the loop when a run that said EXEC_WAIT has ended.
 */
int executor_init(const char *engine, struct event_base *base,
		  void (*wake)(void *arg), void *arg, char *err, size_t errlen);
void executor_exit(void);
void executor_wake(void);
#define EXEC_MAX_PAGES	65536u	/* 64 KiB pages: Wasm's own bound */
/* The limits a task of a job with this fuel and memory (0: default) gets. */
void executor_limits(uint64_t fuel, uint32_t memory, uint64_t *task_fuel,
		     uint64_t *task_pages);
const char *executor_engine(void);
int executor_input_hash(struct task_spec *t);
/* The engine parameters of a task, the same on every engine. */
void executor_params(const struct task_spec *t, struct svm_task_params *p);
/*
 * A task run in slices, so the agent's loop (leases, control socket) keeps
 * turning while a long task runs: start, step until it returns EXEC_DONE,
 * finish. A budget of 0 runs (or waits for) the task to its end.
 */
struct exec_run *executor_start(const struct task_spec *t, const uint8_t *mod,
				size_t modlen, char *err, size_t errlen);
/* Runs up to budget fuel: enum exec_step. */
int executor_step(struct exec_run *r, uint64_t budget);
/* Ends a running task from outside (status: SYNAPSE_STATUS_REVOKED/KILLED). */
void executor_stop(struct exec_run *r, int status);
/* Waits up to ms for a run that said EXEC_WAIT (a no-op on the user engine). */
void executor_wait(struct exec_run *r, int ms);
/* Fills res from an ended task and frees r (also on failure). */
int executor_finish(struct exec_run *r, struct exec_result *res);
void executor_abort(struct exec_run *r);
/* Fills res from an ended task and keeps r (for a rollback later). */
int executor_result(struct exec_run *r, struct exec_result *res);

/*
 * Rollback and replay after a state mismatch (Documentation/cluster.md
 * "State mismatch"). The checkpoint digests of the trace chain and the
 * fuel at each, valid until r changes; the kept (restorable) checkpoints,
 * oldest first; rolling back to kept checkpoint seq (0, fuel there) so
 * that executor_step() replays from it, or -1 when it is not kept.
 * Both engines have them. On the kernel engine the ended task stays in
 * synapse.ko until executor_abort() (TASK_DEL), the list comes from
 * TASK_CHECKPOINTS and restore is TASK_REPLAY: the run then follows the
 * new kernel task (agent/exec/kengine.c).
 */
int executor_checkpoints(struct exec_run *r, const uint8_t (**digests)[HASH_LEN],
			 const uint64_t **fuel, uint64_t *n);
uint32_t executor_kept(struct exec_run *r, uint64_t *seqs, uint32_t max);
int executor_restore(struct exec_run *r, uint64_t seq, uint64_t *fuel);
/* Marks a fresh run as a replay (a transient fault does not recur). */
void executor_set_replay(struct exec_run *r);

/* Runs t on module bytes (already checked against t->module_id) to the end. */
int executor_run(const struct task_spec *t, const uint8_t *mod, size_t modlen,
		 struct exec_result *r, char *err, size_t errlen);
void exec_result_free(struct exec_result *r);

#endif
