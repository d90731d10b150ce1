// SPDX-License-Identifier: GPL-2.0
/*
 * synl.c - see synl.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "synl.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

struct nlmsghdr *synl_req(struct synl *s, uint8_t cmd)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;

	nlh = mnl_nlmsg_put_header(s->tx);
	nlh->nlmsg_type = s->family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++s->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = SYNAPSE_GENL_VERSION;
	return nlh;
}

static int ack_attr_cb(const struct nlattr *a, void *data)
{
	struct synl *s = data;

	switch (mnl_attr_get_type(a)) {
	case NLMSGERR_ATTR_MSG:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
			break;
		snprintf(s->msg, sizeof(s->msg), "%s", mnl_attr_get_str(a));
		s->has_msg = true;
		break;
	case NLMSGERR_ATTR_OFFS:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			break;
		s->offs = mnl_attr_get_u32(a);
		s->has_offs = true;
		break;
	case NLMSGERR_ATTR_MISS_TYPE:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			break;
		s->miss_type = mnl_attr_get_u32(a);
		s->has_miss_type = true;
		break;
	}
	return MNL_CB_OK;
}

static void parse_ack(struct synl *s, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);

	s->err = e->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	if (mnl_nlmsg_get_payload_len(nlh) < off)
		return;
	mnl_attr_parse(nlh, off, ack_attr_cb, s);
}

int synl_call(struct synl *s, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	uint32_t seq = nlh->nlmsg_seq;
	int n, i;

	s->err = 0;
	s->msg[0] = '\0';
	s->has_msg = s->has_offs = s->has_miss_type = false;

	if (mnl_socket_sendto(s->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;

	/* A reply and its ack fit in a few datagrams; bound the loop anyway. */
	for (i = 0; i < 64; i++) {
		struct nlmsghdr *m;

		n = mnl_socket_recvfrom(s->nl, s->rx, SYNL_BUF_SIZE);
		if (n < 0)
			return -errno;
		for (m = (struct nlmsghdr *)s->rx; mnl_nlmsg_ok(m, n);
		     m = mnl_nlmsg_next(m, &n)) {
			if (m->nlmsg_seq != seq)
				continue;
			if (m->nlmsg_type == NLMSG_ERROR) {
				parse_ack(s, m);
				return s->err;
			}
			if (cb && cb(m, data) < 0)
				return -EPROTO;
		}
	}
	return -ETIMEDOUT;
}

static int family_attr_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
	    mnl_attr_validate(a, MNL_TYPE_U16) == 0)
		*(uint16_t *)data = mnl_attr_get_u16(a);
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr_cb,
			      data);
}

int synl_open(struct synl *s)
{
	struct nlmsghdr *nlh;
	int one = 1;
	int err;

	memset(s, 0, sizeof(*s));
	s->tx = calloc(1, SYNL_BUF_SIZE);
	s->rx = calloc(1, SYNL_BUF_SIZE);
	if (!s->tx || !s->rx) {
		err = -ENOMEM;
		goto out_free;
	}
	s->nl = mnl_socket_open(NETLINK_GENERIC);
	if (!s->nl) {
		err = -errno;
		goto out_free;
	}
	if (mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_setsockopt(s->nl, NETLINK_EXT_ACK, &one, sizeof(one)) < 0 ||
	    mnl_socket_setsockopt(s->nl, NETLINK_CAP_ACK, &one, sizeof(one)) < 0) {
		err = -errno;
		goto out_close;
	}
	s->portid = mnl_socket_get_portid(s->nl);
	s->seq = time(NULL);

	s->family = GENL_ID_CTRL;
	nlh = synl_req(s, CTRL_CMD_GETFAMILY);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, SYNAPSE_GENL_NAME);
	s->family = 0;
	err = synl_call(s, nlh, family_cb, &s->family);
	if (!err && !s->family)
		err = -ENOENT;
	if (err)
		goto out_close;
	return 0;

out_close:
	mnl_socket_close(s->nl);
out_free:
	free(s->tx);
	free(s->rx);
	s->nl = NULL;
	s->tx = s->rx = NULL;
	return err;
}

void synl_close(struct synl *s)
{
	if (s->nl)
		mnl_socket_close(s->nl);
	free(s->tx);
	free(s->rx);
	s->nl = NULL;
	s->tx = s->rx = NULL;
}

