// SPDX-License-Identifier: GPL-2.0
/*
 * genl.c - the "synapse" generic netlink family (uapi/synapse.h).
 *
 * Requests are validated by the per-operation policies below (strict
 * validation: unknown attributes, wrong lengths and wrong types are refused
 * by the core with an extack message pointing at the attribute); handlers
 * only check what a policy cannot express.
 */
#include <linux/module.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "uapi/synapse.h"
#include "kmod/vm/svm.h"
#include "kmod/vm/task.h"
#include "limits.h"
#include "version.h"
#include "sha256.h"
#include "stream.h"
#include "genl.h"
#include "cap.h"
#include "genl_task.h"


static struct genl_family synapse_genl_family;

/*
 * A length bound on DATA. Not NLA_POLICY_MAX_LEN(): 6.1 lacks it, and its
 * 6.1 spelling NLA_POLICY_MAX(NLA_BINARY, ...) keeps the bound in an s16,
 * which SYNAPSE_HASH_CHUNK_MAX overflows (a WARN and no check at all). The
 * range pointer holds a u64 and gives the same -ERANGE and extack.
 */
static struct netlink_range_validation synapse_chunk_range __ro_after_init = {
	.max = SYNAPSE_HASH_CHUNK_MAX,
};

static const struct nla_policy synapse_hash_policy[SYNAPSE_A_HASH_FLAGS + 1] = {
	[SYNAPSE_A_HASH_DATA] = NLA_POLICY_FULL_RANGE(NLA_BINARY,
						      &synapse_chunk_range),
	/*
	 * Unknown bits are checked in the handler: they mean a newer client,
	 * so -EOPNOTSUPP, where NLA_POLICY_MASK() says -EINVAL. (6.1's
	 * NLA_POLICY_VALIDATE_FN() on an integer cannot be used either: the
	 * extack policy dump reads the function pointer as a range and WARNs.)
	 */
	[SYNAPSE_A_HASH_FLAGS] = { .type = NLA_U32 },
};

