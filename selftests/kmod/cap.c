// SPDX-License-Identifier: GPL-2.0
/*
 * SYNAPSE_CMD_CAP_CHECK and the revocation latency of a running task, in
 * the VM. The policy tests need no program; the enforcement tests load the
 * revocation program (agent/bpf/revoke.c) under a pin directory of their
 * own and take it away again.
 *
 * The latency test runs in one process, so it measures the kernel and not
 * process start-up (which takes ~0.5-1 s per command under TCG): it reads a
 * running task's fuel, updates the pinned map, then polls the task every
 * millisecond until it ends, and checks that it ran no more than one
 * checkpoint interval (plus the staleness of the fuel it read: one slice).
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <kselftest_harness.h>

#include "agent/bpf/revoke.h"
#include "uapi/synapse_abi.h"
#include "uapi/synapse_cap.h"
#include "synl.h"
#include "util.h"

#define PIN_DIR		"/sys/fs/bpf/synapse-selftest"
#define CP_EVERY	20000000ULL	/* checkpoint interval of the long task */
#define SYNCTL		"build/bin/synctl"
#define LOOP_WASM	"build/examples/loop.wasm"

struct verdict {
	bool has_verdict, has_enforced, has_elapsed;
	uint32_t verdict, enforced;
	uint64_t elapsed_ns;
};

static int verdict_cb(const struct nlmsghdr *nlh, void *data)
{
	struct verdict *v = data;
	struct nlattr *a;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		switch (mnl_attr_get_type(a)) {
		case SYNAPSE_A_CAP_VERDICT:
			v->verdict = mnl_attr_get_u32(a);
			v->has_verdict = true;
			break;
		case SYNAPSE_A_CAP_ENFORCED:
			v->enforced = mnl_attr_get_u32(a);
			v->has_enforced = true;
			break;
		case SYNAPSE_A_CAP_ELAPSED_NS:
			v->elapsed_ns = mnl_attr_get_u64(a);
			v->has_elapsed = true;
			break;
		}
	}
	return MNL_CB_OK;
}

static int cap_check(struct synl *s, const uint8_t *id, size_t id_len,
		     uint32_t repeat, struct verdict *v)
{
	struct nlmsghdr *nlh = synl_req(s, SYNAPSE_CMD_CAP_CHECK);

	memset(v, 0, sizeof(*v));
	if (id)
		mnl_attr_put(nlh, SYNAPSE_A_CAP_ID, id_len, id);
	if (repeat)
		mnl_attr_put_u32(nlh, SYNAPSE_A_CAP_REPEAT, repeat);
	return synl_call(s, nlh, verdict_cb, v);
}

FIXTURE(cap) {
	struct synl s;
	uint8_t a[SYNAPSE_CAP_ID_LEN], b[SYNAPSE_CAP_ID_LEN];
	bool attached;
};

FIXTURE_SETUP(cap)
{
	ASSERT_EQ(0, synl_open(&self->s));
	memset(self->a, 0xa7, sizeof(self->a));
	memset(self->b, 0xb7, sizeof(self->b));
}

FIXTURE_TEARDOWN(cap)
{
	if (self->attached)
		synapse_bpf_teardown(PIN_DIR, true);
	synl_close(&self->s);
}

static int attach(bool *attached)
{
	bool reused;

	if (access("/sys/fs/bpf", F_OK) ||
	    (mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL) && errno != EBUSY))
		return -1;
	if (synapse_bpf_setup(PIN_DIR, &reused))
		return -1;
	*attached = true;
	return 0;
}

TEST_F(cap, missing_id)
{
	struct verdict v;

	EXPECT_EQ(-EINVAL, cap_check(&self->s, NULL, 0, 0, &v));
	EXPECT_TRUE(self->s.has_msg);
	EXPECT_TRUE(self->s.has_miss_type);
	EXPECT_EQ((uint32_t)SYNAPSE_A_CAP_ID, self->s.miss_type);
}

TEST_F(cap, short_id)
{
	struct verdict v;

	/* 6.1 checks an exact length as a range: -ERANGE. */
	EXPECT_EQ(-ERANGE, cap_check(&self->s, self->a, SYNAPSE_CAP_ID_LEN - 1, 0, &v));
	EXPECT_TRUE(self->s.has_offs) TH_LOG("no offset; extack \"%s\"", self->s.msg);
}

