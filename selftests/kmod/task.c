// SPDX-License-Identifier: GPL-2.0
/*
 * Modules and tasks over generic netlink: output, fuel exhaustion, traps,
 * limits, kill of a running task, replay equal to the original, 64 tasks at
 * once, a fuel-bounded infinite loop that does not stall the machine,
 * validation errors with offsets, admin-only mutations, netns isolation and
 * netns deletion while tasks run, a start function that runs in slices like
 * the entry. Uses the example tasks in build/examples.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/genetlink.h>
#include <kselftest_harness.h>

#include "uapi/synapse_abi.h"
#include "synl.h"
#include "util.h"

#define EX(name)	"build/examples/" name ".wasm"

struct tinfo {
	uint64_t id;
	uint32_t status;
	int32_t code;
	uint64_t fuel_used, output_len;
	uint8_t trace[32], output[32], input[32];
	bool done;
	uint64_t result;
	unsigned int nresults;
};

struct topts {
	const char *entry;
	const void *input;
	size_t input_len;
	uint64_t fuel, cp_every;
	uint32_t pages, stack, depth, keep;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int read_all(const char *path, uint8_t *buf, size_t cap, size_t *len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, cap);
	close(fd);
	if (n < 0)
		return -errno;
	*len = (size_t)n;
	return 0;
}

static int parse_mod_id(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == SYNAPSE_A_MODULE_ID &&
		    mnl_attr_get_payload_len(a) == 32)
			memcpy(data, mnl_attr_get_payload(a), 32);
	return MNL_CB_OK;
}

static int mod_add_bytes(struct synl *s, const void *p, size_t n, uint8_t id[32])
{
	struct nlmsghdr *nlh = synl_req(s, SYNAPSE_CMD_MODULE_ADD);

	mnl_attr_put(nlh, SYNAPSE_A_MODULE_DATA, n, p);
	return synl_call(s, nlh, parse_mod_id, id);
}

static int mod_add(struct synl *s, const char *path, uint8_t id[32])
{
	static uint8_t buf[65536];
	size_t n = 0;
	int err = read_all(path, buf, sizeof(buf), &n);

	return err ? err : mod_add_bytes(s, buf, n, id);
}

static int parse_task(const struct nlmsghdr *nlh, void *data)
{
	struct tinfo *ti = data;
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case SYNAPSE_A_TASK_ID:
			ti->id = mnl_attr_get_u64(a);
			break;
		case SYNAPSE_A_TASK_STATUS:
			ti->status = mnl_attr_get_u32(a);
			break;
		case SYNAPSE_A_TASK_CODE:
			ti->code = (int32_t)mnl_attr_get_u32(a);
			break;
		case SYNAPSE_A_TASK_FUEL_USED:
			ti->fuel_used = mnl_attr_get_u64(a);
			break;
		case SYNAPSE_A_TASK_OUTPUT_LEN:
			ti->output_len = mnl_attr_get_u64(a);
			break;
		case SYNAPSE_A_TASK_INPUT_HASH:
			memcpy(ti->input, mnl_attr_get_payload(a), 32);
			break;
		case SYNAPSE_A_TASK_TRACE_HASH:
			memcpy(ti->trace, mnl_attr_get_payload(a), 32);
			ti->done = true;
			break;
		case SYNAPSE_A_TASK_OUTPUT_HASH:
			memcpy(ti->output, mnl_attr_get_payload(a), 32);
			break;
		case SYNAPSE_A_TASK_RESULT:
			if (!ti->nresults++)
				ti->result = mnl_attr_get_u64(a);
			break;
		}
	}
	return MNL_CB_OK;
}

static int task_start(struct synl *s, const uint8_t mod[32],
		      const struct topts *o, uint64_t *id)
{
	struct nlmsghdr *nlh = synl_req(s, SYNAPSE_CMD_TASK_START);
	struct tinfo ti = { 0 };
	int err;

	mnl_attr_put(nlh, SYNAPSE_A_TASK_MODULE_ID, 32, mod);
	if (o && o->entry)
		mnl_attr_put_strz(nlh, SYNAPSE_A_TASK_ENTRY, o->entry);
	if (o && o->input_len)
		mnl_attr_put(nlh, SYNAPSE_A_TASK_INPUT, o->input_len, o->input);
	if (o && o->fuel)
		mnl_attr_put_u64(nlh, SYNAPSE_A_TASK_FUEL, o->fuel);
	if (o && o->cp_every)
		mnl_attr_put_u64(nlh, SYNAPSE_A_TASK_CHECKPOINT_EVERY, o->cp_every);
	if (o && o->pages)
		mnl_attr_put_u32(nlh, SYNAPSE_A_TASK_MEMORY_PAGES, o->pages);
	if (o && o->stack)
		mnl_attr_put_u32(nlh, SYNAPSE_A_TASK_VALUE_STACK, o->stack);
	if (o && o->depth)
		mnl_attr_put_u32(nlh, SYNAPSE_A_TASK_CALL_DEPTH, o->depth);
	if (o && o->keep)
		mnl_attr_put_u32(nlh, SYNAPSE_A_TASK_KEEP, o->keep);
	err = synl_call(s, nlh, parse_task, &ti);
	*id = ti.id;
	return err;
}

static int task_cmd(struct synl *s, uint8_t cmd, uint64_t id, struct tinfo *ti)
{
	struct nlmsghdr *nlh = synl_req(s, cmd);
	struct tinfo dummy;

	memset(ti ? ti : &dummy, 0, sizeof(dummy));
	mnl_attr_put_u64(nlh, SYNAPSE_A_TASK_ID, id);
	return synl_call(s, nlh, parse_task, ti ? ti : &dummy);
}

/* Poll until the task is finished; bounded by timeout_ms. */
static int task_wait(struct synl *s, uint64_t id, struct tinfo *ti,
		     double timeout_ms)
{
	double end = now_ms() + timeout_ms;
	int err;

	do {
		err = task_cmd(s, SYNAPSE_CMD_TASK_GET, id, ti);
		if (err || ti->status < SYNAPSE_STATUS_QUEUED)
			return err;
		usleep(20000);
	} while (now_ms() < end);
	return -ETIMEDOUT;
}

