// SPDX-License-Identifier: GPL-2.0
/*
 * synctl unit tests, no kernel needed: the netlink receive path and reply
 * parsers fed crafted (and broken) messages, the printers, option parsing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <jansson.h>

#include <kselftest_harness.h>

#include "common.h"
#include "tools/lib/synnl/ipc.h"
#include "tools/lib/synnl/model.h"
#include "tools/lib/synnl/output.h"
#include "subcommands.h"

#define SEQ	1234
#define PORTID	777
#define FAMILY	0x20

/* Messages are built in an aligned buffer, several back to back. */
struct wire {
	union {
		char buf[8192];
		uint64_t align;
	};
	size_t len;
};

static struct nlmsghdr *put_msg(struct wire *w, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(w->buf + w->len);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = SEQ;
	nlh->nlmsg_pid = PORTID;
	return nlh;
}

static struct nlmsghdr *put_genl(struct wire *w, uint16_t type, uint8_t cmd,
				 uint16_t flags)
{
	struct nlmsghdr *nlh = put_msg(w, type, flags);
	struct genlmsghdr *genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));

	genl->cmd = cmd;
	genl->version = 1;
	return nlh;
}

static void end_msg(struct wire *w, struct nlmsghdr *nlh)
{
	w->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static struct nlmsgerr *put_err(struct wire *w, int error, uint16_t flags)
{
	struct nlmsghdr *nlh = put_msg(w, NLMSG_ERROR, flags);
	struct nlmsgerr *err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));

	err->error = error;
	err->msg.nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN;
	err->msg.nlmsg_type = FAMILY;
	err->msg.nlmsg_seq = SEQ;
	return err;
}

struct counter {
	int calls;
	int fail_with;
};

static int count_parse(const struct nlmsghdr *nlh, void *ctx)
{
	struct counter *c = ctx;

	c->calls++;
	return c->fail_with;
}

FIXTURE(rx) {
	struct wire w;
	struct ipc_rx rx;
	struct counter c;
};

FIXTURE_SETUP(rx)
{
	memset(&self->w, 0, sizeof(self->w));
	memset(&self->c, 0, sizeof(self->c));
	ipc_rx_init(&self->rx, SEQ, PORTID, FAMILY, false, count_parse,
		    &self->c);
}

FIXTURE_TEARDOWN(rx)
{
}

TEST_F(rx, reply_then_ack_in_one_datagram)
{
	struct nlmsghdr *nlh = put_genl(&self->w, FAMILY, 1, 0);

	end_msg(&self->w, nlh);
	put_err(&self->w, 0, NLM_F_CAPPED);
	end_msg(&self->w, (void *)(self->w.buf + self->w.len));
	EXPECT_EQ(0, ipc_rx_process(&self->rx, self->w.buf, self->w.len));
	EXPECT_EQ(1, self->c.calls);
	EXPECT_EQ(0, self->rx.kernel_err);
}

TEST_F(rx, reply_and_ack_in_two_datagrams)
{
	struct nlmsghdr *nlh = put_genl(&self->w, FAMILY, 1, 0);
	size_t first;

	end_msg(&self->w, nlh);
	first = self->w.len;
	put_err(&self->w, 0, NLM_F_CAPPED);
	end_msg(&self->w, (void *)(self->w.buf + first));
	EXPECT_EQ(1, ipc_rx_process(&self->rx, self->w.buf, first));
	EXPECT_EQ(0, ipc_rx_process(&self->rx, self->w.buf + first,
				    self->w.len - first));
	EXPECT_EQ(1, self->c.calls);
}

TEST_F(rx, capped_error_with_extack)
{
	struct nlmsghdr *nlh = (void *)self->w.buf;

	put_err(&self->w, -EINVAL, NLM_F_CAPPED | NLM_F_ACK_TLVS);
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "synapse: bad flags");
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, 24);
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_MISS_TYPE, SYNAPSE_A_HASH_DATA);
	end_msg(&self->w, nlh);
	EXPECT_EQ(-EINVAL, ipc_rx_process(&self->rx, self->w.buf, self->w.len));
	EXPECT_EQ(EINVAL, self->rx.kernel_err);
	EXPECT_STREQ("synapse: bad flags", self->rx.extack.msg);
	EXPECT_TRUE(self->rx.extack.has_offs);
	EXPECT_EQ(24, self->rx.extack.offs);
	EXPECT_TRUE(self->rx.extack.has_miss_type);
	EXPECT_EQ(SYNAPSE_A_HASH_DATA, self->rx.extack.miss_type);
}

