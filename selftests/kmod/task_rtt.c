// SPDX-License-Identifier: GPL-2.0
/*
 * Round trip of an empty task (TASK_START sent -> its completion event
 * received on the "events" group) against a GET_INFO round trip, both
 * measured here side by side. Prints the medians and their ratio (read by
 * bench/run-bench-vm); fails only if events do not arrive or the ratio is
 * absurd (> 1000).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/genetlink.h>
#include <kselftest_harness.h>

#include "uapi/synapse_abi.h"
#include "synl.h"

#define ROUNDS	200

/* (module (func (export "run"))) */
static const uint8_t empty_wasm[] = {
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
	0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
	0x03, 0x02, 0x01, 0x00,
	0x07, 0x07, 0x01, 0x03, 'r', 'u', 'n', 0x00, 0x00,
	0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static int grp_cb(const struct nlattr *a, void *data)
{
	const struct nlattr *g, *x;
	uint32_t *id = data;

	if (mnl_attr_get_type(a) != CTRL_ATTR_MCAST_GROUPS)
		return MNL_CB_OK;
	mnl_attr_for_each_nested(g, a) {
		uint32_t gid = 0;
		bool match = false;

		mnl_attr_for_each_nested(x, g) {
			if (mnl_attr_get_type(x) == CTRL_ATTR_MCAST_GRP_ID)
				gid = mnl_attr_get_u32(x);
			if (mnl_attr_get_type(x) == CTRL_ATTR_MCAST_GRP_NAME &&
			    !strcmp(mnl_attr_get_str(x), SYNAPSE_MCGRP_EVENTS))
				match = true;
		}
		if (match)
			*id = gid;
	}
	return MNL_CB_OK;
}

static int parse_groups(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), grp_cb, data);
}

static int events_group(struct synl *s, uint32_t *id)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(s->tx);
	struct genlmsghdr *g;

	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++s->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 2;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, SYNAPSE_GENL_NAME);
	*id = 0;
	return synl_call(s, nlh, parse_groups, id) ?: (*id ? 0 : -ENOENT);
}

static int parse_u64_attr(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == SYNAPSE_A_TASK_ID ||
		    mnl_attr_get_type(a) == SYNAPSE_A_MODULE_ID)
			memcpy(data, mnl_attr_get_payload(a),
			       mnl_attr_get_payload_len(a) > 32 ? 32 :
			       mnl_attr_get_payload_len(a));
	return MNL_CB_OK;
}

/* Wait for the DONE event of task id on the subscribed socket. */
static int wait_event(struct synl *ev, uint64_t id, int timeout_ms)
{
	struct pollfd pfd = { .fd = mnl_socket_get_fd(ev->nl), .events = POLLIN };

	while (poll(&pfd, 1, timeout_ms) == 1) {
		int n = mnl_socket_recvfrom(ev->nl, ev->rx, SYNL_BUF_SIZE);
		struct nlmsghdr *m;

		if (n < 0)
			return -errno;
		for (m = (struct nlmsghdr *)ev->rx; mnl_nlmsg_ok(m, n);
		     m = mnl_nlmsg_next(m, &n)) {
			uint64_t got = 0;

			if (m->nlmsg_type != ev->family)
				continue;
			parse_u64_attr(m, &got);
			if (got == id)
				return 0;
		}
	}
	return -ETIMEDOUT;
}

TEST(empty_task_round_trip)
{
	static double task_us[ROUNDS], info_us[ROUNDS];
	struct synl s, ev;
	struct synl_info info;
	struct nlmsghdr *nlh;
	uint8_t mod[32] = { 0 };
	uint32_t grp;
	double t0, ratio;
	int i;

	ASSERT_EQ(0, synl_open(&s));
	ASSERT_EQ(0, synl_open(&ev));
	ASSERT_EQ(0, events_group(&ev, &grp));
	ASSERT_EQ(0, mnl_socket_setsockopt(ev.nl, NETLINK_ADD_MEMBERSHIP, &grp,
					   sizeof(grp)));
	nlh = synl_req(&s, SYNAPSE_CMD_MODULE_ADD);
	mnl_attr_put(nlh, SYNAPSE_A_MODULE_DATA, sizeof(empty_wasm), empty_wasm);
	ASSERT_EQ(0, synl_call(&s, nlh, parse_u64_attr, mod)) {
		TH_LOG("%s", s.msg);
	}

	for (i = 0; i < ROUNDS; i++) {
		uint64_t id = 0;

		t0 = now_us();
		nlh = synl_req(&s, SYNAPSE_CMD_TASK_START);
		mnl_attr_put(nlh, SYNAPSE_A_TASK_MODULE_ID, 32, mod);
		mnl_attr_put_u32(nlh, SYNAPSE_A_TASK_VALUE_STACK, 1024);
		mnl_attr_put_u32(nlh, SYNAPSE_A_TASK_CALL_DEPTH, 64);
		mnl_attr_put_u32(nlh, SYNAPSE_A_TASK_MEMORY_PAGES, 1);
		ASSERT_EQ(0, synl_call(&s, nlh, parse_u64_attr, &id));
		ASSERT_EQ(0, wait_event(&ev, id, 5000));
		task_us[i] = now_us() - t0;
		nlh = synl_req(&s, SYNAPSE_CMD_TASK_DEL);
		mnl_attr_put_u64(nlh, SYNAPSE_A_TASK_ID, id);
		ASSERT_EQ(0, synl_call(&s, nlh, NULL, NULL));

		t0 = now_us();
		ASSERT_EQ(0, synl_info(&s, &info));
		info_us[i] = now_us() - t0;
	}
	ratio = median(task_us, ROUNDS) / median(info_us, ROUNDS);
	printf("# rtt empty_task_us %.1f get_info_us %.1f ratio %.2f\n",
	       median(task_us, ROUNDS), median(info_us, ROUNDS), ratio);
	fflush(stdout);	/* the harness's child leaves with _exit() */
	EXPECT_LT(ratio, 1000.0);
	synl_close(&ev);
	synl_close(&s);
}

TEST_HARNESS_MAIN
