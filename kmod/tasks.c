// SPDX-License-Identifier: GPL-2.0
/*
 * tasks.c - task objects, the unbound workqueue they run on, per-netns
 * state and limits, kill, replay, and teardown on netns exit and rmmod.
 *
 * A task runs as one work item on an unbound workqueue. Each run of the
 * work item executes slices of at most slice_fuel fuel, calling
 * cond_resched() between slices and checking for a kill at every slice
 * boundary; after quantum_ms it requeues itself, so every task in flight
 * makes progress and none holds a worker for long. The workqueue's
 * max_active (tasks_running_max) bounds how many run at once; the rest wait
 * in its queue with status QUEUED.
 *
 * Teardown (netns exit, and rmmod, which exits every netns): mark the netns
 * dying, ask every task to stop, cancel_work_sync() each (a self-requeueing
 * work is cancelled for good), flush the workqueue for the tail of a
 * finishing task, then free. No task outlives its netns, and unload waits
 * at most one slice per running task.
 */
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/sysfs.h>
#include <linux/slab.h>
#include <net/netns/generic.h>

#include "uapi/synapse_abi.h"
#include "uapi/synapse_cap.h"
#include "kmod/vm/svm.h"
#include "kmod/vm/task.h"
#include "cap.h"
#include "tasks.h"

unsigned int synapse_netns_modules_max = 256;
module_param_named(netns_modules_max, synapse_netns_modules_max, uint, 0644);
MODULE_PARM_DESC(netns_modules_max, "modules per netns");

unsigned long synapse_netns_module_bytes_max = 64UL << 20;
module_param_named(netns_module_bytes_max, synapse_netns_module_bytes_max, ulong, 0644);
MODULE_PARM_DESC(netns_module_bytes_max, "bytes of modules per netns");

unsigned int synapse_netns_tasks_max = 1024;
module_param_named(netns_tasks_max, synapse_netns_tasks_max, uint, 0644);
MODULE_PARM_DESC(netns_tasks_max, "tasks (in flight or finished) per netns");

unsigned long synapse_netns_task_mem_max = 2048UL << 20;
module_param_named(netns_task_mem_max, synapse_netns_task_mem_max, ulong, 0644);
MODULE_PARM_DESC(netns_task_mem_max, "worst-case task memory per netns, bytes");

static unsigned int tasks_running_max = 64;
module_param(tasks_running_max, uint, 0444);
MODULE_PARM_DESC(tasks_running_max, "tasks running at once (workqueue max_active)");

static unsigned long slice_fuel = 1UL << 18;
module_param(slice_fuel, ulong, 0644);
MODULE_PARM_DESC(slice_fuel, "fuel per slice (kill/teardown latency)");

static unsigned int quantum_ms = 10;
module_param(quantum_ms, uint, 0644);
MODULE_PARM_DESC(quantum_ms, "run time of a task before it requeues, ms");

/* Live objects in all netns: teardown tests check they drop back. */
static atomic_t synapse_tasks_live = ATOMIC_INIT(0);
atomic_t synapse_modules_live = ATOMIC_INIT(0);

static int live_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read((atomic_t *)kp->arg));
}

static const struct kernel_param_ops live_ops = { .get = live_get };
module_param_cb(tasks_live, &live_ops, &synapse_tasks_live, 0444);
MODULE_PARM_DESC(tasks_live, "tasks held in all netns (read-only)");
module_param_cb(modules_live, &live_ops, &synapse_modules_live, 0444);
MODULE_PARM_DESC(modules_live, "modules held in all netns (read-only)");

static struct workqueue_struct *synapse_wq;
static unsigned int synapse_tnet_id __read_mostly;

struct synapse_tnet *synapse_tnet(struct net *net)
{
	return net_generic(net, synapse_tnet_id);
}

/* The engine hashes the whole 32-byte id into the task input hash. */
void synapse_task_params_set_cap(struct svm_task_params *p,
				 const u8 cap_id[SYNAPSE_HASH_LEN])
{
	memcpy(p->cap_id, cap_id, sizeof(p->cap_id));
}

static int task_cap_check(void *ctx, struct svm_task *vm, int where, int32_t op)
{
	struct synapse_task *t = ctx;
	int at;

	switch (where) {
	case SVM_CAP_START:
		at = SYNAPSE_CAP_AT_START;
		break;
	case SVM_CAP_CALL:
		at = SYNAPSE_CAP_AT_CALL;
		break;
	default:
		at = SYNAPSE_CAP_AT_CHECKPOINT;
		break;
	}
	return synapse_cap_revoked(t->job_task_id, t->job_id, t->cap_id, at);
}

struct synapse_task *synapse_task_find(struct synapse_tnet *tn, u64 id)
{
	struct synapse_task *t;

