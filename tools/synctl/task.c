// SPDX-License-Identifier: GPL-2.0
/*
 * synctl task: start, inspect, kill, delete, read and replay tasks run by
 * synapse.ko. --wait listens on the family's "events" group on a socket
 * of its own (subscribed before the start, so no completion is missed) and
 * also polls TASK_GET once a second in case events were dropped.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>

#include "common.h"
#include "tools/lib/synnl/output.h"
#include "subcommands.h"
#include "tools/lib/synnl/taskmodel.h"
#include "uapi/synapse_abi.h"

static const char usage[] =
	"Usage: synctl task start [OPTIONS] MODULE\n"
	"       synctl task get ID | list | kill ID | del ID\n"
	"       synctl task output ID [-o FILE]\n"
	"       synctl task checkpoints ID\n"
	"       synctl task replay ID SEQ [--wait] [--timeout SECS]\n"
	"Options: -j|--json\n"
	"\n"
	"MODULE is a module id (64 hex digits) or a .wasm file, added first.\n"
	"start options:\n"
	"  --entry NAME           exported function (default run)\n"
	"  --input FILE           task input (- for stdin)\n"
	"  --fuel N  --checkpoint-every N  --keep K  --max-pages N\n"
	"  --table-size N  --value-stack N  --call-depth N  --output-max N\n"
	"  --job N  --job-task N  --cap HEX64\n"
	"  --arg i32:V|i64:V      an argument of the entry (repeat, in order)\n"
	"  --auto-del             free the task when it finishes (its completion\n"
	"                         event, as --wait prints it, is all that is left)\n"
	"  --wait                 wait for the completion event, print the task\n"
	"  --timeout SECS         give up waiting after SECS (default 120)\n"
	"start, kill, del and replay need CAP_NET_ADMIN.\n";

enum {
	OPT_ENTRY = 256, OPT_INPUT, OPT_FUEL, OPT_CP, OPT_KEEP, OPT_PAGES,
	OPT_TABLE, OPT_STACK, OPT_DEPTH, OPT_OUTMAX, OPT_JOB, OPT_JOBTASK,
	OPT_CAP, OPT_WAIT, OPT_TIMEOUT, OPT_ARG, OPT_AUTO_DEL,
};

struct task_opts {
	const char *entry, *input, *out_path;
	bool has[OPT_TIMEOUT + 1];
	uint64_t val[OPT_TIMEOUT + 1];
	uint8_t cap[SYNAPSE_HASH_LEN];
	bool wait;
	bool auto_del;
	unsigned int timeout;
	unsigned int nargs;
	bool arg64[16];
	uint64_t args[16];
};

struct start_ctx {
	const struct task_opts *o;
	uint8_t module_id[SYNAPSE_HASH_LEN];
	const uint8_t *input;
	size_t input_len;
	struct synctl_task reply;
};

static int put_u64(struct nlmsghdr *nlh, size_t buflen, int type, uint64_t v)
{
	return mnl_attr_put_u64_check(nlh, buflen, type, v) ? 0 : -EMSGSIZE;
}

static int put_u32(struct nlmsghdr *nlh, size_t buflen, int type, uint32_t v)
{
	return mnl_attr_put_u32_check(nlh, buflen, type, v) ? 0 : -EMSGSIZE;
}

static int build_start(struct nlmsghdr *nlh, size_t buflen, void *ctx)
{
	static const struct { int opt, attr; bool wide; } lim[] = {
		{ OPT_FUEL, SYNAPSE_A_TASK_FUEL, true },
		{ OPT_CP, SYNAPSE_A_TASK_CHECKPOINT_EVERY, true },
		{ OPT_KEEP, SYNAPSE_A_TASK_KEEP, false },
		{ OPT_PAGES, SYNAPSE_A_TASK_MEMORY_PAGES, false },
		{ OPT_TABLE, SYNAPSE_A_TASK_TABLE_SIZE, false },
		{ OPT_STACK, SYNAPSE_A_TASK_VALUE_STACK, false },
		{ OPT_DEPTH, SYNAPSE_A_TASK_CALL_DEPTH, false },
		{ OPT_OUTMAX, SYNAPSE_A_TASK_OUTPUT_MAX, false },
		{ OPT_JOB, SYNAPSE_A_TASK_JOB_ID, true },
		{ OPT_JOBTASK, SYNAPSE_A_TASK_JOB_TASK_ID, true },
	};
	struct start_ctx *sc = ctx;
	const struct task_opts *o = sc->o;
	size_t i, off = 0;
	int ret = 0;

	if (!mnl_attr_put_check(nlh, buflen, SYNAPSE_A_TASK_MODULE_ID,
				SYNAPSE_HASH_LEN, sc->module_id))
		return -EMSGSIZE;
	if (o->entry && !mnl_attr_put_strz_check(nlh, buflen,
						 SYNAPSE_A_TASK_ENTRY, o->entry))
		return -EMSGSIZE;
	if (o->has[OPT_CAP] &&
	    !mnl_attr_put_check(nlh, buflen, SYNAPSE_A_TASK_CAP_ID,
				SYNAPSE_HASH_LEN, o->cap))
		return -EMSGSIZE;
	if (o->auto_del &&
	    !mnl_attr_put_check(nlh, buflen, SYNAPSE_A_TASK_AUTO_DEL, 0, NULL))
		return -EMSGSIZE;
	for (i = 0; i < sizeof(lim) / sizeof(lim[0]) && !ret; i++) {
		if (!o->has[lim[i].opt])
			continue;
		ret = lim[i].wide ? put_u64(nlh, buflen, lim[i].attr, o->val[lim[i].opt]) :
		      put_u32(nlh, buflen, lim[i].attr, (uint32_t)o->val[lim[i].opt]);
	}
	for (i = 0; i < o->nargs && !ret; i++)
		ret = o->arg64[i] ? put_u64(nlh, buflen, SYNAPSE_A_TASK_ARG_I64, o->args[i]) :
		      put_u32(nlh, buflen, SYNAPSE_A_TASK_ARG_I32, (uint32_t)o->args[i]);
	while (!ret && off < sc->input_len) {
		size_t n = sc->input_len - off;

		if (n > SYNAPSE_TASK_INPUT_CHUNK_MAX)
			n = SYNAPSE_TASK_INPUT_CHUNK_MAX;
		if (!mnl_attr_put_check(nlh, buflen, SYNAPSE_A_TASK_INPUT, n,
					sc->input + off))
			ret = -EMSGSIZE;
		off += n;
	}
	return ret;
}

static int parse_start(const struct nlmsghdr *nlh, void *ctx)
{
	return model_parse_task(nlh, &((struct start_ctx *)ctx)->reply);
}

struct id_ctx {
	uint64_t id, arg;
	bool has_arg;
	int arg_type;
	struct synctl_task task;
	struct synctl_output_chunk out;
};

static int build_id(struct nlmsghdr *nlh, size_t buflen, void *ctx)
{
	struct id_ctx *ic = ctx;
	int ret = put_u64(nlh, buflen, SYNAPSE_A_TASK_ID, ic->id);

	if (!ret && ic->has_arg)
		ret = put_u64(nlh, buflen, ic->arg_type, ic->arg);
	return ret;
}

static int parse_id_task(const struct nlmsghdr *nlh, void *ctx)
{
	return model_parse_task(nlh, &((struct id_ctx *)ctx)->task);
}

static int task_get(struct ipc *ipc, uint64_t id, struct synctl_task *t)
{
	struct id_ctx ic = { .id = id };
	const struct ipc_request req = {
		.cmd = SYNAPSE_CMD_TASK_GET,
		.build = build_id,
		.parse = parse_id_task,
		.ctx = &ic,
	};
	int ret = ipc_request(ipc, &req);

	if (ret >= 0)
		*t = ic.task;
	return ret;
}

struct wait_ctx {
	uint64_t id;
	bool found;
	struct synctl_task task;
};

static int parse_wait_event(const struct nlmsghdr *nlh, void *ctx)
{
	struct wait_ctx *wc = ctx;
	struct synctl_task t;

	if (model_parse_task(nlh, &t) < 0 || t.cmd != SYNAPSE_CMD_TASK_DONE)
		return 0;
	if (t.id == wc->id) {
		wc->task = t;
		wc->found = true;
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Wait for task id to finish; ev is subscribed to "events". */
static int task_wait(struct ipc *ipc, struct ipc *ev, uint64_t id,
		     unsigned int timeout, struct synctl_task *t)
{
	struct wait_ctx wc = { .id = id };
	double end = now_s() + timeout, next_poll = now_s() + 1;
	int ret;

	while (now_s() < end) {
		ret = ipc_next_events(ev, 200, parse_wait_event, &wc);
		if (wc.found) {
			*t = wc.task;
			return 0;
		}
		if (ret < 0 && ret != -ENOBUFS)
			return ret;
		if (now_s() >= next_poll || ret == -ENOBUFS) {
			next_poll = now_s() + 1;
			ret = task_get(ipc, id, t);
			if (ret < 0)
				return ret;
			if (t->status < SYNAPSE_STATUS_QUEUED)
				return 0;
		}
	}
	return -ETIMEDOUT;
}

