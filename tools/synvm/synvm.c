// SPDX-License-Identifier: GPL-2.0
/*
 * synvm - run or validate a WebAssembly task with the userspace engine
 * (build/libsynvm.a: the same sources as synapse.ko's engine).
 *
 *   synvm run MODULE.wasm [--entry NAME] [--input FILE] [--fuel N]
 *             [--checkpoint-every N] [--keep K] [--arg i32:V|i64:V]...
 *             [--slice N] [--replay-check] [--no-meter] [-j]
 *   synvm validate MODULE.wasm [-j]
 *   synvm dump MODULE.wasm [--no-meter] [--func N]
 *
 * run prints the module id, the task input hash, the trace hash and the
 * output hash, the end status and code, fuel used, the entry's results and
 * the output; -j prints one JSON object instead. exec_ns is the time spent
 * executing only (creation and validation excluded). --no-meter runs the
 * same engine without fuel, trace or checkpoints (no hashes then).
 * --replay-check restores every kept checkpoint after the run, replays,
 * and fails unless the replay ends with identical hashes. dump prints the
 * slot IR the engine compiled each function into (a debugging aid).
 *
 * Exit status: 0 the task ended OK (validate: valid), 1 it ended otherwise
 * (invalid), 2 usage or load errors.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "kmod/vm/svm.h"
#include "kmod/vm/task.h"
#include "uapi/synapse_abi.h"
#include "irdump.h"

struct opts {
	const char *path;
	const char *input_path;
	bool json;
	bool replay_check;
	uint64_t slice;
	struct svm_task_params p;
};

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		size_t r;

		if (n == cap) {
			uint8_t *b;

			cap = cap ? cap * 2 : 65536;
			b = realloc(buf, cap);
			if (!b) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = b;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = n;
	return buf ? buf : malloc(1);
}

static void hex(char *out, const uint8_t *p, size_t n)
{
	static const char d[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = 0;
}

static const char *status_name(int st)
{
	switch (st) {
	case SYNAPSE_STATUS_OK: return "ok";
	case SYNAPSE_STATUS_TRAP: return "trap";
	case SYNAPSE_STATUS_FUEL_EXHAUSTED: return "fuel_exhausted";
	case SYNAPSE_STATUS_ABORTED: return "aborted";
	case SYNAPSE_STATUS_KILLED: return "killed";
	case SYNAPSE_STATUS_REVOKED: return "revoked";
	default: return "running";
	}
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || !*s || *end ? -1 : 0;
}

static int parse_arg(struct svm_task_params *p, const char *s)
{
	char *end;
	uint8_t t;

	if (p->nargs >= SVM_MAX_ARGS)
		return -1;
	if (!strncmp(s, "i32:", 4))
		t = SVM_T_I32;
	else if (!strncmp(s, "i64:", 4))
		t = SVM_T_I64;
	else
		return -1;
	errno = 0;
	if (s[4] == '-') {
		int64_t v = strtoll(s + 4, &end, 0);

		p->args[p->nargs] = t == SVM_T_I32 ? (uint32_t)(int32_t)v : (uint64_t)v;
	} else {
		uint64_t v = strtoull(s + 4, &end, 0);

		p->args[p->nargs] = t == SVM_T_I32 ? (uint32_t)v : v;
	}
	if (errno || *end || end == s + 4)
		return -1;
	p->arg_types[p->nargs++] = t;
	return 0;
}

/* Exactly 64 hex digits: the 32-byte capability id (Documentation/capabilities.md). */
static int parse_cap_id(const char *s, uint8_t id[SVM_SHA256_LEN])
{
	unsigned int i;

	if (strlen(s) != 2 * SVM_SHA256_LEN ||
	    strspn(s, "0123456789abcdefABCDEF") != 2 * SVM_SHA256_LEN)
		return -1;
	for (i = 0; i < SVM_SHA256_LEN; i++)
		if (sscanf(s + 2 * i, "%2hhx", &id[i]) != 1)
			return -1;
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: synvm run MODULE.wasm [--entry NAME] [--input FILE] [--fuel N]\n"
		"             [--checkpoint-every N] [--keep K] [--arg i32:V|i64:V]...\n"
		"             [--slice N] [--replay-check] [--no-meter] [--cap-id HEX64] [-j]\n"
		"       synvm validate MODULE.wasm [-j]\n"
		"       synvm dump MODULE.wasm [--no-meter] [--func N]\n");
}

