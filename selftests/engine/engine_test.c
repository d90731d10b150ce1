// SPDX-License-Identifier: GPL-2.0
/*
 * Engine unit tests (suite "engine"): determinism, fuel exhaustion at the
 * same point, traps, limits, restore + replay, the host ABI, profile
 * refusals with offsets, and the hash layouts of Documentation/hashes.md
 * recomputed independently with OpenSSL.
 *
 * The modules are the .wat files next to this file, assembled by wat2wasm
 * into WASM_DIR at build time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <kselftest_harness.h>

#include "kmod/vm/svm.h"
#include "kmod/vm/task.h"
#include "uapi/synapse_abi.h"

static uint8_t *slurp(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	uint8_t *b;
	long n;

	snprintf(path, sizeof(path), "%s/%s.wasm", WASM_DIR, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc(n + 1);
	if (b && fread(b, 1, n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	*len = n;
	return b;
}

static struct svm_module *load_mod(const char *name, bool meter,
				   struct svm_error *err)
{
	struct svm_config cfg = { .meter = meter };
	struct svm_module *m;
	size_t len;
	uint8_t *b = slurp(name, &len);

	if (!b)
		return NULL;
	m = svm_module_load(b, len, &cfg, err);
	free(b);
	return m;
}

struct outcome {
	int status, code;
	uint64_t fuel;
	uint8_t input[32], trace[32], output[32];
	uint64_t result;
	uint64_t ndigests;
};

static void params(struct svm_task_params *p, const char *entry)
{
	memset(p, 0, sizeof(*p));
	svm_task_default_limits(&p->lim);
	p->meter = true;
	p->entry = entry;
}

static void arg64(struct svm_task_params *p, uint64_t v)
{
	p->arg_types[p->nargs] = SVM_T_I64;
	p->args[p->nargs++] = v;
}

static void arg32(struct svm_task_params *p, uint32_t v)
{
	p->arg_types[p->nargs] = SVM_T_I32;
	p->args[p->nargs++] = v;
}

static void capture(struct svm_task *t, struct outcome *o)
{
	o->status = svm_task_status(t);
	o->code = svm_task_code(t);
	o->fuel = svm_task_fuel_used(t);
	memcpy(o->input, t->input_hash, 32);
	memcpy(o->trace, t->trace_hash, 32);
	memcpy(o->output, t->output_hash, 32);
	o->result = t->nresults ? t->results[0] : 0;
	o->ndigests = t->ndigests;
}

static int run_task(struct svm_module *m, const struct svm_task_params *p,
		    const struct svm_task_host *host, uint64_t slice,
		    struct outcome *o)
{
	struct svm_error err;
	struct svm_task *t = svm_task_create(m, p, host, &err);
	int n = 0;

	if (!t)
		return -1;
	while (svm_task_run(t, slice) == SVM_RUN_YIELD && n < 10000000)
		n++;
	capture(t, o);
	svm_task_free(t);
	return 0;
}

static bool same(const struct outcome *a, const struct outcome *b)
{
	return a->status == b->status && a->code == b->code &&
	       a->fuel == b->fuel && !memcmp(a->trace, b->trace, 32) &&
	       !memcmp(a->output, b->output, 32) &&
	       !memcmp(a->input, b->input, 32) && a->result == b->result &&
	       a->ndigests == b->ndigests;
}

TEST(determinism_two_runs)
{
	struct svm_module *m = load_mod("loop", true, NULL);
	struct svm_task_params p;
	struct outcome a, b;

	ASSERT_NE(NULL, m);
	params(&p, "mix");
	arg32(&p, 20000);
	p.lim.checkpoint_every = 5000;
	ASSERT_EQ(0, run_task(m, &p, NULL, 0, &a));
	ASSERT_EQ(0, run_task(m, &p, NULL, 0, &b));
	EXPECT_EQ(SYNAPSE_STATUS_OK, a.status);
	EXPECT_TRUE(same(&a, &b));
	EXPECT_GT(a.ndigests, 10);
	svm_module_free(m);
}

TEST(slices_do_not_change_hashes)
{
	struct svm_module *m = load_mod("loop", true, NULL);
	static const uint64_t slices[] = { 1, 7, 1000, 123457 };
	struct svm_task_params p;
	struct outcome a, b;
	size_t i;

	ASSERT_NE(NULL, m);
	params(&p, "mix");
	arg32(&p, 5000);
	p.lim.checkpoint_every = 3000;
	ASSERT_EQ(0, run_task(m, &p, NULL, 0, &a));
	for (i = 0; i < sizeof(slices) / sizeof(slices[0]); i++) {
		ASSERT_EQ(0, run_task(m, &p, NULL, slices[i], &b));
		EXPECT_TRUE(same(&a, &b)) TH_LOG("slice %llu differs",
						 (unsigned long long)slices[i]);
	}
	svm_module_free(m);
}

TEST(inputs_change_hashes)
{
	struct svm_module *m = load_mod("loop", true, NULL);
	struct svm_task_params p;
	struct outcome a, b;

	ASSERT_NE(NULL, m);
	params(&p, "fib");
	arg64(&p, 15);
	ASSERT_EQ(0, run_task(m, &p, NULL, 0, &a));
	p.args[0] = 16;
	ASSERT_EQ(0, run_task(m, &p, NULL, 0, &b));
	EXPECT_EQ(610, a.result);
	EXPECT_EQ(987, b.result);
	EXPECT_NE(0, memcmp(a.input, b.input, 32));
	EXPECT_NE(0, memcmp(a.trace, b.trace, 32));
	svm_module_free(m);
}

TEST(fuel_exhaustion_same_point)
{
	struct svm_module *m = load_mod("loop", true, NULL);
	struct svm_task_params p;
	struct outcome a, b, c;
	uint64_t limit;

	ASSERT_NE(NULL, m);
	for (limit = 1; limit < 100000; limit = limit * 3 + 1) {
		params(&p, "spin");
		p.lim.fuel = limit;
		p.lim.checkpoint_every = 97;
		ASSERT_EQ(0, run_task(m, &p, NULL, 0, &a));
		ASSERT_EQ(0, run_task(m, &p, NULL, 5, &b));
		ASSERT_EQ(0, run_task(m, &p, NULL, 1, &c));
		EXPECT_EQ(SYNAPSE_STATUS_FUEL_EXHAUSTED, a.status);
		EXPECT_LE(a.fuel, limit);
		EXPECT_TRUE(same(&a, &b));
		EXPECT_TRUE(same(&a, &c));
	}
	/* a finite run: fuel limit just below what it needs exhausts */
	params(&p, "fib");
	arg64(&p, 12);
	ASSERT_EQ(0, run_task(m, &p, NULL, 0, &a));
	ASSERT_EQ(SYNAPSE_STATUS_OK, a.status);
	p.lim.fuel = a.fuel;
	ASSERT_EQ(0, run_task(m, &p, NULL, 0, &b));
	EXPECT_EQ(SYNAPSE_STATUS_OK, b.status);
	p.lim.fuel = a.fuel - 1;
	ASSERT_EQ(0, run_task(m, &p, NULL, 0, &c));
	EXPECT_EQ(SYNAPSE_STATUS_FUEL_EXHAUSTED, c.status);
	EXPECT_LT(c.fuel, a.fuel);
	svm_module_free(m);
}