static int print_task(const struct synctl_task *t)
{
	if (json_output)
		return json_print(stdout, task_to_json(t)) < 0 ? -EIO : 0;
	task_print(stdout, t);
	return 0;
}

static int open_events(struct ipc **ev)
{
	int ret = synctl_connect(ev);

	if (ret < 0)
		return ret;
	ret = ipc_subscribe(*ev, SYNAPSE_MCGRP_EVENTS);
	if (ret < 0) {
		report_error("subscribe to events", ret, NULL);
		ipc_close(*ev);
	}
	return ret;
}

static int finish_started(struct ipc *ipc, struct ipc *ev, uint64_t id,
			  const struct task_opts *o)
{
	struct synctl_task t;
	int ret;

	if (!ev) {
		if (json_output)
			return json_print(stdout, json_pack("{s:I}", "id",
					  (json_int_t)id)) < 0 ? SYNCTL_EXIT_FAIL : 0;
		printf("%" PRIu64 "\n", id);
		return SYNCTL_EXIT_OK;
	}
	ret = task_wait(ipc, ev, id, o->timeout, &t);
	if (ret < 0) {
		report_error("task wait", ret, ipc_last_extack(ipc));
		return SYNCTL_EXIT_FAIL;
	}
	if (print_task(&t) < 0)
		return SYNCTL_EXIT_FAIL;
	return t.status == SYNAPSE_STATUS_OK ? SYNCTL_EXIT_OK : SYNCTL_EXIT_FAIL;
}

