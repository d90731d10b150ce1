// SPDX-License-Identifier: GPL-2.0
/*
 * genl_task.c - netlink handlers for modules and tasks, and the "events"
 * multicast group (uapi/synapse.h, "Modules and tasks").
 *
 * Policies do the type and length checks; handlers check presence
 * (GENL_REQ_ATTR_CHECK) and the limits a policy cannot express in 6.1,
 * always with an extack message naming the attribute.
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "uapi/synapse.h"
#include "uapi/synapse_abi.h"
#include "kmod/vm/svm.h"
#include "kmod/vm/task.h"
#include "limits.h"
#include "tasks.h"
#include "genl_task.h"

#define SYNAPSE_TASK_KEEP_MAX		64
#define SYNAPSE_TASK_CP_EVERY_MIN	1000
#define SYNAPSE_TASK_INPUT_MAX		(16U << 20)

const struct nla_policy synapse_module_policy[SYNAPSE_A_MODULE_MAX + 1] = {
	[SYNAPSE_A_MODULE_ID] = NLA_POLICY_EXACT_LEN(SYNAPSE_HASH_LEN),
	[SYNAPSE_A_MODULE_DATA] = { .type = NLA_BINARY,
				    .len = SYNAPSE_MODULE_CHUNK_MAX },
};

const struct nla_policy synapse_task_policy[SYNAPSE_A_TASK_MAX + 1] = {
	[SYNAPSE_A_TASK_ID] = { .type = NLA_U64 },
	[SYNAPSE_A_TASK_MODULE_ID] = NLA_POLICY_EXACT_LEN(SYNAPSE_HASH_LEN),
	[SYNAPSE_A_TASK_ENTRY] = { .type = NLA_NUL_STRING,
				   .len = SYNAPSE_TASK_ENTRY_MAX },
	[SYNAPSE_A_TASK_INPUT] = { .type = NLA_BINARY,
				   .len = SYNAPSE_TASK_INPUT_CHUNK_MAX },
	[SYNAPSE_A_TASK_JOB_ID] = { .type = NLA_U64 },
	[SYNAPSE_A_TASK_JOB_TASK_ID] = { .type = NLA_U64 },
	[SYNAPSE_A_TASK_CAP_ID] = NLA_POLICY_EXACT_LEN(SYNAPSE_HASH_LEN),
	[SYNAPSE_A_TASK_FUEL] = { .type = NLA_U64 },
	[SYNAPSE_A_TASK_MEMORY_PAGES] = { .type = NLA_U32 },
	[SYNAPSE_A_TASK_TABLE_SIZE] = { .type = NLA_U32 },
	[SYNAPSE_A_TASK_VALUE_STACK] = { .type = NLA_U32 },
	[SYNAPSE_A_TASK_CALL_DEPTH] = { .type = NLA_U32 },
	[SYNAPSE_A_TASK_OUTPUT_MAX] = { .type = NLA_U32 },
	[SYNAPSE_A_TASK_CHECKPOINT_EVERY] = { .type = NLA_U64 },
	[SYNAPSE_A_TASK_KEEP] = { .type = NLA_U32 },
	[SYNAPSE_A_TASK_OUTPUT_OFFSET] = { .type = NLA_U64 },
	[SYNAPSE_A_TASK_REPLAY_SEQ] = { .type = NLA_U64 },
	[SYNAPSE_A_TASK_ARG_I32] = { .type = NLA_U32 },
	[SYNAPSE_A_TASK_ARG_I64] = { .type = NLA_U64 },
	[SYNAPSE_A_TASK_AUTO_DEL] = { .type = NLA_FLAG },
};

const struct genl_multicast_group synapse_task_mcgrps[1] = {
	{ .name = SYNAPSE_MCGRP_EVENTS },
};

/* ---- formatted extack messages ---- */

#define SYNAPSE_MSGS_MAX	256

static DEFINE_MUTEX(synapse_msgs_lock);
static char *synapse_msgs[SYNAPSE_MSGS_MAX];
static unsigned int synapse_nmsgs;