TEST_F(rx, uncapped_error_echoes_request_before_tlvs)
{
	struct nlmsghdr *nlh = (void *)self->w.buf;
	struct nlmsgerr *err;
	char *echo;

	err = put_err(&self->w, -EPERM, NLM_F_ACK_TLVS);
	/* The echoed request: genl header plus a 6-byte attribute, padded. */
	err->msg.nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN + 10;
	echo = mnl_nlmsg_put_extra_header(nlh, NLMSG_ALIGN(GENL_HDRLEN + 10));
	memset(echo, 0x41, GENL_HDRLEN + 10);
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "needs CAP_NET_ADMIN");
	end_msg(&self->w, nlh);
	EXPECT_EQ(-EPERM, ipc_rx_process(&self->rx, self->w.buf, self->w.len));
	EXPECT_STREQ("needs CAP_NET_ADMIN", self->rx.extack.msg);
}

TEST_F(rx, extack_message_without_nul_is_ignored)
{
	struct nlmsghdr *nlh = (void *)self->w.buf;
	struct nlattr *attr;

	put_err(&self->w, -EINVAL, NLM_F_CAPPED | NLM_F_ACK_TLVS);
	mnl_attr_put(nlh, NLMSGERR_ATTR_MSG, 4, "abcd");
	attr = (struct nlattr *)((char *)nlh + NLMSG_HDRLEN + sizeof(struct nlmsgerr));
	EXPECT_EQ(NLMSGERR_ATTR_MSG, attr->nla_type);
	end_msg(&self->w, nlh);
	EXPECT_EQ(-EINVAL, ipc_rx_process(&self->rx, self->w.buf, self->w.len));
	EXPECT_STREQ("", self->rx.extack.msg);
}

TEST_F(rx, extack_tlvs_past_the_end_are_ignored)
{
	struct nlmsghdr *nlh = (void *)self->w.buf;
	struct nlmsgerr *err;

	err = put_err(&self->w, -EINVAL, NLM_F_ACK_TLVS);
	err->msg.nlmsg_len = 60000;	/* claims an echo we never got */
	end_msg(&self->w, nlh);
	EXPECT_EQ(-EINVAL, ipc_rx_process(&self->rx, self->w.buf, self->w.len));
	EXPECT_STREQ("", self->rx.extack.msg);
}

TEST_F(rx, short_error_is_malformed)
{
	struct nlmsghdr *nlh = put_msg(&self->w, NLMSG_ERROR, 0);

	mnl_nlmsg_put_extra_header(nlh, 4);
	end_msg(&self->w, nlh);
	EXPECT_EQ(-EBADMSG, ipc_rx_process(&self->rx, self->w.buf, self->w.len));
}

TEST_F(rx, positive_or_huge_errno_is_a_protocol_error)
{
	struct nlmsghdr *nlh = (void *)self->w.buf;
	struct nlmsgerr *err;

	err = put_err(&self->w, 5, NLM_F_CAPPED);
	end_msg(&self->w, nlh);
	EXPECT_EQ(-EPROTO, ipc_rx_process(&self->rx, self->w.buf, self->w.len));
	err->error = -100000;
	EXPECT_EQ(-EPROTO, ipc_rx_process(&self->rx, self->w.buf, self->w.len));
	EXPECT_EQ(0, self->rx.kernel_err);
}

TEST_F(rx, stale_sequence_is_skipped)
{
	struct nlmsghdr *nlh = put_genl(&self->w, FAMILY, 1, 0);

	nlh->nlmsg_seq = SEQ - 1;
	end_msg(&self->w, nlh);
	nlh = put_msg(&self->w, NLMSG_ERROR, 0);
	nlh->nlmsg_seq = SEQ - 1;
	*(int *)mnl_nlmsg_put_extra_header(nlh, sizeof(struct nlmsgerr)) = -EIO;
	end_msg(&self->w, nlh);
	EXPECT_EQ(1, ipc_rx_process(&self->rx, self->w.buf, self->w.len));
	EXPECT_EQ(0, self->c.calls);
}