static int resolve_module(struct ipc *ipc, const char *arg,
			  uint8_t id[SYNAPSE_HASH_LEN])
{
	struct synctl_module m;

	if (!parse_hex_id(arg, id))
		return 0;
	if (access(arg, R_OK)) {
		fprintf(stderr, "%s task start: '%s' is neither a module id nor a readable file\n",
			PROG_NAME, arg);
		return -ENOENT;
	}
	if (synctl_module_add(ipc, arg, &m) < 0)
		return -EINVAL;
	memcpy(id, m.id, SYNAPSE_HASH_LEN);
	return 0;
}

static int task_start(struct ipc *ipc, struct task_opts *o, const char *module)
{
	struct start_ctx sc = { .o = o };
	const struct ipc_request req = {
		.cmd = SYNAPSE_CMD_TASK_START,
		.build = build_start,
		.parse = parse_start,
		.ctx = &sc,
	};
	struct ipc *ev = NULL;
	uint8_t *input = NULL;
	int ret, status = SYNCTL_EXIT_FAIL;

	if (resolve_module(ipc, module, sc.module_id) < 0)
		return SYNCTL_EXIT_FAIL;
	if (o->input) {
		input = synctl_read_file(o->input, &sc.input_len);
		if (!input) {
			fprintf(stderr, "%s: %s: %s\n", PROG_NAME, o->input,
				strerror(errno));
			return SYNCTL_EXIT_FAIL;
		}
		sc.input = input;
	}
	if (o->wait && open_events(&ev) < 0)
		goto out_free;
	ret = ipc_request(ipc, &req);
	if (ret < 0) {
		report_error("task start", ret, ipc_last_extack(ipc));
		goto out_close;
	}
	status = finish_started(ipc, ev, sc.reply.id, o);
out_close:
	if (ev)
		ipc_close(ev);
out_free:
	free(input);
	return status;
}

