// SPDX-License-Identifier: GPL-2.0
/*
 * specrun - run the WebAssembly core spec suite (converted by wast2json)
 * against the engine.
 *
 * usage: specrun [-v] DIR/NAME.json...
 *
 * Every command of every script is executed: modules, register, actions
 * and all assertion kinds. A module the deterministic profile refuses
 * (float) is checked to be refused, then loaded again with float stubs
 * (svm_config.float_stubs: floats validated, float instructions compiled
 * to traps) so its integer functions still run; an assertion that reaches
 * float code, or passes or expects a float value, counts as "out of
 * profile", as does everything that needs a SIMD module. Text-format modules (assert_malformed on .wat)
 * are not binary and are counted as skipped. One TAP line per script: ok
 * when every in-profile assertion passed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "kmod/vm/svm.h"
#include "uapi/synapse_abi.h"

#define MAX_MODS	512
#define SPEC_FUEL	(1ull << 40)

struct named {
	char *name;
	struct svm_instance *inst;	/* NULL: out of profile / failed */
	bool out_of_profile;
};

struct script {
	const char *dir;
	struct svm_store store;
	struct svm_exec ex;
	struct svm_module *mods[MAX_MODS];
	int nmods;
	struct named named[MAX_MODS];	/* $names of modules */
	int nnamed;
	struct named reg[MAX_MODS];	/* register "as" names */
	int nreg;
	struct svm_instance *cur;
	bool cur_oop;
	int pass, fail, oop, skip, refused;
	uint64_t before;		/* store fingerprint before an action */
	bool tainted;			/* float code changed state: stop judging */
	bool stubs;			/* a module runs with float stubs */
	int verbose;
	const char *file;
	/* spectest */
	struct svm_instance *spectest_dummy;
	struct svm_funcinst *print[8];
	struct svm_global *g_i32, *g_i64, *g_f32, *g_f64;
	struct svm_table *table;
	struct svm_memory *memory;
};

static int spectest_print(struct svm_exec *ex, struct svm_funcinst *fi,
			  uint64_t *args, uint64_t *results, int *code)
{
	return 0;
}

static const uint8_t t_i32[] = { SVM_T_I32 };
static const uint8_t t_i64[] = { SVM_T_I64 };
static const uint8_t t_f32[] = { SVM_T_F32 };
static const uint8_t t_f64[] = { SVM_T_F64 };
static const uint8_t t_i32_f32[] = { SVM_T_I32, SVM_T_F32 };
static const uint8_t t_f64_f64[] = { SVM_T_F64, SVM_T_F64 };

static int setup_spectest(struct script *s)
{
	struct svm_functype ft[] = {
		{ 0, 0, (uint8_t *)t_i32 }, { 1, 0, (uint8_t *)t_i32 },
		{ 1, 0, (uint8_t *)t_i64 }, { 1, 0, (uint8_t *)t_f32 },
		{ 1, 0, (uint8_t *)t_f64 }, { 2, 0, (uint8_t *)t_i32_f32 },
		{ 2, 0, (uint8_t *)t_f64_f64 },
	};
	int i;

	for (i = 0; i < 7; i++) {
		s->print[i] = svm_store_host_func(&s->store, &ft[i],
						  spectest_print, s, i);
		if (!s->print[i])
			return -1;
	}
	/* the float globals only ever feed float code: bits unused */
	s->g_f32 = svm_store_global(&s->store, SVM_T_F32, false, 0);
	s->g_f64 = svm_store_global(&s->store, SVM_T_F64, false, 0);
	s->g_i32 = svm_store_global(&s->store, SVM_T_I32, false, 666);
	s->g_i64 = svm_store_global(&s->store, SVM_T_I64, false, 666);
	s->table = svm_store_table(&s->store, SVM_T_FUNCREF, 10, 20, true);
	s->memory = svm_store_memory(&s->store, 1, 2, true);
	return s->print[0] && s->print[1] && s->print[2] && s->g_i32 &&
	       s->g_i64 && s->table && s->memory ? 0 : -1;
}