TEST(traps)
{
	static const struct { const char *entry; int code; } cases[] = {
		{ "unreachable", SYNAPSE_TRAP_UNREACHABLE },
		{ "div0", SYNAPSE_TRAP_DIV_ZERO },
		{ "overflow", SYNAPSE_TRAP_INT_OVERFLOW },
		{ "oob", SYNAPSE_TRAP_MEMORY_OOB },
		{ "oob_store", SYNAPSE_TRAP_MEMORY_OOB },
		{ "null_func", SYNAPSE_TRAP_NULL_FUNC },
		{ "table_oob", SYNAPSE_TRAP_TABLE_OOB },
		{ "sig", SYNAPSE_TRAP_SIG_MISMATCH },
	};
	struct svm_module *m = load_mod("traps", true, NULL);
	struct svm_task_params p;
	struct outcome a, b;
	size_t i;

	ASSERT_NE(NULL, m);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		params(&p, cases[i].entry);
		ASSERT_EQ(0, run_task(m, &p, NULL, 0, &a));
		ASSERT_EQ(0, run_task(m, &p, NULL, 1, &b));
		EXPECT_EQ(SYNAPSE_STATUS_TRAP, a.status) TH_LOG("%s", cases[i].entry);
		EXPECT_EQ(cases[i].code, a.code) TH_LOG("%s", cases[i].entry);
		EXPECT_TRUE(same(&a, &b));
	}
	svm_module_free(m);
}