void synapse_extack_fmt(struct netlink_ext_ack *extack, const char *fmt, ...)
{
	const char *msg = "synapse: error (message table full)";
	char buf[256];
	unsigned int i;
	va_list ap;
	int n;

	if (!extack)
		return;
	n = scnprintf(buf, sizeof(buf), KBUILD_MODNAME ": ");
	va_start(ap, fmt);
	vscnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);

	mutex_lock(&synapse_msgs_lock);
	for (i = 0; i < synapse_nmsgs; i++) {
		if (!strcmp(synapse_msgs[i], buf)) {
			msg = synapse_msgs[i];
			goto out_unlock;
		}
	}
	if (synapse_nmsgs < SYNAPSE_MSGS_MAX) {
		char *copy = kstrdup(buf, GFP_KERNEL);

		if (copy) {
			synapse_msgs[synapse_nmsgs++] = copy;
			msg = copy;
		}
	}
out_unlock:
	mutex_unlock(&synapse_msgs_lock);
	extack->_msg = msg;
}

void synapse_msgs_free(void)
{
	mutex_lock(&synapse_msgs_lock);
	while (synapse_nmsgs)
		kfree(synapse_msgs[--synapse_nmsgs]);
	mutex_unlock(&synapse_msgs_lock);
}

/* ---- helpers ---- */

static struct synapse_tnet *info_tnet(struct genl_info *info)
{
	return synapse_tnet(genl_info_net(info));
}

/* Concatenate every attribute of @type in the request (chunked payloads). */
static int gather(struct genl_info *info, int type, size_t max,
		  u8 **bufp, size_t *lenp)
{
	const struct nlattr *a;
	size_t total = 0;
	u8 *buf;
	int rem;

	nlmsg_for_each_attr(a, info->nlhdr, GENL_HDRLEN, rem)
		if (nla_type(a) == type)
			total += nla_len(a);
	if (total > max)
		return -EFBIG;
	buf = kvmalloc(total ? total : 1, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	*lenp = 0;
	nlmsg_for_each_attr(a, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(a) != type)
			continue;
		memcpy(buf + *lenp, nla_data(a), nla_len(a));
		*lenp += nla_len(a);
	}
	*bufp = buf;
	return 0;
}