static bool name_is(const struct svm_import *im, const char *mod,
		    const char *name)
{
	return im->mlen == strlen(mod) && !memcmp(im->module, mod, im->mlen) &&
	       im->nlen == strlen(name) && !memcmp(im->name, name, im->nlen);
}

static int resolve_spectest(struct script *s, const struct svm_import *im,
			    struct svm_extern *ext)
{
	static const struct { const char *n; int kind; int idx; } tab[] = {
		{ "print", SVM_EXT_FUNC, 0 }, { "print_i32", SVM_EXT_FUNC, 1 },
		{ "print_i64", SVM_EXT_FUNC, 2 },
		{ "print_f32", SVM_EXT_FUNC, 3 }, { "print_f64", SVM_EXT_FUNC, 4 },
		{ "print_i32_f32", SVM_EXT_FUNC, 5 },
		{ "print_f64_f64", SVM_EXT_FUNC, 6 },
		{ "global_i32", SVM_EXT_GLOBAL, 0 },
		{ "global_i64", SVM_EXT_GLOBAL, 1 },
		{ "global_f32", SVM_EXT_GLOBAL, 2 },
		{ "global_f64", SVM_EXT_GLOBAL, 3 },
		{ "table", SVM_EXT_TABLE, 0 }, { "memory", SVM_EXT_MEMORY, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (!name_is(im, "spectest", tab[i].n))
			continue;
		ext->kind = tab[i].kind;
		switch (tab[i].kind) {
		case SVM_EXT_FUNC:
			ext->ptr = s->print[tab[i].idx];
			break;
		case SVM_EXT_GLOBAL: {
			struct svm_global *g[] = { s->g_i32, s->g_i64, s->g_f32, s->g_f64 };

			ext->ptr = g[tab[i].idx];
			break;
		}
		case SVM_EXT_TABLE:
			ext->ptr = s->table;
			break;
		default:
			ext->ptr = s->memory;
		}
		return 0;
	}
	return -1;
}

static int resolve(struct script *s, const struct svm_module *m,
		   struct svm_extern *exts)
{
	uint32_t i;
	int j;

	for (i = 0; i < m->nimports; i++) {
		const struct svm_import *im = &m->imports[i];
		char mod[256], name[256];
		bool found = false;

		if (!resolve_spectest(s, im, &exts[i]))
			continue;
		snprintf(mod, sizeof(mod), "%.*s", (int)im->mlen, im->module);
		snprintf(name, sizeof(name), "%.*s", (int)im->nlen, im->name);
		for (j = s->nreg - 1; j >= 0; j--) {
			if (strcmp(s->reg[j].name, mod))
				continue;
			if (s->reg[j].out_of_profile)
				return -2;
			if (!s->reg[j].inst)
				continue;
			if (!svm_instance_export(s->reg[j].inst, name, &exts[i]))
				found = true;
			break;
		}
		if (!found)
			return -1;
	}
	return 0;
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc(n + 1);
		if (buf && fread(buf, 1, n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = n;
	}
	fclose(f);
	return buf;
}

static struct svm_module *load_cfg(struct script *s, const char *file,
				   struct svm_error *err, bool stubs)
{
	char path[4096];
	struct svm_config cfg = { .meter = true, .float_stubs = stubs };
	struct svm_module *m;
	uint8_t *b;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/%s", s->dir, file);
	b = read_file(path, &len);
	if (!b) {
		snprintf(err->msg, sizeof(err->msg), "cannot read %.150s", file);
		err->profile = false;
		return NULL;
	}
	m = svm_module_load(b, len, &cfg, err);
	free(b);
	if (m && s->nmods < MAX_MODS)
		s->mods[s->nmods++] = m;
	else if (m) {
		svm_module_free(m);
		m = NULL;
	}
	return m;
}

/*
 * Load for running: a module the profile refuses is loaded again with
 * float stubs (the refusal itself is counted in s->refused).
 */
static struct svm_module *load(struct script *s, const char *file,
			       struct svm_error *err)
{
	struct svm_module *m = load_cfg(s, file, err, false);

