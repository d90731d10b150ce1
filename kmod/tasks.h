/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tasks.h - per-netns modules and tasks run by the engine (kmod/vm/).
 *
 * Locking: one mutex per netns (struct synapse_tnet.lock) protects its
 * lists, counters and every published task field. The engine state of a
 * task (task->vm) belongs to the task's work item while the task is in
 * flight, and to netlink handlers (under the lock) once it is done.
 */
#ifndef SYNAPSE_KMOD_TASKS_H
#define SYNAPSE_KMOD_TASKS_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include <net/netlink.h>

#include "uapi/synapse.h"

struct svm_module;
struct svm_task;
struct svm_task_params;

struct synapse_tnet {
	struct mutex lock;
	struct list_head modules;	/* in insertion (seq) order */
	struct list_head tasks;		/* in id order */
	struct net *net;
	u64 next_task_id;
	u64 next_module_seq;
	unsigned int nmodules, ntasks;
	u64 module_bytes;		/* bytes of modules held */
	u64 task_bytes;			/* task memory reserved (worst case) */
	unsigned int gen;		/* bumped on every add/del: dumps */
	bool dying;
};

struct synapse_module {
	struct list_head node;
	u64 seq;
	u8 id[SYNAPSE_HASH_LEN];
	struct svm_module *svm;
	size_t size;
	unsigned int users;		/* tasks holding it */
};

/* Why a task is being stopped from outside (task->kill). */
#define SYNAPSE_KILL_USER	1	/* TASK_KILL: ends KILLED, event sent */
#define SYNAPSE_KILL_TEARDOWN	2	/* netns exit or rmmod: no event */

struct synapse_task {
	struct list_head node;
	struct synapse_tnet *tn;
	struct synapse_module *mod;
	struct svm_task *vm;		/* engine state; NULL once replayed */
	struct work_struct work;
	atomic_t kill;
	u64 reserved;			/* share of tn->task_bytes */

	u64 id, job_id, job_task_id;
	u64 replay_of, replay_seq;
	bool is_replay;
	bool auto_del;			/* freed when done, after its event */
	u8 cap_id[SYNAPSE_HASH_LEN];
	char entry[SYNAPSE_TASK_ENTRY_MAX + 1];

	/* published under tn->lock */
	u32 status;			/* enum synapse_status */
	s32 code;
	u64 fuel_used;
	u64 exec_ns;
	bool done;
	u8 input_hash[SYNAPSE_HASH_LEN];
	u8 trace_hash[SYNAPSE_HASH_LEN];
	u8 output_hash[SYNAPSE_HASH_LEN];
	u8 *output;			/* copy taken when done */
	u64 output_len;
	u8 (*digests)[SYNAPSE_HASH_LEN];	/* every checkpoint's digest */
	u64 *cp_fuel;				/* and the fuel there */
	u64 ndigests;
};

int synapse_tasks_init(void);
void synapse_tasks_exit(void);
struct synapse_tnet *synapse_tnet(struct net *net);

/* modstore.c, all with tn->lock held unless said otherwise */
int synapse_module_add(struct synapse_tnet *tn, const u8 *bytes, size_t len,
		       u8 id[SYNAPSE_HASH_LEN], bool *existed,
		       struct netlink_ext_ack *extack);	/* takes the lock */
struct synapse_module *synapse_module_find(struct synapse_tnet *tn,
					   const u8 id[SYNAPSE_HASH_LEN]);
int synapse_module_del(struct synapse_tnet *tn, const u8 id[SYNAPSE_HASH_LEN],
		       struct netlink_ext_ack *extack);
void synapse_modules_free_all(struct synapse_tnet *tn);

/* tasks.c */
struct synapse_task *synapse_task_find(struct synapse_tnet *tn, u64 id);
/* Creates and queues; params->input etc. must stay valid during the call. */
int synapse_task_start(struct synapse_tnet *tn, struct synapse_task *t,
		       const u8 module_id[SYNAPSE_HASH_LEN],
		       struct svm_task_params *params, u64 *id,
		       struct netlink_ext_ack *extack);
void synapse_task_kill(struct synapse_task *t);
int synapse_task_del(struct synapse_tnet *tn, struct synapse_task *t,
		     struct netlink_ext_ack *extack);
int synapse_task_replay(struct synapse_tnet *tn, struct synapse_task *orig,
			u64 seq, u64 *new_id, struct netlink_ext_ack *extack);
/* Kept checkpoint seqs of a finished task (0 when not replayable). */
u32 synapse_task_kept(struct synapse_task *t, u64 *seqs, u32 max);
void synapse_task_params_set_cap(struct svm_task_params *p,
				 const u8 cap_id[SYNAPSE_HASH_LEN]);

/* genl_task.c */
struct sk_buff *synapse_task_event(struct synapse_task *t);
void synapse_task_event_send(struct net *net, struct sk_buff *skb);
/*
 * A formatted extack message (6.1 has no NL_SET_ERR_MSG_FMT): the text is
 * interned in a bounded table that lives until module unload, because the
 * ack is built after the handler returns.
 */
void synapse_extack_fmt(struct netlink_ext_ack *extack, const char *fmt, ...)
	__printf(2, 3);
void synapse_msgs_free(void);

/* Module parameters (tasks.c) */
extern unsigned int synapse_netns_modules_max;
extern unsigned long synapse_netns_module_bytes_max;
extern unsigned int synapse_netns_tasks_max;
extern unsigned long synapse_netns_task_mem_max;
extern atomic_t synapse_modules_live;

#endif /* SYNAPSE_KMOD_TASKS_H */
