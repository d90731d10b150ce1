// SPDX-License-Identifier: GPL-2.0
/*
 * Streamed HASH: admin only, one stream per socket, dropped on close, on
 * ABORT and on the final request, bounded per netns, separate per netns.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <kselftest_harness.h>

#include "synl.h"
#include "util.h"

static int open_streams(struct synl *s)
{
	struct synl_info info;

	if (synl_info(s, &info) || !info.has_streams)
		return -1;
	return info.streams;
}

FIXTURE(stream) {
	struct synl a;	/* the streaming socket */
	struct synl q;	/* a second socket that looks at the count */
};

FIXTURE_SETUP(stream)
{
	ASSERT_EQ(0, synl_open(&self->a));
	ASSERT_EQ(0, synl_open(&self->q));
	ASSERT_EQ(0, open_streams(&self->q)) TH_LOG("a stream leaked from an earlier test");
}

FIXTURE_TEARDOWN(stream)
{
	synl_close(&self->a);
	synl_close(&self->q);
}

TEST_F(stream, final_frees)
{
	uint8_t got[32], want[32];

	ASSERT_EQ(0, synl_hash(&self->a, "ab", 2, SYNAPSE_HASH_F_MORE, NULL, NULL));
	EXPECT_EQ(1, open_streams(&self->q));
	ASSERT_EQ(0, synl_hash(&self->a, "c", 1, 0, got, NULL));
	ASSERT_EQ(0, sha256_ref("abc", 3, want));
	EXPECT_EQ(0, memcmp(got, want, 32));
	EXPECT_EQ(0, open_streams(&self->q));
}

TEST_F(stream, abort_frees)
{
	uint8_t got[32], want[32];
	struct nlmsghdr *nlh;

	ASSERT_EQ(0, synl_hash(&self->a, "zzz", 3, SYNAPSE_HASH_F_MORE, NULL, NULL));
	EXPECT_EQ(1, open_streams(&self->q));
	nlh = synl_req(&self->a, SYNAPSE_CMD_HASH);
	mnl_attr_put_u32(nlh, SYNAPSE_A_HASH_FLAGS, SYNAPSE_HASH_F_ABORT);
	ASSERT_EQ(0, synl_call(&self->a, nlh, NULL, NULL)) TH_LOG("%s", self->a.msg);
	EXPECT_EQ(0, open_streams(&self->q));
	/* The next request starts from scratch. */
	ASSERT_EQ(0, synl_hash(&self->a, "abc", 3, 0, got, NULL));
	ASSERT_EQ(0, sha256_ref("abc", 3, want));
	EXPECT_EQ(0, memcmp(got, want, 32));
}

TEST_F(stream, dropped_on_close)
{
	ASSERT_EQ(0, synl_hash(&self->a, "abc", 3, SYNAPSE_HASH_F_MORE, NULL, NULL));
	EXPECT_EQ(1, open_streams(&self->q));
	synl_close(&self->a);
	EXPECT_EQ(0, open_streams(&self->q));
	ASSERT_EQ(0, synl_open(&self->a));
}

/* Interleaved streams on two sockets do not mix. */
TEST_F(stream, per_socket)
{
	uint8_t ga[32], gb[32], wa[32], wb[32];

	ASSERT_EQ(0, synl_hash(&self->a, "hello ", 6, SYNAPSE_HASH_F_MORE, NULL, NULL));
	ASSERT_EQ(0, synl_hash(&self->q, "good", 4, SYNAPSE_HASH_F_MORE, NULL, NULL));
	ASSERT_EQ(0, synl_hash(&self->a, "world", 5, 0, ga, NULL));
	ASSERT_EQ(0, synl_hash(&self->q, "bye", 3, 0, gb, NULL));
	ASSERT_EQ(0, sha256_ref("hello world", 11, wa));
	ASSERT_EQ(0, sha256_ref("goodbye", 7, wb));
	EXPECT_EQ(0, memcmp(ga, wa, 32));
	EXPECT_EQ(0, memcmp(gb, wb, 32));
}

