// SPDX-License-Identifier: GPL-2.0
/*
 * A netlink fuzzer for the module and task commands: tens of thousands of
 * random and mutated requests (random attribute types, lengths and
 * payloads, truncated and bit-flipped valid requests, mutated Wasm
 * modules), sent from a netns of its own so that whatever the requests
 * leave behind is torn down with it. Afterwards the module must still run a
 * task correctly (the VM runner fails the run on any oops or WARN). The
 * seed is logged; SYNAPSE_FUZZ_SEED and SYNAPSE_FUZZ_ITERS override.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <linux/genetlink.h>
#include <kselftest_harness.h>

#include "uapi/synapse_abi.h"
#include "synl.h"
#include "util.h"

#define PARAM	"/sys/module/synapse/parameters/netns_task_mem_max"

static uint8_t hello[4096];
static size_t hello_len;

static int load_hello(void)
{
	int fd = open("build/examples/hello.wasm", O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, hello, sizeof(hello));
	close(fd);
	if (n <= 0)
		return -EIO;
	hello_len = (size_t)n;
	return 0;
}

/* Send and drain the reply: ack, error or the end of a dump. */
static int send_drain(struct synl *s, struct nlmsghdr *nlh)
{
	uint32_t seq = nlh->nlmsg_seq;
	int n, i;

	if (mnl_socket_sendto(s->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (i = 0; i < 200; i++) {
		struct nlmsghdr *m;

		n = mnl_socket_recvfrom(s->nl, s->rx, SYNL_BUF_SIZE);
		if (n < 0)
			return -errno;
		for (m = (struct nlmsghdr *)s->rx; mnl_nlmsg_ok(m, n);
		     m = mnl_nlmsg_next(m, &n)) {
			if (m->nlmsg_seq != seq)
				continue;
			if (m->nlmsg_type == NLMSG_ERROR || m->nlmsg_type == NLMSG_DONE)
				return 0;
		}
	}
	return -ETIMEDOUT;
}

static void put_random_attr(struct nlmsghdr *nlh, uint64_t *rs,
			    const uint8_t *mod_id)
{
	uint8_t buf[96];
	uint16_t type = rnd_next(rs) % 40;
	size_t len;

	switch (rnd_next(rs) % 6) {
	case 0:		/* a well-typed u64 (ids, limits, offsets) */
		mnl_attr_put_u64(nlh, type, rnd_next(rs) % 3 ? rnd_next(rs) % 8 :
				 rnd_next(rs));
		return;
	case 1:
		mnl_attr_put_u32(nlh, type, rnd_next(rs) % 2 ? rnd_next(rs) % 70000 :
				 (uint32_t)rnd_next(rs));
		return;
	case 2:		/* the real module id */
		mnl_attr_put(nlh, type, 32, mod_id);
		return;
	case 3:
		mnl_attr_put_strz(nlh, type, rnd_next(rs) % 2 ? "run" : "nope");
		return;
	default:
		len = rnd_next(rs) % sizeof(buf);
		rnd_fill(rs, buf, len);
		mnl_attr_put(nlh, type, len, buf);
	}
}

static void fuzz_one(struct synl *s, uint64_t *rs, const uint8_t *mod_id)
{
	uint8_t cmd = SYNAPSE_CMD_MODULE_ADD + rnd_next(rs) % 12;
	struct nlmsghdr *nlh = synl_req(s, cmd);
	unsigned int i, nattrs = rnd_next(rs) % 6;
	uint8_t mod[sizeof(hello)];

	if (rnd_next(rs) % 4 == 0)
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	if (cmd == SYNAPSE_CMD_MODULE_ADD && rnd_next(rs) % 2) {
		/* a mutated module: a few bit flips, maybe truncated */
		memcpy(mod, hello, hello_len);
		for (i = 0; i < 1 + rnd_next(rs) % 4; i++)
			mod[rnd_next(rs) % hello_len] ^= 1u << (rnd_next(rs) % 8);
		mnl_attr_put(nlh, SYNAPSE_A_MODULE_DATA,
			     rnd_next(rs) % 4 ? hello_len : rnd_next(rs) % hello_len, mod);
	}
	if (cmd == SYNAPSE_CMD_TASK_START && rnd_next(rs) % 2) {
		/* mostly valid: small limits, the real module */
		mnl_attr_put(nlh, SYNAPSE_A_TASK_MODULE_ID, 32, mod_id);
		mnl_attr_put_u32(nlh, SYNAPSE_A_TASK_VALUE_STACK, 64 + rnd_next(rs) % 8192);
		mnl_attr_put_u32(nlh, SYNAPSE_A_TASK_MEMORY_PAGES, rnd_next(rs) % 8);
	}
	for (i = 0; i < nattrs; i++)
		put_random_attr(nlh, rs, mod_id);
	/* sometimes lie about the length (truncation inside an attribute) */
	if (rnd_next(rs) % 16 == 0 && nlh->nlmsg_len > NLMSG_HDRLEN + GENL_HDRLEN + 2)
		nlh->nlmsg_len -= 1 + rnd_next(rs) % 3;
	send_drain(s, nlh);
}

static int parse_id(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == SYNAPSE_A_MODULE_ID &&
		    mnl_attr_get_payload_len(a) == 32)
			memcpy(data, mnl_attr_get_payload(a), 32);
	return MNL_CB_OK;
}

static int parse_task(const struct nlmsghdr *nlh, void *data)
{
	uint64_t *v = data;
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == SYNAPSE_A_TASK_ID)
			v[0] = mnl_attr_get_u64(a);
		if (mnl_attr_get_type(a) == SYNAPSE_A_TASK_STATUS)
			v[1] = mnl_attr_get_u32(a);
	}
	return MNL_CB_OK;
}