TEST_F(rx, other_family_is_a_protocol_error)
{
	struct nlmsghdr *nlh = put_genl(&self->w, FAMILY + 1, 1, 0);

	end_msg(&self->w, nlh);
	EXPECT_EQ(-EPROTO, ipc_rx_process(&self->rx, self->w.buf, self->w.len));
	EXPECT_EQ(0, self->c.calls);
}

TEST_F(rx, truncated_message_is_malformed)
{
	struct nlmsghdr *nlh = put_genl(&self->w, FAMILY, 1, 0);

	mnl_attr_put_u32(nlh, 1, 1);
	end_msg(&self->w, nlh);
	EXPECT_EQ(-EBADMSG, ipc_rx_process(&self->rx, self->w.buf,
					   self->w.len - 4));
	EXPECT_EQ(-EBADMSG, ipc_rx_process(&self->rx, self->w.buf, 10));
	EXPECT_EQ(0, self->c.calls);
}

/* libmnl's own walker takes nlmsg_len >= 2 GiB as negative: must not jump. */
TEST_F(rx, huge_length_is_malformed)
{
	struct nlmsghdr *nlh = put_genl(&self->w, FAMILY, 1, 0);

	nlh->nlmsg_len = 0xe8e8e8e8;
	nlh->nlmsg_seq = 0;	/* skipped as stale if it were walked */
	EXPECT_EQ(-EBADMSG, ipc_rx_process(&self->rx, self->w.buf, 64));
	EXPECT_EQ(0, self->c.calls);
}

TEST_F(rx, missing_genl_header_is_malformed)
{
	struct nlmsghdr *nlh = put_msg(&self->w, FAMILY, 0);

	end_msg(&self->w, nlh);
	EXPECT_EQ(-EBADMSG, ipc_rx_process(&self->rx, self->w.buf, self->w.len));
}

TEST_F(rx, parser_error_propagates)
{
	struct nlmsghdr *nlh = put_genl(&self->w, FAMILY, 1, 0);

	end_msg(&self->w, nlh);
	self->c.fail_with = -EBADMSG;
	EXPECT_EQ(-EBADMSG, ipc_rx_process(&self->rx, self->w.buf, self->w.len));
}

TEST_F(rx, dump_ends_at_done_and_notes_interruption)
{
	struct nlmsghdr *nlh;
	int i;

	self->rx.dump = true;
	for (i = 0; i < 3; i++) {
		nlh = put_genl(&self->w, FAMILY, 1, NLM_F_MULTI |
			       (i == 1 ? NLM_F_DUMP_INTR : 0));
		end_msg(&self->w, nlh);
	}
	EXPECT_EQ(1, ipc_rx_process(&self->rx, self->w.buf, self->w.len));
	EXPECT_TRUE(self->rx.dump_intr);
	self->w.len = 0;
	nlh = put_msg(&self->w, NLMSG_DONE, NLM_F_MULTI);
	*(int *)mnl_nlmsg_put_extra_header(nlh, sizeof(int)) = 0;
	end_msg(&self->w, nlh);
	EXPECT_EQ(0, ipc_rx_process(&self->rx, self->w.buf, self->w.len));
	EXPECT_EQ(3, self->c.calls);
}

TEST_F(rx, dump_error_in_done_with_extack)
{
	struct nlmsghdr *nlh = put_msg(&self->w, NLMSG_DONE,
				       NLM_F_MULTI | NLM_F_ACK_TLVS);

	self->rx.dump = true;
	*(int *)mnl_nlmsg_put_extra_header(nlh, sizeof(int)) = -ENOMEM;
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "out of slots");
	end_msg(&self->w, nlh);
	EXPECT_EQ(-ENOMEM, ipc_rx_process(&self->rx, self->w.buf, self->w.len));
	EXPECT_STREQ("out of slots", self->rx.extack.msg);
}

/* --- reply parsers ---------------------------------------------------- */

static struct nlmsghdr *info_msg(struct wire *w)
{
	struct nlmsghdr *nlh = put_genl(w, FAMILY, SYNAPSE_CMD_GET_INFO, 0);
	struct nlattr *nest;