struct outbuf {
	uint8_t data[65536];
	size_t len;
	uint64_t total;
};

static int parse_output(const struct nlmsghdr *nlh, void *data)
{
	struct outbuf *ob = data;
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == SYNAPSE_A_TASK_OUTPUT_LEN)
			ob->total = mnl_attr_get_u64(a);
		if (mnl_attr_get_type(a) == SYNAPSE_A_TASK_OUTPUT_DATA &&
		    ob->len + mnl_attr_get_payload_len(a) <= sizeof(ob->data)) {
			memcpy(ob->data + ob->len, mnl_attr_get_payload(a),
			       mnl_attr_get_payload_len(a));
			ob->len += mnl_attr_get_payload_len(a);
		}
	}
	return MNL_CB_OK;
}

static int task_output(struct synl *s, uint64_t id, struct outbuf *ob)
{
	struct nlmsghdr *nlh = synl_req(s, SYNAPSE_CMD_TASK_OUTPUT);

	memset(ob, 0, sizeof(*ob));
	mnl_attr_put_u64(nlh, SYNAPSE_A_TASK_ID, id);
	return synl_call(s, nlh, parse_output, ob);
}

/* synl_call() waits for an ack; a dump ends with NLMSG_DONE instead. */
static int dump_call(struct synl *s, struct nlmsghdr *nlh, mnl_cb_t cb,
		     void *data)
{
	uint32_t seq = nlh->nlmsg_seq;
	int n, i;

	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	if (mnl_socket_sendto(s->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (i = 0; i < 1000; i++) {
		struct nlmsghdr *m;

		n = mnl_socket_recvfrom(s->nl, s->rx, SYNL_BUF_SIZE);
		if (n < 0)
			return -errno;
		for (m = (struct nlmsghdr *)s->rx; mnl_nlmsg_ok(m, n);
		     m = mnl_nlmsg_next(m, &n)) {
			if (m->nlmsg_seq != seq)
				continue;
			if (m->nlmsg_type == NLMSG_DONE)
				return 0;
			if (m->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)mnl_nlmsg_get_payload(m))->error;
			if (cb(m, data) < 0)
				return -EPROTO;
		}
	}
	return -ETIMEDOUT;
}

struct cps {
	uint64_t kept[64];
	unsigned int nkept, n;
	unsigned int nfuel;		/* checkpoints that carried CP_FUEL */
	bool fuel_backwards;		/* a fuel position below the one before */
	uint64_t last_fuel;
};

static int parse_cp(const struct nlmsghdr *nlh, void *data)
{
	struct cps *c = data;
	const struct nlattr *a;
	uint64_t seq = 0;
	bool kept = false;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == SYNAPSE_A_TASK_CP_SEQ)
			seq = mnl_attr_get_u64(a);
		if (mnl_attr_get_type(a) == SYNAPSE_A_TASK_CP_KEPT)
			kept = true;
		if (mnl_attr_get_type(a) == SYNAPSE_A_TASK_CP_FUEL) {
			uint64_t f = mnl_attr_get_u64(a);

			c->fuel_backwards |= c->nfuel && f < c->last_fuel;
			c->last_fuel = f;
			c->nfuel++;
		}
	}
	c->n++;
	if (kept && c->nkept < 64)
		c->kept[c->nkept++] = seq;
	return MNL_CB_OK;
}