TEST_F(cap, repeat_too_big)
{
	struct verdict v;

	EXPECT_EQ(-ERANGE, cap_check(&self->s, self->a, SYNAPSE_CAP_ID_LEN,
				     SYNAPSE_CAP_REPEAT_MAX + 1, &v));
	EXPECT_TRUE(self->s.has_offs);
}

TEST_F(cap, repeat_zero)
{
	struct nlmsghdr *nlh = synl_req(&self->s, SYNAPSE_CMD_CAP_CHECK);

	mnl_attr_put(nlh, SYNAPSE_A_CAP_ID, SYNAPSE_CAP_ID_LEN, self->a);
	mnl_attr_put_u32(nlh, SYNAPSE_A_CAP_REPEAT, 0);
	EXPECT_EQ(-ERANGE, synl_call(&self->s, nlh, NULL, NULL));
	EXPECT_TRUE(self->s.has_offs);
}

TEST_F(cap, reply_only_attribute_refused)
{
	struct nlmsghdr *nlh = synl_req(&self->s, SYNAPSE_CMD_CAP_CHECK);

	mnl_attr_put(nlh, SYNAPSE_A_CAP_ID, SYNAPSE_CAP_ID_LEN, self->a);
	mnl_attr_put_u32(nlh, SYNAPSE_A_CAP_VERDICT, SYNAPSE_CAP_ALLOW);
	EXPECT_EQ(-EINVAL, synl_call(&self->s, nlh, NULL, NULL));
	EXPECT_TRUE(self->s.has_offs);
}