	mnl_attr_put_u32(nlh, SYNAPSE_A_INFO_ABI_VERSION, 1);
	mnl_attr_put_strz(nlh, SYNAPSE_A_INFO_MODULE_VERSION, "0.1.0");
	mnl_attr_put_strz(nlh, SYNAPSE_A_INFO_HASH_DRIVER, "sha256-ni");
	mnl_attr_put_u32(nlh, SYNAPSE_A_INFO_HASH_CHUNK_MAX, 61440);
	mnl_attr_put_u64(nlh, SYNAPSE_A_INFO_HASH_MAX, 1ULL << 30);
	mnl_attr_put_u32(nlh, SYNAPSE_A_INFO_HASH_STREAMS_MAX, 64);
	mnl_attr_put_u32(nlh, SYNAPSE_A_INFO_HASH_STREAMS, 2);
	nest = mnl_attr_nest_start(nlh, SYNAPSE_A_INFO_LIMITS);
	mnl_attr_put_u64(nlh, SYNAPSE_A_LIMIT_MEMORY_PAGES, 256);
	mnl_attr_put_u64(nlh, SYNAPSE_A_LIMIT_CALL_DEPTH, 1024);
	mnl_attr_put_u64(nlh, 60, 7);	/* a future limit: skipped */
	mnl_attr_nest_end(nlh, nest);
	return nlh;
}

TEST(parse_info_full)
{
	struct wire w = { 0 };
	struct synctl_info info = { 0 };
	struct nlmsghdr *nlh = info_msg(&w);

	mnl_attr_put_u32(nlh, 200, 1);	/* unknown attribute: skipped */
	ASSERT_EQ(0, model_parse_info(nlh, &info));
	EXPECT_EQ(1, info.abi_version);
	EXPECT_STREQ("0.1.0", info.module_version);
	EXPECT_STREQ("sha256-ni", info.hash_driver);
	EXPECT_EQ(61440, info.hash_chunk_max);
	EXPECT_EQ(1ULL << 30, info.hash_max);
	EXPECT_EQ(256, info.limits[SYNAPSE_A_LIMIT_MEMORY_PAGES]);
	EXPECT_EQ(1024, info.limits[SYNAPSE_A_LIMIT_CALL_DEPTH]);
	EXPECT_EQ((1U << SYNAPSE_A_LIMIT_MEMORY_PAGES) |
		  (1U << SYNAPSE_A_LIMIT_CALL_DEPTH), info.limits_present);
	EXPECT_EQ(64, info.hash_streams_max);
	EXPECT_EQ(2, info.hash_streams);
	EXPECT_EQ(0xff, info.present);
}

TEST(parse_info_rejects_wrong_sizes_and_strings)
{
	struct wire w = { 0 };
	struct synctl_info info = { 0 };
	struct nlmsghdr *nlh;

	nlh = put_genl(&w, FAMILY, SYNAPSE_CMD_GET_INFO, 0);
	mnl_attr_put_u16(nlh, SYNAPSE_A_INFO_ABI_VERSION, 1);
	EXPECT_EQ(-EBADMSG, model_parse_info(nlh, &info));

	nlh = put_genl(&w, FAMILY, SYNAPSE_CMD_GET_INFO, 0);
	mnl_attr_put(nlh, SYNAPSE_A_INFO_HASH_DRIVER, 3, "abc");
	EXPECT_EQ(-EBADMSG, model_parse_info(nlh, &info));

	nlh = put_genl(&w, FAMILY, SYNAPSE_CMD_GET_INFO, 0);
	mnl_attr_put_u32(nlh, SYNAPSE_A_INFO_HASH_MAX, 1);
	EXPECT_EQ(-EBADMSG, model_parse_info(nlh, &info));

	nlh = put_genl(&w, FAMILY, SYNAPSE_CMD_GET_INFO, 0);
	mnl_attr_put_u32(nlh, SYNAPSE_A_INFO_LIMITS, 1);	/* not a nest */
	EXPECT_EQ(-EBADMSG, model_parse_info(nlh, &info));
}

