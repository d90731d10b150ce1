// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink transport for synctl (libmnl).
 *
 * Every request asks for an ACK (or is a dump ending in NLMSG_DONE), so a
 * reply is complete exactly when the ACK, the error or the DONE arrives.
 * Extended ACKs are on, and requests are capped in error replies so a
 * rejected 60 KiB HASH chunk does not come back to us in full.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "tools/lib/synnl/ipc.h"

struct ipc {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	struct ipc_family family;
	struct ipc_extack extack;
	char *buf;
};

static void parse_extack(struct ipc_extack *ea, const void *tlvs, size_t len)
{
	const struct nlattr *attr;

	if (len > INT_MAX)
		return;
	mnl_attr_for_each_payload(tlvs, len) {
		switch (mnl_attr_get_type(attr)) {
		case NLMSGERR_ATTR_MSG:
			if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
				break;
			snprintf(ea->msg, sizeof(ea->msg), "%s",
				 mnl_attr_get_str(attr));
			break;
		case NLMSGERR_ATTR_OFFS:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
				break;
			ea->offs = mnl_attr_get_u32(attr);
			ea->has_offs = true;
			break;
		case NLMSGERR_ATTR_MISS_TYPE:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
				break;
			ea->miss_type = mnl_attr_get_u32(attr);
			ea->has_miss_type = true;
			break;
		}
	}
}

/* A kernel errno must be a small negative number; anything else is junk. */
static int take_kernel_err(struct ipc_rx *rx, int32_t error)
{
	if (error >= 0 || error < -4095)
		return -EPROTO;
	rx->kernel_err = -error;
	return error;
}