static struct sk_buff *reply_new(struct genl_info *info, u8 cmd, size_t size,
				 void **hdr)
{
	struct sk_buff *msg;

	msg = genlmsg_new(size, GFP_KERNEL);
	if (!msg)
		return NULL;
	*hdr = genlmsg_put(msg, info->snd_portid, info->snd_seq,
			   synapse_genl_family_get(), 0, cmd);
	if (!*hdr) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* ---- per-netns totals (GET_INFO) ---- */

int synapse_tnet_put_totals(struct sk_buff *msg, struct net *net)
{
	struct synapse_tnet *tn = synapse_tnet(net);
	struct synapse_task *t;
	struct nlattr *nest;
	u64 v[SYNAPSE_A_NETNS_MAX + 1] = {};
	int type;

	mutex_lock(&tn->lock);
	v[SYNAPSE_A_NETNS_MODULES] = tn->nmodules;
	v[SYNAPSE_A_NETNS_MODULE_BYTES] = tn->module_bytes;
	v[SYNAPSE_A_NETNS_TASKS] = tn->ntasks;
	v[SYNAPSE_A_NETNS_TASK_BYTES] = tn->task_bytes;
	list_for_each_entry(t, &tn->tasks, node)
		v[SYNAPSE_A_NETNS_TASKS_IN_FLIGHT] += !t->done;
	mutex_unlock(&tn->lock);
	v[SYNAPSE_A_NETNS_MODULES_MAX] = READ_ONCE(synapse_netns_modules_max);
	v[SYNAPSE_A_NETNS_MODULE_BYTES_MAX] = READ_ONCE(synapse_netns_module_bytes_max);
	v[SYNAPSE_A_NETNS_TASKS_MAX] = READ_ONCE(synapse_netns_tasks_max);
	v[SYNAPSE_A_NETNS_TASK_BYTES_MAX] = READ_ONCE(synapse_netns_task_mem_max);

	nest = nla_nest_start(msg, SYNAPSE_A_INFO_NETNS);
	if (!nest)
		return -EMSGSIZE;
	for (type = SYNAPSE_A_NETNS_MODULES; type <= SYNAPSE_A_NETNS_MAX; type++) {
		if (nla_put_u64_64bit(msg, type, v[type], SYNAPSE_A_NETNS_PAD)) {
			nla_nest_cancel(msg, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(msg, nest);
	return 0;
}

/* ---- modules ---- */

int synapse_module_add_doit(struct sk_buff *skb, struct genl_info *info)
{
	u8 id[SYNAPSE_HASH_LEN];
	struct sk_buff *msg;
	bool existed = false;
	size_t len;
	void *hdr;
	u8 *bytes;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, SYNAPSE_A_MODULE_DATA)) {
		NL_SET_ERR_MSG_MOD(info->extack, "missing SYNAPSE_A_MODULE_DATA");
		return -EINVAL;
	}
	err = gather(info, SYNAPSE_A_MODULE_DATA, SYNAPSE_LIMIT_MODULE_SIZE_DEFAULT,
		     &bytes, &len);
	if (err) {
		if (err == -EFBIG)
			NL_SET_ERR_MSG_MOD(info->extack, "module larger than the module size limit");
		else
			NL_SET_ERR_MSG_MOD(info->extack, "out of memory");
		return err;
	}
	err = synapse_module_add(info_tnet(info), bytes, len, id, &existed,
				 info->extack);
	kvfree(bytes);
	if (err)
		return err;

	msg = reply_new(info, SYNAPSE_CMD_MODULE_ADD, NLMSG_GOODSIZE, &hdr);
	if (!msg)
		return -ENOMEM;
	if (nla_put(msg, SYNAPSE_A_MODULE_ID, SYNAPSE_HASH_LEN, id) ||
	    nla_put_u64_64bit(msg, SYNAPSE_A_MODULE_SIZE, len, SYNAPSE_A_MODULE_PAD) ||
	    (existed && nla_put_flag(msg, SYNAPSE_A_MODULE_EXISTED))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

int synapse_module_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct synapse_tnet *tn = info_tnet(info);
	int err;

	if (GENL_REQ_ATTR_CHECK(info, SYNAPSE_A_MODULE_ID)) {
		NL_SET_ERR_MSG_MOD(info->extack, "missing SYNAPSE_A_MODULE_ID");
		return -EINVAL;
	}
	mutex_lock(&tn->lock);
	err = synapse_module_del(tn, nla_data(info->attrs[SYNAPSE_A_MODULE_ID]),
				 info->extack);
	mutex_unlock(&tn->lock);
	return err;
}

static int module_fill(struct sk_buff *msg, const struct synapse_module *m)
{
	if (nla_put(msg, SYNAPSE_A_MODULE_ID, SYNAPSE_HASH_LEN, m->id) ||
	    nla_put_u64_64bit(msg, SYNAPSE_A_MODULE_SIZE, m->size,
			      SYNAPSE_A_MODULE_PAD) ||
	    nla_put_u32(msg, SYNAPSE_A_MODULE_USERS, m->users) ||
	    nla_put_u32(msg, SYNAPSE_A_MODULE_FUNCS, m->svm->nfuncs) ||
	    nla_put_u32(msg, SYNAPSE_A_MODULE_EXPORTS, m->svm->nexports))
		return -EMSGSIZE;
	return 0;
}

int synapse_module_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct synapse_tnet *tn = info_tnet(info);
	struct synapse_module *m;
	struct sk_buff *msg;
	void *hdr;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, SYNAPSE_A_MODULE_ID)) {
		NL_SET_ERR_MSG_MOD(info->extack, "missing SYNAPSE_A_MODULE_ID (or use a dump)");
		return -EINVAL;
	}
	msg = reply_new(info, SYNAPSE_CMD_MODULE_GET, NLMSG_GOODSIZE, &hdr);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&tn->lock);
	m = synapse_module_find(tn, nla_data(info->attrs[SYNAPSE_A_MODULE_ID]));
	err = m ? module_fill(msg, m) : -ENOENT;
	mutex_unlock(&tn->lock);
	if (err) {
		if (err == -ENOENT)
			NL_SET_ERR_MSG_MOD(info->extack, "no such module in this netns");
		nlmsg_free(msg);
		return err;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* cb->args[0]: seq of the last module sent */
int synapse_module_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct synapse_tnet *tn = synapse_tnet(sock_net(skb->sk));
	struct synapse_module *m;
	int err = 0;
	void *hdr;

	mutex_lock(&tn->lock);
	cb->seq = tn->gen;
	list_for_each_entry(m, &tn->modules, node) {
		if (m->seq <= cb->args[0])
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, synapse_genl_family_get(),
				  NLM_F_MULTI, SYNAPSE_CMD_MODULE_GET);
		if (!hdr) {
			err = -EMSGSIZE;
			break;
		}
		genl_dump_check_consistent(cb, hdr);
		if (module_fill(skb, m)) {
			genlmsg_cancel(skb, hdr);
			err = -EMSGSIZE;
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = m->seq;
	}
	mutex_unlock(&tn->lock);
	/* a full skb ends this part of the dump; an empty one would loop */
	if (err == -EMSGSIZE && skb->len)
		return skb->len;
	return err ? err : skb->len;
}