TEST(limits)
{
	struct svm_module *m = load_mod("loop", true, NULL);
	struct svm_task_params p;
	struct outcome a;

	ASSERT_NE(NULL, m);
	/* call depth */
	params(&p, "rec");
	p.lim.max_frames = 100;
	ASSERT_EQ(0, run_task(m, &p, NULL, 0, &a));
	EXPECT_EQ(SYNAPSE_STATUS_TRAP, a.status);
	EXPECT_EQ(SYNAPSE_TRAP_STACK_EXHAUSTED, a.code);
	/* value stack */
	params(&p, "rec");
	p.lim.stack_slots = 1000;
	ASSERT_EQ(0, run_task(m, &p, NULL, 0, &a));
	EXPECT_EQ(SYNAPSE_TRAP_STACK_EXHAUSTED, a.code);
	/* memory pages: the module says 16, the task says 4 */
	params(&p, "grow");
	arg32(&p, 2);
	p.lim.max_pages = 4;
	ASSERT_EQ(0, run_task(m, &p, NULL, 0, &a));
	EXPECT_EQ(2, a.result);
	params(&p, "grow");
	arg32(&p, 3);
	p.lim.max_pages = 4;
	ASSERT_EQ(0, run_task(m, &p, NULL, 0, &a));
	EXPECT_EQ(0xffffffffu, a.result);
	svm_module_free(m);
}

TEST(restore_and_replay)
{
	struct svm_module *m = load_mod("loop", true, NULL);
	struct svm_task_params p;
	struct svm_error err;
	struct svm_task *t;
	struct outcome ref, again;
	uint64_t seqs[16];
	uint32_t n, i;

	ASSERT_NE(NULL, m);
	params(&p, "mix");
	arg32(&p, 30000);
	p.lim.checkpoint_every = 20000;
	p.lim.keep = 4;
	t = svm_task_create(m, &p, NULL, &err);
	ASSERT_NE(NULL, t);
	ASSERT_EQ(SVM_RUN_DONE, svm_task_run(t, 0));
	capture(t, &ref);
	ASSERT_EQ(SYNAPSE_STATUS_OK, ref.status);
	n = svm_task_kept(t, seqs, 16);
	ASSERT_EQ(4, n);
	EXPECT_EQ(ref.ndigests - 1, seqs[3]);
	for (i = n; i-- > 0;) {
		ASSERT_EQ(0, svm_task_restore(t, seqs[i]));
		EXPECT_EQ(SVM_RUN_DONE, svm_task_run(t, 0));
		capture(t, &again);
		EXPECT_TRUE(same(&ref, &again)) TH_LOG("replay from %llu",
						       (unsigned long long)seqs[i]);
	}
	/* an evicted checkpoint cannot be restored */
	EXPECT_NE(0, svm_task_restore(t, 1));
	svm_task_free(t);
	svm_module_free(m);
}

TEST(host_abi_echo)
{
	struct svm_module *m = load_mod("host", true, NULL);
	struct svm_task_params p;
	struct svm_error err;
	struct svm_task *t;

	ASSERT_NE(NULL, m);
	params(&p, "run");
	p.input = (const uint8_t *)"synapse!";
	p.input_len = 8;
	t = svm_task_create(m, &p, NULL, &err);
	ASSERT_NE(NULL, t);
	ASSERT_EQ(SVM_RUN_DONE, svm_task_run(t, 0));
	EXPECT_EQ(SYNAPSE_STATUS_OK, svm_task_status(t));
	EXPECT_EQ(8, t->results[0]);
	ASSERT_EQ(16, t->out_len);
	EXPECT_EQ(0, memcmp(t->out, "synapse!synapse!", 16));
	/* checkpoint 0 + one per host call (input_len, input_read, 2 writes) */
	EXPECT_EQ(5, t->ndigests);
	svm_task_free(t);
	svm_module_free(m);
}

