// SPDX-License-Identifier: GPL-2.0
/*
 * The IPC layer against a real kernel, without synapse.ko: the genl
 * controller ("nlctrl") is in every kernel, so family resolution, plain
 * requests, dumps ending in NLMSG_DONE and extended ACKs on a policy error
 * are all exercised on the host.
 */
#include <errno.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include <kselftest_harness.h>

#include "tools/lib/synnl/ipc.h"

struct families {
	int n;
	int resets;
	bool saw_nlctrl;
};

static int parse_one_family(const struct nlmsghdr *nlh, void *ctx)
{
	struct families *f = ctx;
	const struct nlattr *attr;

	f->n++;
	mnl_attr_for_each(attr, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(attr) != CTRL_ATTR_FAMILY_NAME ||
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			continue;
		if (!strcmp(mnl_attr_get_str(attr), "nlctrl"))
			f->saw_nlctrl = true;
	}
	return 0;
}

static void reset_families(void *ctx)
{
	struct families *f = ctx;

	f->n = 0;
	f->saw_nlctrl = false;
	f->resets++;
}

/* CTRL_ATTR_FAMILY_ID is a u16: one byte breaks the controller's policy. */
static int build_short_id(struct nlmsghdr *nlh, size_t buflen, void *ctx)
{
	mnl_attr_put_u8(nlh, CTRL_ATTR_FAMILY_ID, 1);
	return 0;
}

struct name_query {
	const char *name;
	struct families f;
};

static int build_name(struct nlmsghdr *nlh, size_t buflen, void *ctx)
{
	struct name_query *q = ctx;

	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, q->name);
	return 0;
}

static int parse_named(const struct nlmsghdr *nlh, void *ctx)
{
	struct name_query *q = ctx;

	return parse_one_family(nlh, &q->f);
}

FIXTURE(nlctrl) {
	struct ipc *ipc;
};

FIXTURE_SETUP(nlctrl)
{
	int ret = ipc_open(&self->ipc, "nlctrl");

	if (ret == -EAFNOSUPPORT || ret == -EPERM || ret == -EACCES)
		SKIP(return, "no generic netlink here (%s)", strerror(-ret));
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(nlctrl)
{
	ipc_close(self->ipc);
}

TEST_F(nlctrl, resolves_the_controller)
{
	const struct ipc_family *fam = ipc_family(self->ipc);
	unsigned int i;
	bool notify = false;

	EXPECT_EQ(GENL_ID_CTRL, fam->id);
	EXPECT_GE(fam->version, 1);
	for (i = 0; i < fam->n_groups; i++)
		notify |= !strcmp(fam->groups[i].name, "notify");
	EXPECT_TRUE(notify);
}

TEST_F(nlctrl, dump_of_every_family)
{
	struct families f = { 0 };
	const struct ipc_request req = {
		.cmd = CTRL_CMD_GETFAMILY,
		.dump = true,
		.parse = parse_one_family,
		.reset = reset_families,
		.ctx = &f,
	};

	ASSERT_EQ(0, ipc_request(self->ipc, &req));
	EXPECT_GE(f.n, 1);
	EXPECT_TRUE(f.saw_nlctrl);
	EXPECT_EQ(0, f.resets);
}

TEST_F(nlctrl, policy_error_carries_extack)
{
	const struct ipc_request req = {
		.cmd = CTRL_CMD_GETFAMILY,
		.build = build_short_id,
	};
	const struct ipc_extack *ea;
	int ret;

	ret = ipc_request(self->ipc, &req);
	EXPECT_TRUE(ret == -ERANGE || ret == -EINVAL) TH_LOG("ret %d", ret);
	ea = ipc_last_extack(self->ipc);
	EXPECT_STRNE("", ea->msg);
	EXPECT_TRUE(ea->has_offs);
	/* The offset points at our attribute, right after the genl header. */
	EXPECT_EQ(NLMSG_HDRLEN + GENL_HDRLEN, ea->offs);
}

TEST_F(nlctrl, socket_survives_errors)
{
	struct name_query q = { .name = "nosuchfamily" };
	const struct ipc_request req = {
		.cmd = CTRL_CMD_GETFAMILY,
		.build = build_name,
		.parse = parse_named,
		.ctx = &q,
	};

	EXPECT_EQ(-ENOENT, ipc_request(self->ipc, &req));
	EXPECT_EQ(0, q.f.n);
	q.name = "nlctrl";
	EXPECT_EQ(0, ipc_request(self->ipc, &req));
	EXPECT_EQ(1, q.f.n);
	EXPECT_TRUE(q.f.saw_nlctrl);
	EXPECT_STREQ("", ipc_last_extack(self->ipc)->msg);
}

TEST_F(nlctrl, overlong_name_is_refused_by_policy)
{
	struct name_query q = { .name = "name-longer-than-genl-namsiz" };
	const struct ipc_request req = {
		.cmd = CTRL_CMD_GETFAMILY,
		.build = build_name,
		.parse = parse_named,
		.ctx = &q,
	};

	EXPECT_EQ(-EINVAL, ipc_request(self->ipc, &req));
	EXPECT_TRUE(ipc_last_extack(self->ipc)->has_offs);
	EXPECT_EQ(0, q.f.n);
}

TEST(unknown_family_is_enoent)
{
	struct ipc *ipc = NULL;
	int ret = ipc_open(&ipc, "synapse-no-such");

	if (ret == -EAFNOSUPPORT || ret == -EPERM || ret == -EACCES)
		SKIP(return, "no generic netlink here");
	EXPECT_EQ(-ENOENT, ret);
	EXPECT_EQ(NULL, ipc);
}

TEST_HARNESS_MAIN