/* ---- tasks ---- */

static int task_fill(struct sk_buff *msg, struct synapse_task *t)
{
	const struct svm_task *vm = t->vm;
	u64 out_len, ncp;

	if (nla_put_u64_64bit(msg, SYNAPSE_A_TASK_ID, t->id, SYNAPSE_A_TASK_PAD) ||
	    nla_put(msg, SYNAPSE_A_TASK_MODULE_ID, SYNAPSE_HASH_LEN, t->mod->id) ||
	    nla_put_string(msg, SYNAPSE_A_TASK_ENTRY, t->entry) ||
	    nla_put_u64_64bit(msg, SYNAPSE_A_TASK_JOB_ID, t->job_id, SYNAPSE_A_TASK_PAD) ||
	    nla_put_u64_64bit(msg, SYNAPSE_A_TASK_JOB_TASK_ID, t->job_task_id,
			      SYNAPSE_A_TASK_PAD) ||
	    nla_put_u32(msg, SYNAPSE_A_TASK_STATUS, t->status) ||
	    nla_put_s32(msg, SYNAPSE_A_TASK_CODE, t->code) ||
	    nla_put_u64_64bit(msg, SYNAPSE_A_TASK_FUEL_USED, READ_ONCE(t->fuel_used),
			      SYNAPSE_A_TASK_PAD) ||
	    nla_put(msg, SYNAPSE_A_TASK_INPUT_HASH, SYNAPSE_HASH_LEN, t->input_hash))
		return -EMSGSIZE;
	if (t->is_replay &&
	    (nla_put_u64_64bit(msg, SYNAPSE_A_TASK_REPLAY_OF, t->replay_of,
			       SYNAPSE_A_TASK_PAD) ||
	     nla_put_u64_64bit(msg, SYNAPSE_A_TASK_REPLAY_SEQ, t->replay_seq,
			       SYNAPSE_A_TASK_PAD)))
		return -EMSGSIZE;
	if (!t->done)
		return 0;
	/* the engine state is the worker's until the task is done */
	out_len = vm ? vm->out_len : t->output_len;
	ncp = vm ? vm->ndigests : t->ndigests;
	if (nla_put_u64_64bit(msg, SYNAPSE_A_TASK_EXEC_NS, READ_ONCE(t->exec_ns),
			      SYNAPSE_A_TASK_PAD))
		return -EMSGSIZE;
	if (vm && t->status == SYNAPSE_STATUS_OK) {
		u32 i;

		for (i = 0; i < vm->nresults && i < SVM_MAX_ARGS; i++)
			if (nla_put_u64_64bit(msg, SYNAPSE_A_TASK_RESULT,
					      vm->results[i], SYNAPSE_A_TASK_PAD))
				return -EMSGSIZE;
	}
	if (nla_put(msg, SYNAPSE_A_TASK_TRACE_HASH, SYNAPSE_HASH_LEN, t->trace_hash) ||
	    nla_put(msg, SYNAPSE_A_TASK_OUTPUT_HASH, SYNAPSE_HASH_LEN, t->output_hash) ||
	    nla_put_u64_64bit(msg, SYNAPSE_A_TASK_OUTPUT_LEN, out_len, SYNAPSE_A_TASK_PAD) ||
	    nla_put_u64_64bit(msg, SYNAPSE_A_TASK_CHECKPOINTS, ncp, SYNAPSE_A_TASK_PAD) ||
	    (vm && nla_put_flag(msg, SYNAPSE_A_TASK_REPLAYABLE)))
		return -EMSGSIZE;
	return 0;
}