TEST_F(stream, bounded_per_netns)
{
	struct synl *s;
	int i, n = SYNAPSE_HASH_STREAMS_MAX;

	s = calloc(n + 1, sizeof(*s));
	ASSERT_NE(NULL, s);
	/* The fixture's count socket is idle; a holds no stream yet. */
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, synl_open(&s[i]));
		ASSERT_EQ(0, synl_hash(&s[i], "x", 1, SYNAPSE_HASH_F_MORE, NULL, NULL))
			TH_LOG("stream %d: %s", i, s[i].msg);
	}
	EXPECT_EQ(n, open_streams(&self->q));
	EXPECT_EQ(-EBUSY, synl_hash(&self->a, "x", 1, SYNAPSE_HASH_F_MORE, NULL, NULL));
	EXPECT_TRUE(self->a.has_msg);
	TH_LOG("extack: \"%s\"", self->a.msg);
	/* One-shot hashing never needs a stream slot. */
	EXPECT_EQ(0, synl_hash(&self->a, "x", 1, 0, (uint8_t[32]){ 0 }, NULL));
	for (i = 0; i < n; i++)
		synl_close(&s[i]);
	EXPECT_EQ(0, open_streams(&self->q));
	free(s);
}

TEST(unprivileged_stream_eperm)
{
	uint8_t got[32], want[32];
	struct synl s;

	ASSERT_EQ(0, drop_to_nobody());
	ASSERT_EQ(0, synl_open(&s));
	EXPECT_EQ(-EPERM, synl_hash(&s, "abc", 3, SYNAPSE_HASH_F_MORE, NULL, NULL));
	EXPECT_TRUE(s.has_msg);
	TH_LOG("extack: \"%s\"", s.msg);
	/* Nothing was kept: a final request is a plain one-shot hash. */
	ASSERT_EQ(0, synl_hash(&s, "def", 3, 0, got, NULL));
	ASSERT_EQ(0, sha256_ref("def", 3, want));
	EXPECT_EQ(0, memcmp(got, want, 32));
	synl_close(&s);
}

/* A fresh netns sees the family, and none of the old netns's streams. */
TEST(fresh_netns)
{
	uint8_t got[32], want[32];
	struct synl old, s;

	ASSERT_EQ(0, synl_open(&old));
	ASSERT_EQ(0, synl_hash(&old, "ab", 2, SYNAPSE_HASH_F_MORE, NULL, NULL));
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	ASSERT_EQ(0, synl_open(&s)) TH_LOG("family not visible in a new netns");
	EXPECT_EQ(0, open_streams(&s));
	ASSERT_EQ(0, synl_hash(&s, "x", 1, SYNAPSE_HASH_F_MORE, NULL, NULL));
	EXPECT_EQ(1, open_streams(&s));
	ASSERT_EQ(0, synl_hash(&s, "yz", 2, 0, got, NULL));
	ASSERT_EQ(0, sha256_ref("xyz", 3, want));
	EXPECT_EQ(0, memcmp(got, want, 32));
	/* The old socket still talks to its own netns and stream. */
	ASSERT_EQ(0, synl_hash(&old, "c", 1, 0, got, NULL));
	ASSERT_EQ(0, sha256_ref("abc", 3, want));
	EXPECT_EQ(0, memcmp(got, want, 32));
	synl_close(&s);
	synl_close(&old);
}

/*
 * An unprivileged user who owns a user namespace is admin of its netns:
 * CAP_NET_ADMIN is checked against the netns's user namespace.
 */
TEST(userns_owner_may_stream)
{
	uint8_t got[32], want[32];
	struct synl s;

	ASSERT_EQ(0, drop_to_nobody());
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET))
		SKIP(return, "unprivileged user namespaces disabled: %s", strerror(errno));
	ASSERT_EQ(0, synl_open(&s));
	ASSERT_EQ(0, synl_hash(&s, "ab", 2, SYNAPSE_HASH_F_MORE, NULL, NULL))
		TH_LOG("extack: %s", s.msg);
	ASSERT_EQ(0, synl_hash(&s, "c", 1, 0, got, NULL));
	ASSERT_EQ(0, sha256_ref("abc", 3, want));
	EXPECT_EQ(0, memcmp(got, want, 32));
	synl_close(&s);
}

/* Wait for one byte on @fd for at most @ms; 0 when it came. */
static int wait_byte(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&p, 1, ms) != 1 || read(fd, &c, 1) != 1)
		return -1;
	return c == 'y' ? 0 : -1;
}

/*
 * Child of streams_bounded_in_total: in a netns of its own, open
 * SYNAPSE_HASH_STREAMS_MAX streams, say 'y' (or 'n') on @ready, and hold
 * them until @release closes.
 */