FIXTURE(task) {
	struct synl s;
	uint8_t hello[32], loop[32], trap[32], echo[32], sha[32];
};

FIXTURE_SETUP(task)
{
	ASSERT_EQ(0, synl_open(&self->s)) TH_LOG("synapse family missing");
	ASSERT_EQ(0, mod_add(&self->s, EX("hello"), self->hello)) TH_LOG("%s", self->s.msg);
	ASSERT_EQ(0, mod_add(&self->s, EX("loop"), self->loop));
	ASSERT_EQ(0, mod_add(&self->s, EX("trap"), self->trap));
	ASSERT_EQ(0, mod_add(&self->s, EX("echo"), self->echo));
	ASSERT_EQ(0, mod_add(&self->s, EX("sha256"), self->sha));
}

FIXTURE_TEARDOWN(task)
{
	synl_close(&self->s);
}

TEST_F(task, hello_output_and_del)
{
	struct nlmsghdr *nlh;
	struct outbuf ob;
	struct tinfo ti;
	uint64_t id;

	ASSERT_EQ(0, task_start(&self->s, self->hello, NULL, &id)) TH_LOG("%s", self->s.msg);
	ASSERT_EQ(0, task_wait(&self->s, id, &ti, 20000));
	EXPECT_EQ((uint32_t)SYNAPSE_STATUS_OK, ti.status);
	EXPECT_TRUE(ti.done);
	ASSERT_EQ(0, task_output(&self->s, id, &ob));
	EXPECT_EQ(ob.total, ti.output_len);
	EXPECT_EQ(0, memcmp(ob.data, "hello from synapse\n", 19));
	/* a finished task's module cannot go while the task holds it */
	nlh = synl_req(&self->s, SYNAPSE_CMD_MODULE_DEL);
	mnl_attr_put(nlh, SYNAPSE_A_MODULE_ID, 32, self->hello);
	EXPECT_EQ(-EBUSY, synl_call(&self->s, nlh, NULL, NULL));
	EXPECT_EQ(0, task_cmd(&self->s, SYNAPSE_CMD_TASK_DEL, id, NULL));
	EXPECT_EQ(-ENOENT, task_cmd(&self->s, SYNAPSE_CMD_TASK_GET, id, &ti));
}