struct sk_buff *synapse_task_event(struct synapse_task *t)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return NULL;
	hdr = genlmsg_put(msg, 0, 0, synapse_genl_family_get(), 0,
			  SYNAPSE_CMD_TASK_DONE);
	if (!hdr || task_fill(msg, t)) {
		nlmsg_free(msg);
		return NULL;
	}
	genlmsg_end(msg, hdr);
	return msg;
}

void synapse_task_event_send(struct net *net, struct sk_buff *skb)
{
	/* -ESRCH (nobody listening) is not an error here */
	genlmsg_multicast_netns(synapse_genl_family_get(), net, skb, 0, 0,
				GFP_KERNEL);
}

static int get_u32_limit(struct genl_info *info, int type, u32 min, u32 max,
			 u32 *val)
{
	struct nlattr *a = info->attrs[type];
	u32 v;

	if (!a)
		return 0;
	v = nla_get_u32(a);
	if (v < min || v > max) {
		synapse_extack_fmt(info->extack, "limit out of range [%u, %u]",
				   min, max);
		NL_SET_BAD_ATTR(info->extack, a);
		return -ERANGE;
	}
	*val = v;
	return 0;
}

/* The engine's defaults are also the most a task may ask for (but output). */
static int task_parse_limits(struct genl_info *info, struct svm_task_limits *l)
{
	struct svm_task_limits d;
	struct nlattr *a;
	u32 keep;
	int err;

	svm_task_default_limits(&d);
	*l = d;
	if (info->attrs[SYNAPSE_A_TASK_FUEL])
		l->fuel = nla_get_u64(info->attrs[SYNAPSE_A_TASK_FUEL]);
	a = info->attrs[SYNAPSE_A_TASK_CHECKPOINT_EVERY];
	if (a) {
		l->checkpoint_every = nla_get_u64(a);
		if (l->checkpoint_every &&
		    l->checkpoint_every < SYNAPSE_TASK_CP_EVERY_MIN) {
			NL_SET_ERR_MSG_ATTR(info->extack, a,
					    "checkpoint interval below 1000 fuel (0: none)");
			return -ERANGE;
		}
	}
	keep = l->keep;
	err = get_u32_limit(info, SYNAPSE_A_TASK_MEMORY_PAGES, 0,
			    d.max_pages, &l->max_pages) ?:
	      get_u32_limit(info, SYNAPSE_A_TASK_TABLE_SIZE, 0,
			    d.max_table, &l->max_table) ?:
	      get_u32_limit(info, SYNAPSE_A_TASK_VALUE_STACK, 64,
			    d.stack_slots, &l->stack_slots) ?:
	      get_u32_limit(info, SYNAPSE_A_TASK_CALL_DEPTH, 1,
			    d.max_frames, &l->max_frames) ?:
	      get_u32_limit(info, SYNAPSE_A_TASK_OUTPUT_MAX, 0,
			    SYNAPSE_LIMIT_OUTPUT_SIZE_MAX, &l->max_output) ?:
	      get_u32_limit(info, SYNAPSE_A_TASK_KEEP, 0,
			    SYNAPSE_TASK_KEEP_MAX, &keep);
	l->keep = keep;
	return err;
}

