// SPDX-License-Identifier: GPL-2.0
/*
 * Writes a seed corpus for fuzz-reply: well-formed datagrams of every kind
 * synctl receives, so the fuzzer starts past the framing checks.
 * usage: seeds DIR
 */
#include <stdio.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "uapi/synapse.h"

#define SEQ	1
#define FAMILY	0x20

static union {
	char buf[4096];
	uint64_t align;
} w;
static size_t wlen;

static struct nlmsghdr *put(uint16_t type, uint16_t flags, int cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(w.buf + wlen);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = SEQ;
	if (cmd >= 0) {
		genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
		genl->cmd = cmd;
		genl->version = 1;
	}
	return nlh;
}

static void end(struct nlmsghdr *nlh)
{
	wlen += NLMSG_ALIGN(nlh->nlmsg_len);
}

static void ack(int error, const char *msg)
{
	struct nlmsghdr *nlh = put(NLMSG_ERROR, NLM_F_CAPPED |
				   (msg ? NLM_F_ACK_TLVS : 0), -1);
	struct nlmsgerr *err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));

	err->error = error;
	err->msg.nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN;
	if (msg) {
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, msg);
		mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, 20);
		mnl_attr_put_u32(nlh, NLMSGERR_ATTR_MISS_TYPE, 8);
	}
	end(nlh);
}

static int emit(const char *dir, const char *name, uint8_t sel)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		return -1;
	fputc(sel, f);
	fwrite(w.buf, 1, wlen, f);
	wlen = 0;
	return fclose(f);
}

int main(int argc, char *argv[])
{
	struct nlmsghdr *nlh;
	struct nlattr *nest, *grp;
	uint8_t digest[SYNAPSE_HASH_LEN] = { 1, 2, 3 };
	int ret = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: seeds DIR\n");
		return 2;
	}
	nlh = put(FAMILY, 0, SYNAPSE_CMD_GET_INFO);
	mnl_attr_put_u32(nlh, SYNAPSE_A_INFO_ABI_VERSION, 1);
	mnl_attr_put_strz(nlh, SYNAPSE_A_INFO_MODULE_VERSION, "0.1.0");
	mnl_attr_put_strz(nlh, SYNAPSE_A_INFO_HASH_DRIVER, "sha256-ni");
	mnl_attr_put_u32(nlh, SYNAPSE_A_INFO_HASH_CHUNK_MAX, 61440);
	mnl_attr_put_u64(nlh, SYNAPSE_A_INFO_HASH_MAX, 1ULL << 30);
	nest = mnl_attr_nest_start(nlh, SYNAPSE_A_INFO_LIMITS);
	mnl_attr_put_u64(nlh, SYNAPSE_A_LIMIT_MODULE_SIZE, 1 << 20);
	mnl_attr_put_u64(nlh, SYNAPSE_A_LIMIT_OUTPUT_SIZE, 1 << 16);
	mnl_attr_nest_end(nlh, nest);
	end(nlh);
	ack(0, NULL);
	ret |= emit(argv[1], "info", 0);

	nlh = put(FAMILY, 0, SYNAPSE_CMD_HASH);
	mnl_attr_put(nlh, SYNAPSE_A_HASH_DIGEST, sizeof(digest), digest);
	mnl_attr_put_u64(nlh, SYNAPSE_A_HASH_LEN, 3);
	end(nlh);
	ack(0, NULL);
	ret |= emit(argv[1], "hash", 1);

	ack(-22, "synapse: missing SYNAPSE_A_HASH_DATA");
	ret |= emit(argv[1], "error", 1);

	nlh = put(GENL_ID_CTRL, 0, CTRL_CMD_NEWFAMILY);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "synapse");
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, FAMILY);
	mnl_attr_put_u32(nlh, CTRL_ATTR_VERSION, 1);
	nest = mnl_attr_nest_start(nlh, CTRL_ATTR_MCAST_GROUPS);
	grp = mnl_attr_nest_start(nlh, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_MCAST_GRP_NAME, "events");
	mnl_attr_put_u32(nlh, CTRL_ATTR_MCAST_GRP_ID, 9);
	mnl_attr_nest_end(nlh, grp);
	mnl_attr_nest_end(nlh, nest);
	end(nlh);
	ack(0, NULL);
	ret |= emit(argv[1], "family", 2);

	nlh = put(FAMILY, NLM_F_MULTI, SYNAPSE_CMD_GET_INFO);
	mnl_attr_put_u32(nlh, SYNAPSE_A_INFO_ABI_VERSION, 1);
	end(nlh);
	nlh = put(FAMILY, NLM_F_MULTI | NLM_F_DUMP_INTR, SYNAPSE_CMD_GET_INFO);
	end(nlh);
	nlh = put(NLMSG_DONE, NLM_F_MULTI | NLM_F_ACK_TLVS, -1);
	*(int *)mnl_nlmsg_put_extra_header(nlh, sizeof(int)) = -12;
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "dump failed");
	end(nlh);
	ret |= emit(argv[1], "dump", 0x80);
	return ret ? 1 : 0;
}