TEST(host_abi_abort_and_limits)
{
	struct svm_module *m = load_mod("host", true, NULL);
	struct svm_task_params p;
	struct outcome a;

	ASSERT_NE(NULL, m);
	params(&p, "abort");
	ASSERT_EQ(0, run_task(m, &p, NULL, 0, &a));
	EXPECT_EQ(SYNAPSE_STATUS_ABORTED, a.status);
	EXPECT_EQ(42, a.code);
	params(&p, "flood");
	p.lim.max_output = 10000;
	ASSERT_EQ(0, run_task(m, &p, NULL, 0, &a));
	EXPECT_EQ(SYNAPSE_STATUS_TRAP, a.status);
	EXPECT_EQ(SYNAPSE_TRAP_OUTPUT_LIMIT, a.code);
	params(&p, "empty_write");
	ASSERT_EQ(0, run_task(m, &p, NULL, 0, &a));
	EXPECT_EQ(SYNAPSE_STATUS_OK, a.status);
	EXPECT_EQ(0, a.result);
	params(&p, "bad_read");
	p.input = (const uint8_t *)"0123456789";
	p.input_len = 10;
	ASSERT_EQ(0, run_task(m, &p, NULL, 0, &a));
	EXPECT_EQ(SYNAPSE_TRAP_MEMORY_OOB, a.code);
	svm_module_free(m);
}

static int revoke_after(void *ctx, struct svm_task *t, int where, int32_t op)
{
	int *calls = ctx;

	return where == SVM_CAP_CALL && ++*calls > 3;
}

TEST(host_abi_cap_check_revoked)
{
	struct svm_module *m = load_mod("host", true, NULL);
	struct svm_task_host host = { .cap_check = revoke_after };
	struct svm_task_params p;
	struct outcome a;
	int calls = 0;

	ASSERT_NE(NULL, m);
	params(&p, "caps");
	ASSERT_EQ(0, run_task(m, &p, NULL, 0, &a));
	EXPECT_EQ(SYNAPSE_STATUS_OK, a.status);
	EXPECT_EQ(10, a.result);
	host.ctx = &calls;
	ASSERT_EQ(0, run_task(m, &p, &host, 0, &a));
	EXPECT_EQ(SYNAPSE_STATUS_REVOKED, a.status);
	EXPECT_EQ(4, calls);
	svm_module_free(m);
}

TEST(unknown_import_named)
{
	struct svm_module *m = load_mod("badimport", true, NULL);
	struct svm_task_params p;
	struct svm_error err;

	ASSERT_NE(NULL, m);
	params(&p, "run");
	EXPECT_EQ(NULL, svm_task_create(m, &p, NULL, &err));
	EXPECT_NE(NULL, strstr(err.msg, "env.clock"));
	EXPECT_TRUE(err.link);
	svm_module_free(m);
	m = load_mod("badsig", true, NULL);
	ASSERT_NE(NULL, m);
	EXPECT_EQ(NULL, svm_task_create(m, &p, NULL, &err));
	EXPECT_NE(NULL, strstr(err.msg, "synapse.input_len"));
	svm_module_free(m);
}

/* A re-exported host import is no task entry (fuzz_engine regression). */
TEST(entry_must_be_module_code)
{
	struct svm_module *m = load_mod("host", true, NULL);
	struct svm_task_params p;
	struct svm_error err;

	ASSERT_NE(NULL, m);
	params(&p, "len");
	EXPECT_EQ(NULL, svm_task_create(m, &p, NULL, &err));
	EXPECT_NE(NULL, strstr(err.msg, "imported function"));
	svm_module_free(m);
}

