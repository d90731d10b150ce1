// SPDX-License-Identifier: GPL-2.0
/*
 * Streamed HASH: admin only, one stream per socket, dropped on close, on
 * ABORT and on the final request, bounded per netns, separate per netns.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>
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

TEST_HARNESS_MAIN