static int simple_req(struct ipc *ipc, uint8_t cmd, uint64_t id,
		      const char *what)
{
	struct id_ctx ic = { .id = id };
	const struct ipc_request req = {
		.cmd = cmd,
		.build = build_id,
		.ctx = &ic,
	};
	int ret = ipc_request(ipc, &req);

	if (ret < 0) {
		report_error(what, ret, ipc_last_extack(ipc));
		return SYNCTL_EXIT_FAIL;
	}
	return SYNCTL_EXIT_OK;
}

static int task_list(struct ipc *ipc)
{
	struct synctl_list l = { .size = sizeof(struct synctl_task) };
	const struct ipc_request req = {
		.cmd = SYNAPSE_CMD_TASK_GET,
		.dump = true,
		.parse = model_parse_task_list,
		.reset = list_reset,
		.ctx = &l,
	};
	int status = SYNCTL_EXIT_OK;
	size_t i;
	int ret;

	ret = ipc_request(ipc, &req);
	if (ret < 0) {
		report_error("task list", ret, ipc_last_extack(ipc));
		list_free(&l);
		return SYNCTL_EXIT_FAIL;
	}
	if (json_output) {
		json_t *arr = json_array();

		for (i = 0; i < l.n; i++)
			json_array_append_new(arr, task_to_json(
				(struct synctl_task *)l.items + i));
		if (json_print(stdout, arr) < 0)
			status = SYNCTL_EXIT_FAIL;
	} else {
		for (i = 0; i < l.n; i++)
			task_print_row(stdout, (struct synctl_task *)l.items + i, !i);
	}
	list_free(&l);
	return status;
}

static int parse_out(const struct nlmsghdr *nlh, void *ctx)
{
	return model_parse_output(nlh, &((struct id_ctx *)ctx)->out);
}

static int task_output(struct ipc *ipc, uint64_t id, const char *path)
{
	struct id_ctx ic = { .id = id, .has_arg = true,
			     .arg_type = SYNAPSE_A_TASK_OUTPUT_OFFSET };
	const struct ipc_request req = {
		.cmd = SYNAPSE_CMD_TASK_OUTPUT,
		.build = build_id,
		.parse = parse_out,
		.ctx = &ic,
	};
	FILE *f = path ? fopen(path, "wb") : stdout;
	int status = SYNCTL_EXIT_FAIL;
	int ret;

	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", PROG_NAME, path, strerror(errno));
		return SYNCTL_EXIT_FAIL;
	}
	/* Chunks of SYNAPSE_TASK_OUTPUT_CHUNK until the whole length. */
	for (;;) {
		memset(&ic.out, 0, sizeof(ic.out));
		ret = ipc_request(ipc, &req);
		if (ret < 0) {
			report_error("task output", ret, ipc_last_extack(ipc));
			goto out_close;
		}
		if (ic.out.len && fwrite(ic.out.data, 1, ic.out.len, f) != ic.out.len)
			goto out_close;
		ic.arg += ic.out.len;
		if (!ic.out.len || ic.arg >= ic.out.total)
			break;
	}
	status = SYNCTL_EXIT_OK;
out_close:
	if (f != stdout)
		fclose(f);
	else
		fflush(stdout);
	return status;
}