/* The entry's arguments: ARG_I32/ARG_I64 attributes in message order. */
static int task_parse_args(struct genl_info *info, struct svm_task_params *p)
{
	const struct nlattr *a;
	int rem;

	nlmsg_for_each_attr(a, info->nlhdr, GENL_HDRLEN, rem) {
		int type = nla_type(a);

		if (type != SYNAPSE_A_TASK_ARG_I32 && type != SYNAPSE_A_TASK_ARG_I64)
			continue;
		if (p->nargs == SVM_MAX_ARGS) {
			NL_SET_ERR_MSG_ATTR(info->extack, a, "more than 16 arguments");
			return -E2BIG;
		}
		if (type == SYNAPSE_A_TASK_ARG_I32) {
			p->arg_types[p->nargs] = SVM_T_I32;
			p->args[p->nargs++] = nla_get_u32(a);
		} else {
			p->arg_types[p->nargs] = SVM_T_I64;
			p->args[p->nargs++] = nla_get_u64(a);
		}
	}
	return 0;
}

int synapse_task_start_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct svm_task_params p = {};
	struct synapse_task *t;
	struct sk_buff *msg;
	u8 *input = NULL;
	size_t input_len;
	u64 id;
	void *hdr;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, SYNAPSE_A_TASK_MODULE_ID)) {
		NL_SET_ERR_MSG_MOD(info->extack, "missing SYNAPSE_A_TASK_MODULE_ID");
		return -EINVAL;
	}
	err = task_parse_limits(info, &p.lim) ?: task_parse_args(info, &p);
	if (err)
		return err;
	t = kzalloc(sizeof(*t), GFP_KERNEL_ACCOUNT);
	if (!t)
		return -ENOMEM;
	strscpy(t->entry, "run", sizeof(t->entry));
	if (info->attrs[SYNAPSE_A_TASK_ENTRY]) {
		nla_strscpy(t->entry, info->attrs[SYNAPSE_A_TASK_ENTRY],
			    sizeof(t->entry));
		if (!t->entry[0]) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    info->attrs[SYNAPSE_A_TASK_ENTRY],
					    "empty entry name");
			kfree(t);
			return -EINVAL;
		}
	}
	if (info->attrs[SYNAPSE_A_TASK_JOB_ID])
		t->job_id = nla_get_u64(info->attrs[SYNAPSE_A_TASK_JOB_ID]);
	if (info->attrs[SYNAPSE_A_TASK_JOB_TASK_ID])
		t->job_task_id = nla_get_u64(info->attrs[SYNAPSE_A_TASK_JOB_TASK_ID]);
	if (info->attrs[SYNAPSE_A_TASK_CAP_ID])
		nla_memcpy(t->cap_id, info->attrs[SYNAPSE_A_TASK_CAP_ID],
			   sizeof(t->cap_id));
	t->auto_del = nla_get_flag(info->attrs[SYNAPSE_A_TASK_AUTO_DEL]);
	synapse_task_params_set_cap(&p, t->cap_id);

	err = gather(info, SYNAPSE_A_TASK_INPUT, SYNAPSE_TASK_INPUT_MAX,
		     &input, &input_len);
	if (err) {
		if (err == -EFBIG)
			NL_SET_ERR_MSG_MOD(info->extack, "task input larger than 16 MiB");
		else
			NL_SET_ERR_MSG_MOD(info->extack, "out of memory");
		kfree(t);
		return err;
	}
	p.input = input;
	p.input_len = input_len;

	/* frees t on failure */
	err = synapse_task_start(info_tnet(info), t,
				 nla_data(info->attrs[SYNAPSE_A_TASK_MODULE_ID]),
				 &p, &id, info->extack);
	kvfree(input);
	if (err)
		return err;

	msg = reply_new(info, SYNAPSE_CMD_TASK_START, NLMSG_GOODSIZE, &hdr);
	if (!msg)
		return -ENOMEM;
	if (nla_put_u64_64bit(msg, SYNAPSE_A_TASK_ID, id, SYNAPSE_A_TASK_PAD)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* Look the request's task up; tn->lock held on success. */
static struct synapse_task *task_lookup(struct genl_info *info)
{
	struct synapse_tnet *tn = info_tnet(info);
	struct synapse_task *t;

	if (GENL_REQ_ATTR_CHECK(info, SYNAPSE_A_TASK_ID)) {
		NL_SET_ERR_MSG_MOD(info->extack, "missing SYNAPSE_A_TASK_ID");
		return ERR_PTR(-EINVAL);
	}
	mutex_lock(&tn->lock);
	t = synapse_task_find(tn, nla_get_u64(info->attrs[SYNAPSE_A_TASK_ID]));
	if (!t) {
		mutex_unlock(&tn->lock);
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[SYNAPSE_A_TASK_ID],
				    "no such task in this netns");
		return ERR_PTR(-ENOENT);
	}
	return t;
}

