// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel engine backend: tasks run inside synapse.ko, driven over the
 * "synapse" generic netlink family with synctl's transport and parsers
 * (build/synctl/libsynnl.a: tools/lib/synnl/ipc-netlink.c, taskmodel.c).
 *
 * A run: MODULE_ADD (content addressed, so a module already there costs
 * nothing), TASK_START; the task then runs on the kernel's workqueue and
 * its SYNAPSE_CMD_TASK_DONE event arrives on a second socket subscribed to
 * the "events" group, which sits in the agent's libevent loop: no polling.
 * The event carries status, fuel and the four hashes; finish reads the
 * output (TASK_OUTPUT chunks); the ended task stays in synapse.ko (its
 * checkpoints and engine state with it) until the run is freed
 * (executor_abort: TASK_DEL), so that a state mismatch can roll it back:
 * TASK_CHECKPOINTS lists its checkpoint digests, fuel and rollback points;
 * restore is TASK_REPLAY from a kept checkpoint, which runs the rest again
 * as a new kernel task that this run follows from then on (the original,
 * no longer replayable, is deleted). Stop is TASK_KILL.
 *
 * The state fault (agent/cluster/fault.h) cannot flip a byte inside synapse.ko:
 * here it corrupts what the agent reads back instead - every checkpoint
 * digest from the fault's fuel position on, and the trace hash - the same
 * observable effect as on the embedded engine, and again only on a first
 * run for corrupt-state-once.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/event.h>
#include <libmnl/libmnl.h>

#include "agent/exec/executor.h"
#include "agent/cluster/fault.h"
#include "agent/log.h"
#include "tools/lib/synnl/ipc.h"
#include "tools/lib/synnl/model.h"
#include "tools/lib/synnl/taskmodel.h"
#include "uapi/synapse.h"
#include "uapi/synapse_abi.h"

/* A run without news this long is asked for by TASK_GET (lost events). */
#define KENGINE_RECHECK_NS	(5ull * 1000000000ull)
/* An aborted run's kill lands at the next slice boundary: wait this long. */
#define KENGINE_KILL_WAIT_MS	2000

struct kernel_run {
	struct exec_run run;
	struct kernel_run *next;	/* live runs, matched to DONE events */
	uint64_t id;			/* the kernel's task id */
	uint8_t input_hash[HASH_LEN];	/* ours, checked against the kernel's */
	bool done, lost, stopping;
	int stop_status;
	uint64_t checked_ns;
	struct synctl_task task;	/* from the DONE event or TASK_GET */
	bool replay;			/* restored, or rerun after a mismatch */
	char spec_id[TASK_ID_MAX + 1];	/* the job's task id, for logs */
	/* the ended task's checkpoints (TASK_CHECKPOINTS), read once */
	bool have_cps;
	uint64_t ncps;
	uint8_t (*digests)[HASH_LEN];
	uint64_t *cp_fuel;
	uint64_t *kept;			/* kept seqs, oldest first */
	uint32_t nkept;
};

static struct ipc *req_ipc;		/* requests and their replies */
static struct ipc *ev_ipc;		/* the "events" group only */
static struct event *ev_read;
static struct kernel_run *runs;