	if (m || !err->profile)
		return m;
	s->refused++;
	s->stubs = true;
	return load_cfg(s, file, err, true);
}

#define DIAG(s, line, ...)						\
	do {								\
		if ((s)->verbose) {					\
			printf("#   %s:%d: ", (s)->file, (line));	\
			printf(__VA_ARGS__);				\
			printf("\n");					\
		}							\
	} while (0)

static void result(struct script *s, int line, bool ok, const char *what)
{
	/* after float code ran (tainted), state is not the real one */
	if (s->tainted) {
		s->oop++;
		return;
	}
	if (ok) {
		s->pass++;
		return;
	}
	s->fail++;
	DIAG(s, line, "FAIL %s", what);
}

/* "module": load and instantiate; becomes current (and maybe named). */
static void cmd_module(struct script *s, json_t *cmd, int line)
{
	const char *file = json_string_value(json_object_get(cmd, "filename"));
	const char *name = json_string_value(json_object_get(cmd, "name"));
	struct svm_extern exts[4096];
	struct svm_error err;
	struct svm_module *m;
	bool trapped;

	s->cur = NULL;
	s->cur_oop = false;
	m = load(s, file, &err);
	if (!m) {
		if (err.profile) {
			s->cur_oop = true;
			s->oop++;
		} else {
			result(s, line, false, "module load");
			DIAG(s, line, "  %s (offset %u)", err.msg, err.offset);
		}
		goto out_name;
	}
	if (m->nimports > 4096) {
		result(s, line, false, "module imports");
		goto out_name;
	}
	switch (resolve(s, m, exts)) {
	case 0:
		break;
	case -2:	/* links against a module outside the profile */
		s->cur_oop = true;
		s->oop++;
		goto out_name;
	default:
		result(s, line, false, "module imports");
		goto out_name;
	}
	s->cur = svm_instantiate(&s->store, m, exts, &s->ex, &err, &trapped);
	result(s, line, s->cur != NULL, "module instantiate");
	if (!s->cur)
		DIAG(s, line, "  %s", err.msg);
out_name:
	if (name && s->nnamed < MAX_MODS) {
		s->named[s->nnamed].name = strdup(name);
		s->named[s->nnamed].inst = s->cur;
		s->named[s->nnamed].out_of_profile = s->cur_oop;
		s->nnamed++;
	}
}

static bool lookup_module(struct script *s, json_t *action,
			  struct svm_instance **in, bool *oop)
{
	const char *name = json_string_value(json_object_get(action, "module"));
	int i;