int synapse_task_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct synapse_task *t;
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = reply_new(info, SYNAPSE_CMD_TASK_GET, NLMSG_GOODSIZE, &hdr);
	if (!msg)
		return -ENOMEM;
	t = task_lookup(info);
	if (IS_ERR(t)) {
		nlmsg_free(msg);
		return PTR_ERR(t);
	}
	err = task_fill(msg, t);
	mutex_unlock(&t->tn->lock);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* cb->args[0]: id of the last task sent */
int synapse_task_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct synapse_tnet *tn = synapse_tnet(sock_net(skb->sk));
	struct synapse_task *t;
	int err = 0;
	void *hdr;

	mutex_lock(&tn->lock);
	cb->seq = tn->gen;
	list_for_each_entry(t, &tn->tasks, node) {
		if (t->id <= cb->args[0])
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, synapse_genl_family_get(),
				  NLM_F_MULTI, SYNAPSE_CMD_TASK_GET);
		if (!hdr) {
			err = -EMSGSIZE;
			break;
		}
		genl_dump_check_consistent(cb, hdr);
		if (task_fill(skb, t)) {
			genlmsg_cancel(skb, hdr);
			err = -EMSGSIZE;
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = t->id;
	}
	mutex_unlock(&tn->lock);
	if (err == -EMSGSIZE && skb->len)
		return skb->len;
	return err ? err : skb->len;
}

int synapse_task_kill_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct synapse_task *t = task_lookup(info);

	if (IS_ERR(t))
		return PTR_ERR(t);
	synapse_task_kill(t);
	mutex_unlock(&t->tn->lock);
	return 0;
}

int synapse_task_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct synapse_task *t = task_lookup(info);
	struct synapse_tnet *tn;
	int err;

	if (IS_ERR(t))
		return PTR_ERR(t);
	tn = t->tn;
	err = synapse_task_del(tn, t, info->extack);
	mutex_unlock(&tn->lock);
	return err;
}

int synapse_task_output_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct synapse_task *t;
	struct sk_buff *msg;
	const u8 *out;
	u64 off = 0, len, n;
	void *hdr;
	int err;

	if (info->attrs[SYNAPSE_A_TASK_OUTPUT_OFFSET])
		off = nla_get_u64(info->attrs[SYNAPSE_A_TASK_OUTPUT_OFFSET]);
	msg = reply_new(info, SYNAPSE_CMD_TASK_OUTPUT,
			nla_total_size(SYNAPSE_TASK_OUTPUT_CHUNK) + 64, &hdr);
	if (!msg)
		return -ENOMEM;
	t = task_lookup(info);
	if (IS_ERR(t)) {
		nlmsg_free(msg);
		return PTR_ERR(t);
	}
	if (!t->done) {
		mutex_unlock(&t->tn->lock);
		nlmsg_free(msg);
		NL_SET_ERR_MSG_MOD(info->extack, "task still in flight: its output is not final");
		return -EBUSY;
	}
	out = t->vm ? t->vm->out : t->output;
	len = t->vm ? t->vm->out_len : t->output_len;
	n = off < len ? min_t(u64, len - off, SYNAPSE_TASK_OUTPUT_CHUNK) : 0;
	err = nla_put_u64_64bit(msg, SYNAPSE_A_TASK_OUTPUT_LEN, len, SYNAPSE_A_TASK_PAD) ?:
	      nla_put(msg, SYNAPSE_A_TASK_OUTPUT_DATA, n, n ? out + off : NULL);
	mutex_unlock(&t->tn->lock);
	if (err) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* cb->args[0]: index of the next checkpoint to send */