/* The task limits are the engine's defaults: one source of truth. */
static int synapse_put_limits(struct sk_buff *msg)
{
	struct svm_task_limits d;
	struct {
		int attr;
		u64 value;
	} limits[6];
	struct nlattr *nest;
	size_t i;

	svm_task_default_limits(&d);
	limits[0].attr = SYNAPSE_A_LIMIT_MODULE_SIZE;
	limits[0].value = SYNAPSE_LIMIT_MODULE_SIZE_DEFAULT;
	limits[1].attr = SYNAPSE_A_LIMIT_MEMORY_PAGES;
	limits[1].value = d.max_pages;
	limits[2].attr = SYNAPSE_A_LIMIT_TABLE_SIZE;
	limits[2].value = d.max_table;
	limits[3].attr = SYNAPSE_A_LIMIT_VALUE_STACK;
	limits[3].value = d.stack_slots;
	limits[4].attr = SYNAPSE_A_LIMIT_CALL_DEPTH;
	limits[4].value = d.max_frames;
	limits[5].attr = SYNAPSE_A_LIMIT_OUTPUT_SIZE;
	limits[5].value = d.max_output;
	nest = nla_nest_start(msg, SYNAPSE_A_INFO_LIMITS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < ARRAY_SIZE(limits); i++) {
		if (nla_put_u64_64bit(msg, limits[i].attr, limits[i].value,
				      SYNAPSE_A_LIMIT_PAD)) {
			nla_nest_cancel(msg, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(msg, nest);
	return 0;
}

static int synapse_fill_info(struct sk_buff *msg, struct net *net)
{
	if (nla_put_u32(msg, SYNAPSE_A_INFO_ABI_VERSION, SYNAPSE_ABI_VERSION) ||
	    nla_put_string(msg, SYNAPSE_A_INFO_MODULE_VERSION,
			   SYNAPSE_MODULE_VERSION) ||
	    nla_put_string(msg, SYNAPSE_A_INFO_HASH_DRIVER,
			   synapse_sha256_driver()) ||
	    nla_put_u32(msg, SYNAPSE_A_INFO_HASH_CHUNK_MAX,
			SYNAPSE_HASH_CHUNK_MAX) ||
	    nla_put_u64_64bit(msg, SYNAPSE_A_INFO_HASH_MAX, SYNAPSE_HASH_MAX,
			      SYNAPSE_A_PAD) ||
	    nla_put_u32(msg, SYNAPSE_A_INFO_HASH_STREAMS_MAX,
			SYNAPSE_HASH_STREAMS_MAX) ||
	    nla_put_u32(msg, SYNAPSE_A_INFO_HASH_STREAMS,
			synapse_stream_count(net)))
		return -EMSGSIZE;
	return synapse_put_limits(msg) ?: synapse_tnet_put_totals(msg, net);
}

static int synapse_get_info_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &synapse_genl_family, 0,
				SYNAPSE_CMD_GET_INFO);
	if (!hdr) {
		err = -EMSGSIZE;
		goto out_free_msg;
	}
	err = synapse_fill_info(msg, genl_info_net(info));
	if (err)
		goto out_free_msg;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

out_free_msg:
	nlmsg_free(msg);
	NL_SET_ERR_MSG_MOD(info->extack, "reply does not fit");
	return err;
}

static int synapse_hash_reply(struct genl_info *info, const u8 *digest,
			      u64 total)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(nla_total_size(SYNAPSE_HASH_LEN) +
			  nla_total_size_64bit(sizeof(u64)), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &synapse_genl_family, 0,
				SYNAPSE_CMD_HASH);
	if (!hdr ||
	    nla_put(msg, SYNAPSE_A_HASH_DIGEST, SYNAPSE_HASH_LEN, digest) ||
	    nla_put_u64_64bit(msg, SYNAPSE_A_HASH_LEN, total, SYNAPSE_A_PAD)) {
		nlmsg_free(msg);
		NL_SET_ERR_MSG_MOD(info->extack, "reply does not fit");
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int synapse_hash_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	/* The sender: a stream belongs to one socket. */
	const struct sock *sk = NETLINK_CB(skb).sk;
	u32 portid = info->snd_portid;
	struct nlattr *data_attr, *flags_attr;
	u8 digest[SYNAPSE_HASH_LEN];
	u64 total;
	u32 flags = 0;
	int err;

	flags_attr = info->attrs[SYNAPSE_A_HASH_FLAGS];
	if (flags_attr)
		flags = nla_get_u32(flags_attr);
	if (flags & ~(u32)__SYNAPSE_HASH_F_ALL) {
		NL_SET_ERR_MSG_ATTR(info->extack, flags_attr,
				    "unknown hash flag bits");
		return -EOPNOTSUPP;
	}

	if (flags & SYNAPSE_HASH_F_ABORT) {
		if (flags & SYNAPSE_HASH_F_MORE) {
			NL_SET_ERR_MSG_ATTR(info->extack, flags_attr,
					    "ABORT and MORE are exclusive");
			return -EINVAL;
		}
		synapse_stream_abort(net, sk, portid);
		return 0;
	}

	if (GENL_REQ_ATTR_CHECK(info, SYNAPSE_A_HASH_DATA)) {
		NL_SET_ERR_MSG_MOD(info->extack, "missing SYNAPSE_A_HASH_DATA");
		return -EINVAL;
	}
	data_attr = info->attrs[SYNAPSE_A_HASH_DATA];

	if (flags & SYNAPSE_HASH_F_MORE) {
		/* A stream pins memory between requests: admin only. */
		if (!netlink_ns_capable(skb, net->user_ns, CAP_NET_ADMIN)) {
			NL_SET_ERR_MSG_ATTR(info->extack, flags_attr,
					    "streamed hashing needs CAP_NET_ADMIN");
			return -EPERM;
		}
		return synapse_stream_update(net, sk, portid,
					     nla_data(data_attr),
					     nla_len(data_attr), info->extack);
	}

	err = synapse_stream_final(net, sk, portid, nla_data(data_attr),
				   nla_len(data_attr), digest, &total,
				   info->extack);
	if (err)
		return err;
	err = synapse_hash_reply(info, digest, total);
	memzero_explicit(digest, sizeof(digest));
	return err;
}

static const struct genl_ops synapse_genl_ops[] = {
	{
		.cmd = SYNAPSE_CMD_GET_INFO,
		.doit = synapse_get_info_doit,
		/* No policy: any attribute in the request is refused. */
	},
	{
		.cmd = SYNAPSE_CMD_HASH,
		.doit = synapse_hash_doit,
		.policy = synapse_hash_policy,
		.maxattr = ARRAY_SIZE(synapse_hash_policy) - 1,
		/* Unprivileged; streaming is checked in the handler. */
	},
	{
		.cmd = SYNAPSE_CMD_CAP_CHECK,
		.doit = synapse_cap_check_doit,
		.policy = synapse_cap_policy,
		.maxattr = SYNAPSE_CAP_POLICY_MAXATTR,
		/* Revocation state is host-wide: init-ns admin only. */
		.flags = GENL_ADMIN_PERM,
	},
	SYNAPSE_TASK_GENL_OPS,
};

static struct genl_family synapse_genl_family __ro_after_init = {
	.name = SYNAPSE_GENL_NAME,
	.version = SYNAPSE_GENL_VERSION,
	.netnsok = true,
	.parallel_ops = true,	/* state is per netns, under its own lock */
	.ops = synapse_genl_ops,
	.n_ops = ARRAY_SIZE(synapse_genl_ops),
	.mcgrps = synapse_task_mcgrps,
	.n_mcgrps = ARRAY_SIZE(synapse_task_mcgrps),
	.module = THIS_MODULE,
};

/* For replies built outside this file (genl_task.c). */
const struct genl_family *synapse_genl_family_get(void)
{
	return &synapse_genl_family;
}

int __init synapse_genl_init(void)
{
	return genl_register_family(&synapse_genl_family);
}

void synapse_genl_exit(void)
{
	genl_unregister_family(&synapse_genl_family);
}
