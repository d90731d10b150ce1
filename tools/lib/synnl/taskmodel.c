// SPDX-License-Identifier: GPL-2.0
/* Parsers and printers for modules, tasks and checkpoints (taskmodel.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "tools/lib/synnl/ipc.h"
#include "tools/lib/synnl/output.h"
#include "tools/lib/synnl/taskmodel.h"
#include "uapi/synapse_abi.h"

#define GENL_OFF	sizeof(struct genlmsghdr)

static int get_cmd(const struct nlmsghdr *nlh, uint8_t *cmd)
{
	const struct genlmsghdr *g;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_OFF)
		return -EBADMSG;
	g = mnl_nlmsg_get_payload(nlh);
	*cmd = g->cmd;
	return 0;
}

static int attr_hash(const struct nlattr *a, uint8_t out[SYNAPSE_HASH_LEN])
{
	if (mnl_attr_get_payload_len(a) != SYNAPSE_HASH_LEN)
		return -EBADMSG;
	memcpy(out, mnl_attr_get_payload(a), SYNAPSE_HASH_LEN);
	return 0;
}

static int attr_u64(const struct nlattr *a, uint64_t *v)
{
	if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
		return -EBADMSG;
	*v = mnl_attr_get_u64(a);
	return 0;
}

static int attr_u32(const struct nlattr *a, uint32_t *v)
{
	if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return -EBADMSG;
	*v = mnl_attr_get_u32(a);
	return 0;
}

int model_parse_module(const struct nlmsghdr *nlh, void *ctx)
{
	struct synctl_module *m = ctx;
	const struct nlattr *a;
	uint8_t cmd;
	int ret = get_cmd(nlh, &cmd);

	if (ret)
		return ret;
	if (cmd != SYNAPSE_CMD_MODULE_ADD && cmd != SYNAPSE_CMD_MODULE_GET)
		return -EPROTO;
	memset(m, 0, sizeof(*m));
	ipc_attr_for_each(a, nlh, GENL_OFF) {
		switch (mnl_attr_get_type(a)) {
		case SYNAPSE_A_MODULE_ID:
			ret = attr_hash(a, m->id);
			m->has_id = !ret;
			break;
		case SYNAPSE_A_MODULE_SIZE:
			ret = attr_u64(a, &m->size);
			break;
		case SYNAPSE_A_MODULE_USERS:
			ret = attr_u32(a, &m->users);
			break;
		case SYNAPSE_A_MODULE_FUNCS:
			ret = attr_u32(a, &m->funcs);
			break;
		case SYNAPSE_A_MODULE_EXPORTS:
			ret = attr_u32(a, &m->exports);
			break;
		case SYNAPSE_A_MODULE_EXISTED:
			m->existed = true;
			break;
		}
		if (ret)
			return ret;
	}
	return m->has_id ? 0 : -EBADMSG;
}

static void *list_add(struct synctl_list *l)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		void *p = realloc(l->items, cap * l->size);

		if (!p)
			return NULL;
		l->items = p;
		l->cap = cap;
	}
	return (char *)l->items + l->n++ * l->size;
}

void list_reset(void *ctx)
{
	((struct synctl_list *)ctx)->n = 0;
}

void list_free(struct synctl_list *l)
{
	free(l->items);
	l->items = NULL;
	l->n = l->cap = 0;
}

int model_parse_module_list(const struct nlmsghdr *nlh, void *ctx)
{
	struct synctl_list *l = ctx;
	struct synctl_module m;
	void *slot;
	int ret = model_parse_module(nlh, &m);

	if (ret)
		return ret;
	slot = list_add(l);
	if (!slot)
		return -ENOMEM;
	memcpy(slot, &m, sizeof(m));
	return 0;
}

int model_parse_task(const struct nlmsghdr *nlh, void *ctx)
{
	struct synctl_task *t = ctx;
	const struct nlattr *a;
	uint32_t u32 = 0;
	uint8_t cmd;
	int ret = get_cmd(nlh, &cmd);

	if (ret)
		return ret;
	if (cmd != SYNAPSE_CMD_TASK_GET && cmd != SYNAPSE_CMD_TASK_DONE &&
	    cmd != SYNAPSE_CMD_TASK_START && cmd != SYNAPSE_CMD_TASK_REPLAY)
		return -EPROTO;
	memset(t, 0, sizeof(*t));
	t->cmd = cmd;
	ipc_attr_for_each(a, nlh, GENL_OFF) {
		switch (mnl_attr_get_type(a)) {
		case SYNAPSE_A_TASK_ID:
			ret = attr_u64(a, &t->id);
			t->has_id = !ret;
			break;
		case SYNAPSE_A_TASK_MODULE_ID:
			ret = attr_hash(a, t->module_id);
			break;
		case SYNAPSE_A_TASK_ENTRY:
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
				return -EBADMSG;
			snprintf(t->entry, sizeof(t->entry), "%s",
				 mnl_attr_get_str(a));
			break;
		case SYNAPSE_A_TASK_JOB_ID:
			ret = attr_u64(a, &t->job_id);
			break;
		case SYNAPSE_A_TASK_JOB_TASK_ID:
			ret = attr_u64(a, &t->job_task_id);
			break;
		case SYNAPSE_A_TASK_STATUS:
			ret = attr_u32(a, &t->status);
			break;
		case SYNAPSE_A_TASK_CODE:
			ret = attr_u32(a, &u32);
			t->code = (int32_t)u32;
			break;
		case SYNAPSE_A_TASK_FUEL_USED:
			ret = attr_u64(a, &t->fuel_used);
			break;
		case SYNAPSE_A_TASK_INPUT_HASH:
			ret = attr_hash(a, t->input_hash);
			break;
		case SYNAPSE_A_TASK_TRACE_HASH:
			ret = attr_hash(a, t->trace_hash);
			t->done = !ret;
			break;
		case SYNAPSE_A_TASK_OUTPUT_HASH:
			ret = attr_hash(a, t->output_hash);
			break;
		case SYNAPSE_A_TASK_OUTPUT_LEN:
			ret = attr_u64(a, &t->output_len);
			break;
		case SYNAPSE_A_TASK_CHECKPOINTS:
			ret = attr_u64(a, &t->checkpoints);
			break;
		case SYNAPSE_A_TASK_REPLAY_OF:
			ret = attr_u64(a, &t->replay_of);
			t->is_replay = true;
			break;
		case SYNAPSE_A_TASK_REPLAY_SEQ:
			ret = attr_u64(a, &t->replay_seq);
			break;
		case SYNAPSE_A_TASK_REPLAYABLE:
			t->replayable = true;
			break;
		case SYNAPSE_A_TASK_EXEC_NS:
			ret = attr_u64(a, &t->exec_ns);
			break;
		case SYNAPSE_A_TASK_RESULT:
			if (t->nresults == 16)
				return -EBADMSG;
			ret = attr_u64(a, &t->results[t->nresults++]);
			break;
		}
		if (ret)
			return ret;
	}
	return t->has_id ? 0 : -EBADMSG;
}

int model_parse_task_list(const struct nlmsghdr *nlh, void *ctx)
{
	struct synctl_list *l = ctx;
	struct synctl_task t;
	void *slot;
	int ret = model_parse_task(nlh, &t);

	if (ret)
		return ret;
	slot = list_add(l);
	if (!slot)
		return -ENOMEM;
	memcpy(slot, &t, sizeof(t));
	return 0;
}

int model_parse_checkpoint_list(const struct nlmsghdr *nlh, void *ctx)
{
	struct synctl_list *l = ctx;
	struct synctl_checkpoint c = { 0 };
	const struct nlattr *a;
	bool has_seq = false, has_digest = false;
	uint8_t cmd;
	void *slot;
	int ret = get_cmd(nlh, &cmd);

	if (ret)
		return ret;
	if (cmd != SYNAPSE_CMD_TASK_CHECKPOINTS)
		return -EPROTO;
	ipc_attr_for_each(a, nlh, GENL_OFF) {
		switch (mnl_attr_get_type(a)) {
		case SYNAPSE_A_TASK_CP_SEQ:
			ret = attr_u64(a, &c.seq);
			has_seq = !ret;
			break;
		case SYNAPSE_A_TASK_CP_DIGEST:
			ret = attr_hash(a, c.digest);
			has_digest = !ret;
			break;
		case SYNAPSE_A_TASK_CP_KEPT:
			c.kept = true;
			break;
		case SYNAPSE_A_TASK_CP_FUEL:
			ret = attr_u64(a, &c.fuel);
			c.has_fuel = !ret;
			break;
		}
		if (ret)
			return ret;
	}
	if (!has_seq || !has_digest)
		return -EBADMSG;
	slot = list_add(l);
	if (!slot)
		return -ENOMEM;
	memcpy(slot, &c, sizeof(c));
	return 0;
}

int model_parse_output(const struct nlmsghdr *nlh, void *ctx)
{
	struct synctl_output_chunk *o = ctx;
	const struct nlattr *a;
	uint8_t cmd;
	int ret = get_cmd(nlh, &cmd);

	if (ret)
		return ret;
	if (cmd != SYNAPSE_CMD_TASK_OUTPUT)
		return -EPROTO;
	ipc_attr_for_each(a, nlh, GENL_OFF) {
		switch (mnl_attr_get_type(a)) {
		case SYNAPSE_A_TASK_OUTPUT_LEN:
			ret = attr_u64(a, &o->total);
			o->has_total = !ret;
			break;
		case SYNAPSE_A_TASK_OUTPUT_DATA:
			o->data = mnl_attr_get_payload(a);
			o->len = mnl_attr_get_payload_len(a);
			o->has_data = true;
			break;
		}
		if (ret)
			return ret;
	}
	return o->has_total && o->has_data ? 0 : -EBADMSG;
}

const char *task_status_name(uint32_t status)
{
	switch (status) {
	case SYNAPSE_STATUS_OK: return "ok";
	case SYNAPSE_STATUS_TRAP: return "trap";
	case SYNAPSE_STATUS_FUEL_EXHAUSTED: return "fuel_exhausted";
	case SYNAPSE_STATUS_ABORTED: return "aborted";
	case SYNAPSE_STATUS_KILLED: return "killed";
	case SYNAPSE_STATUS_REVOKED: return "revoked";
	case SYNAPSE_STATUS_QUEUED: return "queued";
	case SYNAPSE_STATUS_RUNNING: return "running";
	default: return "unknown";
	}
}

int parse_hex_id(const char *s, uint8_t id[SYNAPSE_HASH_LEN])
{
	unsigned int i, v;

	if (strlen(s) != 2 * SYNAPSE_HASH_LEN)
		return -EINVAL;
	for (i = 0; i < SYNAPSE_HASH_LEN; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		id[i] = (uint8_t)v;
	}
	return 0;
}

static json_t *hex_json(const uint8_t h[SYNAPSE_HASH_LEN])
{
	char hex[HASH_HEX_LEN + 1];

	hex_digest(h, hex);
	return json_string(hex);
}

void module_print(FILE *f, const struct synctl_module *m, bool header)
{
	char hex[HASH_HEX_LEN + 1];

	if (header)
		fprintf(f, "%-64s %10s %5s %6s %7s\n", "ID", "SIZE", "USERS",
			"FUNCS", "EXPORTS");
	hex_digest(m->id, hex);
	fprintf(f, "%-64s %10" PRIu64 " %5u %6u %7u\n", hex, m->size, m->users,
		m->funcs, m->exports);
}

json_t *module_to_json(const struct synctl_module *m)
{
	return json_pack("{s:o, s:I, s:i, s:i, s:i, s:b}",
			 "id", hex_json(m->id), "size", (json_int_t)m->size,
			 "users", (int)m->users, "funcs", (int)m->funcs,
			 "exports", (int)m->exports, "existed", m->existed);
}

void task_print(FILE *f, const struct synctl_task *t)
{
	char hex[HASH_HEX_LEN + 1];

	fprintf(f, "task %" PRIu64 "\n", t->id);
	fprintf(f, "  status:      %s", task_status_name(t->status));
	if (t->status == SYNAPSE_STATUS_TRAP || t->status == SYNAPSE_STATUS_ABORTED)
		fprintf(f, " (code %d)", t->code);
	fputc('\n', f);
	hex_digest(t->module_id, hex);
	fprintf(f, "  module:      %s\n  entry:       %s\n", hex, t->entry);
	fprintf(f, "  job:         %" PRIu64 " task %" PRIu64 "\n", t->job_id,
		t->job_task_id);
	fprintf(f, "  fuel used:   %" PRIu64 "\n", t->fuel_used);
	hex_digest(t->input_hash, hex);
	fprintf(f, "  input hash:  %s\n", hex);
	if (t->done) {
		hex_digest(t->trace_hash, hex);
		fprintf(f, "  trace hash:  %s\n", hex);
		hex_digest(t->output_hash, hex);
		fprintf(f, "  output hash: %s\n", hex);
		fprintf(f, "  output:      %" PRIu64 " bytes\n", t->output_len);
		fprintf(f, "  checkpoints: %" PRIu64 "%s\n", t->checkpoints,
			t->replayable ? " (replayable)" : "");
	}
	if (t->is_replay)
		fprintf(f, "  replay of:   task %" PRIu64 " from checkpoint %" PRIu64 "\n",
			t->replay_of, t->replay_seq);
}

void task_print_row(FILE *f, const struct synctl_task *t, bool header)
{
	if (header)
		fprintf(f, "%-8s %-15s %6s %14s %10s %s\n", "ID", "STATUS", "CODE",
			"FUEL", "OUTPUT", "ENTRY");
	fprintf(f, "%-8" PRIu64 " %-15s %6d %14" PRIu64 " %10" PRIu64 " %s\n",
		t->id, task_status_name(t->status), t->code, t->fuel_used,
		t->output_len, t->entry);
}

json_t *task_to_json(const struct synctl_task *t)
{
	json_t *o = json_pack("{s:I, s:o, s:s, s:I, s:I, s:s, s:i, s:I, s:o}",
			      "id", (json_int_t)t->id,
			      "module_id", hex_json(t->module_id),
			      "entry", t->entry,
			      "job_id", (json_int_t)t->job_id,
			      "job_task_id", (json_int_t)t->job_task_id,
			      "status", task_status_name(t->status),
			      "code", (int)t->code,
			      "fuel_used", (json_int_t)t->fuel_used,
			      "input_hash", hex_json(t->input_hash));

	if (!o)
		return NULL;
	if (t->done) {
		json_object_set_new(o, "trace_hash", hex_json(t->trace_hash));
		json_object_set_new(o, "output_hash", hex_json(t->output_hash));
		json_object_set_new(o, "output_len", json_integer((json_int_t)t->output_len));
		json_object_set_new(o, "checkpoints", json_integer((json_int_t)t->checkpoints));
		json_object_set_new(o, "replayable", json_boolean(t->replayable));
	}
	if (t->done) {
		json_t *res = json_array();
		uint32_t i;

		for (i = 0; i < t->nresults; i++)
			json_array_append_new(res, json_integer((json_int_t)t->results[i]));
		json_object_set_new(o, "results", res);
		json_object_set_new(o, "exec_ns", json_integer((json_int_t)t->exec_ns));
	}
	if (t->is_replay) {
		json_object_set_new(o, "replay_of", json_integer((json_int_t)t->replay_of));
		json_object_set_new(o, "replay_seq", json_integer((json_int_t)t->replay_seq));
	}
	if (t->cmd == SYNAPSE_CMD_TASK_DONE)
		json_object_set_new(o, "event", json_string("done"));
	return o;
}

json_t *checkpoint_to_json(const struct synctl_checkpoint *c)
{
	json_t *o = json_pack("{s:I, s:o, s:b}", "seq", (json_int_t)c->seq,
			      "digest", hex_json(c->digest), "kept", c->kept);

	if (o && c->has_fuel)
		json_object_set_new(o, "fuel", json_integer((json_int_t)c->fuel));
	return o;
}

/* ---- requests shared with the agent's kernel engine ---- */