static int rx_error(struct ipc_rx *rx, const struct nlmsghdr *nlh)
{
	size_t plen = nlh->nlmsg_len - NLMSG_HDRLEN;
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*err);
	int ret;

	if (plen < sizeof(*err))
		return -EBADMSG;
	if (err->error == 0)
		return 0;
	ret = take_kernel_err(rx, err->error);
	if (ret == -EPROTO || !(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return ret;
	/* Uncapped errors echo our request before the TLVs. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (err->msg.nlmsg_len < NLMSG_HDRLEN)
			return ret;
		off += NLMSG_ALIGN((size_t)err->msg.nlmsg_len) - NLMSG_HDRLEN;
	}
	if (off <= plen)
		parse_extack(&rx->extack, (const char *)err + off, plen - off);
	return ret;
}

/* DONE may carry the dump's error, followed by extack TLVs. */
static int rx_done(struct ipc_rx *rx, const struct nlmsghdr *nlh)
{
	size_t plen = nlh->nlmsg_len - NLMSG_HDRLEN;
	const char *payload = mnl_nlmsg_get_payload(nlh);
	int32_t error;
	int ret;

	if (plen < sizeof(error))
		return 0;
	memcpy(&error, payload, sizeof(error));
	if (error == 0)
		return 0;
	ret = take_kernel_err(rx, error);
	if (ret != -EPROTO && (nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		parse_extack(&rx->extack, payload + NLMSG_ALIGN(sizeof(error)),
			     plen - NLMSG_ALIGN(sizeof(error)));
	return ret;
}

/* Returns 1 to go on, 0 when the reply is complete, or -errno. */
static int rx_one(struct ipc_rx *rx, const struct nlmsghdr *nlh)
{
	int ret;

	/* Stale replies to an earlier, abandoned request are not ours. */
	if (nlh->nlmsg_seq != rx->seq ||
	    (nlh->nlmsg_pid && rx->portid && nlh->nlmsg_pid != rx->portid))
		return 1;
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		rx->dump_intr = true;

	switch (nlh->nlmsg_type) {
	case NLMSG_ERROR:
		return rx_error(rx, nlh);
	case NLMSG_DONE:
		return rx_done(rx, nlh);
	}
	if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
		return 1;
	if (nlh->nlmsg_type != rx->family_id)
		return -EPROTO;
	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return -EBADMSG;
	if (rx->parse) {
		ret = rx->parse(nlh, rx->ctx);
		if (ret < 0)
			return ret;
	}
	return 1;
}

void ipc_rx_init(struct ipc_rx *rx, uint32_t seq, uint32_t portid,
		 uint16_t family_id, bool dump,
		 int (*parse)(const struct nlmsghdr *nlh, void *ctx),
		 void *ctx)
{
	memset(rx, 0, sizeof(*rx));
	rx->seq = seq;
	rx->portid = portid;
	rx->family_id = family_id;
	rx->dump = dump;
	rx->parse = parse;
	rx->ctx = ctx;
}

/*
 * libmnl's mnl_nlmsg_ok() compares nlmsg_len as a signed int, so a length
 * above 2 GiB passes it and the walk jumps out of the buffer (found by
 * fuzz/fuzz-reply.c): walk with unsigned sizes instead.
 */
static bool msg_ok(const struct nlmsghdr *nlh, size_t rem)
{
	return rem >= sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= rem;
}

int ipc_rx_process(struct ipc_rx *rx, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	size_t rem = len, step;
	int ret;

	while (msg_ok(nlh, rem)) {
		ret = rx_one(rx, nlh);
		if (ret <= 0)
			return ret;
		/* The last message may lack its alignment padding. */
		step = NLMSG_ALIGN((size_t)nlh->nlmsg_len);
		if (step >= rem)
			return 1;
		rem -= step;
		nlh = (const struct nlmsghdr *)((const char *)nlh + step);
	}
	/* A datagram holds whole messages; leftovers mean truncation. */
	return rem == 0 ? 1 : -EBADMSG;
}

static int parse_group(const struct nlattr *nest, struct ipc_mcast_group *g)
{
	const struct nlattr *attr;
	bool has_name = false, has_id = false;

	mnl_attr_for_each_nested(attr, nest) {
		switch (mnl_attr_get_type(attr)) {
		case CTRL_ATTR_MCAST_GRP_NAME:
			if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
				return -EBADMSG;
			snprintf(g->name, sizeof(g->name), "%s",
				 mnl_attr_get_str(attr));
			has_name = true;
			break;
		case CTRL_ATTR_MCAST_GRP_ID:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			g->id = mnl_attr_get_u32(attr);
			has_id = true;
			break;
		}
	}
	return has_name && has_id ? 0 : -EBADMSG;
}

static int parse_groups(const struct nlattr *nest, struct ipc_family *fam)
{
	const struct nlattr *attr;
	int ret;

	if (mnl_attr_validate(nest, MNL_TYPE_NESTED) < 0)
		return -EBADMSG;
	mnl_attr_for_each_nested(attr, nest) {
		if (fam->n_groups == IPC_MCAST_GROUPS_MAX)
			break;
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0)
			return -EBADMSG;
		ret = parse_group(attr, &fam->groups[fam->n_groups]);
		if (ret < 0)
			return ret;
		fam->n_groups++;
	}
	return 0;
}

int ipc_parse_family(const struct nlmsghdr *nlh, void *ctx)
{
	struct ipc_family *fam = ctx;
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	bool has_id = false;
	int ret;

	if (genl->cmd != CTRL_CMD_NEWFAMILY)
		return -EPROTO;
	ipc_attr_for_each(attr, nlh, GENL_HDRLEN) {
		switch (mnl_attr_get_type(attr)) {
		case CTRL_ATTR_FAMILY_ID:
			if (mnl_attr_validate(attr, MNL_TYPE_U16) < 0)
				return -EBADMSG;
			fam->id = mnl_attr_get_u16(attr);
			has_id = true;
			break;
		case CTRL_ATTR_VERSION:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			fam->version = mnl_attr_get_u32(attr);
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			ret = parse_groups(attr, fam);
			if (ret < 0)
				return ret;
			break;
		}
	}
	if (!has_id || fam->id < NLMSG_MIN_TYPE)
		return -EBADMSG;
	return 0;
}

static int send_request(struct ipc *ipc, uint16_t type, uint8_t version,
			const struct ipc_request *req)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;
	int ret;

	nlh = mnl_nlmsg_put_header(ipc->buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | (req->dump ? NLM_F_DUMP : NLM_F_ACK);
	nlh->nlmsg_seq = ++ipc->seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = req->cmd;
	genl->version = version;
	if (req->build) {
		ret = req->build(nlh, IPC_BUF_SIZE, req->ctx);
		if (ret < 0)
			return ret;
	}
	if (mnl_socket_sendto(ipc->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return 0;
}

static int recv_reply(struct ipc *ipc, struct ipc_rx *rx)
{
	ssize_t n;
	int ret;

	do {
		n = mnl_socket_recvfrom(ipc->nl, ipc->buf, IPC_BUF_SIZE);
		if (n < 0)
			return errno == ENOSPC ? -EMSGSIZE : -errno;
		ret = ipc_rx_process(rx, ipc->buf, n);
	} while (ret > 0);
	return ret;
}

static int do_request(struct ipc *ipc, uint16_t type, uint8_t version,
		      const struct ipc_request *req)
{
	struct ipc_rx rx;
	int tries, ret;

	for (tries = 0; tries < IPC_DUMP_RETRIES; tries++) {
		memset(&ipc->extack, 0, sizeof(ipc->extack));
		ret = send_request(ipc, type, version, req);
		if (ret < 0)
			return ret;
		ipc_rx_init(&rx, ipc->seq, ipc->portid, type, req->dump,
			    req->parse, req->ctx);
		ret = recv_reply(ipc, &rx);
		ipc->extack = rx.extack;
		if (ret < 0 || !rx.dump_intr)
			return ret;
		/* The set changed under the dump: start it over. */
		if (req->reset)
			req->reset(req->ctx);
	}
	return -EAGAIN;
}

struct family_query {
	const char *name;
	struct ipc_family fam;
};

static int build_family_query(struct nlmsghdr *nlh, size_t buflen, void *ctx)
{
	struct family_query *q = ctx;

	if (!mnl_attr_put_strz_check(nlh, buflen, CTRL_ATTR_FAMILY_NAME,
				     q->name))
		return -ENAMETOOLONG;
	return 0;
}

static int parse_family_query(const struct nlmsghdr *nlh, void *ctx)
{
	struct family_query *q = ctx;

	return ipc_parse_family(nlh, &q->fam);
}

static int resolve_family(struct ipc *ipc, const char *name)
{
	struct family_query q = { .name = name };
	const struct ipc_request req = {
		.cmd = CTRL_CMD_GETFAMILY,
		.build = build_family_query,
		.parse = parse_family_query,
		.ctx = &q,
	};
	int ret;

	ret = do_request(ipc, GENL_ID_CTRL, 2, &req);
	if (ret < 0)
		return ret;
	if (!q.fam.id)
		return -EBADMSG;
	ipc->family = q.fam;
	return 0;
}

static void set_opt(struct mnl_socket *nl, int opt)
{
	int one = 1;

	/* Older kernels lack some options; synctl works without them. */
	mnl_socket_setsockopt(nl, opt, &one, sizeof(one));
}

int ipc_open(struct ipc **ipcp, const char *family)
{
	struct ipc *ipc;
	int ret;

	ipc = calloc(1, sizeof(*ipc));
	if (!ipc)
		return -ENOMEM;
	ipc->buf = malloc(IPC_BUF_SIZE);
	if (!ipc->buf) {
		ret = -ENOMEM;
		goto out_free_ipc;
	}
	ipc->nl = mnl_socket_open(NETLINK_GENERIC);
	if (!ipc->nl) {
		ret = -errno;
		goto out_free_buf;
	}
	if (mnl_socket_bind(ipc->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out_close_socket;
	}
	set_opt(ipc->nl, NETLINK_EXT_ACK);
	set_opt(ipc->nl, NETLINK_CAP_ACK);
	set_opt(ipc->nl, NETLINK_GET_STRICT_CHK);
	ipc->portid = mnl_socket_get_portid(ipc->nl);
	ipc->seq = (uint32_t)time(NULL);

	ret = resolve_family(ipc, family);
	if (ret < 0)
		goto out_close_socket;
	*ipcp = ipc;
	return 0;

out_close_socket:
	mnl_socket_close(ipc->nl);
out_free_buf:
	free(ipc->buf);
out_free_ipc:
	free(ipc);
	return ret;
}

int ipc_request(struct ipc *ipc, const struct ipc_request *req)
{
	return do_request(ipc, ipc->family.id, (uint8_t)ipc->family.version,
			  req);
}

const struct ipc_family *ipc_family(const struct ipc *ipc)
{
	return &ipc->family;
}

const struct ipc_extack *ipc_last_extack(const struct ipc *ipc)
{
	return &ipc->extack;
}

void ipc_close(struct ipc *ipc)
{
	if (!ipc)
		return;
	mnl_socket_close(ipc->nl);
	free(ipc->buf);
	free(ipc);
}

int ipc_subscribe(struct ipc *ipc, const char *group)
{
	unsigned int i;

	for (i = 0; i < ipc->family.n_groups; i++) {
		uint32_t id = ipc->family.groups[i].id;

		if (strcmp(ipc->family.groups[i].name, group))
			continue;
		if (mnl_socket_setsockopt(ipc->nl, NETLINK_ADD_MEMBERSHIP,
					  &id, sizeof(id)) < 0)
			return -errno;
		return 0;
	}
	return -ENOENT;
}

int ipc_next_events(struct ipc *ipc, int timeout_ms,
		    int (*parse)(const struct nlmsghdr *nlh, void *ctx),
		    void *ctx)
{
	struct pollfd pfd = {
		.fd = mnl_socket_get_fd(ipc->nl),
		.events = POLLIN,
	};
	const struct nlmsghdr *nlh;
	ssize_t n;
	int len, ret;

	ret = poll(&pfd, 1, timeout_ms);
	if (ret < 0)
		return -errno;
	if (ret == 0)
		return 0;
	n = recv(pfd.fd, ipc->buf, IPC_BUF_SIZE, MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	len = (int)n;
	for (nlh = (const struct nlmsghdr *)ipc->buf; mnl_nlmsg_ok(nlh, len);
	     nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_type != ipc->family.id)
			continue;
		ret = parse(nlh, ctx);
		if (ret < 0)
			return ret;
	}
	return 1;
}

int ipc_fd(const struct ipc *ipc)
{
	return mnl_socket_get_fd(ipc->nl);
}

int ipc_set_sndbuf(struct ipc *ipc, int bytes)
{
	int fd = mnl_socket_get_fd(ipc->nl);

	/* SO_SNDBUFFORCE needs CAP_NET_ADMIN, as adding modules does anyway. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof(bytes)) &&
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes)))
		return -errno;
	return 0;
}