static struct kernel_run *to_kernel(struct exec_run *r)
{
	return (struct kernel_run *)r;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void kerr(char *err, size_t errlen, const char *what, int ret)
{
	const struct ipc_extack *ea = req_ipc ? ipc_last_extack(req_ipc) : NULL;

	if (ea && ea->msg[0])
		snprintf(err, errlen, "%s: %s (%s)", what, strerror(-ret), ea->msg);
	else
		snprintf(err, errlen, "%s: %s", what, strerror(-ret));
}

/* ---- requests ---- */

struct id_req {
	uint64_t id, offset;
	bool has_offset;
	struct synctl_task task;
	struct synctl_output_chunk out;
	struct exec_result *res;	/* TASK_OUTPUT: where the bytes go */
	uint64_t total;
};

static int build_task_id(struct nlmsghdr *nlh, size_t buflen, void *ctx)
{
	struct id_req *q = ctx;

	if (!mnl_attr_put_u64_check(nlh, buflen, SYNAPSE_A_TASK_ID, q->id))
		return -EMSGSIZE;
	if (q->has_offset &&
	    !mnl_attr_put_u64_check(nlh, buflen, SYNAPSE_A_TASK_OUTPUT_OFFSET,
				    q->offset))
		return -EMSGSIZE;
	return 0;
}

static int parse_task_reply(const struct nlmsghdr *nlh, void *ctx)
{
	return model_parse_task(nlh, &((struct id_req *)ctx)->task);
}

static int task_cmd(uint8_t cmd, uint64_t id)
{
	struct id_req q = { .id = id };
	const struct ipc_request req = {
		.cmd = cmd,
		.build = build_task_id,
		.ctx = &q,
	};

	return ipc_request(req_ipc, &req);
}

static int task_get(uint64_t id, struct synctl_task *t)
{
	struct id_req q = { .id = id };
	const struct ipc_request req = {
		.cmd = SYNAPSE_CMD_TASK_GET,
		.build = build_task_id,
		.parse = parse_task_reply,
		.ctx = &q,
	};
	int ret = ipc_request(req_ipc, &req);

	if (!ret)
		*t = q.task;
	return ret;
}

struct bytes_req {
	const struct task_spec *t;
	const uint8_t *data;
	size_t len;
	struct synctl_module m;
	struct synctl_task task;
};

static int put_chunks(struct nlmsghdr *nlh, size_t buflen, int type,
		      const uint8_t *data, size_t len, size_t chunk)
{
	size_t off = 0;

	do {
		size_t n = len - off < chunk ? len - off : chunk;

		if (!mnl_attr_put_check(nlh, buflen, type, n, data + off))
			return -EMSGSIZE;
		off += n;
	} while (off < len);
	return 0;
}

static int build_module(struct nlmsghdr *nlh, size_t buflen, void *ctx)
{
	struct bytes_req *q = ctx;

	return put_chunks(nlh, buflen, SYNAPSE_A_MODULE_DATA, q->data, q->len,
			  SYNAPSE_MODULE_CHUNK_MAX);
}

static int parse_module(const struct nlmsghdr *nlh, void *ctx)
{
	return model_parse_module(nlh, &((struct bytes_req *)ctx)->m);
}

static int module_add(const struct task_spec *t, const uint8_t *mod,
		      size_t modlen, char *err, size_t errlen)
{
	struct bytes_req q = { .data = mod, .len = modlen };
	const struct ipc_request req = {
		.cmd = SYNAPSE_CMD_MODULE_ADD,
		.build = build_module,
		.parse = parse_module,
		.ctx = &q,
	};
	int ret = ipc_request(req_ipc, &req);

	if (ret) {
		kerr(err, errlen, "module add", ret);
		return -1;
	}
	if (!q.m.has_id || memcmp(q.m.id, t->module_id, HASH_LEN)) {
		snprintf(err, errlen, "module add: synapse.ko names the module by another id");
		return -1;
	}
	return 0;
}

static int build_start(struct nlmsghdr *nlh, size_t buflen, void *ctx)
{
	struct bytes_req *q = ctx;
	const struct task_spec *t = q->t;

	if (!mnl_attr_put_check(nlh, buflen, SYNAPSE_A_TASK_MODULE_ID,
				SYNAPSE_HASH_LEN, t->module_id) ||
	    !mnl_attr_put_strz_check(nlh, buflen, SYNAPSE_A_TASK_ENTRY,
				     t->entry[0] ? t->entry : "run") ||
	    !mnl_attr_put_check(nlh, buflen, SYNAPSE_A_TASK_CAP_ID,
				SYNAPSE_HASH_LEN, t->cap_id))
		return -EMSGSIZE;
	if (t->fuel && !mnl_attr_put_u64_check(nlh, buflen, SYNAPSE_A_TASK_FUEL,
					       t->fuel))
		return -EMSGSIZE;
	if (t->memory &&
	    !mnl_attr_put_u32_check(nlh, buflen, SYNAPSE_A_TASK_MEMORY_PAGES,
				    t->memory))
		return -EMSGSIZE;
	/* part of the input hash: the same interval as the embedded engine */
	if (t->checkpoint_every &&
	    !mnl_attr_put_u64_check(nlh, buflen, SYNAPSE_A_TASK_CHECKPOINT_EVERY,
				    t->checkpoint_every))
		return -EMSGSIZE;
	if (!q->len)
		return 0;
	return put_chunks(nlh, buflen, SYNAPSE_A_TASK_INPUT, q->data, q->len,
			  SYNAPSE_TASK_INPUT_CHUNK_MAX);
}

static int parse_start(const struct nlmsghdr *nlh, void *ctx)
{
	return model_parse_task(nlh, &((struct bytes_req *)ctx)->task);
}

static int task_start(const struct task_spec *t, uint64_t *id)
{
	struct bytes_req q = { .t = t, .data = t->input, .len = t->input_len };
	const struct ipc_request req = {
		.cmd = SYNAPSE_CMD_TASK_START,
		.build = build_start,
		.parse = parse_start,
		.ctx = &q,
	};
	int ret = ipc_request(req_ipc, &req);

	if (ret)
		return ret;
	if (!q.task.has_id)
		return -EBADMSG;
	*id = q.task.id;
	return 0;
}

/* ---- completion events ---- */

static struct kernel_run *run_find(uint64_t id)
{
	struct kernel_run *kr;

