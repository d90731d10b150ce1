// SPDX-License-Identifier: GPL-2.0
/*
 * stream.c - partial SHA-256 contexts for streamed HASH requests.
 *
 * A payload larger than one netlink message is hashed across requests that
 * carry SYNAPSE_HASH_F_MORE. Between requests the partial context lives
 * here, one per (netns, netlink port id). A stream pins kernel memory that
 * no request owns, so every way a client can go away must free it: the
 * final request, SYNAPSE_HASH_F_ABORT, the socket's release
 * (NETLINK_URELEASE), the netns's exit, and module unload. The count is
 * bounded per netns and in total so an admin in some container cannot pin
 * unbounded memory either.
 *
 * A stream is keyed by its socket, not only by port id: a socket being
 * released has already given up its port id when NETLINK_URELEASE fires,
 * so a new socket may bind the same id in between. Requests match both, and
 * the release notifier frees only streams of dead sockets with that id.
 *
 * Locking: one mutex per netns protects its list and the contexts in it.
 * Hashing one chunk (at most SYNAPSE_HASH_CHUNK_MAX bytes) happens under
 * it; the crypto API may sleep, so a spinlock would be wrong here.
 */
#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/slab.h>
#include <net/netns/generic.h>
#include <net/sock.h>
#include <crypto/hash.h>

#include "uapi/synapse.h"
#include "kmod/vm/platform.h"
#include "sha256.h"
#include "stream.h"

/* All netns together; per netns it is SYNAPSE_HASH_STREAMS_MAX. */
#define SYNAPSE_STREAMS_TOTAL_MAX	1024

struct synapse_stream {
	struct list_head node;
	/*
	 * Identity only, no reference: the socket's memory outlives its
	 * NETLINK_URELEASE, which frees this stream first.
	 */
	const struct sock *sk;
	u32 portid;
	u64 len;
	struct shash_desc desc;	/* followed by the transform's state */
};

struct synapse_net {
	struct mutex lock;	/* protects streams, count and each context */
	struct list_head streams;
	unsigned int count;
};

static unsigned int synapse_net_id __read_mostly;
static atomic_t synapse_streams_total = ATOMIC_INIT(0);

static struct synapse_net *synapse_net(struct net *net)
{
	return net_generic(net, synapse_net_id);
}

static void stream_free(struct synapse_net *sn, struct synapse_stream *s)
{
	lockdep_assert_held(&sn->lock);
	list_del(&s->node);
	sn->count--;
	atomic_dec(&synapse_streams_total);
	kfree_sensitive(s);
}

static struct synapse_stream *stream_find(struct synapse_net *sn,
					  const struct sock *sk, u32 portid)
{
	struct synapse_stream *s;

	lockdep_assert_held(&sn->lock);
	list_for_each_entry(s, &sn->streams, node)
		if (s->sk == sk && s->portid == portid)
			return s;
	return NULL;
}

static struct synapse_stream *stream_new(struct synapse_net *sn,
					 const struct sock *sk, u32 portid,
					 struct netlink_ext_ack *extack)
{
	struct synapse_stream *s;
	int err;

	lockdep_assert_held(&sn->lock);
	if (sn->count >= SYNAPSE_HASH_STREAMS_MAX) {
		NL_SET_ERR_MSG_MOD(extack, "too many open hash streams in this netns");
		return ERR_PTR(-EBUSY);
	}
	if (atomic_inc_return(&synapse_streams_total) > SYNAPSE_STREAMS_TOTAL_MAX) {
		atomic_dec(&synapse_streams_total);
		NL_SET_ERR_MSG_MOD(extack, "too many open hash streams");
		return ERR_PTR(-EBUSY);
	}

	/* The caller's socket keeps it alive: charge it to the caller. */
	s = kzalloc(offsetof(struct synapse_stream, desc) +
		    synapse_sha256_descsize(), GFP_KERNEL_ACCOUNT);
	if (!s) {
		err = -ENOMEM;
		goto out_uncount;
	}
	s->sk = sk;
	s->portid = portid;
	s->desc.tfm = svm_sha256_tfm;
	err = crypto_shash_init(&s->desc);
	if (err)
		goto out_free_stream;

	list_add(&s->node, &sn->streams);
	sn->count++;
	return s;

out_free_stream:
	kfree(s);
out_uncount:
	atomic_dec(&synapse_streams_total);
	NL_SET_ERR_MSG_MOD(extack, "cannot start a hash stream");
	return ERR_PTR(err);
}

static int stream_feed(struct synapse_stream *s, const void *data, size_t len,
		       struct netlink_ext_ack *extack)
{
	int err;

	if (len > SYNAPSE_HASH_MAX - s->len) {
		NL_SET_ERR_MSG_MOD(extack, "hash stream longer than SYNAPSE_HASH_MAX");
		return -EFBIG;
	}
	err = crypto_shash_update(&s->desc, data, len);
	if (err) {
		NL_SET_ERR_MSG_MOD(extack, "sha256 update failed");
		return err;
	}
	s->len += len;
	return 0;
}

/**
 * synapse_stream_update() - add a chunk to the stream of a socket
 * @net: the requesting socket's netns
 * @sk: the requesting socket (NETLINK_CB(skb).sk)
 * @portid: its port id
 * @data: the chunk
 * @len: its length, at most SYNAPSE_HASH_CHUNK_MAX
 * @extack: where errors are explained
 *
 * Opens the stream on first use. Any error drops the stream, so a client
 * never continues a stream that silently missed a chunk.
 *
 * Return: 0, or -EBUSY, -EFBIG, -ENOMEM or a crypto error.
 */