/* Add hello, run it, expect OK: the module still works. */
static int sanity(struct synl *s)
{
	uint8_t id[32] = { 0 };
	uint64_t v[2] = { 0, 0 };
	struct nlmsghdr *nlh;
	int i, err;

	nlh = synl_req(s, SYNAPSE_CMD_MODULE_ADD);
	mnl_attr_put(nlh, SYNAPSE_A_MODULE_DATA, hello_len, hello);
	err = synl_call(s, nlh, parse_id, id);
	if (err)
		return err;
	nlh = synl_req(s, SYNAPSE_CMD_TASK_START);
	mnl_attr_put(nlh, SYNAPSE_A_TASK_MODULE_ID, 32, id);
	err = synl_call(s, nlh, parse_task, v);
	if (err)
		return err;
	for (i = 0; i < 500; i++) {
		uint64_t tid = v[0];

		nlh = synl_req(s, SYNAPSE_CMD_TASK_GET);
		mnl_attr_put_u64(nlh, SYNAPSE_A_TASK_ID, tid);
		err = synl_call(s, nlh, parse_task, v);
		if (err)
			return err;
		if (v[1] < SYNAPSE_STATUS_QUEUED)
			return v[1] == SYNAPSE_STATUS_OK ? 0 : -EIO;
		usleep(20000);
	}
	return -ETIMEDOUT;
}

struct idlist {
	uint64_t ids[4096];
	unsigned int n;
};

static int collect_id(const struct nlmsghdr *nlh, void *data)
{
	struct idlist *l = data;
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == SYNAPSE_A_TASK_ID && l->n < 4096)
			l->ids[l->n++] = mnl_attr_get_u64(a);
	return MNL_CB_OK;
}