	lockdep_assert_held(&tn->lock);
	list_for_each_entry(t, &tn->tasks, node)
		if (t->id == id)
			return t;
	return NULL;
}

/* Worst case the task may pin: what the per-netns budget counts. */
static u64 task_reserve(const struct svm_task_params *p)
{
	const struct svm_task_limits *l = &p->lim;

	return (u64)l->max_pages * 65536 * 2 +	/* memory + kept page copies */
	       (u64)l->stack_slots * 8 +
	       (u64)l->max_frames * sizeof(struct svm_frame) +
	       (u64)l->max_output + p->input_len + PAGE_SIZE;
}

static void task_publish_done(struct synapse_task *t)
{
	struct svm_task *vm = t->vm;

	t->status = svm_task_status(vm);
	t->code = svm_task_code(vm);
	t->fuel_used = svm_task_fuel_used(vm);
	memcpy(t->trace_hash, vm->trace_hash, SYNAPSE_HASH_LEN);
	memcpy(t->output_hash, vm->output_hash, SYNAPSE_HASH_LEN);
	t->done = true;
}

static void task_free(struct synapse_tnet *tn, struct synapse_task *t);

static void task_finish(struct synapse_task *t)
{
	struct synapse_tnet *tn = t->tn;
	struct sk_buff *skb = NULL;

	mutex_lock(&tn->lock);
	task_publish_done(t);
	if (atomic_read(&t->kill) != SYNAPSE_KILL_TEARDOWN)
		skb = synapse_task_event(t);
	/*
	 * AUTO_DEL: the event is the task's only record. Freed here, in the
	 * same locked section that made it done, so no TASK_DEL can race it;
	 * a dying netns frees it itself (tnet_exit walks the list unlocked).
	 * Freeing a work item from its own function is allowed.
	 */
	if (t->auto_del && !tn->dying)
		task_free(tn, t);
	mutex_unlock(&tn->lock);
	/* t may be deleted from here on: only tn and the skb are used */
	if (skb)
		synapse_task_event_send(tn->net, skb);
}

static void task_work(struct work_struct *work)
{
	struct synapse_task *t = container_of(work, struct synapse_task, work);
	unsigned long end = jiffies + msecs_to_jiffies(READ_ONCE(quantum_ms));
	u64 budget = max(READ_ONCE(slice_fuel), 1024UL);

	if (READ_ONCE(t->status) == SYNAPSE_STATUS_QUEUED) {
		mutex_lock(&t->tn->lock);
		t->status = SYNAPSE_STATUS_RUNNING;
		mutex_unlock(&t->tn->lock);
	}
	for (;;) {
		u64 t0;
		int r;

		if (atomic_read(&t->kill)) {
			svm_task_stop(t->vm, SYNAPSE_STATUS_KILLED);
			break;
		}
		t0 = ktime_get_ns();
		r = svm_task_run(t->vm, budget);
		WRITE_ONCE(t->exec_ns, t->exec_ns + ktime_get_ns() - t0);
		if (r == SVM_RUN_DONE)
			break;
		if (time_after(jiffies, end)) {
			WRITE_ONCE(t->fuel_used, svm_task_fuel_used(t->vm));
			queue_work(synapse_wq, &t->work);
			return;
		}
		cond_resched();
	}
	task_finish(t);
}

static int task_check_room(struct synapse_tnet *tn, u64 reserve,
			   struct netlink_ext_ack *extack)
{
	lockdep_assert_held(&tn->lock);
	if (tn->dying)
		return -ENODEV;
	if (tn->ntasks >= READ_ONCE(synapse_netns_tasks_max)) {
		NL_SET_ERR_MSG_MOD(extack, "too many tasks in this netns (netns_tasks_max): finished tasks count until deleted (synctl task del), or start them with auto-delete");
		return -ENOSPC;
	}
	if (tn->task_bytes + reserve > READ_ONCE(synapse_netns_task_mem_max)) {
		NL_SET_ERR_MSG_MOD(extack, "task memory budget of this netns exhausted (netns_task_mem_max): finished tasks hold theirs until deleted (synctl task del), or start them with auto-delete");
		return -ENOSPC;
	}
	return 0;
}

static void task_link(struct synapse_tnet *tn, struct synapse_task *t)
{
	lockdep_assert_held(&tn->lock);
	t->id = ++tn->next_task_id;
	t->tn = tn;
	t->status = SYNAPSE_STATUS_QUEUED;
	t->mod->users++;
	tn->ntasks++;
	tn->task_bytes += t->reserved;
	tn->gen++;
	atomic_inc(&synapse_tasks_live);
	list_add_tail(&t->node, &tn->tasks);
}