struct id_seq {
	uint64_t id, seq;
	bool has_seq;
	struct synctl_list *l;
	struct synctl_task task;
};

static int build_id_seq(struct nlmsghdr *nlh, size_t buflen, void *ctx)
{
	struct id_seq *q = ctx;

	if (!mnl_attr_put_u64_check(nlh, buflen, SYNAPSE_A_TASK_ID, q->id))
		return -EMSGSIZE;
	if (q->has_seq &&
	    !mnl_attr_put_u64_check(nlh, buflen, SYNAPSE_A_TASK_REPLAY_SEQ, q->seq))
		return -EMSGSIZE;
	return 0;
}

static int parse_cp_item(const struct nlmsghdr *nlh, void *ctx)
{
	return model_parse_checkpoint_list(nlh, ((struct id_seq *)ctx)->l);
}

static void reset_cp_items(void *ctx)
{
	list_reset(((struct id_seq *)ctx)->l);
}

int synnl_task_checkpoints(struct ipc *ipc, uint64_t id, struct synctl_list *l)
{
	struct id_seq q = { .id = id, .l = l };
	const struct ipc_request req = {
		.cmd = SYNAPSE_CMD_TASK_CHECKPOINTS,
		.dump = true,
		.build = build_id_seq,
		.parse = parse_cp_item,
		.reset = reset_cp_items,
		.ctx = &q,
	};
	int ret;

	memset(l, 0, sizeof(*l));
	l->size = sizeof(struct synctl_checkpoint);
	ret = ipc_request(ipc, &req);
	if (ret < 0) {
		list_free(l);
		return ret;
	}
	return 0;
}

static int parse_replay(const struct nlmsghdr *nlh, void *ctx)
{
	return model_parse_task(nlh, &((struct id_seq *)ctx)->task);
}

int synnl_task_replay(struct ipc *ipc, uint64_t id, uint64_t seq,
		      uint64_t *new_id)
{
	struct id_seq q = { .id = id, .seq = seq, .has_seq = true };
	const struct ipc_request req = {
		.cmd = SYNAPSE_CMD_TASK_REPLAY,
		.build = build_id_seq,
		.parse = parse_replay,
		.ctx = &q,
	};
	int ret = ipc_request(ipc, &req);

	if (ret < 0)
		return ret;
	if (!q.task.has_id)
		return -EBADMSG;
	*new_id = q.task.id;
	return 0;
}