TEST(parse_info_rejects_bad_limit_and_other_command)
{
	struct wire w = { 0 };
	struct synctl_info info = { 0 };
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	nlh = put_genl(&w, FAMILY, SYNAPSE_CMD_GET_INFO, 0);
	nest = mnl_attr_nest_start(nlh, SYNAPSE_A_INFO_LIMITS);
	mnl_attr_put_u32(nlh, SYNAPSE_A_LIMIT_TABLE_SIZE, 5);
	mnl_attr_nest_end(nlh, nest);
	EXPECT_EQ(-EBADMSG, model_parse_info(nlh, &info));

	nlh = info_msg(&w);
	((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->cmd = SYNAPSE_CMD_HASH;
	EXPECT_EQ(-EPROTO, model_parse_info(nlh, &info));
}

TEST(parse_info_leftover_bytes_are_malformed)
{
	struct wire w = { 0 };
	struct synctl_info info = { 0 };
	struct nlmsghdr *nlh = info_msg(&w);

	/* Cut the message inside the limits nest: leftovers are an error. */
	nlh->nlmsg_len -= 8;
	EXPECT_EQ(-EBADMSG, model_parse_info(nlh, &info));
	EXPECT_FALSE(info.present & INFO_HAS_LIMITS);
}

TEST(parse_hash_reply)
{
	struct wire w = { 0 };
	struct synctl_hash_reply reply = { 0 };
	struct nlmsghdr *nlh;
	uint8_t digest[SYNAPSE_HASH_LEN];

	memset(digest, 0xab, sizeof(digest));
	nlh = put_genl(&w, FAMILY, SYNAPSE_CMD_HASH, 0);
	mnl_attr_put(nlh, SYNAPSE_A_HASH_DIGEST, sizeof(digest), digest);
	mnl_attr_put_u64(nlh, SYNAPSE_A_HASH_LEN, 3 << 20);
	ASSERT_EQ(0, model_parse_hash(nlh, &reply));
	EXPECT_TRUE(reply.has_digest);
	EXPECT_EQ(0, memcmp(digest, reply.digest, sizeof(digest)));
	EXPECT_TRUE(reply.has_len);
	EXPECT_EQ(3 << 20, reply.len);

	nlh = put_genl(&w, FAMILY, SYNAPSE_CMD_HASH, 0);
	mnl_attr_put(nlh, SYNAPSE_A_HASH_DIGEST, sizeof(digest) - 1, digest);
	EXPECT_EQ(-EBADMSG, model_parse_hash(nlh, &reply));

	nlh = put_genl(&w, FAMILY, SYNAPSE_CMD_HASH, 0);
	mnl_attr_put_u32(nlh, SYNAPSE_A_HASH_LEN, 1);
	EXPECT_EQ(-EBADMSG, model_parse_hash(nlh, &reply));

	nlh = put_genl(&w, FAMILY, SYNAPSE_CMD_GET_INFO, 0);
	EXPECT_EQ(-EPROTO, model_parse_hash(nlh, &reply));
}

/* Found by the fuzzer: an attribute ending in the alignment padding. */
TEST(parse_hash_attribute_past_unaligned_end)
{
	struct wire w = { 0 };
	struct synctl_hash_reply reply = { 0 };
	uint8_t digest[SYNAPSE_HASH_LEN] = { 0 };
	struct nlmsghdr *nlh;

	nlh = put_genl(&w, FAMILY, SYNAPSE_CMD_HASH, 0);
	mnl_attr_put(nlh, SYNAPSE_A_HASH_DIGEST, sizeof(digest), digest);
	nlh->nlmsg_len -= 1;
	EXPECT_EQ(-EBADMSG, model_parse_hash(nlh, &reply));
	EXPECT_FALSE(reply.has_digest);
}

TEST(parse_family_with_groups)
{
	struct wire w = { 0 };
	struct ipc_family fam = { 0 };
	struct nlmsghdr *nlh;
	struct nlattr *groups, *grp;

	nlh = put_genl(&w, GENL_ID_CTRL, CTRL_CMD_NEWFAMILY, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "synapse");
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, 0x1c);
	mnl_attr_put_u32(nlh, CTRL_ATTR_VERSION, 1);
	groups = mnl_attr_nest_start(nlh, CTRL_ATTR_MCAST_GROUPS);
	grp = mnl_attr_nest_start(nlh, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_MCAST_GRP_NAME, "events");
	mnl_attr_put_u32(nlh, CTRL_ATTR_MCAST_GRP_ID, 9);
	mnl_attr_nest_end(nlh, grp);
	mnl_attr_nest_end(nlh, groups);
	ASSERT_EQ(0, ipc_parse_family(nlh, &fam));
	EXPECT_EQ(0x1c, fam.id);
	EXPECT_EQ(1, fam.version);
	ASSERT_EQ(1, fam.n_groups);
	EXPECT_STREQ("events", fam.groups[0].name);
	EXPECT_EQ(9, fam.groups[0].id);
}

TEST(parse_family_rejects_broken_replies)
{
	struct wire w = { 0 };
	struct ipc_family fam = { 0 };
	struct nlmsghdr *nlh;
	struct nlattr *groups, *grp;

	nlh = put_genl(&w, GENL_ID_CTRL, CTRL_CMD_NEWFAMILY, 0);
	mnl_attr_put_u32(nlh, CTRL_ATTR_VERSION, 1);
	EXPECT_EQ(-EBADMSG, ipc_parse_family(nlh, &fam));	/* no id */

	nlh = put_genl(&w, GENL_ID_CTRL, CTRL_CMD_NEWFAMILY, 0);
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, 0x1c);
	groups = mnl_attr_nest_start(nlh, CTRL_ATTR_MCAST_GROUPS);
	grp = mnl_attr_nest_start(nlh, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_MCAST_GRP_NAME, "events");
	mnl_attr_nest_end(nlh, grp);
	mnl_attr_nest_end(nlh, groups);
	EXPECT_EQ(-EBADMSG, ipc_parse_family(nlh, &fam));	/* group id */

	nlh = put_genl(&w, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	EXPECT_EQ(-EPROTO, ipc_parse_family(nlh, &fam));
}

/* --- printers --------------------------------------------------------- */

static char *print_to_string(void (*fn)(FILE *, const void *), const void *arg)
{
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);

	if (!f)
		return NULL;
	fn(f, arg);
	fclose(f);
	return out;
}