	if (!name) {
		*in = s->cur;
		*oop = s->cur_oop;
		return true;
	}
	for (i = s->nnamed - 1; i >= 0; i--) {
		if (!strcmp(s->named[i].name, name)) {
			*in = s->named[i].inst;
			*oop = s->named[i].out_of_profile;
			return true;
		}
	}
	return false;
}

static bool parse_value(json_t *v, uint64_t *out, uint8_t *type)
{
	const char *t = json_string_value(json_object_get(v, "type"));
	const char *val = json_string_value(json_object_get(v, "value"));

	if (!t)
		return false;
	if (!strcmp(t, "i32")) {
		*type = SVM_T_I32;
		*out = (uint32_t)strtoull(val, NULL, 10);
	} else if (!strcmp(t, "i64")) {
		*type = SVM_T_I64;
		*out = strtoull(val, NULL, 10);
	} else if (!strcmp(t, "externref")) {
		*type = SVM_T_EXTERNREF;
		*out = (!val || !strcmp(val, "null")) ? 0 : strtoull(val, NULL, 10) + 1;
	} else if (!strcmp(t, "funcref")) {
		*type = SVM_T_FUNCREF;
		*out = (!val || !strcmp(val, "null")) ? 0 : 1;
	} else {
		return false;	/* floats, v128: outside the profile */
	}
	return true;
}

/* Run an action; returns 0 with ex state set, -1 if it could not run. */
static int do_action(struct script *s, json_t *action, int line, bool *oop)
{
	const char *type = json_string_value(json_object_get(action, "type"));
	const char *field = json_string_value(json_object_get(action, "field"));
	json_t *args = json_object_get(action, "args");
	struct svm_instance *in;
	struct svm_extern ext;
	uint64_t av[64];
	uint8_t at;
	size_t i;

	*oop = s->tainted;
	if (s->tainted || !lookup_module(s, action, &in, oop) || *oop)
		return -1;
	if (!in) {
		DIAG(s, line, "no instance for action");
		return -1;
	}
	if (!field || svm_instance_export_n(in, field,
			json_string_length(json_object_get(action, "field")), &ext)) {
		DIAG(s, line, "no export %s", field);
		return -1;
	}
	if (!strcmp(type, "get")) {
		if (ext.kind != SVM_EXT_GLOBAL)
			return -1;
		s->ex.status = SYNAPSE_STATUS_OK;
		s->ex.stack[0] = ((struct svm_global *)ext.ptr)->val;
		s->ex.results = s->ex.stack;
		return 0;
	}
	if (ext.kind != SVM_EXT_FUNC || json_array_size(args) > 64)
		return -1;
	for (i = 0; i < json_array_size(args); i++) {
		if (!parse_value(json_array_get(args, i), &av[i], &at)) {
			*oop = true;
			return -1;
		}
	}
	/* only float stubs can trap with state to compare: skip otherwise */
	if (s->stubs)
		s->before = svm_store_fingerprint(&s->store);
	if (svm_exec_start(&s->ex, ext.ptr, av, json_array_size(args),
			   SPEC_FUEL))
		return -1;
	while (svm_exec_run(&s->ex, 0) == SVM_RUN_YIELD)
		;
	return 0;
}

/*
 * The run reached float code: out of profile, not a verdict. If it was a
 * bare action (run for its effects) or had already changed state, the real
 * run's state differs from ours from here on: everything after it in the
 * script is out of profile too ("tainted"). Assertions on float functions
 * that trap before touching state are taken to be pure: if one was not,
 * later assertions could fail spuriously (visible), never pass wrongly.
 */
static bool float_reached(struct script *s, bool action)
{
	if (s->ex.status != SYNAPSE_STATUS_TRAP ||
	    s->ex.code != SVM_TRAP_FLOAT_STUB)
		return false;
	if (action || svm_store_fingerprint(&s->store) != s->before)
		s->tainted = true;
	s->oop++;
	return true;
}

static bool check_results(struct script *s, json_t *expected, int line,
			  bool *oop)
{
	const uint64_t *res = svm_exec_results(&s->ex);
	size_t i;

	*oop = false;
	if (s->ex.status != SYNAPSE_STATUS_OK) {
		DIAG(s, line, "status %d code %d", s->ex.status, s->ex.code);
		return false;
	}
	for (i = 0; i < json_array_size(expected); i++) {
		json_t *e = json_array_get(expected, i);
		const char *val = json_string_value(json_object_get(e, "value"));
		uint64_t v;
		uint8_t t;

		if (!parse_value(e, &v, &t)) {
			*oop = true;
			return false;
		}
		if (t == SVM_T_FUNCREF) {
			if (val && !strcmp(val, "null") ? res[i] != 0 : res[i] == 0)
				return false;
			continue;
		}
		if (res[i] != v) {
			DIAG(s, line, "result %zu: got %llu want %llu", i,
			     (unsigned long long)res[i], (unsigned long long)v);
			return false;
		}
	}
	return true;
}

static int trap_code(const char *text)
{
	static const struct { const char *t; int code; } map[] = {
		{ "unreachable", SYNAPSE_TRAP_UNREACHABLE },
		{ "out of bounds memory access", SYNAPSE_TRAP_MEMORY_OOB },
		{ "integer divide by zero", SYNAPSE_TRAP_DIV_ZERO },
		{ "integer overflow", SYNAPSE_TRAP_INT_OVERFLOW },
		{ "undefined element", SYNAPSE_TRAP_TABLE_OOB },
		{ "out of bounds table access", SYNAPSE_TRAP_TABLE_OOB },
		{ "uninitialized element", SYNAPSE_TRAP_NULL_FUNC },
		{ "indirect call type mismatch", SYNAPSE_TRAP_SIG_MISMATCH },
		{ "call stack exhausted", SYNAPSE_TRAP_STACK_EXHAUSTED },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (text && !strncmp(text, map[i].t, strlen(map[i].t)))
			return map[i].code;
	return -1;
}

static void assert_fails_load(struct script *s, json_t *cmd, int line,
			      const char *what)
{
	const char *mt = json_string_value(json_object_get(cmd, "module_type"));
	const char *file = json_string_value(json_object_get(cmd, "filename"));
	struct svm_error err;
	struct svm_module *m;
	char path[4096];
	uint8_t *b;
	size_t len = 0;

	if (mt && strcmp(mt, "binary")) {
		s->skip++;
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", s->dir, file);
	b = read_file(path, &len);
	if (!b) {
		result(s, line, false, "read module");
		return;
	}
	/* refused even when floats are accepted: a real validation error */
	{
		struct svm_config cfg = { .meter = true, .float_stubs = true };

		m = svm_module_load(b, len, &cfg, &err);
	}
	free(b);
	if (m == NULL && err.profile) {
		s->oop++;	/* SIMD: cannot tell invalid from refused */
		return;
	}
	/* decoding depends on no state: judged even after float code ran */
	if (m == NULL) {
		s->pass++;
	} else {
		s->fail++;
		DIAG(s, line, "FAIL %s: accepted an invalid module", what);
	}
	svm_module_free(m);
}

static void assert_link_fails(struct script *s, json_t *cmd, int line,
			      bool want_trap)
{
	const char *file = json_string_value(json_object_get(cmd, "filename"));
	struct svm_extern exts[4096];
	struct svm_error err;
	struct svm_module *m;
	bool trapped = false;
	struct svm_instance *in = NULL;

	m = load(s, file, &err);
	if (!m) {
		if (err.profile)
			s->oop++;
		else
			result(s, line, false, "module load (link assertion)");
		return;
	}
	if (m->nimports <= 4096) {
		int r = resolve(s, m, exts);

		if (r == -2) {
			s->oop++;
			return;
		}
		if (!r)
			in = svm_instantiate(&s->store, m, exts, &s->ex, &err,
					     &trapped);
	}
	if (want_trap)
		result(s, line, !in && trapped, "assert_uninstantiable");
	else
		result(s, line, !in && !trapped, "assert_unlinkable");
}

static void run_command(struct script *s, json_t *cmd)
{
	const char *type = json_string_value(json_object_get(cmd, "type"));
	int line = (int)json_integer_value(json_object_get(cmd, "line"));
	json_t *action = json_object_get(cmd, "action");
	bool oop = false;

	if (!strcmp(type, "module")) {
		cmd_module(s, cmd, line);
	} else if (!strcmp(type, "register")) {
		const char *as = json_string_value(json_object_get(cmd, "as"));
		struct svm_instance *in;

		if (!lookup_module(s, cmd, &in, &oop))
			return;
		if (s->nreg < MAX_MODS) {
			s->reg[s->nreg].name = strdup(as);
			s->reg[s->nreg].inst = in;
			s->reg[s->nreg].out_of_profile = oop;
			s->nreg++;
		}
	} else if (!strcmp(type, "action")) {
		if (do_action(s, action, line, &oop)) {
			if (oop)
				s->oop++;
			else
				result(s, line, false, "action");
			return;
		}
		if (float_reached(s, true))
			return;
		result(s, line, s->ex.status == SYNAPSE_STATUS_OK, "action");
	} else if (!strcmp(type, "assert_return")) {
		if (do_action(s, action, line, &oop)) {
			if (oop)
				s->oop++;
			else
				result(s, line, false, "assert_return (action)");
			return;
		}
		bool ok;

		if (float_reached(s, false))
			return;
		ok = check_results(s, json_object_get(cmd, "expected"), line, &oop);

		if (!ok && oop) {
			s->oop++;
			return;
		}
		result(s, line, ok, "assert_return");
	} else if (!strcmp(type, "assert_trap") ||
		   !strcmp(type, "assert_exhaustion")) {
		const char *text = json_string_value(json_object_get(cmd, "text"));
		int want = trap_code(text);

		if (do_action(s, action, line, &oop)) {
			if (oop)
				s->oop++;
			else
				result(s, line, false, "assert_trap (action)");
			return;
		}
		if (float_reached(s, false))
			return;
		if (s->ex.status != SYNAPSE_STATUS_TRAP ||
		    (want >= 0 && s->ex.code != want))
			DIAG(s, line, "want trap \"%s\", got status %d code %d",
			     text, s->ex.status, s->ex.code);
		result(s, line, s->ex.status == SYNAPSE_STATUS_TRAP &&
		       (want < 0 || s->ex.code == want), type);
	} else if (!strcmp(type, "assert_invalid")) {
		assert_fails_load(s, cmd, line, "assert_invalid");
	} else if (!strcmp(type, "assert_malformed")) {
		assert_fails_load(s, cmd, line, "assert_malformed");
	} else if (!strcmp(type, "assert_unlinkable")) {
		assert_link_fails(s, cmd, line, false);
	} else if (!strcmp(type, "assert_uninstantiable")) {
		assert_link_fails(s, cmd, line, true);
	} else {
		s->skip++;
		DIAG(s, line, "unknown command %s", type);
	}
}

static int run_script(const char *path, int verbose, int *tp, int *tf,
		      int *to, int *ts, int *tr)
{
	struct script *s = calloc(1, sizeof(*s));
	json_error_t jerr;
	json_t *root, *cmds;
	char *dir = strdup(path), *slash;
	size_t i;
	int n;

	if (!s || !dir)
		return -1;
	slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	else
		strcpy(dir, ".");
	s->dir = dir;
	s->file = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	s->verbose = verbose;
	root = json_load_file(path, JSON_ALLOW_NUL, &jerr);
	if (!root) {
		fprintf(stderr, "specrun: %s: %s\n", path, jerr.text);
		return -1;
	}
	svm_store_init(&s->store, 0, 0);
	if (svm_exec_init(&s->ex, 1u << 20, 20000) || setup_spectest(s)) {
		fprintf(stderr, "specrun: out of memory\n");
		return -1;
	}
	cmds = json_object_get(root, "commands");
	for (i = 0; i < json_array_size(cmds); i++)
		run_command(s, json_array_get(cmds, i));
	*tp += s->pass;
	*tf += s->fail;
	*to += s->oop;
	*ts += s->skip;
	*tr += s->refused;
	n = s->fail;
	printf("# %-28s passed %5d failed %4d out-of-profile %4d skipped %3d refused %3d\n",
	       s->file, s->pass, s->fail, s->oop, s->skip, s->refused);
	svm_exec_destroy(&s->ex);
	svm_store_destroy(&s->store);
	for (i = 0; i < (size_t)s->nmods; i++)
		svm_module_free(s->mods[i]);
	for (i = 0; i < (size_t)s->nnamed; i++)
		free(s->named[i].name);
	for (i = 0; i < (size_t)s->nreg; i++)
		free(s->reg[i].name);
	json_decref(root);
	free(dir);
	free(s);
	return n;
}

int main(int argc, char **argv)
{
	int i, verbose = 0, tp = 0, tf = 0, to = 0, ts = 0, tr = 0, k = 0;
	int bad = 0;

	if (argc > 1 && !strcmp(argv[1], "-v")) {
		verbose = 1;
		argv++;
		argc--;
	}
	printf("TAP version 13\n1..%d\n", argc - 1);
	for (i = 1; i < argc; i++) {
		const char *name = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
		int r = run_script(argv[i], verbose, &tp, &tf, &to, &ts, &tr);

		k++;
		if (r == 0) {
			printf("ok %d %s\n", k, name);
		} else {
			printf("not ok %d %s\n", k, name);
			bad++;
		}
	}
	printf("# spec totals: %d assertions passed, %d failed, %d out of profile, %d skipped (text format); %d modules refused by the profile (then run with float stubs)\n",
	       tp, tf, to, ts, tr);
	return bad ? 1 : 0;
}