TEST(profile_rejects_float_with_offset)
{
	struct svm_error err;

	EXPECT_EQ(NULL, load_mod("float", true, &err));
	EXPECT_TRUE(err.profile);
	EXPECT_EQ(0x21, err.offset);
	EXPECT_NE(NULL, strstr(err.msg, "f32.const"));
	EXPECT_NE(NULL, strstr(err.msg, "offset 33"));
	EXPECT_EQ(0, err.func);
}

TEST(profile_rejects_types_and_simd)
{
	/* (type (func (param f64))) */
	static const uint8_t ftype[] = {
		0, 'a', 's', 'm', 1, 0, 0, 0, 1, 5, 1, 0x60, 1, 0x7c, 0,
	};
	/* a body starting with the SIMD prefix 0xfd */
	static const uint8_t simd[] = {
		0, 'a', 's', 'm', 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0,
		10, 6, 1, 4, 0, 0xfd, 12, 0x0b,
	};
	struct svm_error err;

	EXPECT_EQ(NULL, svm_module_load(ftype, sizeof(ftype), NULL, &err));
	EXPECT_TRUE(err.profile);
	EXPECT_EQ(13, err.offset);
	EXPECT_NE(NULL, strstr(err.msg, "f64"));
	EXPECT_EQ(NULL, svm_module_load(simd, sizeof(simd), NULL, &err));
	EXPECT_TRUE(err.profile);
	EXPECT_EQ(23, err.offset);
	EXPECT_NE(NULL, strstr(err.msg, "SIMD"));
}

TEST(validation_error_names_function)
{
	/* func 0: (result i32) with an empty body */
	static const uint8_t bad[] = {
		0, 'a', 's', 'm', 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7f,
		3, 2, 1, 0, 10, 4, 1, 2, 0, 0x0b,
	};
	struct svm_error err;

	EXPECT_EQ(NULL, svm_module_load(bad, sizeof(bad), NULL, &err));
	EXPECT_FALSE(err.profile);
	EXPECT_EQ(0, err.func);
	EXPECT_EQ(10, err.section);
	EXPECT_EQ(24, err.offset);
	EXPECT_NE(NULL, strstr(err.msg, "type mismatch"));
}

TEST(no_meter_same_results)
{
	struct svm_module *m = load_mod("loop", true, NULL);
	struct svm_module *u = load_mod("loop", false, NULL);
	struct svm_task_params p;
	struct outcome a, b;

	ASSERT_NE(NULL, m);
	ASSERT_NE(NULL, u);
	params(&p, "mix");
	arg32(&p, 3000);
	ASSERT_EQ(0, run_task(m, &p, NULL, 0, &a));
	p.meter = false;
	ASSERT_EQ(0, run_task(u, &p, NULL, 0, &b));
	EXPECT_EQ(SYNAPSE_STATUS_OK, b.status);
	EXPECT_EQ(a.result, b.result);
	svm_module_free(m);
	svm_module_free(u);
}

/*
 * Superinstructions (fused.wat): each fused function against its unfused
 * twin, metered and not, over a few argument pairs; then the fused load
 * out of bounds traps with the same code either way.
 */
static int run_pair(struct svm_module *m, bool meter, const char *entry,
		    uint32_t a, uint32_t b, struct outcome *o)
{
	struct svm_task_params p;

	params(&p, entry);
	p.meter = meter;
	arg32(&p, a);
	arg32(&p, b);
	return run_task(m, &p, NULL, 0, o);
}