	for (kr = runs; kr; kr = kr->next)
		if (kr->id && kr->id == id)
			return kr;
	return NULL;
}

static void run_unlink(struct kernel_run *kr)
{
	struct kernel_run **p;

	for (p = &runs; *p; p = &(*p)->next)
		if (*p == kr) {
			*p = kr->next;
			return;
		}
}

static int parse_event(const struct nlmsghdr *nlh, void *ctx)
{
	bool *woke = ctx;
	struct synctl_task t;
	struct kernel_run *kr;

	if (model_parse_task(nlh, &t) || t.cmd != SYNAPSE_CMD_TASK_DONE)
		return 0;
	kr = run_find(t.id);	/* other agents' tasks share the netns */
	if (!kr || kr->done)
		return 0;
	kr->task = t;
	kr->done = true;
	*woke = true;
	return 0;
}

/* Asks for one run's state (events were dropped, or none came for long). */
static void recheck(struct kernel_run *kr, bool *woke)
{
	struct synctl_task t;
	int ret;

	kr->checked_ns = now_ns();
	ret = task_get(kr->id, &t);
	if (ret == -ENOENT) {
		log_err("kernel engine: task %llu vanished (synapse.ko reloaded?)",
			(unsigned long long)kr->id);
		kr->lost = kr->done = true;
		*woke = true;
		return;
	}
	if (ret || !t.done)
		return;
	kr->task = t;
	kr->done = true;
	*woke = true;
}

/* Reads every pending event; waits up to timeout_ms for the first. */
static bool drain_events(int timeout_ms)
{
	struct kernel_run *kr;
	bool woke = false;
	int ret;

	for (;;) {
		ret = ipc_next_events(ev_ipc, timeout_ms, parse_event, &woke);
		if (ret <= 0)
			break;
		timeout_ms = 0;
	}
	if (ret == -ENOBUFS) {
		log_warn("kernel engine: events dropped (socket overrun); asking for every task");
		for (kr = runs; kr; kr = kr->next)
			if (kr->id && !kr->done)
				recheck(kr, &woke);
	}
	return woke;
}

static void on_events(evutil_socket_t fd, short what, void *arg)
{
	if (drain_events(0))
		executor_wake();
}

/* ---- the backend ---- */

static void kernel_exit(void)
{
	if (ev_read)
		event_free(ev_read);
	ev_read = NULL;
	ipc_close(ev_ipc);
	ipc_close(req_ipc);
	ev_ipc = req_ipc = NULL;
}

static int probe(char *err, size_t errlen)
{
	struct synctl_info info;
	const struct ipc_request req = {
		.cmd = SYNAPSE_CMD_GET_INFO,
		.parse = model_parse_info,
		.ctx = &info,
	};
	int ret;

	memset(&info, 0, sizeof(info));
	ret = ipc_open(&req_ipc, SYNAPSE_GENL_NAME);
	if (ret == -ENOENT) {
		snprintf(err, errlen, "synapse.ko is not loaded (no \"%s\" generic netlink family)",
			 SYNAPSE_GENL_NAME);
		return -1;
	}
	if (ret) {
		snprintf(err, errlen, "generic netlink: %s", strerror(-ret));
		return -1;
	}
	ret = ipc_request(req_ipc, &req);
	if (ret) {
		kerr(err, errlen, "GET_INFO", ret);
		return -1;
	}
	/* killing task 0 is refused with EPERM without CAP_NET_ADMIN */
	ret = task_cmd(SYNAPSE_CMD_TASK_KILL, 0);
	if (ret == -EPERM) {
		snprintf(err, errlen, "starting tasks in synapse.ko needs CAP_NET_ADMIN");
		return -1;
	}
	log_info("kernel engine: synapse.ko %s, ABI %u, hash driver %s",
		 info.module_version, info.abi_version, info.hash_driver);
	return 0;
}

static int kernel_init(struct event_base *base, char *err, size_t errlen)
{
	int ret;

	if (probe(err, errlen))
		goto fail;
	/* module bytes and inputs go in one message */
	ipc_set_sndbuf(req_ipc, 2 * IPC_BUF_SIZE);
	ret = ipc_open(&ev_ipc, SYNAPSE_GENL_NAME);
	if (!ret)
		ret = ipc_subscribe(ev_ipc, SYNAPSE_MCGRP_EVENTS);
	if (ret) {
		snprintf(err, errlen, "events group: %s", strerror(-ret));
		goto fail;
	}
	if (base) {
		ev_read = event_new(base, ipc_fd(ev_ipc), EV_READ | EV_PERSIST,
				    on_events, NULL);
		if (!ev_read || event_add(ev_read, NULL)) {
			snprintf(err, errlen, "cannot watch the events socket");
			goto fail;
		}
	}
	return 0;
fail:
	kernel_exit();
	return -1;
}

static struct exec_run *kernel_start(const struct task_spec *t, const uint8_t *mod,
				     size_t modlen, char *err, size_t errlen)
{
	uint64_t t0 = now_ns();
	struct kernel_run *kr;
	int ret, tries;

	kr = calloc(1, sizeof(*kr));
	if (!kr) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	kr->run.engine = &exec_engine_kernel;
	memcpy(kr->input_hash, t->input_hash, HASH_LEN);
	snprintf(kr->spec_id, sizeof(kr->spec_id), "%s", t->id);
	/* another agent in this netns may delete the module in between */
	for (tries = 0; tries < 3; tries++) {
		if (module_add(t, mod, modlen, err, errlen))
			goto free_run;
		ret = task_start(t, &kr->id);
		if (ret != -ENOENT)
			break;
	}
	if (ret) {
		kerr(err, errlen, "task start", ret);
		goto free_run;
	}
	kr->checked_ns = now_ns();
	log_info("kernel engine: task %llu started (%.1f ms to add the module and start it)",
		 (unsigned long long)kr->id, (kr->checked_ns - t0) / 1e6);
	kr->next = runs;
	runs = kr;
	return &kr->run;
free_run:
	free(kr);
	return NULL;
}

static int kernel_step(struct exec_run *r, uint64_t budget)
{
	struct kernel_run *kr = to_kernel(r);
	bool woke = false;

	if (kr->done)
		return EXEC_DONE;
	woke = drain_events(0);
	if (budget) {
		if (!kr->done && now_ns() - kr->checked_ns > KENGINE_RECHECK_NS)
			recheck(kr, &woke);
	} else {
		/* to the end: block on the events socket, asking now and then */
		while (!kr->done) {
			woke |= drain_events(1000);
			if (!kr->done && now_ns() - kr->checked_ns > KENGINE_RECHECK_NS)
				recheck(kr, &woke);
		}
	}
	/* other runs' events read here must still wake the loop */
	if (woke)
		executor_wake();
	return kr->done ? EXEC_DONE : EXEC_WAIT;
}

static void kernel_stop(struct exec_run *r, int status)
{
	struct kernel_run *kr = to_kernel(r);
	int ret;

	if (kr->stopping || kr->done)
		return;
	kr->stopping = true;
	kr->stop_status = status;
	ret = task_cmd(SYNAPSE_CMD_TASK_KILL, kr->id);
	if (ret)
		log_warn("kernel engine: kill task %llu: %s",
			 (unsigned long long)kr->id, strerror(-ret));
}

/* ---- checkpoints, rollback and replay ---- */

static void cps_free(struct kernel_run *kr)
{
	free(kr->digests);
	free(kr->cp_fuel);
	free(kr->kept);
	kr->digests = NULL;
	kr->cp_fuel = kr->kept = NULL;
	kr->ncps = 0;
	kr->nkept = 0;
	kr->have_cps = false;
}

/*
 * The state fault, as the agent sees the task: checkpoints from the fault's
 * fuel position on and the trace hash differ (see the head comment).
 */
static void cps_fault(struct kernel_run *kr)
{
	uint64_t at, i;
	bool hit = false;

	if (!fault_state_at(kr->replay, &at) || kr->task.fuel_used <= at)
		return;
	for (i = 0; i < kr->ncps; i++) {
		if (kr->cp_fuel[i] < at)
			continue;
		kr->digests[i][0] ^= 0x5a;
		hit = true;
	}
	if (hit)
		log_warn("fault: task %s: corrupted engine state at fuel %llu (kernel task %llu)",
			 kr->spec_id, (unsigned long long)at,
			 (unsigned long long)kr->id);
}

/* Reads the ended task's checkpoint list from synapse.ko once. */
static int cps_load(struct kernel_run *kr)
{
	const struct synctl_checkpoint *cp;
	struct synctl_list l;
	uint64_t i;
	int ret;

	if (kr->have_cps)
		return 0;
	if (!kr->done || kr->lost)
		return -1;
	ret = synnl_task_checkpoints(req_ipc, kr->id, &l);
	if (ret) {
		log_err("kernel engine: task %llu checkpoints: %s",
			(unsigned long long)kr->id, strerror(-ret));
		return -1;
	}
	kr->digests = calloc(l.n + 1, HASH_LEN);
	kr->cp_fuel = calloc(l.n + 1, sizeof(*kr->cp_fuel));
	kr->kept = calloc(l.n + 1, sizeof(*kr->kept));
	if (!kr->digests || !kr->cp_fuel || !kr->kept)
		goto fail;
	for (i = 0; i < l.n; i++) {
		cp = (const struct synctl_checkpoint *)l.items + i;
		if (cp->seq != i || !cp->has_fuel) {
			log_err("kernel engine: task %llu: checkpoint %llu without its sequence or fuel (synapse.ko too old?)",
				(unsigned long long)kr->id, (unsigned long long)i);
			goto fail;
		}
		memcpy(kr->digests[i], cp->digest, HASH_LEN);
		kr->cp_fuel[i] = cp->fuel;
		if (cp->kept)
			kr->kept[kr->nkept++] = cp->seq;
	}
	kr->ncps = l.n;
	kr->have_cps = true;
	list_free(&l);
	cps_fault(kr);
	return 0;
fail:
	list_free(&l);
	cps_free(kr);
	return -1;
}

static int kernel_checkpoints(struct exec_run *r, const uint8_t (**digests)[HASH_LEN],
			      const uint64_t **fuel, uint64_t *n)
{
	struct kernel_run *kr = to_kernel(r);

	if (cps_load(kr))
		return -1;
	*digests = (const uint8_t (*)[HASH_LEN])kr->digests;
	*fuel = kr->cp_fuel;
	*n = kr->ncps;
	return 0;
}

static uint32_t kernel_kept(struct exec_run *r, uint64_t *seqs, uint32_t max)
{
	struct kernel_run *kr = to_kernel(r);
	uint32_t i;

	if (cps_load(kr))
		return 0;
	for (i = 0; i < kr->nkept && i < max; i++)
		seqs[i] = kr->kept[i];
	return kr->nkept;
}

/*
 * TASK_REPLAY from kept checkpoint seq: the new kernel task runs the rest
 * and this run follows it (its DONE event ends the run again). The
 * original keeps only its results, so it goes at once: no task leaks.
 */
static int kernel_restore(struct exec_run *r, uint64_t seq, uint64_t *fuel)
{
	struct kernel_run *kr = to_kernel(r);
	uint64_t t0 = now_ns(), new_id, at;
	int ret;

	if (cps_load(kr) || seq >= kr->ncps)
		return -1;
	at = kr->cp_fuel[seq];
	ret = synnl_task_replay(req_ipc, kr->id, seq, &new_id);
	if (ret) {
		char err[256];

		kerr(err, sizeof(err), "task replay", ret);
		log_err("kernel engine: task %llu: %s", (unsigned long long)kr->id, err);
		return -1;
	}
	if (task_cmd(SYNAPSE_CMD_TASK_DEL, kr->id))
		log_warn("kernel engine: replayed task %llu left in synapse.ko",
			 (unsigned long long)kr->id);
	log_info("kernel engine: task %llu rolled back to checkpoint %llu (fuel %llu), replaying as task %llu (%.1f ms)",
		 (unsigned long long)kr->id, (unsigned long long)seq,
		 (unsigned long long)at, (unsigned long long)new_id,
		 (now_ns() - t0) / 1e6);
	cps_free(kr);
	memset(&kr->task, 0, sizeof(kr->task));
	kr->id = new_id;
	kr->done = kr->lost = kr->stopping = false;
	kr->replay = true;
	kr->checked_ns = now_ns();
	*fuel = at;
	return 0;
}

static void kernel_set_replay(struct exec_run *r)
{
	to_kernel(r)->replay = true;
}

/* Frees a run; an unfinished task is killed and waited for (bounded). */
static void kernel_abort(struct exec_run *r)
{
	struct kernel_run *kr = to_kernel(r);
	uint64_t until = now_ns() + KENGINE_KILL_WAIT_MS * 1000000ull;
	bool woke;

	if (!kr->done) {
		kernel_stop(r, SYNAPSE_STATUS_KILLED);
		while (!kr->done && now_ns() < until)
			drain_events(100);
		if (!kr->done)
			recheck(kr, &woke);
	}
	if (!kr->lost && task_cmd(SYNAPSE_CMD_TASK_DEL, kr->id))
		log_warn("kernel engine: task %llu left in synapse.ko",
			 (unsigned long long)kr->id);
	run_unlink(kr);
	cps_free(kr);
	free(kr);
}

/* The chunk points into the receive buffer: copy it out at once. */
static int parse_output(const struct nlmsghdr *nlh, void *ctx)
{
	struct id_req *q = ctx;
	struct exec_result *res = q->res;
	int ret;

	memset(&q->out, 0, sizeof(q->out));
	ret = model_parse_output(nlh, &q->out);
	if (ret)
		return ret;
	if (q->out.total != q->total || q->out.len > q->total - res->out_len)
		return -EPROTO;
	memcpy(res->out + res->out_len, q->out.data, q->out.len);
	res->out_len += q->out.len;
	return 0;
}

/* Reads the whole output into res->out, chunk by chunk. */
static int read_output(struct kernel_run *kr, struct exec_result *res)
{
	struct id_req q = { .id = kr->id, .has_offset = true, .res = res };
	const struct ipc_request req = {
		.cmd = SYNAPSE_CMD_TASK_OUTPUT,
		.build = build_task_id,
		.parse = parse_output,
		.ctx = &q,
	};
	size_t before;
	int ret;

	if (kr->task.output_len > (1ull << 30))
		return -EFBIG;
	q.total = kr->task.output_len;
	res->out = malloc(q.total + 1);
	if (!res->out)
		return -ENOMEM;
	res->out_len = 0;
	while (res->out_len < q.total) {
		q.offset = res->out_len;
		before = res->out_len;
		ret = ipc_request(req_ipc, &req);
		if (ret)
			return ret;
		if (res->out_len == before)
			return -EPROTO;	/* no progress: never loop */
	}
	return 0;
}

static int kernel_result(struct exec_run *r, struct exec_result *res)
{
	struct kernel_run *kr = to_kernel(r);
	const struct synctl_task *t = &kr->task;
	uint64_t at;
	int ret;

	if (!kr->done || kr->lost || !t->done) {
		log_err("kernel engine: task %llu has no result",
			(unsigned long long)kr->id);
		return -1;
	}
	if (memcmp(t->input_hash, kr->input_hash, HASH_LEN)) {
		log_err("kernel engine: task %llu: synapse.ko hashed the task input differently",
			(unsigned long long)kr->id);
		return -1;
	}
	res->status = t->status;
	if (kr->stopping && t->status == SYNAPSE_STATUS_KILLED)
		res->status = kr->stop_status;
	res->code = t->code;
	res->fuel_used = t->fuel_used;
	memcpy(res->trace, t->trace_hash, HASH_LEN);
	memcpy(res->output, t->output_hash, HASH_LEN);
	if (fault_state_at(kr->replay, &at) && t->fuel_used > at)
		res->trace[0] ^= 0x5a;
	ret = read_output(kr, res);
	if (ret) {
		log_err("kernel engine: task %llu output: %s",
			(unsigned long long)kr->id, strerror(-ret));
		exec_result_free(res);
		return -1;
	}
	return 0;
}

/* Blocks up to ms for this run's completion event. */
static void kernel_wait(struct exec_run *r, int ms)
{
	struct kernel_run *kr = to_kernel(r);

	if (!kr->done && drain_events(ms))
		executor_wake();
}

const struct exec_engine exec_engine_kernel = {
	.name = "kernel",
	.init = kernel_init,
	.exit = kernel_exit,
	.start = kernel_start,
	.step = kernel_step,
	.wait = kernel_wait,
	.stop = kernel_stop,
	.result = kernel_result,
	.abort = kernel_abort,
	.checkpoints = kernel_checkpoints,
	.kept = kernel_kept,
	.restore = kernel_restore,
	.set_replay = kernel_set_replay,
};
