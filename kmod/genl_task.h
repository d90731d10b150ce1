/* SPDX-License-Identifier: GPL-2.0 */
/*
 * genl_task.h - the module and task commands of the synapse family, wired
 * into genl.c's ops array by SYNAPSE_TASK_GENL_OPS.
 */
#ifndef SYNAPSE_KMOD_GENL_TASK_H
#define SYNAPSE_KMOD_GENL_TASK_H

#include <net/genetlink.h>

#include "uapi/synapse.h"

/* genl.c */
const struct genl_family *synapse_genl_family_get(void);

extern const struct nla_policy synapse_module_policy[SYNAPSE_A_MODULE_MAX + 1];
extern const struct nla_policy synapse_task_policy[SYNAPSE_A_TASK_MAX + 1];
extern const struct genl_multicast_group synapse_task_mcgrps[1];

/* GET_INFO's SYNAPSE_A_INFO_NETNS: the netns's totals and limits. */
int synapse_tnet_put_totals(struct sk_buff *msg, struct net *net);

int synapse_module_add_doit(struct sk_buff *skb, struct genl_info *info);
int synapse_module_del_doit(struct sk_buff *skb, struct genl_info *info);
int synapse_module_get_doit(struct sk_buff *skb, struct genl_info *info);
int synapse_module_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int synapse_task_start_doit(struct sk_buff *skb, struct genl_info *info);
int synapse_task_get_doit(struct sk_buff *skb, struct genl_info *info);
int synapse_task_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int synapse_task_kill_doit(struct sk_buff *skb, struct genl_info *info);
int synapse_task_del_doit(struct sk_buff *skb, struct genl_info *info);
int synapse_task_output_doit(struct sk_buff *skb, struct genl_info *info);
int synapse_task_cp_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int synapse_task_replay_doit(struct sk_buff *skb, struct genl_info *info);

#define SYNAPSE_MODULE_OP(_cmd, _flags, ...)				\
	{ .cmd = (_cmd), .flags = (_flags),				\
	  .policy = synapse_module_policy,				\
	  .maxattr = SYNAPSE_A_MODULE_MAX, __VA_ARGS__ }
#define SYNAPSE_TASK_OP(_cmd, _flags, ...)				\
	{ .cmd = (_cmd), .flags = (_flags),				\
	  .policy = synapse_task_policy,				\
	  .maxattr = SYNAPSE_A_TASK_MAX, __VA_ARGS__ }

/* Entries of the family's ops array; mutating ones are admin-only. */
#define SYNAPSE_TASK_GENL_OPS						\
	SYNAPSE_MODULE_OP(SYNAPSE_CMD_MODULE_ADD, GENL_UNS_ADMIN_PERM,	\
			  .doit = synapse_module_add_doit),		\
	SYNAPSE_MODULE_OP(SYNAPSE_CMD_MODULE_DEL, GENL_UNS_ADMIN_PERM,	\
			  .doit = synapse_module_del_doit),		\
	SYNAPSE_MODULE_OP(SYNAPSE_CMD_MODULE_GET, 0,			\
			  .doit = synapse_module_get_doit,		\
			  .dumpit = synapse_module_get_dumpit),		\
	SYNAPSE_TASK_OP(SYNAPSE_CMD_TASK_START, GENL_UNS_ADMIN_PERM,	\
			.doit = synapse_task_start_doit),		\
	SYNAPSE_TASK_OP(SYNAPSE_CMD_TASK_GET, 0,			\
			.doit = synapse_task_get_doit,			\
			.dumpit = synapse_task_get_dumpit),		\
	SYNAPSE_TASK_OP(SYNAPSE_CMD_TASK_KILL, GENL_UNS_ADMIN_PERM,	\
			.doit = synapse_task_kill_doit),		\
	SYNAPSE_TASK_OP(SYNAPSE_CMD_TASK_DEL, GENL_UNS_ADMIN_PERM,	\
			.doit = synapse_task_del_doit),			\
	SYNAPSE_TASK_OP(SYNAPSE_CMD_TASK_OUTPUT, 0,			\
			.doit = synapse_task_output_doit),		\
	SYNAPSE_TASK_OP(SYNAPSE_CMD_TASK_CHECKPOINTS, 0,		\
			.dumpit = synapse_task_cp_dumpit),		\
	SYNAPSE_TASK_OP(SYNAPSE_CMD_TASK_REPLAY, GENL_UNS_ADMIN_PERM,	\
			.doit = synapse_task_replay_doit)

#endif /* SYNAPSE_KMOD_GENL_TASK_H */
