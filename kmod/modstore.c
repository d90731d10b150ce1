// SPDX-License-Identifier: GPL-2.0
/*
 * modstore.c - the content-addressed module store of a netns.
 *
 * A module is decoded, validated and compiled once when it is added and
 * shared by every task that runs it. Its id is the SHA-256 of its bytes,
 * so adding the same bytes twice finds the first copy. Loading happens
 * outside the netns lock (it may take a while for a large module); a
 * concurrent add of the same bytes loses the race and frees its copy.
 */
#include <linux/slab.h>
#include <crypto/hash.h>

#include "kmod/vm/svm.h"
#include "tasks.h"

struct synapse_module *synapse_module_find(struct synapse_tnet *tn,
					   const u8 id[SYNAPSE_HASH_LEN])
{
	struct synapse_module *m;

	lockdep_assert_held(&tn->lock);
	list_for_each_entry(m, &tn->modules, node)
		if (!memcmp(m->id, id, SYNAPSE_HASH_LEN))
			return m;
	return NULL;
}

static int module_check_room(struct synapse_tnet *tn, size_t len,
			     struct netlink_ext_ack *extack)
{
	lockdep_assert_held(&tn->lock);
	if (tn->dying)
		return -ENODEV;
	if (tn->nmodules >= READ_ONCE(synapse_netns_modules_max)) {
		NL_SET_ERR_MSG_MOD(extack, "too many modules in this netns (netns_modules_max)");
		return -ENOSPC;
	}
	if (tn->module_bytes + len > READ_ONCE(synapse_netns_module_bytes_max)) {
		NL_SET_ERR_MSG_MOD(extack, "module bytes of this netns would exceed netns_module_bytes_max");
		return -ENOSPC;
	}
	return 0;
}

static struct synapse_module *module_load(const u8 *bytes, size_t len,
					  struct netlink_ext_ack *extack)
{
	const struct svm_config cfg = { .meter = true };
	struct synapse_module *m;
	struct svm_error *err;

	m = kzalloc(sizeof(*m), GFP_KERNEL_ACCOUNT);
	err = kzalloc(sizeof(*err), GFP_KERNEL);
	if (!m || !err)
		goto out_nomem;
	m->svm = svm_module_load(bytes, len, &cfg, err);
	if (!m->svm) {
		synapse_extack_fmt(extack, "invalid module: offset 0x%x: %s",
				   err->offset, err->msg);
		kfree(err);
		kfree(m);
		return ERR_PTR(-EINVAL);
	}
	kfree(err);
	memcpy(m->id, m->svm->id, SYNAPSE_HASH_LEN);
	m->size = len;
	return m;

out_nomem:
	kfree(err);
	kfree(m);
	NL_SET_ERR_MSG_MOD(extack, "out of memory loading the module");
	return ERR_PTR(-ENOMEM);
}

int synapse_module_add(struct synapse_tnet *tn, const u8 *bytes, size_t len,
		       u8 id[SYNAPSE_HASH_LEN], bool *existed,
		       struct netlink_ext_ack *extack)
{
	struct synapse_module *m, *old;
	int err;

	err = crypto_shash_tfm_digest(svm_sha256_tfm, bytes, len, id);
	if (err)
		return err;

	mutex_lock(&tn->lock);
	*existed = synapse_module_find(tn, id);
	err = *existed ? 0 : module_check_room(tn, len, extack);
	mutex_unlock(&tn->lock);
	if (err || *existed)
		return err;

	m = module_load(bytes, len, extack);
	if (IS_ERR(m))
		return PTR_ERR(m);

	mutex_lock(&tn->lock);
	old = synapse_module_find(tn, id);
	err = old ? 0 : module_check_room(tn, len, extack);
	if (!old && !err) {
		m->seq = ++tn->next_module_seq;
		list_add_tail(&m->node, &tn->modules);
		tn->nmodules++;
		tn->module_bytes += len;
		tn->gen++;
		atomic_inc(&synapse_modules_live);
		m = NULL;
	}
	*existed = old;
	mutex_unlock(&tn->lock);
	if (m) {
		svm_module_free(m->svm);
		kfree(m);
	}
	return err;
}

static void module_free(struct synapse_tnet *tn, struct synapse_module *m)
{
	list_del(&m->node);
	tn->nmodules--;
	tn->module_bytes -= m->size;
	tn->gen++;
	atomic_dec(&synapse_modules_live);
	svm_module_free(m->svm);
	kfree(m);
}

int synapse_module_del(struct synapse_tnet *tn, const u8 id[SYNAPSE_HASH_LEN],
		       struct netlink_ext_ack *extack)
{
	struct synapse_module *m;

	lockdep_assert_held(&tn->lock);
	m = synapse_module_find(tn, id);
	if (!m) {
		NL_SET_ERR_MSG_MOD(extack, "no such module in this netns");
		return -ENOENT;
	}
	if (m->users) {
		NL_SET_ERR_MSG_MOD(extack, "module in use by tasks (delete them first)");
		return -EBUSY;
	}
	module_free(tn, m);
	return 0;
}

/* netns exit: every task is gone already. */
void synapse_modules_free_all(struct synapse_tnet *tn)
{
	struct synapse_module *m, *tmp;

	list_for_each_entry_safe(m, tmp, &tn->modules, node) {
		WARN_ON_ONCE(m->users);
		module_free(tn, m);
	}
}
