// SPDX-License-Identifier: GPL-2.0
/*
 * Both engines honour one revocation set. The kernel engine asks the BPF
 * program; the embedded userspace engine (libsynvm, as synapsed runs it
 * without synapse.ko) asks synapse_bpf_verdict() on the same pinned map
 * through its cap_check callback. For the same task under the same
 * capability both must end the same way with the same hashes: revoked
 * before the first instruction when the capability is revoked, and OK
 * (the callback changing nothing) when it is not.
 *
 * Both engines bind the whole 32-byte capability id into the task input
 * hash: the ids here differ from each other in every byte, so a build that
 * dropped or truncated any part of the id would disagree on the hashes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>
#include <kselftest_harness.h>

#include "agent/bpf/revoke.h"
#include "kmod/vm/svm.h"
#include "kmod/vm/task.h"
#include "uapi/synapse_abi.h"
#include "uapi/synapse_cap.h"
#include "util.h"

#define PIN_DIR		"/sys/fs/bpf/synapse-selftest-engine"
#define SYNCTL		"build/bin/synctl"
#define HELLO_WASM	"build/examples/hello.wasm"

struct run {
	char status[32];
	char trace[65], input[65], output[65];
	unsigned long long fuel;
};

static const char *status_name(int s)
{
	switch (s) {
	case SYNAPSE_STATUS_OK: return "ok";
	case SYNAPSE_STATUS_REVOKED: return "revoked";
	}
	return "other";
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static int kernel_run(const uint8_t cap[SYNAPSE_CAP_ID_LEN], struct run *r)
{
	char cmd[512], id[2 * SYNAPSE_CAP_ID_LEN + 1];
	unsigned long long task;
	FILE *p;
	int n;

	hex(cap, SYNAPSE_CAP_ID_LEN, id);
	/* --wait exits 1 for a task that did not end OK: read the JSON. */
	snprintf(cmd, sizeof(cmd), SYNCTL " -j task start --wait --cap %s " HELLO_WASM
		 " | jq -r '\"\\(.status) \\(.trace_hash) \\(.input_hash) "
		 "\\(.output_hash) \\(.fuel_used) \\(.id)\"'", id);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	n = fscanf(p, "%31s %64s %64s %64s %llu %llu", r->status, r->trace, r->input,
		   r->output, &r->fuel, &task);
	pclose(p);
	if (n != 6)
		return -1;
	/* Finished tasks hold netns budget until deleted. */
	snprintf(cmd, sizeof(cmd), SYNCTL " task del %llu", task);
	return system(cmd) ? -1 : 0;
}

struct cap_cb {
	struct synapse_bpf *b;
	const uint8_t *id;
	unsigned int calls;
};

/* The embedded engine's callback: the program's rules on the pinned map. */
static int cap_check_cb(void *ctx, struct svm_task *t, int where, int32_t op)
{
	struct cap_cb *c = ctx;

	c->calls++;
	return synapse_bpf_verdict(c->b, c->id) != SYNAPSE_CAP_ALLOW;
}

static int user_run(struct cap_cb *cb, struct run *r)
{
	struct svm_config cfg = { .meter = true };
	struct svm_task_host host = { .cap_check = cap_check_cb, .ctx = cb };
	struct svm_task_params p;
	struct svm_error err;
	struct svm_module *m;
	struct svm_task *t;
	uint8_t buf[1 << 16];
	size_t len;
	FILE *f;

	f = fopen(HELLO_WASM, "rb");
	if (!f)
		return -1;
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	m = svm_module_load(buf, len, &cfg, &err);
	if (!m)
		return -1;
	memset(&p, 0, sizeof(p));
	svm_task_default_limits(&p.lim);
	p.meter = true;
	p.entry = "run";
	memcpy(p.cap_id, cb->id, sizeof(p.cap_id));
	t = svm_task_create(m, &p, &host, &err);
	if (!t) {
		svm_module_free(m);
		return -1;
	}
	while (svm_task_run(t, 1 << 18) == SVM_RUN_YIELD)
		;
	snprintf(r->status, sizeof(r->status), "%s", status_name(svm_task_status(t)));
	hex(t->trace_hash, 32, r->trace);
	hex(t->input_hash, 32, r->input);
	hex(t->output_hash, 32, r->output);
	r->fuel = svm_task_fuel_used(t);
	svm_task_free(t);
	svm_module_free(m);
	return 0;
}

FIXTURE(engines) {
	struct synapse_bpf b;
	uint8_t revoked[SYNAPSE_CAP_ID_LEN], allowed[SYNAPSE_CAP_ID_LEN];
};

FIXTURE_SETUP(engines)
{
	bool reused;

	if (access(HELLO_WASM, R_OK) || access(SYNCTL, X_OK))
		SKIP(return, "%s or %s not built", HELLO_WASM, SYNCTL);
	memset(self->revoked, 0xe1, sizeof(self->revoked));
	memset(self->allowed, 0xe2, sizeof(self->allowed));
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL) && errno != EBUSY)
		TH_LOG("mount bpffs: %s (may be mounted already)", strerror(errno));
	ASSERT_EQ(0, synapse_bpf_setup(PIN_DIR, &reused));
	ASSERT_EQ(0, synapse_bpf_open(PIN_DIR, &self->b));
	ASSERT_EQ(0, synapse_bpf_revoke(&self->b, self->revoked));
}

FIXTURE_TEARDOWN(engines)
{
	synapse_bpf_close(&self->b);
	synapse_bpf_teardown(PIN_DIR, true);
}

static void expect_same(struct __test_metadata *_metadata, const struct run *k,
			const struct run *u)
{
	EXPECT_STREQ(k->status, u->status);
	EXPECT_STREQ(k->input, u->input);
	EXPECT_STREQ(k->trace, u->trace);
	EXPECT_STREQ(k->output, u->output);
	EXPECT_EQ(k->fuel, u->fuel);
}

TEST_F(engines, revoked_before_the_first_instruction)
{
	struct cap_cb cb = { &self->b, self->revoked, 0 };
	struct run k, u;

	ASSERT_EQ(0, kernel_run(self->revoked, &k));
	ASSERT_EQ(0, user_run(&cb, &u));
	EXPECT_STREQ("revoked", k.status);
	EXPECT_EQ(0, k.fuel);
	EXPECT_EQ(1, cb.calls);
	expect_same(_metadata, &k, &u);
}

TEST_F(engines, allowed_runs_alike)
{
	struct cap_cb cb = { &self->b, self->allowed, 0 };
	struct run k, u;

	ASSERT_EQ(0, kernel_run(self->allowed, &k));
	ASSERT_EQ(0, user_run(&cb, &u));
	EXPECT_STREQ("ok", k.status);
	EXPECT_GE(cb.calls, 1);
	expect_same(_metadata, &k, &u);
}

TEST_HARNESS_MAIN