int synapse_stream_update(struct net *net, const struct sock *sk, u32 portid,
			  const void *data, size_t len,
			  struct netlink_ext_ack *extack)
{
	struct synapse_net *sn = synapse_net(net);
	struct synapse_stream *s;
	int err;

	mutex_lock(&sn->lock);
	s = stream_find(sn, sk, portid);
	if (!s) {
		s = stream_new(sn, sk, portid, extack);
		if (IS_ERR(s)) {
			err = PTR_ERR(s);
			goto out_unlock;
		}
	}
	err = stream_feed(s, data, len, extack);
	if (err)
		stream_free(sn, s);
out_unlock:
	mutex_unlock(&sn->lock);
	return err;
}

/**
 * synapse_stream_final() - finish a hash, streamed or not
 * @net: the requesting socket's netns
 * @sk: the requesting socket
 * @portid: its port id
 * @data: the last chunk
 * @len: its length
 * @digest: SYNAPSE_HASH_LEN bytes of result
 * @total: total bytes hashed
 * @extack: where errors are explained
 *
 * With no open stream this is a one-shot hash of @data. An open stream is
 * always freed, whatever the outcome.
 *
 * Return: 0, or -EFBIG or a crypto error.
 */
int synapse_stream_final(struct net *net, const struct sock *sk, u32 portid,
			 const void *data, size_t len, u8 *digest, u64 *total,
			 struct netlink_ext_ack *extack)
{
	struct synapse_net *sn = synapse_net(net);
	struct synapse_stream *s;
	int err;

	mutex_lock(&sn->lock);
	s = stream_find(sn, sk, portid);
	if (!s) {
		mutex_unlock(&sn->lock);
		*total = len;
		err = crypto_shash_tfm_digest(svm_sha256_tfm, data, len, digest);
		if (err)
			NL_SET_ERR_MSG_MOD(extack, "sha256 digest failed");
		return err;
	}

	err = stream_feed(s, data, len, extack);
	if (!err) {
		err = crypto_shash_final(&s->desc, digest);
		if (err)
			NL_SET_ERR_MSG_MOD(extack, "sha256 final failed");
		*total = s->len;
	}
	stream_free(sn, s);
	mutex_unlock(&sn->lock);
	return err;
}

/* Drop the stream of a socket, if any. */
void synapse_stream_abort(struct net *net, const struct sock *sk, u32 portid)
{
	struct synapse_net *sn = synapse_net(net);
	struct synapse_stream *s;

	mutex_lock(&sn->lock);
	s = stream_find(sn, sk, portid);
	if (s)
		stream_free(sn, s);
	mutex_unlock(&sn->lock);
}

/*
 * A socket with @portid was released. netlink_release() orphans the socket
 * (SOCK_DEAD) before it notifies, and every socket in the list is still
 * allocated (each is freed only after its own notification), so looking at
 * the flag is safe and tells the released socket from a new one that took
 * the same port id meanwhile.
 */
static void stream_release(struct net *net, u32 portid)
{
	struct synapse_net *sn = synapse_net(net);
	struct synapse_stream *s, *tmp;

	mutex_lock(&sn->lock);
	list_for_each_entry_safe(s, tmp, &sn->streams, node)
		if (s->portid == portid && sock_flag(s->sk, SOCK_DEAD))
			stream_free(sn, s);
	mutex_unlock(&sn->lock);
}

/* Open streams in @net (for tests and GET_INFO). */
unsigned int synapse_stream_count(struct net *net)
{
	struct synapse_net *sn = synapse_net(net);
	unsigned int n;

	mutex_lock(&sn->lock);
	n = sn->count;
	mutex_unlock(&sn->lock);
	return n;
}

static int synapse_netlink_notify(struct notifier_block *nb,
				  unsigned long event, void *ptr)
{
	struct netlink_notify *n = ptr;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC)
		return NOTIFY_DONE;
	stream_release(n->net, n->portid);
	return NOTIFY_DONE;
}

static struct notifier_block synapse_netlink_notifier = {
	.notifier_call = synapse_netlink_notify,
};

static int __net_init synapse_net_init(struct net *net)
{
	struct synapse_net *sn = synapse_net(net);

	mutex_init(&sn->lock);
	INIT_LIST_HEAD(&sn->streams);
	sn->count = 0;
	return 0;
}

static void __net_exit synapse_net_exit(struct net *net)
{
	struct synapse_net *sn = synapse_net(net);
	struct synapse_stream *s, *tmp;

	mutex_lock(&sn->lock);
	list_for_each_entry_safe(s, tmp, &sn->streams, node)
		stream_free(sn, s);
	mutex_unlock(&sn->lock);
	mutex_destroy(&sn->lock);
}

static struct pernet_operations synapse_net_ops = {
	.init = synapse_net_init,
	.exit = synapse_net_exit,
	.id = &synapse_net_id,
	.size = sizeof(struct synapse_net),
};

int synapse_stream_init(void)
{
	int err;

	err = register_pernet_subsys(&synapse_net_ops);
	if (err)
		return err;
	err = netlink_register_notifier(&synapse_netlink_notifier);
	if (err)
		goto out_unregister_pernet;
	return 0;

out_unregister_pernet:
	unregister_pernet_subsys(&synapse_net_ops);
	return err;
}

/* After the family is gone: no request can open a stream any more. */
void synapse_stream_exit(void)
{
	netlink_unregister_notifier(&synapse_netlink_notifier);
	unregister_pernet_subsys(&synapse_net_ops);
	WARN_ON(atomic_read(&synapse_streams_total));
}