static void print_line(FILE *f, const void *arg)
{
	hash_print_line(f, arg);
}

static void print_info(FILE *f, const void *arg)
{
	info_print(f, arg);
}

TEST(hash_line_matches_sha256sum)
{
	struct synctl_hash_result res = { .name = "file.bin" };
	char hex[HASH_HEX_LEN + 1];
	char expect[256];
	char *out;

	memset(res.digest, 0xab, sizeof(res.digest));
	hex_digest(res.digest, hex);
	EXPECT_EQ(0, strncmp(hex, "abababab", 8));
	out = print_to_string(print_line, &res);
	ASSERT_NE(NULL, out);
	snprintf(expect, sizeof(expect), "%.64s  file.bin\n", hex);
	EXPECT_STREQ(expect, out);
	free(out);

	/* sha256sum 9.x escapes names holding a backslash, LF or CR. */
	res.name = "a\\b\nc\rd";
	out = print_to_string(print_line, &res);
	ASSERT_NE(NULL, out);
	snprintf(expect, sizeof(expect), "\\%.64s  a\\\\b\\nc\\rd\n", hex);
	EXPECT_STREQ(expect, out);
	free(out);
}

TEST(hex_digest_of_known_bytes)
{
	uint8_t d[SYNAPSE_HASH_LEN] = { 0x00, 0x0f, 0xf0, 0xff };
	char hex[HASH_HEX_LEN + 1];

	hex_digest(d, hex);
	EXPECT_EQ(0, strncmp(hex, "000ff0ff0000", 12));
	EXPECT_EQ(HASH_HEX_LEN, strlen(hex));
}

TEST(info_human_table)
{
	struct wire w = { 0 };
	struct synctl_info info = { 0 };
	char *out;

	ASSERT_EQ(0, model_parse_info(info_msg(&w), &info));
	out = print_to_string(print_info, &info);
	ASSERT_NE(NULL, out);
	EXPECT_NE(NULL, strstr(out, "abi version:      1\n"));
	EXPECT_NE(NULL, strstr(out, "hash driver:      sha256-ni\n"));
	EXPECT_NE(NULL, strstr(out, "  call_depth      1024\n"));
	EXPECT_NE(NULL, strstr(out, "hash streams:     2 open\n"));
	EXPECT_EQ(NULL, strstr(out, "table_size"));	/* absent limit */
	free(out);
}

