// SPDX-License-Identifier: GPL-2.0
/*
 * Requests the policies must refuse: the errno is right AND the kernel
 * says why (NLMSGERR_ATTR_MSG), pointing at the attribute where it can.
 */
#include <errno.h>
#include <string.h>
#include <linux/genetlink.h>
#include <kselftest_harness.h>

#include "synl.h"
#include "util.h"

FIXTURE(policy) {
	struct synl s;
};

FIXTURE_SETUP(policy)
{
	ASSERT_EQ(0, synl_open(&self->s));
}

FIXTURE_TEARDOWN(policy)
{
	synl_close(&self->s);
}

#define EXPECT_REFUSED(s, errno_, need_offs) do {			\
	EXPECT_EQ(-(errno_), (s)->err);					\
	EXPECT_TRUE((s)->has_msg) TH_LOG("no extack message");		\
	if (need_offs)							\
		EXPECT_TRUE((s)->has_offs) TH_LOG("no bad-attribute offset"); \
	TH_LOG("extack: \"%s\"", (s)->msg);				\
} while (0)

TEST_F(policy, hash_missing_data)
{
	struct nlmsghdr *nlh = synl_req(&self->s, SYNAPSE_CMD_HASH);

	EXPECT_EQ(-EINVAL, synl_call(&self->s, nlh, NULL, NULL));
	EXPECT_REFUSED(&self->s, EINVAL, false);
	EXPECT_TRUE(self->s.has_miss_type);
	EXPECT_EQ((uint32_t)SYNAPSE_A_HASH_DATA, self->s.miss_type);
}

TEST_F(policy, hash_missing_data_with_flags)
{
	struct nlmsghdr *nlh = synl_req(&self->s, SYNAPSE_CMD_HASH);

	mnl_attr_put_u32(nlh, SYNAPSE_A_HASH_FLAGS, SYNAPSE_HASH_F_MORE);
	EXPECT_EQ(-EINVAL, synl_call(&self->s, nlh, NULL, NULL));
	EXPECT_REFUSED(&self->s, EINVAL, false);
	EXPECT_EQ((uint32_t)SYNAPSE_A_HASH_DATA, self->s.miss_type);
}

TEST_F(policy, hash_data_oversized)
{
	static uint8_t big[SYNAPSE_HASH_CHUNK_MAX + 1];
	struct nlmsghdr *nlh = synl_req(&self->s, SYNAPSE_CMD_HASH);

	mnl_attr_put(nlh, SYNAPSE_A_HASH_DATA, sizeof(big), big);
	EXPECT_EQ(-ERANGE, synl_call(&self->s, nlh, NULL, NULL));
	EXPECT_REFUSED(&self->s, ERANGE, true);
}

TEST_F(policy, hash_flags_too_short)
{
	struct nlmsghdr *nlh = synl_req(&self->s, SYNAPSE_CMD_HASH);

	mnl_attr_put(nlh, SYNAPSE_A_HASH_DATA, 1, "x");
	mnl_attr_put_u16(nlh, SYNAPSE_A_HASH_FLAGS, 0);
	EXPECT_EQ(-EINVAL, synl_call(&self->s, nlh, NULL, NULL));
	EXPECT_REFUSED(&self->s, EINVAL, true);
}

TEST_F(policy, hash_flags_too_long)
{
	struct nlmsghdr *nlh = synl_req(&self->s, SYNAPSE_CMD_HASH);

	mnl_attr_put(nlh, SYNAPSE_A_HASH_DATA, 1, "x");
	mnl_attr_put_u64(nlh, SYNAPSE_A_HASH_FLAGS, 0);
	EXPECT_EQ(-EINVAL, synl_call(&self->s, nlh, NULL, NULL));
	EXPECT_REFUSED(&self->s, EINVAL, true);
}