static void hold_streams(int ready, int release)
{
	int i, n = SYNAPSE_HASH_STREAMS_MAX;
	struct synl *s = calloc(n, sizeof(*s));
	char ok = 'y';

	if (!s || unshare(CLONE_NEWNET))
		ok = 'n';
	for (i = 0; ok == 'y' && i < n; i++)
		if (synl_open(&s[i]) ||
		    synl_hash(&s[i], "x", 1, SYNAPSE_HASH_F_MORE, NULL, NULL))
			ok = 'n';
	if (write(ready, &ok, 1) != 1)
		_exit(1);
	wait_byte(release, 60 * 1000);
	_exit(0);
}

/*
 * 1024 streams in all, whatever the netns: 16 netns full of streams, then
 * a 17th netns may not open one. The error must say which bound it hit.
 */
TEST(streams_bounded_in_total)
{
	const int holders = 1024 / SYNAPSE_HASH_STREAMS_MAX;
	int ready[2], release[2], i, started = 0, status;
	pid_t pid[1024 / SYNAPSE_HASH_STREAMS_MAX];
	struct synl s;

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(release));
	for (i = 0; i < holders; i++) {
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (!pid[i]) {
			close(ready[0]);
			close(release[1]);
			hold_streams(ready[1], release[0]);
		}
		started++;
		if (wait_byte(ready[0], 30 * 1000))
			break;
	}
	close(release[0]);
	EXPECT_EQ(holders, started) TH_LOG("holder %d could not open its streams", started);
	if (started == holders) {
		ASSERT_EQ(0, unshare(CLONE_NEWNET));
		ASSERT_EQ(0, synl_open(&s));
		EXPECT_EQ(0, open_streams(&s));
		EXPECT_EQ(-EBUSY, synl_hash(&s, "x", 1, SYNAPSE_HASH_F_MORE, NULL, NULL));
		EXPECT_STREQ("synapse: too many open hash streams", s.msg);
		synl_close(&s);
	}
	close(release[1]);	/* every holder exits and closes its sockets */
	for (i = 0; i < started; i++) {
		EXPECT_EQ(pid[i], waitpid(pid[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	close(ready[0]);
}

/*
 * Streams racing with each other and with socket release: several
 * processes open, feed, finish, abort or abandon streams at once. Every
 * digest must be right and no stream may survive.
 */
TEST(concurrent_streams)
{
	const int workers = 4, rounds = 40;
	int i, status;
	struct synl q;

	for (i = 0; i < workers; i++) {
		pid_t p = fork();

		ASSERT_LE(0, p);
		if (!p) {
			uint64_t st = 0x9e3779b97f4a7c15ULL * (i + 1);
			uint8_t buf[3000], got[32], want[32];
			int r, bad = 0;

			for (r = 0; r < rounds && !bad; r++) {
				size_t n = 1 + rnd_next(&st) % sizeof(buf);
				size_t chunk = 1 + rnd_next(&st) % 1024;
				int how = rnd_next(&st) % 4;
				struct synl s;

				rnd_fill(&st, buf, n);
				if (synl_open(&s)) {
					bad = 1;
					break;
				}
				if (how == 0) {	/* abandon mid-stream */
					synl_hash(&s, buf, n / 2, SYNAPSE_HASH_F_MORE, NULL, NULL);
				} else if (how == 1) {	/* abort, then one-shot */
					struct nlmsghdr *nlh;

					synl_hash(&s, buf, n / 2, SYNAPSE_HASH_F_MORE, NULL, NULL);
					nlh = synl_req(&s, SYNAPSE_CMD_HASH);
					mnl_attr_put_u32(nlh, SYNAPSE_A_HASH_FLAGS, SYNAPSE_HASH_F_ABORT);
					bad |= synl_call(&s, nlh, NULL, NULL) != 0;
					bad |= synl_hash(&s, buf, n, 0, got, NULL) != 0;
					bad |= sha256_ref(buf, n, want) || memcmp(got, want, 32);
				} else {
					bad |= synl_hash_all(&s, buf, n, chunk, got, NULL) != 0;
					bad |= sha256_ref(buf, n, want) || memcmp(got, want, 32);
				}
				synl_close(&s);
			}
			_exit(bad);
		}
	}
	for (i = 0; i < workers; i++) {
		ASSERT_LT(0, wait(&status));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	ASSERT_EQ(0, synl_open(&q));
	EXPECT_EQ(0, open_streams(&q));
	synl_close(&q);
}

TEST_HARNESS_MAIN