int synapse_task_start(struct synapse_tnet *tn, struct synapse_task *t,
		       const u8 module_id[SYNAPSE_HASH_LEN],
		       struct svm_task_params *p, u64 *id,
		       struct netlink_ext_ack *extack)
{
	const struct svm_task_host host = { .cap_check = task_cap_check, .ctx = t };
	struct svm_error *verr;
	int err;

	verr = kzalloc(sizeof(*verr), GFP_KERNEL);
	if (!verr) {
		err = -ENOMEM;
		goto out_free_task;
	}
	INIT_WORK(&t->work, task_work);
	t->tn = tn;
	p->entry = t->entry;
	p->meter = true;
	t->reserved = task_reserve(p);

	/*
	 * Instantiation runs under the lock: it pins the module (users) and
	 * must not race its deletion. It is bounded by the module's size
	 * (and, for a start function, by the task's fuel).
	 */
	mutex_lock(&tn->lock);
	err = task_check_room(tn, t->reserved, extack);
	if (err)
		goto out_unlock;
	t->mod = synapse_module_find(tn, module_id);
	if (!t->mod) {
		NL_SET_ERR_MSG_MOD(extack, "no such module in this netns");
		err = -ENOENT;
		goto out_unlock;
	}
	t->vm = svm_task_create(t->mod->svm, p, &host, verr);
	if (!t->vm) {
		synapse_extack_fmt(extack, "cannot start the task: %s", verr->msg);
		err = verr->link || verr->msg[0] ? -EINVAL : -ENOMEM;
		goto out_unlock;
	}
	memcpy(t->input_hash, t->vm->input_hash, SYNAPSE_HASH_LEN);
	task_link(tn, t);
	*id = t->id;
	queue_work(synapse_wq, &t->work);
	mutex_unlock(&tn->lock);
	kfree(verr);
	return 0;

out_unlock:
	mutex_unlock(&tn->lock);
	kfree(verr);
out_free_task:
	kfree(t);
	return err;
}

void synapse_task_kill(struct synapse_task *t)
{
	atomic_cmpxchg(&t->kill, 0, SYNAPSE_KILL_USER);
}

static void task_free(struct synapse_tnet *tn, struct synapse_task *t)
{
	list_del(&t->node);
	tn->ntasks--;
	tn->task_bytes -= t->reserved;
	tn->gen++;
	t->mod->users--;
	atomic_dec(&synapse_tasks_live);
	svm_task_free(t->vm);
	kvfree(t->output);
	kvfree(t->digests);
	kvfree(t->cp_fuel);
	kfree(t);
}

int synapse_task_del(struct synapse_tnet *tn, struct synapse_task *t,
		     struct netlink_ext_ack *extack)
{
	lockdep_assert_held(&tn->lock);
	if (!t->done) {
		NL_SET_ERR_MSG_MOD(extack, "task still in flight: kill it and wait for its end");
		return -EBUSY;
	}
	task_free(tn, t);
	return 0;
}

u32 synapse_task_kept(struct synapse_task *t, u64 *seqs, u32 max)
{
	if (!t->done || !t->vm)
		return 0;
	return svm_task_kept(t->vm, seqs, max);
}

/* The original keeps its output and checkpoint list when its engine moves. */
static int task_keep_results(struct synapse_task *t)
{
	struct svm_task *vm = t->vm;

	if (vm->out_len) {
		t->output = kvmalloc(vm->out_len, GFP_KERNEL_ACCOUNT);
		if (!t->output)
			return -ENOMEM;
		memcpy(t->output, vm->out, vm->out_len);
	}
	if (vm->ndigests) {
		t->digests = kvmalloc_array(vm->ndigests, SYNAPSE_HASH_LEN,
					    GFP_KERNEL_ACCOUNT);
		if (!t->digests) {
			kvfree(t->output);
			t->output = NULL;
			return -ENOMEM;
		}
		memcpy(t->digests, vm->digests, vm->ndigests * SYNAPSE_HASH_LEN);
		t->cp_fuel = kvmalloc_array(vm->ndigests, sizeof(*t->cp_fuel),
					    GFP_KERNEL_ACCOUNT);
		if (!t->cp_fuel) {
			kvfree(t->digests);
			kvfree(t->output);
			t->digests = NULL;
			t->output = NULL;
			return -ENOMEM;
		}
		memcpy(t->cp_fuel, vm->cp_fuel, vm->ndigests * sizeof(*t->cp_fuel));
	}
	t->output_len = vm->out_len;
	t->ndigests = vm->ndigests;
	return 0;
}

static bool task_seq_kept(struct synapse_task *t, u64 seq)
{
	u64 seqs[64];
	u32 i, n;

	n = synapse_task_kept(t, seqs, ARRAY_SIZE(seqs));
	for (i = 0; i < n && i < ARRAY_SIZE(seqs); i++)
		if (seqs[i] == seq)
			return true;
	return false;
}