static void print_error(const char *what, const struct svm_error *err, bool json)
{
	if (json) {
		json_t *o = json_pack("{s:b, s:s, s:s, s:i, s:i, s:i, s:b}",
				      "valid", 0, "stage", what, "error", err->msg,
				      "offset", (int)err->offset,
				      "section", err->section, "func", err->func,
				      "profile", err->profile);

		json_dumpf(o, stdout, JSON_COMPACT);
		printf("\n");
		json_decref(o);
		return;
	}
	fprintf(stderr, "synvm: %s: %s (offset %u", what, err->msg, err->offset);
	if (err->section >= 0)
		fprintf(stderr, ", section %d", err->section);
	if (err->func >= 0)
		fprintf(stderr, ", function %d", err->func);
	fprintf(stderr, ")%s\n", err->profile ? " [outside the deterministic profile]" : "");
}

static struct svm_module *load(const char *path, bool meter, bool json,
			       struct svm_error *err)
{
	struct svm_config cfg = { .meter = meter };
	struct svm_module *m;
	uint8_t *b;
	size_t len;

	b = read_file(path, &len);
	if (!b) {
		fprintf(stderr, "synvm: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	m = svm_module_load(b, len, &cfg, err);
	free(b);
	return m;
}

static int cmd_dump(int argc, char **argv)
{
	struct svm_error err;
	struct svm_module *m;
	const char *path = NULL;
	bool meter = true;
	int i, only = -1;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--no-meter"))
			meter = false;
		else if (!strcmp(argv[i], "--func") && i + 1 < argc)
			only = atoi(argv[++i]);
		else if (!path)
			path = argv[i];
		else
			goto out_usage;
	}
	if (!path)
		goto out_usage;
	m = load(path, meter, false, &err);
	if (!m) {
		if (err.msg[0])
			print_error("dump", &err, false);
		return err.msg[0] ? 1 : 2;
	}
	synvm_ir_dump(m, only);
	svm_module_free(m);
	return 0;

out_usage:
	usage();
	return 2;
}

static int cmd_validate(int argc, char **argv)
{
	struct svm_error err;
	struct svm_module *m;
	bool json = false;
	const char *path = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-j"))
			json = true;
		else if (!path)
			path = argv[i];
		else
			goto out_usage;
	}
	if (!path)
		goto out_usage;
	m = load(path, true, json, &err);
	if (!m) {
		if (err.msg[0])
			print_error("validate", &err, json);
		return err.msg[0] ? 1 : 2;
	}
	if (json) {
		char id[65];

		hex(id, m->id, 32);
		printf("{\"valid\":true,\"module_id\":\"%s\",\"functions\":%u}\n",
		       id, m->nfuncs);
	} else {
		printf("valid (%u functions, %u imports, %u exports)\n",
		       m->nfuncs, m->nimports, m->nexports);
	}
	svm_module_free(m);
	return 0;
out_usage:
	usage();
	return 2;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int run_to_end(struct svm_task *t, uint64_t slice)
{
	int slices = 1;

	while (svm_task_run(t, slice) == SVM_RUN_YIELD)
		slices++;
	return slices;
}

/* Restore every kept checkpoint in turn; replay must give the same hashes. */
static int replay_check(struct svm_task *t, int *checked)
{
	uint8_t trace[32], out[32];
	uint64_t seqs[64];
	uint32_t n, i;
	int status = svm_task_status(t);

	memcpy(trace, t->trace_hash, 32);
	memcpy(out, t->output_hash, 32);
	n = svm_task_kept(t, seqs, 64);
	if (n > 64)
		n = 64;
	*checked = 0;
	/* newest first: restoring drops the later checkpoints */
	for (i = n; i-- > 0;) {
		if (svm_task_restore(t, seqs[i]))
			return -1;
		run_to_end(t, 0);
		if (svm_task_status(t) != status || memcmp(trace, t->trace_hash, 32) ||
		    memcmp(out, t->output_hash, 32))
			return -1;
		(*checked)++;
	}
	return 0;
}

static void print_run(struct opts *o, struct svm_task *t, uint64_t ns,
		      int slices, int replayed)
{
	char id[65], ih[65], th[65], oh[65];
	const struct svm_functype *ft = t->entry ? t->entry->type : NULL;
	char *outhex = malloc(t->out_len * 2 + 1);
	json_t *res = json_array();
	uint32_t i;

	hex(id, t->mod->id, 32);
	hex(ih, t->input_hash, 32);
	hex(th, t->trace_hash, 32);
	hex(oh, t->output_hash, 32);
	if (outhex)
		hex(outhex, t->out, t->out_len);
	for (i = 0; i < t->nresults && ft; i++) {
		char buf[40];
		uint8_t ty = ft->types[ft->nparams + i];

		if (ty == SVM_T_I32)
			snprintf(buf, sizeof(buf), "i32:%" PRId32, (int32_t)(uint32_t)t->results[i]);
		else if (ty == SVM_T_I64)
			snprintf(buf, sizeof(buf), "i64:%" PRId64, (int64_t)t->results[i]);
		else
			snprintf(buf, sizeof(buf), "ref:%" PRIu64, t->results[i]);
		json_array_append_new(res, json_string(buf));
	}
	if (o->json) {
		json_t *j = json_object();

		json_object_set_new(j, "module_id", json_string(id));
		if (o->p.meter) {
			json_object_set_new(j, "input_hash", json_string(ih));
			json_object_set_new(j, "trace_hash", json_string(th));
			json_object_set_new(j, "output_hash", json_string(oh));
			json_object_set_new(j, "checkpoints", json_integer(t->ndigests));
		}
		json_object_set_new(j, "status", json_string(status_name(svm_task_status(t))));
		json_object_set_new(j, "code", json_integer(svm_task_code(t)));
		json_object_set_new(j, "fuel_used", json_integer(o->p.meter ?
					(json_int_t)svm_task_fuel_used(t) : 0));
		json_object_set_new(j, "results", res);
		json_object_set_new(j, "output_hex", json_string(outhex ? outhex : ""));
		json_object_set_new(j, "exec_ns", json_integer((json_int_t)ns));
		json_object_set_new(j, "slices", json_integer(slices));
		json_object_set_new(j, "meter", json_boolean(o->p.meter));
		if (o->replay_check)
			json_object_set_new(j, "replayed", json_integer(replayed));
		json_dumpf(j, stdout, JSON_COMPACT);
		printf("\n");
		json_decref(j);
		free(outhex);
		return;
	}
	printf("module_id    %s\n", id);
	if (o->p.meter) {
		printf("input_hash   %s\n", ih);
		printf("trace_hash   %s\n", th);
		printf("output_hash  %s\n", oh);
		printf("checkpoints  %" PRIu64 "\n", t->ndigests);
	}
	printf("status       %s", status_name(svm_task_status(t)));
	if (svm_task_status(t) != SYNAPSE_STATUS_OK)
		printf(" (code %d)", svm_task_code(t));
	printf("\n");
	if (o->p.meter)
		printf("fuel_used    %" PRIu64 "\n", svm_task_fuel_used(t));
	if (json_array_size(res)) {
		printf("results     ");
		for (i = 0; i < json_array_size(res); i++)
			printf(" %s", json_string_value(json_array_get(res, i)));
		printf("\n");
	}
	printf("exec_ns      %" PRIu64 "\n", ns);
	if (o->replay_check)
		printf("replayed     %d checkpoints, identical hashes\n", replayed);
	if (t->out_len) {
		printf("output       %" PRIu64 " bytes\n", t->out_len);
		fwrite(t->out, 1, t->out_len, stdout);
		if (t->out[t->out_len - 1] != '\n')
			printf("\n");
	}
	json_decref(res);
	free(outhex);
}

static int parse_run(struct opts *o, int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "entry", required_argument, NULL, 'e' },
		{ "input", required_argument, NULL, 'i' },
		{ "fuel", required_argument, NULL, 'f' },
		{ "checkpoint-every", required_argument, NULL, 'c' },
		{ "keep", required_argument, NULL, 'k' },
		{ "arg", required_argument, NULL, 'a' },
		{ "slice", required_argument, NULL, 's' },
		{ "replay-check", no_argument, NULL, 'r' },
		{ "no-meter", no_argument, NULL, 'n' },
		{ "max-pages", required_argument, NULL, 'm' },
		{ "cap-id", required_argument, NULL, 'C' },
		{ "cap", required_argument, NULL, 'C' },	/* synctl task start's name */
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	svm_task_default_limits(&o->p.lim);
	o->p.meter = true;
	o->p.entry = "run";
	optind = 1;
	while ((c = getopt_long(argc, argv, "j", lopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o->json = true;
			break;
		case 'e':
			o->p.entry = optarg;
			break;
		case 'i':
			o->input_path = optarg;
			break;
		case 'f':
			if (parse_u64(optarg, &o->p.lim.fuel))
				return -1;
			break;
		case 'c':
			if (parse_u64(optarg, &o->p.lim.checkpoint_every))
				return -1;
			break;
		case 'k':
			if (parse_u64(optarg, &v) || v > 1024)
				return -1;
			o->p.lim.keep = (uint32_t)v;
			break;
		case 'm':
			if (parse_u64(optarg, &v) || v > SVM_MAX_PAGES)
				return -1;
			o->p.lim.max_pages = (uint32_t)v;
			break;
		case 'a':
			if (parse_arg(&o->p, optarg))
				return -1;
			break;
		case 's':
			if (parse_u64(optarg, &o->slice))
				return -1;
			break;
		case 'r':
			o->replay_check = true;
			break;
		case 'n':
			o->p.meter = false;
			break;
		case 'C':
			if (parse_cap_id(optarg, o->p.cap_id)) {
				fprintf(stderr, "synvm: --cap-id wants 64 hex digits\n");
				return -1;
			}
			break;
		default:
			return -1;
		}
	}
	if (optind != argc - 1)
		return -1;
	o->path = argv[optind];
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	struct opts o = {};
	struct svm_error err;
	struct svm_module *m;
	struct svm_task *t;
	uint8_t *input = NULL;
	size_t input_len = 0;
	uint64_t t0, ns;
	int slices, replayed = 0, rc;

	if (parse_run(&o, argc, argv)) {
		usage();
		return 2;
	}
	if (o.input_path) {
		input = read_file(o.input_path, &input_len);
		if (!input) {
			fprintf(stderr, "synvm: %s: %s\n", o.input_path, strerror(errno));
			return 2;
		}
		o.p.input = input;
		o.p.input_len = input_len;
	}
	m = load(o.path, o.p.meter, o.json, &err);
	if (!m) {
		if (err.msg[0])
			print_error("load", &err, o.json);
		free(input);
		return 2;
	}
	t = svm_task_create(m, &o.p, NULL, &err);
	if (!t) {
		print_error("instantiate", &err, o.json);
		svm_module_free(m);
		free(input);
		return 2;
	}
	t0 = now_ns();
	slices = run_to_end(t, o.slice);
	ns = now_ns() - t0;
	rc = svm_task_status(t) == SYNAPSE_STATUS_OK ? 0 : 1;
	if (o.replay_check && o.p.meter && replay_check(t, &replayed)) {
		fprintf(stderr, "synvm: replay from a kept checkpoint diverged\n");
		rc = 1;
	}
	print_run(&o, t, ns, slices, replayed);
	svm_task_free(t);
	svm_module_free(m);
	free(input);
	return rc;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} cmds[] = {
	{ "run", cmd_run },
	{ "validate", cmd_validate },
	{ "dump", cmd_dump },
};

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage();
		return 2;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	usage();
	return 2;
}
