// SPDX-License-Identifier: GPL-2.0
/*
 * Netlink replies → the in-memory model. Every attribute is validated for
 * type and length before use: these parsers face whatever the socket hands
 * us, and are fuzzed (fuzz/fuzz-reply.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "tools/lib/synnl/ipc.h"
#include "tools/lib/synnl/model.h"

static const char *const limit_names[SYNAPSE_A_LIMIT_MAX + 1] = {
	[SYNAPSE_A_LIMIT_MODULE_SIZE] = "module_size",
	[SYNAPSE_A_LIMIT_MEMORY_PAGES] = "memory_pages",
	[SYNAPSE_A_LIMIT_TABLE_SIZE] = "table_size",
	[SYNAPSE_A_LIMIT_VALUE_STACK] = "value_stack",
	[SYNAPSE_A_LIMIT_CALL_DEPTH] = "call_depth",
	[SYNAPSE_A_LIMIT_OUTPUT_SIZE] = "output_size",
};

const char *model_limit_name(unsigned int type)
{
	if (type > SYNAPSE_A_LIMIT_MAX)
		return NULL;
	return limit_names[type];
}

static const char *const netns_names[SYNAPSE_A_NETNS_MAX + 1] = {
	[SYNAPSE_A_NETNS_MODULES] = "modules",
	[SYNAPSE_A_NETNS_MODULES_MAX] = "modules_max",
	[SYNAPSE_A_NETNS_MODULE_BYTES] = "module_bytes",
	[SYNAPSE_A_NETNS_MODULE_BYTES_MAX] = "module_bytes_max",
	[SYNAPSE_A_NETNS_TASKS] = "tasks",
	[SYNAPSE_A_NETNS_TASKS_MAX] = "tasks_max",
	[SYNAPSE_A_NETNS_TASKS_IN_FLIGHT] = "tasks_in_flight",
	[SYNAPSE_A_NETNS_TASK_BYTES] = "task_bytes",
	[SYNAPSE_A_NETNS_TASK_BYTES_MAX] = "task_bytes_max",
};

const char *model_netns_name(unsigned int type)
{
	if (type > SYNAPSE_A_NETNS_MAX)
		return NULL;
	return netns_names[type];
}

static int check_cmd(const struct nlmsghdr *nlh, uint8_t cmd)
{
	const struct genlmsghdr *genl;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return -EBADMSG;
	genl = mnl_nlmsg_get_payload(nlh);
	return genl->cmd == cmd ? 0 : -EPROTO;
}

/* After a walk: bytes left that do not form an attribute are an error. */
static int check_walk_end(const struct nlattr *attr, const void *tail)
{
	return (const char *)tail - (const char *)attr > 0 ? -EBADMSG : 0;
}

static const void *nest_tail(const struct nlattr *nest)
{
	return (const char *)mnl_attr_get_payload(nest) +
	       mnl_attr_get_payload_len(nest);
}

static int get_str(const struct nlattr *attr, char *dst, size_t size)
{
	if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
		return -EBADMSG;
	snprintf(dst, size, "%s", mnl_attr_get_str(attr));
	return 0;
}

