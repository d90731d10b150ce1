// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's two engine backends give the same result: every example is
 * run through the executor on the embedded engine and on synapse.ko (the
 * agent's kernel backend, agent/exec/kengine.c), and status, code, fuel used,
 * trace and output hashes and the output bytes must be equal. Prints TAP.
 *
 *   engines [--require-kernel] EXAMPLES_DIR
 *
 * Then the rollback hooks on a loop task with many checkpoints: the kernel
 * backend's checkpoint list (digests, fuel, kept rollback points) equals
 * the embedded engine's; a restore from a kept kernel checkpoint
 * (TASK_REPLAY) replays to the same result; with the transient state fault
 * armed the kernel run diverges from the first checkpoint at the fault's
 * fuel on, and the replay from the last agreed kept checkpoint heals it;
 * with the persistent fault it does not.
 *
 * Without synapse.ko the kernel half is skipped, unless --require-kernel
 * (the VM suite) makes that a failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/sha.h>

#include "agent/exec/executor.h"
#include "agent/cluster/fault.h"
#include "agent/log.h"

struct example {
	const char *file, *input;
	uint64_t fuel;
};

static const struct example examples[] = {
	{ "hello.wasm", "", 0 },
	{ "echo.wasm", "echo this back", 0 },
	{ "wordcount.wasm", "the quick brown fox\njumps over the lazy dog\n", 0 },
	{ "sha256.wasm", "deterministic execution in the kernel", 0 },
	{ "trap.wasm", "", 0 },
	{ "abort.wasm", "", 0 },
	{ "loop.wasm", "", 200000 },	/* ends fuel-exhausted */
};

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		goto out;
	buf = malloc(n + 1);
	if (buf && fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	*len = n;
out:
	fclose(f);
	return buf;
}

static int run_on(const char *engine, struct task_spec *t, const uint8_t *mod,
		  size_t len, struct exec_result *res)
{
	char err[256];
	int ret;

	if (executor_init(engine, NULL, NULL, NULL, err, sizeof(err))) {
		printf("# %s: %s\n", engine, err);
		return 1;
	}
	ret = executor_run(t, mod, len, res, err, sizeof(err));
	if (ret)
		printf("# %s: %s: %s\n", engine, t->id, err);
	executor_exit();
	return ret ? -1 : 0;
}

static bool same(const struct exec_result *a, const struct exec_result *b)
{
	return a->status == b->status && a->code == b->code &&
	       a->fuel_used == b->fuel_used &&
	       !memcmp(a->trace, b->trace, HASH_LEN) &&
	       !memcmp(a->output, b->output, HASH_LEN) &&
	       a->out_len == b->out_len &&
	       !memcmp(a->out, b->out, a->out_len);
}

static void hex(const uint8_t *h, char *out)
{
	int i;

	for (i = 0; i < 8; i++)
		sprintf(out + 2 * i, "%02x", h[i]);
}

static int one(int n, const char *dir, const struct example *e, bool require)
{
	struct exec_result u, k;
	struct task_spec t;
	char path[512], a[17], b[17];
	uint8_t *mod;
	size_t len;
	int ret;

	memset(&t, 0, sizeof(t));
	snprintf(t.id, sizeof(t.id), "%s", e->file);
	strcpy(t.entry, "run");
	t.input = (uint8_t *)e->input;
	t.input_len = strlen(e->input);
	t.fuel = e->fuel;
	snprintf(path, sizeof(path), "%s/%s", dir, e->file);
	mod = read_file(path, &len);
	if (!mod) {
		printf("not ok %d %s (cannot read %s)\n", n, e->file, path);
		return 1;
	}
	SHA256(mod, len, t.module_id);
	executor_input_hash(&t);
	if (run_on("user", &t, mod, len, &u)) {
		printf("not ok %d %s (embedded engine failed)\n", n, e->file);
		free(mod);
		return 1;
	}
	ret = run_on("kernel", &t, mod, len, &k);
	free(mod);
	if (ret > 0 && !require) {
		printf("ok %d %s # SKIP synapse.ko not loaded\n", n, e->file);
		exec_result_free(&u);
		return 0;
	}
	if (ret) {
		printf("not ok %d %s (kernel engine failed)\n", n, e->file);
		exec_result_free(&u);
		return 1;
	}
	ret = !same(&u, &k);
	hex(u.trace, a);
	hex(k.trace, b);
	printf("%sok %d %s: status %u/%u fuel %llu/%llu trace %s/%s output %zu/%zu bytes\n",
	       ret ? "not " : "", n, e->file, u.status, k.status,
	       (unsigned long long)u.fuel_used, (unsigned long long)k.fuel_used,
	       a, b, u.out_len, k.out_len);
	exec_result_free(&u);
	exec_result_free(&k);
	return ret;
}

/* ---- rollback ---- */

#define RB_FUEL		3000000ull
#define RB_EVERY	100000ull
#define RB_FAULT	2450000ull	/* past most checkpoints: kept ones before it */

/* An ended run and a copy of its checkpoint list and kept seqs. */
struct rb_run {
	struct exec_run *r;
	struct exec_result res;
	uint64_t n, nkept;
	uint8_t (*d)[HASH_LEN];
	uint64_t *fuel;
	uint64_t kept[64];
};

static void rb_free(struct rb_run *x)
{
	executor_abort(x->r);
	exec_result_free(&x->res);
	free(x->d);
	free(x->fuel);
	memset(x, 0, sizeof(*x));
}

/* Copies r's list (it is valid only until r changes). */
static int rb_list(struct rb_run *x)
{
	const uint8_t (*d)[HASH_LEN];
	const uint64_t *fuel;

	free(x->d);
	free(x->fuel);
	x->d = NULL;
	x->fuel = NULL;
	if (executor_checkpoints(x->r, &d, &fuel, &x->n) || !x->n)
		return -1;
	x->d = malloc(x->n * HASH_LEN);
	x->fuel = malloc(x->n * sizeof(*x->fuel));
	if (!x->d || !x->fuel)
		return -1;
	memcpy(x->d, d, x->n * HASH_LEN);
	memcpy(x->fuel, fuel, x->n * sizeof(*fuel));
	x->nkept = executor_kept(x->r, x->kept, 64);
	return x->nkept > 64 ? -1 : 0;
}

/* Steps r to its end and reads its result and checkpoints. */
static int rb_finish(struct rb_run *x)
{
	while (executor_step(x->r, 0) != EXEC_DONE)
		;
	exec_result_free(&x->res);
	if (executor_result(x->r, &x->res))
		return -1;
	return rb_list(x);
}

static int rb_start(struct rb_run *x, const struct task_spec *t,
		    const uint8_t *mod, size_t len)
{
	char err[256];

	memset(x, 0, sizeof(*x));
	x->r = executor_start(t, mod, len, err, sizeof(err));
	if (!x->r) {
		printf("# start: %s\n", err);
		return -1;
	}
	return rb_finish(x);
}

/* First index where the lists differ (digest or fuel); n when none. */
static uint64_t rb_first(const struct rb_run *a, const struct rb_run *b)
{
	uint64_t i, n = a->n < b->n ? a->n : b->n;

	for (i = 0; i < n; i++)
		if (memcmp(a->d[i], b->d[i], HASH_LEN) || a->fuel[i] != b->fuel[i])
			break;
	return i;
}

static bool rb_same_result(const struct rb_run *a, const struct rb_run *b)
{
	return a->res.status == b->res.status && a->res.fuel_used == b->res.fuel_used &&
	       !memcmp(a->res.trace, b->res.trace, HASH_LEN) &&
	       !memcmp(a->res.output, b->res.output, HASH_LEN);
}

/* Restores the newest kept checkpoint before index first, replays. */
static int rb_rollback(struct rb_run *x, uint64_t first, uint64_t *from)
{
	uint64_t fuel;
	int k;

	for (k = (int)x->nkept - 1; k >= 0; k--)
		if (x->kept[k] < first)
			break;
	if (k < 0) {
		printf("# no kept checkpoint before %llu\n", (unsigned long long)first);
		return -1;
	}
	if (executor_restore(x->r, x->kept[k], &fuel) || fuel != x->fuel[x->kept[k]])
		return -1;
	*from = x->kept[k];
	return rb_finish(x);
}

static void rb_tap(int n, bool ok, const char *name)
{
	printf("%sok %d %s\n", ok ? "" : "not ", n, name);
}

static int arm(const char *fault)
{
	char err[256];

	setenv("SYNAPSE_ENABLE_FAULTS", "1", 1);
	if (fault_arm(fault, true, err, sizeof(err))) {
		printf("# %s\n", err);
		return -1;
	}
	return 0;
}

/* Runs a state fault on the kernel engine, rolls back, replays. */
static int rb_fault(int n, const char *fault, bool heals, const struct rb_run *u,
		    const struct task_spec *t, const uint8_t *mod, size_t len)
{
	struct rb_run k;
	uint64_t first, expect, from = 0;
	bool ok;

	if (arm(fault) || rb_start(&k, t, mod, len)) {
		rb_tap(n, false, fault);
		rb_free(&k);
		return 1;
	}
	first = rb_first(&k, u);
	for (expect = 0; expect < u->n && u->fuel[expect] < RB_FAULT; expect++)
		;
	ok = first == expect && first < u->n &&
	     memcmp(k.res.trace, u->res.trace, HASH_LEN) &&
	     !memcmp(k.res.output, u->res.output, HASH_LEN);
	printf("# %s: first divergent checkpoint %llu (expected %llu, fuel %llu)\n",
	       fault, (unsigned long long)first, (unsigned long long)expect,
	       (unsigned long long)(first < u->n ? u->fuel[first] : 0));
	if (ok)
		ok = !rb_rollback(&k, first, &from) && from + 1 == first &&
		     rb_same_result(&k, u) == heals;
	printf("# %s: replayed from kept checkpoint %llu: %s\n", fault,
	       (unsigned long long)from, rb_same_result(&k, u) ? "agrees" : "still differs");
	rb_tap(n, ok, heals ? "kernel_transient_state_fault_healed_by_rollback" :
			      "kernel_persistent_state_fault_survives_rollback");
	rb_free(&k);
	return !ok;
}

/* The four rollback tests could not run: skipped, or failed when required. */
static int rb_skip(int n, bool bad, const char *why)
{
	int i;

	for (i = 0; i < 4; i++)
		printf("%sok %d rollback %s%s\n", bad ? "not " : "", n + i,
		       bad ? "" : "# SKIP ", why);
	return bad ? 4 : 0;
}

static int rollback_tests(int n, const char *dir, bool require)
{
	struct rb_run u, k;
	struct task_spec t;
	char path[512], err[256];
	uint64_t from = 0;
	uint8_t *mod;
	size_t len;
	int failed = 0;
	bool ok;

	memset(&t, 0, sizeof(t));
	strcpy(t.id, "rollback");
	strcpy(t.entry, "run");
	t.fuel = RB_FUEL;
	t.checkpoint_every = RB_EVERY;
	snprintf(path, sizeof(path), "%s/loop.wasm", dir);
	mod = read_file(path, &len);
	if (!mod)
		return rb_skip(n, true, "(cannot read loop.wasm)");
	SHA256(mod, len, t.module_id);
	executor_input_hash(&t);
	memset(&u, 0, sizeof(u));
	memset(&k, 0, sizeof(k));
	if (executor_init("user", NULL, NULL, NULL, err, sizeof(err)) ||
	    rb_start(&u, &t, mod, len)) {
		failed = rb_skip(n, true, "(embedded engine failed)");
		goto out;
	}
	executor_exit();
	if (executor_init("kernel", NULL, NULL, NULL, err, sizeof(err))) {
		printf("# kernel: %s\n", err);
		failed = rb_skip(n, require, "synapse.ko not loaded");
		goto out;
	}
	ok = !rb_start(&k, &t, mod, len) && k.n == u.n && rb_first(&k, &u) == u.n &&
	     k.nkept == u.nkept && !memcmp(k.kept, u.kept, u.nkept * sizeof(*u.kept)) &&
	     rb_same_result(&k, &u);
	printf("# %llu checkpoints, %llu kept (oldest %llu) on both engines\n",
	       (unsigned long long)u.n, (unsigned long long)u.nkept,
	       (unsigned long long)(u.nkept ? u.kept[0] : 0));
	rb_tap(n, ok, "kernel_checkpoint_list_equals_embedded_digest_fuel_kept");
	failed += !ok;
	ok = ok && !rb_rollback(&k, k.kept[0] + 1, &from) && rb_same_result(&k, &u) &&
	     rb_first(&k, &u) == u.n && k.n == u.n;
	rb_tap(n + 1, ok, "kernel_restore_from_kept_checkpoint_replays_to_same_result");
	failed += !ok;
	rb_free(&k);
	failed += rb_fault(n + 2, "corrupt-state-once:2450000", true, &u, &t, mod, len);
	failed += rb_fault(n + 3, "corrupt-state:2450000", false, &u, &t, mod, len);
out:
	executor_exit();
	rb_free(&u);
	free(mod);
	return failed;
}

int main(int argc, char **argv)
{
	unsigned int i, n = sizeof(examples) / sizeof(examples[0]);
	bool require = argc > 2 && !strcmp(argv[1], "--require-kernel");
	const char *dir = argv[argc - 1];
	int failed = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: engines [--require-kernel] EXAMPLES_DIR\n");
		return 2;
	}
	log_set_level(LOG_LVL_WARN);	/* TAP only on stdout */
	printf("TAP version 13\n1..%u\n", n + 4);
	for (i = 0; i < n; i++)
		failed += one(i + 1, dir, &examples[i], require);
	failed += rollback_tests(n + 1, dir, require);
	return failed ? 1 : 0;
}