TEST_F(task, fuel_exhaustion_and_trap)
{
	struct topts o = { .fuel = 1000000 };
	struct tinfo ti;
	uint64_t id;

	ASSERT_EQ(0, task_start(&self->s, self->loop, &o, &id));
	ASSERT_EQ(0, task_wait(&self->s, id, &ti, 60000));
	EXPECT_EQ((uint32_t)SYNAPSE_STATUS_FUEL_EXHAUSTED, ti.status);
	EXPECT_LE(ti.fuel_used, 1000000ULL);
	EXPECT_GE(ti.fuel_used, 999000ULL);
	task_cmd(&self->s, SYNAPSE_CMD_TASK_DEL, id, NULL);

	ASSERT_EQ(0, task_start(&self->s, self->trap, NULL, &id));
	ASSERT_EQ(0, task_wait(&self->s, id, &ti, 20000));
	EXPECT_EQ((uint32_t)SYNAPSE_STATUS_TRAP, ti.status);
	EXPECT_NE((int32_t)0, ti.code);
	task_cmd(&self->s, SYNAPSE_CMD_TASK_DEL, id, NULL);
}

/* An endless loop with a huge fuel limit runs in slices: the machine stays
 * responsive (GET_INFO round trips stay short) and kill ends it. */
TEST_F(task, kill_running_and_no_stall)
{
	struct synl_info info;
	struct tinfo ti;
	double t0, worst = 0;
	uint64_t id;
	int i;

	ASSERT_EQ(0, task_start(&self->s, self->loop, NULL, &id));
	for (i = 0; i < 20; i++) {
		t0 = now_ms();
		ASSERT_EQ(0, synl_info(&self->s, &info));
		if (now_ms() - t0 > worst)
			worst = now_ms() - t0;
		usleep(50000);
	}
	TH_LOG("worst GET_INFO round trip while the loop runs: %.1f ms", worst);
	EXPECT_LT(worst, 1000.0);
	ASSERT_EQ(0, task_cmd(&self->s, SYNAPSE_CMD_TASK_GET, id, &ti));
	EXPECT_EQ((uint32_t)SYNAPSE_STATUS_RUNNING, ti.status);
	EXPECT_GT(ti.fuel_used, 0ULL);
	/* in flight: no output yet, and no delete */
	EXPECT_EQ(-EBUSY, task_cmd(&self->s, SYNAPSE_CMD_TASK_DEL, id, NULL));
	t0 = now_ms();
	ASSERT_EQ(0, task_cmd(&self->s, SYNAPSE_CMD_TASK_KILL, id, NULL));
	ASSERT_EQ(0, task_wait(&self->s, id, &ti, 5000));
	TH_LOG("killed after %.1f ms", now_ms() - t0);
	EXPECT_EQ((uint32_t)SYNAPSE_STATUS_KILLED, ti.status);
	EXPECT_EQ(0, task_cmd(&self->s, SYNAPSE_CMD_TASK_DEL, id, NULL));
}

/*
 * (module (func $s (loop (br 0))) (func (export "run")) (start $s)):
 * a start function that never returns.
 */
static const uint8_t start_loop_wasm[] = {
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
	0x01, 0x04, 0x01, 0x60, 0x00, 0x00,			/* type () -> () */
	0x03, 0x03, 0x02, 0x00, 0x00,				/* two funcs */
	0x07, 0x07, 0x01, 0x03, 'r', 'u', 'n', 0x00, 0x01,	/* export run */
	0x08, 0x01, 0x00,					/* start 0 */
	0x0a, 0x0c, 0x02,
	0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b,		/* loop br 0 */
	0x02, 0x00, 0x0b,
};

/*
 * (module (global (mut i32) (i32.const 0))
 *   (func $s (global.set 0 (i32.const 42)))
 *   (func (export "run") (result i32) (global.get 0)) (start $s)):
 * the entry sees what the start function did.
 */