static int parse_limits(const struct nlattr *nest, struct synctl_info *info)
{
	const struct nlattr *attr;
	uint16_t type;

	if (mnl_attr_validate(nest, MNL_TYPE_NESTED) < 0)
		return -EBADMSG;
	mnl_attr_for_each_nested(attr, nest) {
		type = mnl_attr_get_type(attr);
		if (!model_limit_name(type))
			continue;
		if (mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
			return -EBADMSG;
		info->limits[type] = mnl_attr_get_u64(attr);
		info->limits_present |= 1U << type;
	}
	info->present |= INFO_HAS_LIMITS;
	return check_walk_end(attr, nest_tail(nest));
}

static int parse_netns(const struct nlattr *nest, struct synctl_info *info)
{
	const struct nlattr *attr;
	uint16_t type;

	if (mnl_attr_validate(nest, MNL_TYPE_NESTED) < 0)
		return -EBADMSG;
	mnl_attr_for_each_nested(attr, nest) {
		type = mnl_attr_get_type(attr);
		if (!model_netns_name(type))
			continue;
		if (mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
			return -EBADMSG;
		info->netns[type] = mnl_attr_get_u64(attr);
		info->netns_present |= 1U << type;
	}
	info->present |= INFO_HAS_NETNS;
	return check_walk_end(attr, nest_tail(nest));
}

static int get_u32(const struct nlattr *attr, uint32_t *dst,
		   unsigned int *present, unsigned int bit)
{
	if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
		return -EBADMSG;
	*dst = mnl_attr_get_u32(attr);
	*present |= bit;
	return 0;
}

static int parse_info_attr(const struct nlattr *attr, struct synctl_info *info)
{
	switch (mnl_attr_get_type(attr)) {
	case SYNAPSE_A_INFO_ABI_VERSION:
		return get_u32(attr, &info->abi_version, &info->present,
			       INFO_HAS_ABI_VERSION);
	case SYNAPSE_A_INFO_MODULE_VERSION:
		info->present |= INFO_HAS_MODULE_VERSION;
		return get_str(attr, info->module_version,
			       sizeof(info->module_version));
	case SYNAPSE_A_INFO_HASH_DRIVER:
		info->present |= INFO_HAS_HASH_DRIVER;
		return get_str(attr, info->hash_driver,
			       sizeof(info->hash_driver));
	case SYNAPSE_A_INFO_HASH_CHUNK_MAX:
		return get_u32(attr, &info->hash_chunk_max, &info->present,
			       INFO_HAS_HASH_CHUNK_MAX);
	case SYNAPSE_A_INFO_HASH_STREAMS_MAX:
		return get_u32(attr, &info->hash_streams_max, &info->present,
			       INFO_HAS_HASH_STREAMS_MAX);
	case SYNAPSE_A_INFO_HASH_STREAMS:
		return get_u32(attr, &info->hash_streams, &info->present,
			       INFO_HAS_HASH_STREAMS);
	case SYNAPSE_A_INFO_HASH_MAX:
		if (mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
			return -EBADMSG;
		info->hash_max = mnl_attr_get_u64(attr);
		info->present |= INFO_HAS_HASH_MAX;
		return 0;
	case SYNAPSE_A_INFO_LIMITS:
		return parse_limits(attr, info);
	case SYNAPSE_A_INFO_NETNS:
		return parse_netns(attr, info);
	}
	return 0;
}

int model_parse_info(const struct nlmsghdr *nlh, void *ctx)
{
	struct synctl_info *info = ctx;
	const struct nlattr *attr;
	int ret;

	ret = check_cmd(nlh, SYNAPSE_CMD_GET_INFO);
	if (ret < 0)
		return ret;
	ipc_attr_for_each(attr, nlh, GENL_HDRLEN) {
		ret = parse_info_attr(attr, info);
		if (ret < 0)
			return ret;
	}
	return check_walk_end(attr, ipc_msg_end(nlh));
}

int model_parse_hash(const struct nlmsghdr *nlh, void *ctx)
{
	struct synctl_hash_reply *reply = ctx;
	const struct nlattr *attr;
	int ret;

	ret = check_cmd(nlh, SYNAPSE_CMD_HASH);
	if (ret < 0)
		return ret;
	ipc_attr_for_each(attr, nlh, GENL_HDRLEN) {
		switch (mnl_attr_get_type(attr)) {
		case SYNAPSE_A_HASH_DIGEST:
			if (mnl_attr_get_payload_len(attr) != SYNAPSE_HASH_LEN)
				return -EBADMSG;
			memcpy(reply->digest, mnl_attr_get_payload(attr),
			       SYNAPSE_HASH_LEN);
			reply->has_digest = true;
			break;
		case SYNAPSE_A_HASH_LEN:
			if (mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
				return -EBADMSG;
			reply->len = mnl_attr_get_u64(attr);
			reply->has_len = true;
			break;
		}
	}
	return check_walk_end(attr, ipc_msg_end(nlh));
}