static int task_checkpoints(struct ipc *ipc, uint64_t id)
{
	struct synctl_list l;
	char hex[HASH_HEX_LEN + 1];
	int status = SYNCTL_EXIT_OK;
	size_t i;
	int ret;

	ret = synnl_task_checkpoints(ipc, id, &l);
	if (ret < 0) {
		report_error("task checkpoints", ret, ipc_last_extack(ipc));
		return SYNCTL_EXIT_FAIL;
	}
	if (json_output) {
		json_t *arr = json_array();

		for (i = 0; i < l.n; i++)
			json_array_append_new(arr, checkpoint_to_json(
				(struct synctl_checkpoint *)l.items + i));
		if (json_print(stdout, arr) < 0)
			status = SYNCTL_EXIT_FAIL;
	} else {
		for (i = 0; i < l.n; i++) {
			const struct synctl_checkpoint *cp =
				(struct synctl_checkpoint *)l.items + i;

			hex_digest(cp->digest, hex);
			printf("%6" PRIu64 " %s", cp->seq, hex);
			if (cp->has_fuel)
				printf(" fuel %" PRIu64, cp->fuel);
			printf("%s\n", cp->kept ? " kept" : "");
		}
	}
	list_free(&l);
	return status;
}

static int task_replay(struct ipc *ipc, uint64_t id, uint64_t seq,
		       const struct task_opts *o)
{
	struct ipc *ev = NULL;
	int ret, status = SYNCTL_EXIT_FAIL;
	uint64_t new_id;

	if (o->wait && open_events(&ev) < 0)
		return SYNCTL_EXIT_FAIL;
	ret = synnl_task_replay(ipc, id, seq, &new_id);
	if (ret < 0)
		report_error("task replay", ret, ipc_last_extack(ipc));
	else
		status = finish_started(ipc, ev, new_id, o);
	if (ev)
		ipc_close(ev);
	return status;
}

static int parse_u64_arg(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || !*s || *end || *s == '-' ? -EINVAL : 0;
}

/* i32:V or i64:V, V decimal or 0x hex, possibly negative (as synvm). */
static int parse_arg(struct task_opts *o, const char *s)
{
	bool wide = !strncmp(s, "i64:", 4);
	char *end;

	if (o->nargs == 16 || (!wide && strncmp(s, "i32:", 4)) || !s[4])
		return -EINVAL;
	errno = 0;
	if (s[4] == '-') {
		int64_t v = strtoll(s + 4, &end, 0);

		o->args[o->nargs] = wide ? (uint64_t)v : (uint32_t)(int32_t)v;
	} else {
		uint64_t v = strtoull(s + 4, &end, 0);

		o->args[o->nargs] = wide ? v : (uint32_t)v;
	}
	if (errno || *end)
		return -EINVAL;
	o->arg64[o->nargs++] = wide;
	return 0;
}

static int parse_task_opts(int argc, char *argv[], struct task_opts *o)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "output", required_argument, NULL, 'o' },
		{ "entry", required_argument, NULL, OPT_ENTRY },
		{ "input", required_argument, NULL, OPT_INPUT },
		{ "fuel", required_argument, NULL, OPT_FUEL },
		{ "checkpoint-every", required_argument, NULL, OPT_CP },
		{ "keep", required_argument, NULL, OPT_KEEP },
		{ "max-pages", required_argument, NULL, OPT_PAGES },
		{ "table-size", required_argument, NULL, OPT_TABLE },
		{ "value-stack", required_argument, NULL, OPT_STACK },
		{ "call-depth", required_argument, NULL, OPT_DEPTH },
		{ "output-max", required_argument, NULL, OPT_OUTMAX },
		{ "job", required_argument, NULL, OPT_JOB },
		{ "job-task", required_argument, NULL, OPT_JOBTASK },
		{ "cap", required_argument, NULL, OPT_CAP },
		{ "wait", no_argument, NULL, OPT_WAIT },
		{ "auto-del", no_argument, NULL, OPT_AUTO_DEL },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "arg", required_argument, NULL, OPT_ARG },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	o->timeout = 120;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "jho:", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json_output = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		case 'o':
			o->out_path = optarg;
			break;
		case OPT_ENTRY:
			o->entry = optarg;
			break;
		case OPT_INPUT:
			o->input = optarg;
			break;
		case OPT_WAIT:
			o->wait = true;
			break;
		case OPT_AUTO_DEL:
			o->auto_del = true;
			break;
		case OPT_ARG:
			if (parse_arg(o, optarg))
				goto out_bad;
			break;
		case OPT_CAP:
			if (parse_hex_id(optarg, o->cap))
				goto out_bad;
			o->has[OPT_CAP] = true;
			break;
		case OPT_TIMEOUT:
		case OPT_FUEL: case OPT_CP: case OPT_KEEP: case OPT_PAGES:
		case OPT_TABLE: case OPT_STACK: case OPT_DEPTH: case OPT_OUTMAX:
		case OPT_JOB: case OPT_JOBTASK:
			if (parse_u64_arg(optarg, &o->val[c]))
				goto out_bad;
			if (c != OPT_TIMEOUT && c != OPT_FUEL && c != OPT_CP &&
			    c != OPT_JOB && c != OPT_JOBTASK && o->val[c] > UINT32_MAX)
				goto out_bad;
			o->has[c] = true;
			if (c == OPT_TIMEOUT)
				o->timeout = (unsigned int)o->val[c];
			break;
		default:
			fprintf(stderr, "%s task: unknown option '%s'\n", PROG_NAME,
				bad_option(argv));
			fputs(usage, stderr);
			return -1;
		}
	}
	return 0;