/* Kill and delete every task the fuzzer left (they count against limits). */
static void cleanup_tasks(struct synl *s)
{
	static struct idlist l;
	struct nlmsghdr *nlh;
	uint32_t seq;
	unsigned int i, round;
	int n, k;

	for (round = 0; round < 20; round++) {
		l.n = 0;
		nlh = synl_req(s, SYNAPSE_CMD_TASK_GET);
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		seq = nlh->nlmsg_seq;
		if (mnl_socket_sendto(s->nl, nlh, nlh->nlmsg_len) < 0)
			return;
		for (k = 0; k < 1000; k++) {
			struct nlmsghdr *m;
			bool end = false;

			n = mnl_socket_recvfrom(s->nl, s->rx, SYNL_BUF_SIZE);
			if (n < 0)
				return;
			for (m = (struct nlmsghdr *)s->rx; mnl_nlmsg_ok(m, n);
			     m = mnl_nlmsg_next(m, &n)) {
				if (m->nlmsg_seq != seq)
					continue;
				if (m->nlmsg_type == NLMSG_DONE || m->nlmsg_type == NLMSG_ERROR)
					end = true;
				else
					collect_id(m, &l);
			}
			if (end)
				break;
		}
		if (!l.n)
			return;
		for (i = 0; i < l.n; i++) {
			nlh = synl_req(s, SYNAPSE_CMD_TASK_KILL);
			mnl_attr_put_u64(nlh, SYNAPSE_A_TASK_ID, l.ids[i]);
			synl_call(s, nlh, NULL, NULL);
			nlh = synl_req(s, SYNAPSE_CMD_TASK_DEL);
			mnl_attr_put_u64(nlh, SYNAPSE_A_TASK_ID, l.ids[i]);
			synl_call(s, nlh, NULL, NULL);
		}
		usleep(100000);
	}
}

static int set_param(const char *path, const char *v)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fputs(v, f);
	return fclose(f) ? -errno : 0;
}

FIXTURE(fuzz) {
	char saved[64];
};

FIXTURE_SETUP(fuzz)
{
	FILE *f = fopen(PARAM, "r");

	ASSERT_EQ(0, load_hello());
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(self->saved, sizeof(self->saved), f));
	fclose(f);
	/* random limits must not be able to exhaust the VM's memory */
	ASSERT_EQ(0, set_param(PARAM, "268435456"));
}

FIXTURE_TEARDOWN(fuzz)
{
	set_param(PARAM, self->saved);
}

TEST_F_TIMEOUT(fuzz, random_and_mutated_requests, 300)
{
	const char *env_seed = getenv("SYNAPSE_FUZZ_SEED");
	const char *env_iters = getenv("SYNAPSE_FUZZ_ITERS");
	uint64_t seed = env_seed ? strtoull(env_seed, NULL, 0) :
			(uint64_t)time(NULL) * 2654435761u + 1;
	long iters = env_iters ? atol(env_iters) : 20000;
	struct synl s;
	pid_t pid;
	int st;

	TH_LOG("seed %llu, %ld requests", (unsigned long long)seed, iters);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		uint8_t mod_id[32] = { 0 };
		uint64_t rs = seed;
		long i;

		if (unshare(CLONE_NEWNET) || synl_open(&s))
			_exit(10);
		if (sanity(&s))
			_exit(11);
		memset(mod_id, 0, sizeof(mod_id));
		{
			struct nlmsghdr *nlh = synl_req(&s, SYNAPSE_CMD_MODULE_ADD);

			mnl_attr_put(nlh, SYNAPSE_A_MODULE_DATA, hello_len, hello);
			if (synl_call(&s, nlh, parse_id, mod_id))
				_exit(12);
		}
		for (i = 0; i < iters; i++)
			fuzz_one(&s, &rs, mod_id);
		/* still works in this netns once the leftovers are gone */
		cleanup_tasks(&s);
		_exit(sanity(&s) ? 13 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	/* and in the init netns after that netns is gone */
	ASSERT_EQ(0, synl_open(&s));
	EXPECT_EQ(0, sanity(&s));
	synl_close(&s);
}

TEST_HARNESS_MAIN
