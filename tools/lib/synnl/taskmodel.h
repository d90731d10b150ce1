/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Modules and tasks: the in-memory model of the kernel's replies and
 * events (SYNAPSE_CMD_MODULE_*, SYNAPSE_CMD_TASK_*), their parsers and
 * their printers (human text and JSON), like model.h and output.h.
 */
#ifndef SYNCTL_TASKMODEL_H
#define SYNCTL_TASKMODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>
#include <linux/netlink.h>

#include "uapi/synapse.h"

struct synctl_module {
	bool has_id;
	uint8_t id[SYNAPSE_HASH_LEN];
	uint64_t size;
	uint32_t users, funcs, exports;
	bool existed;
};

struct synctl_task {
	bool has_id;
	uint8_t cmd;			/* TASK_GET or TASK_DONE (event) */
	uint64_t id, job_id, job_task_id, fuel_used;
	uint32_t status;
	int32_t code;
	char entry[SYNAPSE_TASK_ENTRY_MAX + 1];
	uint8_t module_id[SYNAPSE_HASH_LEN];
	uint8_t input_hash[SYNAPSE_HASH_LEN];
	uint8_t trace_hash[SYNAPSE_HASH_LEN];
	uint8_t output_hash[SYNAPSE_HASH_LEN];
	bool done;			/* trace/output hashes present */
	uint64_t output_len, checkpoints;
	bool is_replay, replayable;
	uint64_t replay_of, replay_seq;
	uint64_t exec_ns;
	uint32_t nresults;
	uint64_t results[16];
};

struct synctl_checkpoint {
	uint64_t seq;
	uint8_t digest[SYNAPSE_HASH_LEN];
	bool kept;
	bool has_fuel;			/* synapse.ko before CP_FUEL has none */
	uint64_t fuel;			/* fuel used when it was taken */
};

/* A growing array the dump parsers append to. */
struct synctl_list {
	void *items;
	size_t n, cap, size;		/* size: bytes of one item */
};

struct synctl_output_chunk {
	uint64_t total;
	const uint8_t *data;		/* points into the reply buffer */
	uint32_t len;
	bool has_total, has_data;
};

int model_parse_module(const struct nlmsghdr *nlh, void *ctx);
int model_parse_module_list(const struct nlmsghdr *nlh, void *ctx);
int model_parse_task(const struct nlmsghdr *nlh, void *ctx);
int model_parse_task_list(const struct nlmsghdr *nlh, void *ctx);
int model_parse_checkpoint_list(const struct nlmsghdr *nlh, void *ctx);
/* The caller consumes data before the next receive. */
int model_parse_output(const struct nlmsghdr *nlh, void *ctx);
void list_reset(void *ctx);
void list_free(struct synctl_list *l);

const char *task_status_name(uint32_t status);
int parse_hex_id(const char *s, uint8_t id[SYNAPSE_HASH_LEN]);

void module_print(FILE *f, const struct synctl_module *m, bool header);
json_t *module_to_json(const struct synctl_module *m);
void task_print(FILE *f, const struct synctl_task *t);
void task_print_row(FILE *f, const struct synctl_task *t, bool header);
json_t *task_to_json(const struct synctl_task *t);
json_t *checkpoint_to_json(const struct synctl_checkpoint *c);

/*
 * Requests shared by synctl and synapsed's kernel engine (agent/exec/kengine.c):
 * the checkpoint list of a finished task (l->items: struct
 * synctl_checkpoint, l->size set by the callee; list_free() it), and a
 * replay of a finished task from kept checkpoint seq (the new task's id).
 * Both return 0 or a negative errno (ipc_last_extack() says more).
 */
struct ipc;
int synnl_task_checkpoints(struct ipc *ipc, uint64_t id, struct synctl_list *l);
int synnl_task_replay(struct ipc *ipc, uint64_t id, uint64_t seq,
		      uint64_t *new_id);

/* module.c: shared with task.c (start from a .wasm file) */
uint8_t *synctl_read_file(const char *path, size_t *len);
int synctl_module_add(struct ipc *ipc, const char *path,
		      struct synctl_module *m);

#endif /* SYNCTL_TASKMODEL_H */