out_bad:
	fprintf(stderr, "%s task: bad value '%s' for %s\n", PROG_NAME, optarg,
		argv[optind - 1]);
	return -1;
}

int task_main(int argc, char *argv[])
{
	struct task_opts o = { 0 };
	const char *verb;
	char **args;
	uint64_t id = 0, seq = 0;
	struct synctl_task t;
	struct ipc *ipc;
	int nargs, ret, status;

	ret = parse_task_opts(argc, argv, &o);
	if (ret)
		return ret > 0 ? SYNCTL_EXIT_OK : SYNCTL_EXIT_USAGE;
	if (optind >= argc) {
		fputs(usage, stderr);
		return SYNCTL_EXIT_USAGE;
	}
	verb = argv[optind];
	args = argv + optind + 1;
	nargs = argc - optind - 1;
	if (!strcmp(verb, "list") ? nargs != 0 :
	    !strcmp(verb, "replay") ? nargs != 2 : nargs != 1)
		goto out_usage;
	if (strcmp(verb, "start") && strcmp(verb, "list") &&
	    parse_u64_arg(args[0], &id))
		goto out_usage;
	if (!strcmp(verb, "replay") && parse_u64_arg(args[1], &seq))
		goto out_usage;

	if (synctl_connect(&ipc) < 0)
		return SYNCTL_EXIT_FAIL;
	if (!strcmp(verb, "start")) {
		status = task_start(ipc, &o, args[0]);
	} else if (!strcmp(verb, "get")) {
		ret = task_get(ipc, id, &t);
		if (ret < 0)
			report_error("task get", ret, ipc_last_extack(ipc));
		status = ret < 0 || print_task(&t) < 0 ? SYNCTL_EXIT_FAIL : SYNCTL_EXIT_OK;
	} else if (!strcmp(verb, "list")) {
		status = task_list(ipc);
	} else if (!strcmp(verb, "kill")) {
		status = simple_req(ipc, SYNAPSE_CMD_TASK_KILL, id, "task kill");
	} else if (!strcmp(verb, "del")) {
		status = simple_req(ipc, SYNAPSE_CMD_TASK_DEL, id, "task del");
	} else if (!strcmp(verb, "output")) {
		status = task_output(ipc, id, o.out_path);
	} else if (!strcmp(verb, "checkpoints")) {
		status = task_checkpoints(ipc, id);
	} else if (!strcmp(verb, "replay")) {
		status = task_replay(ipc, id, seq, &o);
	} else {
		ipc_close(ipc);
		goto out_usage;
	}
	ipc_close(ipc);
	return status;

out_usage:
	fprintf(stderr, "%s task: bad command line\n", PROG_NAME);
	fputs(usage, stderr);
	return SYNCTL_EXIT_USAGE;
}