int synapse_task_cp_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct genl_dumpit_info *di = genl_dumpit_info(cb);
	struct synapse_tnet *tn = synapse_tnet(sock_net(skb->sk));
	u8 (*digests)[SYNAPSE_HASH_LEN];
	struct synapse_task *t;
	u64 seqs[SYNAPSE_TASK_KEEP_MAX];
	u64 *cp_fuel;
	u32 nkept, k;
	u64 i, n;
	int err = 0;
	void *hdr;

	if (!di->attrs[SYNAPSE_A_TASK_ID]) {
		NL_SET_ERR_MSG_MOD(cb->extack, "missing SYNAPSE_A_TASK_ID");
		return -EINVAL;
	}
	mutex_lock(&tn->lock);
	t = synapse_task_find(tn, nla_get_u64(di->attrs[SYNAPSE_A_TASK_ID]));
	if (!t) {
		mutex_unlock(&tn->lock);
		NL_SET_ERR_MSG_MOD(cb->extack, "no such task in this netns");
		return -ENOENT;
	}
	if (!t->done) {
		mutex_unlock(&tn->lock);
		NL_SET_ERR_MSG_MOD(cb->extack, "task still in flight");
		return -EBUSY;
	}
	digests = t->vm ? t->vm->digests : t->digests;
	cp_fuel = t->vm ? t->vm->cp_fuel : t->cp_fuel;
	n = t->vm ? t->vm->ndigests : t->ndigests;
	nkept = min_t(u32, synapse_task_kept(t, seqs, ARRAY_SIZE(seqs)),
		      ARRAY_SIZE(seqs));
	for (i = cb->args[0]; i < n; i++) {
		bool kept = false;

		for (k = 0; k < nkept; k++)
			kept |= seqs[k] == i;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, synapse_genl_family_get(),
				  NLM_F_MULTI, SYNAPSE_CMD_TASK_CHECKPOINTS);
		if (!hdr) {
			err = -EMSGSIZE;
			break;
		}
		if (nla_put_u64_64bit(skb, SYNAPSE_A_TASK_ID, t->id, SYNAPSE_A_TASK_PAD) ||
		    nla_put_u64_64bit(skb, SYNAPSE_A_TASK_CP_SEQ, i, SYNAPSE_A_TASK_PAD) ||
		    nla_put(skb, SYNAPSE_A_TASK_CP_DIGEST, SYNAPSE_HASH_LEN, digests[i]) ||
		    nla_put_u64_64bit(skb, SYNAPSE_A_TASK_CP_FUEL, cp_fuel[i],
				      SYNAPSE_A_TASK_PAD) ||
		    (kept && nla_put_flag(skb, SYNAPSE_A_TASK_CP_KEPT))) {
			genlmsg_cancel(skb, hdr);
			err = -EMSGSIZE;
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = i + 1;
	}
	mutex_unlock(&tn->lock);
	if (err == -EMSGSIZE && skb->len)
		return skb->len;
	return err ? err : skb->len;
}

int synapse_task_replay_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct synapse_task *t;
	struct sk_buff *msg;
	u64 id;
	void *hdr;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, SYNAPSE_A_TASK_REPLAY_SEQ)) {
		NL_SET_ERR_MSG_MOD(info->extack, "missing SYNAPSE_A_TASK_REPLAY_SEQ");
		return -EINVAL;
	}
	t = task_lookup(info);
	if (IS_ERR(t))
		return PTR_ERR(t);
	err = synapse_task_replay(t->tn, t,
				  nla_get_u64(info->attrs[SYNAPSE_A_TASK_REPLAY_SEQ]),
				  &id, info->extack);
	mutex_unlock(&t->tn->lock);
	if (err)
		return err;
	msg = reply_new(info, SYNAPSE_CMD_TASK_REPLAY, NLMSG_GOODSIZE, &hdr);
	if (!msg)
		return -ENOMEM;
	if (nla_put_u64_64bit(msg, SYNAPSE_A_TASK_ID, id, SYNAPSE_A_TASK_PAD)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}