static const uint8_t start_set_wasm[] = {
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
	0x01, 0x08, 0x02, 0x60, 0x00, 0x00, 0x60, 0x00, 0x01, 0x7f,
	0x03, 0x03, 0x02, 0x00, 0x01,
	0x06, 0x06, 0x01, 0x7f, 0x01, 0x41, 0x00, 0x0b,		/* global */
	0x07, 0x07, 0x01, 0x03, 'r', 'u', 'n', 0x00, 0x01,
	0x08, 0x01, 0x00,
	0x0a, 0x0d, 0x02,
	0x06, 0x00, 0x41, 0x2a, 0x24, 0x00, 0x0b,		/* set 42 */
	0x04, 0x00, 0x23, 0x00, 0x0b,				/* get */
};

/*
 * The start function runs on the workqueue in slices like the entry:
 * TASK_START returns at once even when it never ends, the machine stays
 * responsive, kill ends it, fuel bounds it, and the entry runs after it.
 */
TEST_F(task, start_function_sliced)
{
	struct topts small = { .fuel = 1000000 };
	struct synl_info info;
	uint8_t loop[32], set[32];
	double t0, took, worst = 0;
	struct tinfo ti;
	uint64_t id;
	int i;

	ASSERT_EQ(0, mod_add_bytes(&self->s, start_loop_wasm,
				   sizeof(start_loop_wasm), loop)) TH_LOG("%s", self->s.msg);
	ASSERT_EQ(0, mod_add_bytes(&self->s, start_set_wasm,
				   sizeof(start_set_wasm), set)) TH_LOG("%s", self->s.msg);

	/* default fuel (10^10): minutes of TCG time if the request ran it */
	t0 = now_ms();
	ASSERT_EQ(0, task_start(&self->s, loop, NULL, &id)) TH_LOG("%s", self->s.msg);
	took = now_ms() - t0;
	TH_LOG("TASK_START with an endless start function took %.1f ms", took);
	EXPECT_LT(took, 2000.0);
	for (i = 0; i < 10; i++) {
		t0 = now_ms();
		ASSERT_EQ(0, synl_info(&self->s, &info));
		if (now_ms() - t0 > worst)
			worst = now_ms() - t0;
		usleep(50000);
	}
	EXPECT_LT(worst, 1000.0);
	ASSERT_EQ(0, task_cmd(&self->s, SYNAPSE_CMD_TASK_GET, id, &ti));
	EXPECT_EQ((uint32_t)SYNAPSE_STATUS_RUNNING, ti.status);
	EXPECT_GT(ti.fuel_used, 0ULL);
	EXPECT_EQ(-EBUSY, task_cmd(&self->s, SYNAPSE_CMD_TASK_DEL, id, NULL));
	ASSERT_EQ(0, task_cmd(&self->s, SYNAPSE_CMD_TASK_KILL, id, NULL));
	ASSERT_EQ(0, task_wait(&self->s, id, &ti, 5000));
	EXPECT_EQ((uint32_t)SYNAPSE_STATUS_KILLED, ti.status);
	EXPECT_TRUE(ti.done);
	EXPECT_EQ(0, task_cmd(&self->s, SYNAPSE_CMD_TASK_DEL, id, NULL));

	/* bounded by fuel like any code */
	ASSERT_EQ(0, task_start(&self->s, loop, &small, &id));
	ASSERT_EQ(0, task_wait(&self->s, id, &ti, 60000));
	EXPECT_EQ((uint32_t)SYNAPSE_STATUS_FUEL_EXHAUSTED, ti.status);
	EXPECT_LE(ti.fuel_used, 1000000ULL);
	EXPECT_GE(ti.fuel_used, 999000ULL);
	EXPECT_EQ(0, task_cmd(&self->s, SYNAPSE_CMD_TASK_DEL, id, NULL));

	/* a start function that returns: the entry runs after it */
	ASSERT_EQ(0, task_start(&self->s, set, NULL, &id)) TH_LOG("%s", self->s.msg);
	ASSERT_EQ(0, task_wait(&self->s, id, &ti, 20000));
	EXPECT_EQ((uint32_t)SYNAPSE_STATUS_OK, ti.status);
	EXPECT_EQ(1u, ti.nresults);
	EXPECT_EQ(42ULL, ti.result);
	EXPECT_EQ(0, task_cmd(&self->s, SYNAPSE_CMD_TASK_DEL, id, NULL));
}