TEST(superinstructions_match_plain_ops)
{
	static const char *const names[] = {
		"load_add", "load_mul", "add3", "shxor32", "shxor64", "copy2",
		"addbr",
	};
	static const uint32_t args[][2] = {
		{ 0, 0 }, { 4, 8 }, { 8, 0xfffffff0u }, { 12, 7 }, { 16, 123456 },
		{ 1, 0x80000000u }, { 3, 999 },
	};
	struct svm_module *mods[2] = { load_mod("fused", true, NULL),
				       load_mod("fused", false, NULL) };
	char f[32], r[32];
	struct outcome a, b;
	size_t i, k;
	int meter, checked = 0;

	ASSERT_NE(NULL, mods[0]);
	ASSERT_NE(NULL, mods[1]);
	for (meter = 1; meter >= 0; meter--) {
		for (i = 0; i < ARRAY_SIZE(names); i++) {
			snprintf(f, sizeof(f), "f_%s", names[i]);
			snprintf(r, sizeof(r), "r_%s", names[i]);
			for (k = 0; k < ARRAY_SIZE(args); k++) {
				ASSERT_EQ(0, run_pair(mods[!meter], meter, f,
						      args[k][0], args[k][1], &a));
				ASSERT_EQ(0, run_pair(mods[!meter], meter, r,
						      args[k][0], args[k][1], &b));
				/* an address beyond memory traps in both */
				EXPECT_EQ(b.status, a.status);
				EXPECT_EQ(b.code, a.code);
				EXPECT_EQ(b.result, a.result) {
					TH_LOG("%s(%u, %u) %s", f, args[k][0],
					       args[k][1], meter ? "metered" : "unmetered");
				}
				checked += a.status == SYNAPSE_STATUS_OK;
			}
		}
		/* 65533 + 4 > 64 KiB: out of bounds for any address */
		ASSERT_EQ(0, run_pair(mods[!meter], meter, "f_oob", 0, 1, &a));
		EXPECT_EQ(SYNAPSE_STATUS_TRAP, a.status);
		EXPECT_EQ(SYNAPSE_TRAP_MEMORY_OOB, a.code);
	}
	/* load_mul traps for the three b beyond memory (64 KiB) */
	EXPECT_EQ(2 * (ARRAY_SIZE(names) * ARRAY_SIZE(args) - 3), checked);
	svm_module_free(mods[0]);
	svm_module_free(mods[1]);
}

/* ---- hash layouts, recomputed from Documentation/hashes.md ---- */

static void put_tag(SHA256_CTX *c, const char *kind)
{
	char tag[64];
	uint64_t n;

	snprintf(tag, sizeof(tag), "synapse/%s/v1", kind);
	n = strlen(tag);
	SHA256_Update(c, &n, 8);	/* little-endian host */
	SHA256_Update(c, tag, n);
}

static void put_bytes(SHA256_CTX *c, const void *p, uint64_t n)
{
	SHA256_Update(c, &n, 8);
	SHA256_Update(c, p, n);
}

TEST(input_and_output_hash_layout)
{
	struct svm_module *m = load_mod("host", true, NULL);
	struct svm_task_params p;
	struct svm_error err;
	struct svm_task *t;
	uint8_t want[32];
	SHA256_CTX c;
	uint32_t u32;
	uint64_t u64;
	size_t len;
	uint8_t *b;

	ASSERT_NE(NULL, m);
	params(&p, "run");
	p.input = (const uint8_t *)"abc";
	p.input_len = 3;
	for (u32 = 0; u32 < sizeof(p.cap_id); u32++)
		p.cap_id[u32] = 0xa0 + u32;
	t = svm_task_create(m, &p, NULL, &err);
	ASSERT_NE(NULL, t);
	ASSERT_EQ(SVM_RUN_DONE, svm_task_run(t, 0));

	SHA256_Init(&c);
	put_tag(&c, "task-input");
	SHA256_Update(&c, m->id, 32);
	put_bytes(&c, "run", 3);
	put_bytes(&c, "abc", 3);
	u64 = p.lim.fuel; SHA256_Update(&c, &u64, 8);
	u32 = p.lim.max_pages; SHA256_Update(&c, &u32, 4);
	u32 = p.lim.max_table; SHA256_Update(&c, &u32, 4);
	u32 = p.lim.stack_slots; SHA256_Update(&c, &u32, 4);
	u32 = p.lim.max_frames; SHA256_Update(&c, &u32, 4);
	u32 = p.lim.max_output; SHA256_Update(&c, &u32, 4);
	u64 = p.lim.checkpoint_every; SHA256_Update(&c, &u64, 8);
	SHA256_Update(&c, p.cap_id, 32);	/* raw 32 bytes */
	u32 = 0; SHA256_Update(&c, &u32, 4);
	SHA256_Final(want, &c);
	EXPECT_EQ(0, memcmp(want, t->input_hash, 32));

	SHA256_Init(&c);
	put_tag(&c, "output");
	u32 = SYNAPSE_STATUS_OK; SHA256_Update(&c, &u32, 4);
	u32 = 0; SHA256_Update(&c, &u32, 4);
	put_bytes(&c, "abcabc", 6);
	SHA256_Final(want, &c);
	EXPECT_EQ(0, memcmp(want, t->output_hash, 32));

	/* module id: plain SHA-256 of the bytes */
	b = slurp("host", &len);
	ASSERT_NE(NULL, b);
	SHA256(b, len, want);
	EXPECT_EQ(0, memcmp(want, m->id, 32));
	free(b);
	svm_task_free(t);
	svm_module_free(m);
}

