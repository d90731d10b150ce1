/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SYNAPSE_KMOD_STREAM_H
#define SYNAPSE_KMOD_STREAM_H

#include <linux/netlink.h>
#include <linux/types.h>
#include <net/net_namespace.h>

int synapse_stream_init(void);
void synapse_stream_exit(void);

struct sock;

int synapse_stream_update(struct net *net, const struct sock *sk, u32 portid,
			  const void *data, size_t len,
			  struct netlink_ext_ack *extack);
int synapse_stream_final(struct net *net, const struct sock *sk, u32 portid,
			 const void *data, size_t len, u8 *digest, u64 *total,
			 struct netlink_ext_ack *extack);
void synapse_stream_abort(struct net *net, const struct sock *sk, u32 portid);
unsigned int synapse_stream_count(struct net *net);

#endif /* SYNAPSE_KMOD_STREAM_H */
