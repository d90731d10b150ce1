// SPDX-License-Identifier: GPL-2.0
/*
 * cap.c - the capability checkpoint and SYNAPSE_CMD_CAP_CHECK.
 *
 * The module decides nothing about capabilities: it only asks. The verdict
 * comes from whatever the agent attached to the writable tracepoint
 * (agent/bpf/revoke.bpf.c); with nothing attached everything is allowed,
 * which keeps a node without an agent usable (see
 * Documentation/capabilities.md for why that default is safe).
 */
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "uapi/synapse.h"
#include "uapi/synapse_cap.h"
#include "cap.h"
#include "trace.h"

static_assert(sizeof(struct synapse_cap_ctx) == 56);

/* Returns the verdict as the program wrote it (REVOKED vs EXPIRED). */
static u8 synapse_cap_fire(u64 task_id, u64 job_id, const u8 *cap_id,
			   int where)
{
	struct synapse_cap_ctx ctx;

	/* The static key: nothing attached, nothing to build. */
	if (!trace_synapse_cap_check_enabled())
		return SYNAPSE_CAP_ALLOW;

	memset(&ctx, 0, sizeof(ctx));
	ctx.task_id = task_id;
	ctx.job_id = job_id;
	memcpy(ctx.cap_id, cap_id, SYNAPSE_CAP_ID_LEN);
	ctx.verdict = SYNAPSE_CAP_ALLOW;
	ctx.where = where;
	trace_synapse_cap_check(&ctx);
	return ctx.verdict;
}

bool synapse_cap_revoked(u64 task_id, u64 job_id, const u8 cap_id[32],
			 int where)
{
	/* Fail closed: any verdict but ALLOW stops the task. */
	return synapse_cap_fire(task_id, job_id, cap_id, where) !=
	       SYNAPSE_CAP_ALLOW;
}

/* A range pointer: 6.1 keeps NLA_POLICY_RANGE()'s bounds in an s16. */
static struct netlink_range_validation synapse_cap_repeat_range __ro_after_init = {
	.min = 1,
	.max = SYNAPSE_CAP_REPEAT_MAX,
};

const struct nla_policy synapse_cap_policy[SYNAPSE_A_CAP_REPEAT + 1] = {
	[SYNAPSE_A_CAP_ID] = NLA_POLICY_EXACT_LEN(SYNAPSE_CAP_ID_LEN),
	[SYNAPSE_A_CAP_JOB_ID] = { .type = NLA_U64 },
	[SYNAPSE_A_CAP_REPEAT] = NLA_POLICY_FULL_RANGE(NLA_U32,
						       &synapse_cap_repeat_range),
};

/* The cost of one checkpoint, as tasks pay it, repeated @n times. */
static u64 synapse_cap_bench(u64 job_id, const u8 *cap_id, u32 n)
{
	u64 start, total = 0;
	u32 i;

	start = ktime_get_ns();
	for (i = 0; i < n; i++) {
		synapse_cap_revoked(0, job_id, cap_id, SYNAPSE_CAP_AT_QUERY);
		/* Yield without charging the pause to the measurement. */
		if ((i & 4095) == 4095) {
			total += ktime_get_ns() - start;
			cond_resched();
			start = ktime_get_ns();
		}
	}
	return total + ktime_get_ns() - start;
}

int synapse_cap_check_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct genlmsghdr *ghdr;
	struct nlmsghdr *nlh;
	struct sk_buff *msg;
	u64 job_id = 0, elapsed = 0;
	const u8 *cap_id;
	u32 repeat = 0;
	u8 verdict;

	if (GENL_REQ_ATTR_CHECK(info, SYNAPSE_A_CAP_ID)) {
		NL_SET_ERR_MSG_MOD(info->extack, "missing SYNAPSE_A_CAP_ID");
		return -EINVAL;
	}
	cap_id = nla_data(info->attrs[SYNAPSE_A_CAP_ID]);
	if (info->attrs[SYNAPSE_A_CAP_JOB_ID])
		job_id = nla_get_u64(info->attrs[SYNAPSE_A_CAP_JOB_ID]);

	if (info->attrs[SYNAPSE_A_CAP_REPEAT])
		repeat = nla_get_u32(info->attrs[SYNAPSE_A_CAP_REPEAT]);

	verdict = synapse_cap_fire(0, job_id, cap_id, SYNAPSE_CAP_AT_QUERY);
	if (repeat)
		elapsed = synapse_cap_bench(job_id, cap_id, repeat);

	msg = genlmsg_new(nla_total_size(SYNAPSE_CAP_ID_LEN) +
			  2 * nla_total_size(sizeof(u32)) +
			  nla_total_size_64bit(sizeof(u64)), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	/*
	 * The family struct is private to genl.c; the request's nlmsg_type
	 * is the family id, which is all genlmsg_put_reply() would use.
	 */
	nlh = nlmsg_put(msg, info->snd_portid, info->snd_seq,
			info->nlhdr->nlmsg_type, GENL_HDRLEN, 0);
	if (!nlh)
		goto out_free_msg;
	ghdr = nlmsg_data(nlh);
	ghdr->cmd = SYNAPSE_CMD_CAP_CHECK;
	ghdr->version = SYNAPSE_GENL_VERSION;
	ghdr->reserved = 0;
	if (nla_put(msg, SYNAPSE_A_CAP_ID, SYNAPSE_CAP_ID_LEN, cap_id) ||
	    nla_put_u32(msg, SYNAPSE_A_CAP_VERDICT, verdict) ||
	    nla_put_u32(msg, SYNAPSE_A_CAP_ENFORCED,
			trace_synapse_cap_check_enabled()) ||
	    (repeat && nla_put_u64_64bit(msg, SYNAPSE_A_CAP_ELAPSED_NS, elapsed,
					 SYNAPSE_A_PAD)))
		goto out_free_msg;
	nlmsg_end(msg, nlh);
	return genlmsg_reply(msg, info);

out_free_msg:
	nlmsg_free(msg);
	NL_SET_ERR_MSG_MOD(info->extack, "reply does not fit");
	return -EMSGSIZE;
}