TEST_F_TIMEOUT(task, replay_equals_original, 120)
{
	static uint8_t in[1500];
	struct topts o = { .input = in, .input_len = sizeof(in),
			   .cp_every = 10000, .keep = 4 };
	struct tinfo orig, rep;
	struct nlmsghdr *nlh;
	struct cps c = { 0 };
	uint64_t id, rid, rid2, seed = 7;

	rnd_fill(&seed, in, sizeof(in));
	ASSERT_EQ(0, task_start(&self->s, self->sha, &o, &id));
	ASSERT_EQ(0, task_wait(&self->s, id, &orig, 60000));
	ASSERT_EQ((uint32_t)SYNAPSE_STATUS_OK, orig.status);
	nlh = synl_req(&self->s, SYNAPSE_CMD_TASK_CHECKPOINTS);
	mnl_attr_put_u64(nlh, SYNAPSE_A_TASK_ID, id);
	ASSERT_EQ(0, dump_call(&self->s, nlh, parse_cp, &c));
	TH_LOG("%u checkpoints, %u kept", c.n, c.nkept);
	ASSERT_GE(c.n, 3U);
	ASSERT_GE(c.nkept, 2U);
	/* every checkpoint says at which fuel it was taken, in order */
	EXPECT_EQ(c.n, c.nfuel);
	EXPECT_FALSE(c.fuel_backwards);
	EXPECT_LE(c.last_fuel, orig.fuel_used);

	/* replay from the oldest kept checkpoint */
	nlh = synl_req(&self->s, SYNAPSE_CMD_TASK_REPLAY);
	mnl_attr_put_u64(nlh, SYNAPSE_A_TASK_ID, id);
	mnl_attr_put_u64(nlh, SYNAPSE_A_TASK_REPLAY_SEQ, c.kept[0]);
	memset(&rep, 0, sizeof(rep));
	ASSERT_EQ(0, synl_call(&self->s, nlh, parse_task, &rep)) {
		TH_LOG("%s", self->s.msg);
	}
	rid = rep.id;
	ASSERT_NE(id, rid);
	ASSERT_EQ(0, task_wait(&self->s, rid, &rep, 60000));
	EXPECT_EQ(orig.status, rep.status);
	EXPECT_EQ(orig.fuel_used, rep.fuel_used);
	EXPECT_EQ(0, memcmp(orig.trace, rep.trace, 32));
	EXPECT_EQ(0, memcmp(orig.output, rep.output, 32));
	EXPECT_EQ(0, memcmp(orig.input, rep.input, 32));

	/* the original's engine state moved to the replay */
	nlh = synl_req(&self->s, SYNAPSE_CMD_TASK_REPLAY);
	mnl_attr_put_u64(nlh, SYNAPSE_A_TASK_ID, id);
	mnl_attr_put_u64(nlh, SYNAPSE_A_TASK_REPLAY_SEQ, c.kept[0]);
	EXPECT_EQ(-ENOENT, synl_call(&self->s, nlh, NULL, NULL));
	/* a replay of the replay, from its latest kept checkpoint */
	memset(&c, 0, sizeof(c));
	nlh = synl_req(&self->s, SYNAPSE_CMD_TASK_CHECKPOINTS);
	mnl_attr_put_u64(nlh, SYNAPSE_A_TASK_ID, rid);
	ASSERT_EQ(0, dump_call(&self->s, nlh, parse_cp, &c));
	ASSERT_GE(c.nkept, 1U);
	nlh = synl_req(&self->s, SYNAPSE_CMD_TASK_REPLAY);
	mnl_attr_put_u64(nlh, SYNAPSE_A_TASK_ID, rid);
	mnl_attr_put_u64(nlh, SYNAPSE_A_TASK_REPLAY_SEQ, c.kept[c.nkept - 1]);
	memset(&rep, 0, sizeof(rep));
	ASSERT_EQ(0, synl_call(&self->s, nlh, parse_task, &rep));
	rid2 = rep.id;
	ASSERT_EQ(0, task_wait(&self->s, rid2, &rep, 60000));
	EXPECT_EQ(0, memcmp(orig.trace, rep.trace, 32));
	EXPECT_EQ(0, memcmp(orig.output, rep.output, 32));

	/* the original still answers with its own results */
	ASSERT_EQ(0, task_cmd(&self->s, SYNAPSE_CMD_TASK_GET, id, &rep));
	EXPECT_EQ(0, memcmp(orig.trace, rep.trace, 32));
	/* and its checkpoint list, fuel positions included */
	memset(&c, 0, sizeof(c));
	nlh = synl_req(&self->s, SYNAPSE_CMD_TASK_CHECKPOINTS);
	mnl_attr_put_u64(nlh, SYNAPSE_A_TASK_ID, id);
	ASSERT_EQ(0, dump_call(&self->s, nlh, parse_cp, &c));
	EXPECT_GE(c.n, 3U);
	EXPECT_EQ(c.n, c.nfuel);
	EXPECT_FALSE(c.fuel_backwards);
	EXPECT_EQ(0U, c.nkept);	/* no longer replayable */
	EXPECT_EQ(0, task_cmd(&self->s, SYNAPSE_CMD_TASK_DEL, rid2, NULL));
	EXPECT_EQ(0, task_cmd(&self->s, SYNAPSE_CMD_TASK_DEL, rid, NULL));
	EXPECT_EQ(0, task_cmd(&self->s, SYNAPSE_CMD_TASK_DEL, id, NULL));
}