static void unhex(const char *s, uint8_t *out)
{
	int i;

	for (i = 0; i < 32; i++)
		sscanf(s + 2 * i, "%2hhx", &out[i]);
}

/* Documentation/hashes.md §7, computed there by an independent script. */
TEST(hash_vectors_empty_module)
{
	static const uint8_t mod[] = {
		0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01,
		0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x07, 0x07, 0x01, 0x03,
		0x72, 0x75, 0x6e, 0x00, 0x00, 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,
	};
	struct svm_config cfg = { .meter = true };
	struct svm_task_params p;
	struct svm_error err;
	struct svm_module *m;
	struct svm_task *t;
	uint8_t want[32], zero[32] = {};
	unsigned int i;

	m = svm_module_load(mod, sizeof(mod), &cfg, &err);
	ASSERT_NE(NULL, m);
	unhex("f7fb20ef0be78ab4dec443a627d3f9aa4e184bb52456b0acbb01685b97409636", want);
	EXPECT_EQ(0, memcmp(want, m->id, 32));
	params(&p, "run");
	t = svm_task_create(m, &p, NULL, &err);
	ASSERT_NE(NULL, t);
	ASSERT_EQ(SVM_RUN_DONE, svm_task_run(t, 0));
	unhex("1db7fcf56df802b21c8ced6cd45dc3bc94187e56e4ee6db05d80ec5d7c7d48ac", want);
	EXPECT_EQ(0, memcmp(want, t->input_hash, 32));
	unhex("deeb7ac6dc1dc3405c1d6828353b7da75d65d949fb58c9a957454c3ff4c442b1", want);
	ASSERT_EQ(1, t->ndigests);
	EXPECT_EQ(0, memcmp(want, t->digests[0], 32));
	unhex("e45a010afc00eee6497d2d59baf548116c1fd6cbfdd7cc4cf0e1384c14294023", want);
	EXPECT_EQ(0, memcmp(want, t->trace_hash, 32));
	unhex("2ac67ba68f56b2f2c3d9b4e6b91e21842b2955e220e0412f8032aa3177d4ee15", want);
	EXPECT_EQ(0, memcmp(want, t->output_hash, 32));
	svm_task_free(t);

	/* the input-hash vector with a zero module id */
	params(&p, "run");
	p.input = (const uint8_t *)"abc";
	p.input_len = 3;
	ASSERT_EQ(0, svm_task_input_hash(zero, &p, want));
	unhex("b3616a241c15c5db5fe1e1ad0265b2ccc321a6dd37ea36d44a1bc0b70f076e6d", zero);
	EXPECT_EQ(0, memcmp(want, zero, 32));

	/* the same with capability id 00 01 .. 1f: all 32 bytes are bound */
	memset(zero, 0, sizeof(zero));
	for (i = 0; i < sizeof(p.cap_id); i++)
		p.cap_id[i] = i;
	ASSERT_EQ(0, svm_task_input_hash(zero, &p, want));
	unhex("886ca49c97f7333fd1ab237d7c3d6a77c6ddb38ffaf618118f9acfc503936251", zero);
	EXPECT_EQ(0, memcmp(want, zero, 32));
	svm_module_free(m);
}

TEST_HARNESS_MAIN
