// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's two engine backends give the same result: every example is
 * run through the executor on the embedded engine and on synapse.ko (the
 * agent's kernel backend, agent/kengine.c), and status, code, fuel used,
 * trace and output hashes and the output bytes must be equal. Prints TAP.
 *
 *   engines [--require-kernel] EXAMPLES_DIR
 *
 * Without synapse.ko the kernel half is skipped, unless --require-kernel
 * (the VM suite) makes that a failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/sha.h>

#include "agent/executor.h"
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
	printf("TAP version 13\n1..%u\n", n);
	for (i = 0; i < n; i++)
		failed += one(i + 1, dir, &examples[i], require);
	return failed ? 1 : 0;
}