int synapse_task_replay(struct synapse_tnet *tn, struct synapse_task *orig,
			u64 seq, u64 *new_id, struct netlink_ext_ack *extack)
{
	struct synapse_task *t;
	int err;

	lockdep_assert_held(&tn->lock);
	if (!orig->done) {
		NL_SET_ERR_MSG_MOD(extack, "task still in flight");
		return -EBUSY;
	}
	if (!orig->vm) {
		NL_SET_ERR_MSG_MOD(extack, "task not replayable: its engine state moved to a replay");
		return -ENOENT;
	}
	if (!task_seq_kept(orig, seq)) {
		NL_SET_ERR_MSG_MOD(extack, "no kept checkpoint with this sequence number");
		return -ENOENT;
	}
	err = task_check_room(tn, 0, extack);
	if (err)
		return err;
	t = kzalloc(sizeof(*t), GFP_KERNEL_ACCOUNT);
	if (!t)
		return -ENOMEM;
	err = task_keep_results(orig);
	if (err)
		goto out_free_task;
	err = svm_task_restore(orig->vm, seq);
	if (err) {
		NL_SET_ERR_MSG_MOD(extack, "the engine could not restore this checkpoint");
		err = -EIO;
		goto out_drop_results;
	}

	INIT_WORK(&t->work, task_work);
	t->vm = orig->vm;
	orig->vm = NULL;
	t->mod = orig->mod;
	t->reserved = orig->reserved;
	orig->reserved = 0;
	tn->task_bytes -= t->reserved;	/* task_link() adds it back */
	t->job_id = orig->job_id;
	t->job_task_id = orig->job_task_id;
	memcpy(t->cap_id, orig->cap_id, sizeof(t->cap_id));
	memcpy(t->entry, orig->entry, sizeof(t->entry));
	memcpy(t->input_hash, orig->input_hash, SYNAPSE_HASH_LEN);
	t->vm->p.entry = t->entry;
	t->vm->host.ctx = t;
	t->is_replay = true;
	t->replay_of = orig->id;
	t->replay_seq = seq;
	task_link(tn, t);
	*new_id = t->id;
	queue_work(synapse_wq, &t->work);
	return 0;

out_drop_results:
	kvfree(orig->output);
	kvfree(orig->digests);
	kvfree(orig->cp_fuel);
	orig->output = NULL;
	orig->digests = NULL;
	orig->cp_fuel = NULL;
out_free_task:
	kfree(t);
	return err;
}

static int __net_init tnet_init(struct net *net)
{
	struct synapse_tnet *tn = synapse_tnet(net);

	mutex_init(&tn->lock);
	INIT_LIST_HEAD(&tn->modules);
	INIT_LIST_HEAD(&tn->tasks);
	tn->net = net;
	return 0;
}

static void __net_exit tnet_exit(struct net *net)
{
	struct synapse_tnet *tn = synapse_tnet(net);
	struct synapse_task *t, *tmp;

	mutex_lock(&tn->lock);
	tn->dying = true;
	list_for_each_entry(t, &tn->tasks, node)
		atomic_set(&t->kill, SYNAPSE_KILL_TEARDOWN);
	mutex_unlock(&tn->lock);

	/* No handler runs for a dying netns (or after unregistering). */
	list_for_each_entry(t, &tn->tasks, node)
		cancel_work_sync(&t->work);
	flush_workqueue(synapse_wq);

	mutex_lock(&tn->lock);
	list_for_each_entry_safe(t, tmp, &tn->tasks, node)
		task_free(tn, t);
	synapse_modules_free_all(tn);
	mutex_unlock(&tn->lock);
	mutex_destroy(&tn->lock);
}

static struct pernet_operations synapse_tnet_ops = {
	.init = tnet_init,
	.exit = tnet_exit,
	.id = &synapse_tnet_id,
	.size = sizeof(struct synapse_tnet),
};

int __init synapse_tasks_init(void)
{
	int err;

	synapse_wq = alloc_workqueue("synapse_tasks", WQ_UNBOUND,
				     clamp(tasks_running_max, 1U, 512U));
	if (!synapse_wq)
		return -ENOMEM;
	err = register_pernet_subsys(&synapse_tnet_ops);
	if (err)
		goto out_destroy_wq;
	return 0;

out_destroy_wq:
	destroy_workqueue(synapse_wq);
	return err;
}

void synapse_tasks_exit(void)
{
	unregister_pernet_subsys(&synapse_tnet_ops);
	destroy_workqueue(synapse_wq);
	synapse_msgs_free();
}