TEST(info_json_round_trip)
{
	struct wire w = { 0 };
	struct synctl_info info = { 0 };
	json_t *root, *back;
	json_error_t jerr;
	char *text;

	ASSERT_EQ(0, model_parse_info(info_msg(&w), &info));
	info.hash_max = UINT64_MAX;	/* beyond a JSON int64: a string */
	root = info_to_json(&info);
	ASSERT_NE(NULL, root);
	text = json_dumps(root, 0);
	json_decref(root);
	ASSERT_NE(NULL, text);
	back = json_loads(text, 0, &jerr);
	free(text);
	ASSERT_NE(NULL, back);
	EXPECT_EQ(1, json_integer_value(json_object_get(back, "abi_version")));
	EXPECT_STREQ("sha256-ni",
		     json_string_value(json_object_get(back, "hash_driver")));
	EXPECT_EQ(61440, json_integer_value(json_object_get(back, "hash_chunk_max")));
	EXPECT_EQ(64, json_integer_value(json_object_get(back, "hash_streams_max")));
	EXPECT_EQ(2, json_integer_value(json_object_get(back, "hash_streams")));
	EXPECT_STREQ("18446744073709551615",
		     json_string_value(json_object_get(back, "hash_max")));
	EXPECT_EQ(256, json_integer_value(json_object_get(
		json_object_get(back, "limits"), "memory_pages")));
	json_decref(back);
}

TEST(hash_result_json)
{
	struct synctl_hash_result res = { .name = "bad\xff" "name", .len = 5 };
	json_t *obj;

	obj = hash_result_to_json(&res);
	ASSERT_NE(NULL, obj);
	EXPECT_STREQ("bad?name", json_string_value(json_object_get(obj, "file")));
	EXPECT_EQ(5, json_integer_value(json_object_get(obj, "bytes")));
	EXPECT_EQ(64, strlen(json_string_value(json_object_get(obj, "sha256"))));
	json_decref(obj);

	res.name = "gone";
	res.err = ENOENT;
	strcpy(res.msg, "No such file or directory");
	obj = hash_result_to_json(&res);
	ASSERT_NE(NULL, obj);
	EXPECT_STREQ("No such file or directory",
		     json_string_value(json_object_get(obj, "error")));
	EXPECT_EQ(ENOENT, json_integer_value(json_object_get(obj, "errno")));
	EXPECT_EQ(NULL, json_object_get(obj, "sha256"));
	json_decref(obj);
}

TEST(format_error_with_extack)
{
	struct ipc_extack ea = { .has_miss_type = true, .miss_type = 8 };
	char buf[128];

	strcpy(ea.msg, "synapse: missing SYNAPSE_A_HASH_DATA");
	format_error(buf, sizeof(buf), -EINVAL, &ea);
	EXPECT_STREQ("Invalid argument: synapse: missing SYNAPSE_A_HASH_DATA (missing attribute 8)",
		     buf);
	format_error(buf, sizeof(buf), EPERM, NULL);
	EXPECT_STREQ("Operation not permitted", buf);
	format_error(buf, 8, -EINVAL, &ea);	/* truncates, stays a string */
	EXPECT_EQ(7, strlen(buf));
}

/* --- option parsing --------------------------------------------------- */

TEST(common_options)
{
	char *a1[] = { "hash", "-j", "x", "--", "-j", NULL };
	char *a2[] = { "info", "--help", NULL };
	char *a3[] = { "info", "-q", NULL };
	char *a4[] = { "hash", "x", "--json", NULL };
	int status = -1;
	FILE *saved_stdout = stdout, *saved_stderr = stderr;
	FILE *devnull = fopen("/dev/null", "w");

	ASSERT_NE(NULL, devnull);

	int idx;

	/* getopt_long() moves operands behind the options. */
	json_output = false;
	idx = parse_common_opts(5, a1, "usage\n", &status);
	ASSERT_EQ(3, idx);
	EXPECT_TRUE(json_output);
	EXPECT_STREQ("x", a1[idx]);
	EXPECT_STREQ("-j", a1[idx + 1]);	/* after "--": an operand */

	json_output = false;
	idx = parse_common_opts(3, a4, "usage\n", &status);
	ASSERT_EQ(2, idx);
	EXPECT_TRUE(json_output);	/* options may follow operands */
	EXPECT_STREQ("x", a4[idx]);

	stdout = devnull;
	stderr = devnull;
	EXPECT_EQ(-1, parse_common_opts(2, a2, "usage\n", &status));
	EXPECT_EQ(SYNCTL_EXIT_OK, status);
	EXPECT_EQ(-1, parse_common_opts(2, a3, "usage\n", &status));
	EXPECT_EQ(SYNCTL_EXIT_USAGE, status);
	stdout = saved_stdout;
	stderr = saved_stderr;
	fclose(devnull);
	json_output = false;
}

TEST_HARNESS_MAIN