TEST_F(task, sixty_four_at_once)
{
	struct topts o = { .pages = 4, .stack = 4096, .depth = 256 };
	char in[64][32];
	uint64_t ids[64];
	struct outbuf ob;
	struct tinfo ti;
	int i, ok = 0;

	for (i = 0; i < 64; i++) {
		int err;

		snprintf(in[i], sizeof(in[i]), "task number %d", i);
		o.input = in[i];
		o.input_len = strlen(in[i]);
		err = task_start(&self->s, self->echo, &o, &ids[i]);
		ASSERT_EQ(0, err) {
			TH_LOG("task %d: %s", i, self->s.msg);
		}
	}
	for (i = 0; i < 64; i++) {
		ASSERT_EQ(0, task_wait(&self->s, ids[i], &ti, 60000));
		ASSERT_EQ(0, task_output(&self->s, ids[i], &ob));
		if (ti.status == SYNAPSE_STATUS_OK && ob.len == strlen(in[i]) &&
		    !memcmp(ob.data, in[i], ob.len))
			ok++;
		task_cmd(&self->s, SYNAPSE_CMD_TASK_DEL, ids[i], NULL);
	}
	EXPECT_EQ(64, ok);
}

TEST_F(task, limits_and_errors)
{
	static const uint8_t junk[] = { 0, 'a', 's', 'm', 1, 0, 0, 0, 0x01, 0x05, 0xff };
	struct topts o = { .pages = 100000 };
	uint8_t id[32], missing[32] = { 1 };
	struct nlmsghdr *nlh;
	uint64_t tid;
	FILE *f;

	EXPECT_EQ(-ERANGE, task_start(&self->s, self->hello, &o, &tid));
	EXPECT_NE(NULL, strstr(self->s.msg, "range")) TH_LOG("%s", self->s.msg);
	EXPECT_EQ(-ENOENT, task_start(&self->s, missing, NULL, &tid));
	o = (struct topts){ .entry = "nope" };
	EXPECT_EQ(-EINVAL, task_start(&self->s, self->hello, &o, &tid));
	EXPECT_NE(NULL, strstr(self->s.msg, "nope")) TH_LOG("%s", self->s.msg);
	EXPECT_EQ(-EINVAL, mod_add_bytes(&self->s, junk, sizeof(junk), id));
	EXPECT_NE(NULL, strstr(self->s.msg, "offset")) TH_LOG("%s", self->s.msg);
	nlh = synl_req(&self->s, SYNAPSE_CMD_MODULE_DEL);
	mnl_attr_put(nlh, SYNAPSE_A_MODULE_ID, 32, missing);
	EXPECT_EQ(-ENOENT, synl_call(&self->s, nlh, NULL, NULL));
	/* a wrong-length id is refused by the policy */
	nlh = synl_req(&self->s, SYNAPSE_CMD_MODULE_DEL);
	mnl_attr_put(nlh, SYNAPSE_A_MODULE_ID, 31, missing);
	EXPECT_EQ(-ERANGE, synl_call(&self->s, nlh, NULL, NULL));

	/* per-netns task count */
	f = fopen("/sys/module/synapse/parameters/netns_tasks_max", "w");
	ASSERT_NE(NULL, f);
	fputs("0", f);
	fclose(f);
	EXPECT_EQ(-ENOSPC, task_start(&self->s, self->hello, NULL, &tid));
	EXPECT_NE(NULL, strstr(self->s.msg, "netns_tasks_max")) TH_LOG("%s", self->s.msg);
	f = fopen("/sys/module/synapse/parameters/netns_tasks_max", "w");
	ASSERT_NE(NULL, f);
	fputs("1024", f);
	fclose(f);
}