TEST_F(policy, hash_unknown_flag_bits)
{
	uint32_t bit;

	for (bit = 1u << 2; bit; bit <<= 1) {
		struct nlmsghdr *nlh = synl_req(&self->s, SYNAPSE_CMD_HASH);

		mnl_attr_put(nlh, SYNAPSE_A_HASH_DATA, 1, "x");
		mnl_attr_put_u32(nlh, SYNAPSE_A_HASH_FLAGS, bit);
		EXPECT_EQ(-EOPNOTSUPP, synl_call(&self->s, nlh, NULL, NULL))
			TH_LOG("flag %#x", bit);
		EXPECT_TRUE(self->s.has_msg);
		EXPECT_TRUE(self->s.has_offs);
	}
	TH_LOG("extack: \"%s\"", self->s.msg);
}

TEST_F(policy, hash_abort_and_more)
{
	struct nlmsghdr *nlh = synl_req(&self->s, SYNAPSE_CMD_HASH);

	mnl_attr_put(nlh, SYNAPSE_A_HASH_DATA, 1, "x");
	mnl_attr_put_u32(nlh, SYNAPSE_A_HASH_FLAGS,
			 SYNAPSE_HASH_F_ABORT | SYNAPSE_HASH_F_MORE);
	EXPECT_EQ(-EINVAL, synl_call(&self->s, nlh, NULL, NULL));
	EXPECT_REFUSED(&self->s, EINVAL, true);
}

/* A reply attribute has no business in a request. */
TEST_F(policy, hash_reply_attr_in_request)
{
	struct nlmsghdr *nlh = synl_req(&self->s, SYNAPSE_CMD_HASH);
	uint8_t digest[SYNAPSE_HASH_LEN] = { 0 };

	mnl_attr_put(nlh, SYNAPSE_A_HASH_DATA, 1, "x");
	mnl_attr_put(nlh, SYNAPSE_A_HASH_DIGEST, sizeof(digest), digest);
	EXPECT_EQ(-EINVAL, synl_call(&self->s, nlh, NULL, NULL));
	EXPECT_REFUSED(&self->s, EINVAL, true);
}

TEST_F(policy, hash_unknown_attr)
{
	struct nlmsghdr *nlh = synl_req(&self->s, SYNAPSE_CMD_HASH);

	mnl_attr_put(nlh, SYNAPSE_A_HASH_DATA, 1, "x");
	mnl_attr_put_u32(nlh, 200, 0);
	EXPECT_EQ(-EINVAL, synl_call(&self->s, nlh, NULL, NULL));
	EXPECT_REFUSED(&self->s, EINVAL, true);
}

TEST_F(policy, info_takes_no_attrs)
{
	struct nlmsghdr *nlh = synl_req(&self->s, SYNAPSE_CMD_GET_INFO);

	mnl_attr_put_u32(nlh, SYNAPSE_A_INFO_ABI_VERSION, 1);
	EXPECT_EQ(-EINVAL, synl_call(&self->s, nlh, NULL, NULL));
	EXPECT_REFUSED(&self->s, EINVAL, true);
}

TEST_F(policy, reserved_header_field)
{
	struct nlmsghdr *nlh = synl_req(&self->s, SYNAPSE_CMD_GET_INFO);
	struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);

	g->reserved = 1;
	EXPECT_EQ(-EINVAL, synl_call(&self->s, nlh, NULL, NULL));
	EXPECT_REFUSED(&self->s, EINVAL, false);
}

TEST_F(policy, unknown_command)
{
	struct nlmsghdr *nlh = synl_req(&self->s, SYNAPSE_CMD_MAX + 1);

	EXPECT_EQ(-EOPNOTSUPP, synl_call(&self->s, nlh, NULL, NULL));
}

/* A refused request must leave the family usable. */
TEST_F(policy, still_works_after_errors)
{
	uint8_t got[32], want[32];
	struct nlmsghdr *nlh = synl_req(&self->s, SYNAPSE_CMD_HASH);

	EXPECT_EQ(-EINVAL, synl_call(&self->s, nlh, NULL, NULL));
	ASSERT_EQ(0, sha256_ref("x", 1, want));
	ASSERT_EQ(0, synl_hash(&self->s, "x", 1, 0, got, NULL));
	EXPECT_EQ(0, memcmp(got, want, 32));
}

TEST_HARNESS_MAIN