TEST_F(cap, unprivileged_refused)
{
	pid_t pid = fork();
	int status;

	ASSERT_GE(pid, 0);
	if (!pid) {
		struct synl s;
		struct verdict v;

		if (drop_to_nobody() || synl_open(&s))
			_exit(2);
		_exit(cap_check(&s, self->a, SYNAPSE_CAP_ID_LEN, 0, &v) == -EPERM ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* Root of a new user namespace (and netns) is not admin of the host. */
TEST_F(cap, user_namespace_root_refused)
{
	pid_t pid = fork();
	int status;

	ASSERT_GE(pid, 0);
	if (!pid) {
		struct synl s;
		struct verdict v;

		if (unshare(CLONE_NEWUSER | CLONE_NEWNET) || synl_open(&s))
			_exit(2);
		_exit(cap_check(&s, self->a, SYNAPSE_CAP_ID_LEN, 0, &v) == -EPERM ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("2: no user namespace; 1: not refused");
}

TEST_F(cap, verdicts_through_the_program)
{
	struct synapse_bpf b;
	struct verdict v;

	ASSERT_EQ(0, cap_check(&self->s, self->a, SYNAPSE_CAP_ID_LEN, 0, &v));
	/* Nothing of ours attached yet (another pin dir might be: skip). */
	if (v.enforced)
		SKIP(return, "something else is attached to synapse_cap_check");
	EXPECT_EQ(SYNAPSE_CAP_ALLOW, v.verdict);
	ASSERT_EQ(0, attach(&self->attached));
	ASSERT_EQ(0, synapse_bpf_open(PIN_DIR, &b));
	EXPECT_EQ(0, synapse_bpf_revoke(&b, self->a));
	EXPECT_EQ(0, synapse_bpf_expire(&b, self->b, 1));

	ASSERT_EQ(0, cap_check(&self->s, self->a, SYNAPSE_CAP_ID_LEN, 0, &v));
	EXPECT_TRUE(v.has_verdict && v.has_enforced);
	EXPECT_EQ(1, v.enforced);
	EXPECT_EQ(SYNAPSE_CAP_REVOKED, v.verdict);
	EXPECT_EQ(SYNAPSE_CAP_REVOKED, synapse_bpf_verdict(&b, self->a));
	ASSERT_EQ(0, cap_check(&self->s, self->b, SYNAPSE_CAP_ID_LEN, 0, &v));
	EXPECT_EQ(SYNAPSE_CAP_EXPIRED, v.verdict);
	EXPECT_EQ(SYNAPSE_CAP_EXPIRED, synapse_bpf_verdict(&b, self->b));

	/* REPEAT runs the same check: the verdict and a time come back. */
	ASSERT_EQ(0, cap_check(&self->s, self->a, SYNAPSE_CAP_ID_LEN, 1000, &v));
	EXPECT_EQ(SYNAPSE_CAP_REVOKED, v.verdict);
	EXPECT_TRUE(v.has_elapsed);
	EXPECT_GT(v.elapsed_ns, 0);

	EXPECT_EQ(0, synapse_bpf_unrevoke(&b, self->a));
	ASSERT_EQ(0, cap_check(&self->s, self->a, SYNAPSE_CAP_ID_LEN, 0, &v));
	EXPECT_EQ(SYNAPSE_CAP_ALLOW, v.verdict);
	synapse_bpf_close(&b);

	/* Teardown: nothing enforced, everything allowed again. */
	EXPECT_EQ(0, synapse_bpf_teardown(PIN_DIR, true));
	self->attached = false;
	ASSERT_EQ(0, cap_check(&self->s, self->b, SYNAPSE_CAP_ID_LEN, 0, &v));
	EXPECT_EQ(0, v.enforced);
	EXPECT_EQ(SYNAPSE_CAP_ALLOW, v.verdict);
}

struct task_state {
	uint32_t status;
	uint64_t fuel;
	uint64_t checkpoints;
	uint64_t exec_ns;
	bool found;
};

static int task_cb(const struct nlmsghdr *nlh, void *data)
{
	struct task_state *t = data;
	struct nlattr *a;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		switch (mnl_attr_get_type(a)) {
		case SYNAPSE_A_TASK_STATUS:
			t->status = mnl_attr_get_u32(a);
			t->found = true;
			break;
		case SYNAPSE_A_TASK_FUEL_USED:
			t->fuel = mnl_attr_get_u64(a);
			break;
		case SYNAPSE_A_TASK_CHECKPOINTS:
			t->checkpoints = mnl_attr_get_u64(a);
			break;
		case SYNAPSE_A_TASK_EXEC_NS:
			t->exec_ns = mnl_attr_get_u64(a);
			break;
		}
	}
	return MNL_CB_OK;
}

static int task_get(struct synl *s, uint64_t id, struct task_state *t)
{
	struct nlmsghdr *nlh = synl_req(s, SYNAPSE_CMD_TASK_GET);

	memset(t, 0, sizeof(*t));
	mnl_attr_put_u64(nlh, SYNAPSE_A_TASK_ID, id);
	return synl_call(s, nlh, task_cb, t);
}

static int task_del(struct synl *s, uint64_t id)
{
	struct nlmsghdr *nlh = synl_req(s, SYNAPSE_CMD_TASK_DEL);

	mnl_attr_put_u64(nlh, SYNAPSE_A_TASK_ID, id);
	return synl_call(s, nlh, NULL, NULL);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Start the endless example under @cap with synctl (set-up, not timed). */
static int start_loop(const uint8_t cap[SYNAPSE_CAP_ID_LEN], uint64_t *id)
{
	char cmd[512], hex[2 * SYNAPSE_CAP_ID_LEN + 1];
	unsigned long long v;
	FILE *p;
	int i, n;

	for (i = 0; i < SYNAPSE_CAP_ID_LEN; i++)
		sprintf(hex + 2 * i, "%02x", cap[i]);
	snprintf(cmd, sizeof(cmd), SYNCTL " -j task start --cap %s --fuel 100000000000 "
		 "--checkpoint-every %llu " LOOP_WASM " | jq -r .id", hex,
		 (unsigned long long)CP_EVERY);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	n = fscanf(p, "%llu", &v);
	if (pclose(p) || n != 1)
		return -1;
	*id = v;
	return 0;
}

static unsigned long long slice_fuel(void)
{
	unsigned long long v = 1ULL << 18;
	FILE *f = fopen("/sys/module/synapse/parameters/slice_fuel", "r");

	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 1ULL << 18;
		fclose(f);
	}
	return v;
}

TEST_F(cap, running_task_revocation_latency)
{
	uint64_t id, other, t_update, t_end = 0, f0, i;
	struct task_state t, o;
	struct synapse_bpf b;
	unsigned long long slice = slice_fuel();
	struct nlmsghdr *nlh;
	double rate;

	if (access(LOOP_WASM, R_OK) || access(SYNCTL, X_OK))
		SKIP(return, "%s or %s not built", LOOP_WASM, SYNCTL);
	ASSERT_EQ(0, attach(&self->attached));
	ASSERT_EQ(0, synapse_bpf_open(PIN_DIR, &b));
	ASSERT_EQ(0, start_loop(self->a, &id));
	ASSERT_EQ(0, start_loop(self->b, &other));

	/* Let it pass a few checkpoints (bounded: 60 s). */
	for (i = 0; i < 6000; i++) {
		ASSERT_EQ(0, task_get(&self->s, id, &t));
		ASSERT_EQ(SYNAPSE_STATUS_RUNNING, t.status) TH_LOG("status %u", t.status);
		if (t.fuel > 2 * CP_EVERY)
			break;
		usleep(10000);
	}
	ASSERT_GT(t.fuel, 2 * CP_EVERY);

	/*
	 * Read the fuel after the map update, not before: on a loaded host
	 * this process may sleep between the two, and the task would run on
	 * meanwhile without that being a late revocation.
	 */
	ASSERT_EQ(0, synapse_bpf_revoke(&b, self->a));
	t_update = now_ns();
	ASSERT_EQ(0, task_get(&self->s, id, &t));
	f0 = t.fuel;
	for (i = 0; i < 60000; i++) {
		ASSERT_EQ(0, task_get(&self->s, id, &t));
		if (t.status != SYNAPSE_STATUS_RUNNING) {
			t_end = now_ns();
			break;
		}
		usleep(1000);
	}
	ASSERT_NE(0, t_end) TH_LOG("still running 60 s after the revocation");
	EXPECT_EQ(SYNAPSE_STATUS_REVOKED, t.status);
	ASSERT_EQ(0, task_get(&self->s, other, &o));
	EXPECT_EQ(SYNAPSE_STATUS_RUNNING, o.status) TH_LOG("the other capability's task stopped");

	/* fuel_used is published per slice: f0 may lag by one. */
	EXPECT_LE(t.fuel - f0, CP_EVERY + slice)
		TH_LOG("%llu fuel ran past the revocation (interval %llu)",
		       (unsigned long long)(t.fuel - f0), (unsigned long long)CP_EVERY);
	EXPECT_GE(t.checkpoints, t.fuel / CP_EVERY);
	rate = t.exec_ns ? (double)t.fuel / (double)t.exec_ns : 0;
	/*
	 * The figures for the report: the time from the map update to the
	 * task being seen ended (1 ms polls), and the fuel it ran meanwhile.
	 */
	fprintf(stderr, "# revocation latency: %.1f ms after the map update, "
		"%llu fuel past it (<= interval %llu + slice %llu), %llu checkpoints\n"
		"# at this task's %.1f M fuel/s one interval is %.1f ms\n",
		(double)(t_end - t_update) / 1e6,
		(unsigned long long)(t.fuel - f0), (unsigned long long)CP_EVERY,
		slice, (unsigned long long)t.checkpoints, rate * 1e3,
		rate > 0 ? (double)CP_EVERY / rate / 1e6 : 0.0);

	nlh = synl_req(&self->s, SYNAPSE_CMD_TASK_KILL);
	mnl_attr_put_u64(nlh, SYNAPSE_A_TASK_ID, other);
	EXPECT_EQ(0, synl_call(&self->s, nlh, NULL, NULL));
	/* Finished tasks hold netns budget until deleted. */
	for (i = 0; i < 3000; i++) {
		if (task_get(&self->s, other, &o) || o.status != SYNAPSE_STATUS_RUNNING)
			break;
		usleep(10000);
	}
	EXPECT_EQ(0, task_del(&self->s, other));
	EXPECT_EQ(0, task_del(&self->s, id));
	synapse_bpf_close(&b);
}

TEST_HARNESS_MAIN