static int limits_cb(const struct nlattr *a, void *data)
{
	struct synl_info *info = data;
	uint16_t t = mnl_attr_get_type(a);

	if (t > SYNAPSE_A_LIMIT_MAX || t == SYNAPSE_A_LIMIT_PAD)
		return MNL_CB_OK;
	if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
		return MNL_CB_ERROR;
	info->limits[t] = mnl_attr_get_u64(a);
	info->has_limit[t] = true;
	return MNL_CB_OK;
}

static int info_attr_cb(const struct nlattr *a, void *data)
{
	struct synl_info *info = data;

	switch (mnl_attr_get_type(a)) {
	case SYNAPSE_A_INFO_ABI_VERSION:
		info->abi_version = mnl_attr_get_u32(a);
		break;
	case SYNAPSE_A_INFO_MODULE_VERSION:
		snprintf(info->module_version, sizeof(info->module_version),
			 "%s", mnl_attr_get_str(a));
		break;
	case SYNAPSE_A_INFO_HASH_DRIVER:
		snprintf(info->hash_driver, sizeof(info->hash_driver), "%s",
			 mnl_attr_get_str(a));
		break;
	case SYNAPSE_A_INFO_HASH_CHUNK_MAX:
		info->chunk_max = mnl_attr_get_u32(a);
		break;
	case SYNAPSE_A_INFO_HASH_MAX:
		info->hash_max = mnl_attr_get_u64(a);
		break;
	case SYNAPSE_A_INFO_HASH_STREAMS_MAX:
		info->streams_max = mnl_attr_get_u32(a);
		break;
	case SYNAPSE_A_INFO_HASH_STREAMS:
		info->streams = mnl_attr_get_u32(a);
		info->has_streams = true;
		break;
	case SYNAPSE_A_INFO_LIMITS:
		return mnl_attr_parse_nested(a, limits_cb, info);
	}
	return MNL_CB_OK;
}

static int info_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), info_attr_cb,
			      data);
}

int synl_info(struct synl *s, struct synl_info *info)
{
	memset(info, 0, sizeof(*info));
	return synl_call(s, synl_req(s, SYNAPSE_CMD_GET_INFO), info_cb, info);
}

struct hash_reply {
	uint8_t *digest;
	uint64_t *total;
	bool got_digest;
};

static int hash_attr_cb(const struct nlattr *a, void *data)
{
	struct hash_reply *r = data;

	switch (mnl_attr_get_type(a)) {
	case SYNAPSE_A_HASH_DIGEST:
		if (mnl_attr_get_payload_len(a) != SYNAPSE_HASH_LEN)
			return MNL_CB_ERROR;
		memcpy(r->digest, mnl_attr_get_payload(a), SYNAPSE_HASH_LEN);
		r->got_digest = true;
		break;
	case SYNAPSE_A_HASH_LEN:
		if (r->total)
			*r->total = mnl_attr_get_u64(a);
		break;
	}
	return MNL_CB_OK;
}

static int hash_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), hash_attr_cb,
			      data);
}

int synl_hash(struct synl *s, const void *p, size_t n, uint32_t flags,
	      uint8_t digest[SYNAPSE_HASH_LEN], uint64_t *total)
{
	struct hash_reply r = { .digest = digest, .total = total };
	struct nlmsghdr *nlh;
	int err;

	nlh = synl_req(s, SYNAPSE_CMD_HASH);
	mnl_attr_put(nlh, SYNAPSE_A_HASH_DATA, n, p);
	if (flags)
		mnl_attr_put_u32(nlh, SYNAPSE_A_HASH_FLAGS, flags);
	err = synl_call(s, nlh, hash_cb, &r);
	if (!err && !(flags & SYNAPSE_HASH_F_MORE) && !r.got_digest)
		return -EPROTO;
	return err;
}

int synl_hash_all(struct synl *s, const void *p, size_t n, size_t chunk,
		  uint8_t digest[SYNAPSE_HASH_LEN], uint64_t *total)
{
	const uint8_t *b = p;
	int err;

	while (n > chunk) {
		err = synl_hash(s, b, chunk, SYNAPSE_HASH_F_MORE, NULL, NULL);
		if (err)
			return err;
		b += chunk;
		n -= chunk;
	}
	return synl_hash(s, b, n, 0, digest, total);
}
