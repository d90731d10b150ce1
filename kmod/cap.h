/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SYNAPSE_KMOD_CAP_H
#define SYNAPSE_KMOD_CAP_H

#include <linux/types.h>
#include <net/genetlink.h>

#include "uapi/synapse.h"
#include "uapi/synapse_cap.h"

/**
 * synapse_cap_revoked() - the capability checkpoint
 * @task_id: the task being checked, 0 for a query without a task
 * @job_id: its job
 * @cap_id: the capability id the task runs under (SYNAPSE_CAP_ID_LEN bytes)
 * @where: enum synapse_cap_where
 *
 * Fires the writable tracepoint synapse_cap_check with a context whose
 * verdict starts as SYNAPSE_CAP_ALLOW. With no program attached this is a
 * static-key branch and returns false.
 *
 * Context: wherever a tracepoint may fire; does not sleep.
 *
 * Return: true iff an attached program set a verdict other than ALLOW
 * (REVOKED or EXPIRED: either way the task ends SYNAPSE_STATUS_REVOKED).
 */
bool synapse_cap_revoked(u64 task_id, u64 job_id, const u8 cap_id[32],
			 int where);

/* SYNAPSE_CMD_CAP_CHECK, wired into the family's ops by genl.c. */
extern const struct nla_policy synapse_cap_policy[SYNAPSE_A_CAP_REPEAT + 1];
#define SYNAPSE_CAP_POLICY_MAXATTR SYNAPSE_A_CAP_REPEAT
int synapse_cap_check_doit(struct sk_buff *skb, struct genl_info *info);

#endif /* SYNAPSE_KMOD_CAP_H */