/* In a child: unprivileged, or in a fresh netns. */
static int child_status(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

TEST_F(task, unprivileged_read_only)
{
	uint64_t id;
	pid_t pid;

	ASSERT_EQ(0, task_start(&self->s, self->hello, NULL, &id));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct synl s;
		struct tinfo ti;
		uint8_t mid[32];

		if (drop_to_nobody() || synl_open(&s))
			_exit(10);
		if (mod_add(&s, EX("hello"), mid) != -EPERM)
			_exit(11);
		if (task_cmd(&s, SYNAPSE_CMD_TASK_KILL, id, NULL) != -EPERM)
			_exit(12);
		if (task_wait(&s, id, &ti, 20000) || ti.status != SYNAPSE_STATUS_OK)
			_exit(13);
		_exit(0);
	}
	EXPECT_EQ(0, child_status(pid));
	task_cmd(&self->s, SYNAPSE_CMD_TASK_DEL, id, NULL);
}

TEST_F(task, netns_isolation_and_teardown)
{
	uint64_t id;
	pid_t pid;

	ASSERT_EQ(0, task_start(&self->s, self->hello, NULL, &id));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct topts o = { .pages = 4, .stack = 4096 };
		struct nlmsghdr *nlh;
		struct tinfo ti;
		struct synl s;
		uint8_t mid[32];
		uint64_t tid;
		int i;

		if (unshare(CLONE_NEWNET) || synl_open(&s))
			_exit(10);
		/* the parent's task and module are invisible here */
		if (task_cmd(&s, SYNAPSE_CMD_TASK_GET, id, &ti) != -ENOENT)
			_exit(11);
		nlh = synl_req(&s, SYNAPSE_CMD_MODULE_GET);
		mnl_attr_put(nlh, SYNAPSE_A_MODULE_ID, 32, self->hello);
		if (synl_call(&s, nlh, NULL, NULL) != -ENOENT)
			_exit(12);
		if (task_start(&s, self->loop, NULL, &tid) != -ENOENT)
			_exit(13);
		/* endless tasks left running when the netns goes away */
		if (mod_add(&s, EX("loop"), mid))
			_exit(14);
		for (i = 0; i < 4; i++)
			if (task_start(&s, mid, &o, &tid))
				_exit(15);
		usleep(200000);
		_exit(0);
	}
	EXPECT_EQ(0, child_status(pid));
	/* the netns is torn down asynchronously; our own task is untouched */
	usleep(500000);
	{
		struct tinfo ti;

		ASSERT_EQ(0, task_wait(&self->s, id, &ti, 20000));
		EXPECT_EQ((uint32_t)SYNAPSE_STATUS_OK, ti.status);
	}
	task_cmd(&self->s, SYNAPSE_CMD_TASK_DEL, id, NULL);
}

TEST_HARNESS_MAIN
