/* SPDX-License-Identifier: GPL-2.0 */
/*
 * synctl's door to the kernel: generic netlink through libmnl.
 *
 * Three calls do the work: ipc_open() resolves a genl family by name,
 * ipc_request() sends one request (or a dump) and feeds every reply message
 * to a parser, ipc_close() drops the socket. The receive side is a pure
 * function over a byte buffer (ipc_rx_process()) so that the unit tests and
 * the fuzzer can feed it crafted messages without a kernel.
 */
#ifndef SYNCTL_IPC_H
#define SYNCTL_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>

#define IPC_EXTACK_MAX		256
#define IPC_MCAST_GROUPS_MAX	8
#define IPC_GROUP_NAME_MAX	32
/* Dumps interrupted by a concurrent change are retried this many times. */
#define IPC_DUMP_RETRIES	8

struct ipc;

/*
 * One request. build() adds attributes after the genl header (may be
 * NULL); parse() sees every data message of the reply and returns 0 or a
 * negative errno; reset() (dumps only, may be NULL) throws away what
 * parse() gathered before a dump is restarted after NLM_F_DUMP_INTR.
 */
struct ipc_request {
	uint8_t cmd;
	bool dump;
	int (*build)(struct nlmsghdr *nlh, size_t buflen, void *ctx);
	int (*parse)(const struct nlmsghdr *nlh, void *ctx);
	void (*reset)(void *ctx);
	void *ctx;
};

/* What the kernel said about a failed request (extended ACK). */
struct ipc_extack {
	char msg[IPC_EXTACK_MAX];
	bool has_offs;
	uint32_t offs;		/* byte offset of the bad attribute */
	bool has_miss_type;
	uint32_t miss_type;	/* type of a missing required attribute */
};

struct ipc_mcast_group {
	char name[IPC_GROUP_NAME_MAX];
	uint32_t id;
};

/* The family, as CTRL_CMD_GETFAMILY described it. */
struct ipc_family {
	uint16_t id;
	uint32_t version;
	unsigned int n_groups;
	struct ipc_mcast_group groups[IPC_MCAST_GROUPS_MAX];
};

int ipc_open(struct ipc **ipcp, const char *family);
int ipc_request(struct ipc *ipc, const struct ipc_request *req);
void ipc_close(struct ipc *ipc);

const struct ipc_family *ipc_family(const struct ipc *ipc);

/*
 * Multicast: join a group of the family by name (-ENOENT when the family
 * has none by that name), then wait up to timeout_ms (-1: forever) for a
 * datagram and feed each of the family's messages in it to parse().
 * Returns 1 after a datagram, 0 on timeout, or a negative errno. Use a
 * socket of its own for events: replies to requests do not mix with them.
 */
int ipc_subscribe(struct ipc *ipc, const char *group);
int ipc_next_events(struct ipc *ipc, int timeout_ms,
		    int (*parse)(const struct nlmsghdr *nlh, void *ctx),
		    void *ctx);
/* The socket, for an event loop to watch (then ipc_next_events(.., 0, ..)). */
int ipc_fd(const struct ipc *ipc);
/* Requests larger than the default socket buffer (module bytes). */
int ipc_set_sndbuf(struct ipc *ipc, int bytes);
/* The extended ACK of the last failed request ("" when none). */
const struct ipc_extack *ipc_last_extack(const struct ipc *ipc);

/* Receive-side state of one request. */
struct ipc_rx {
	uint32_t seq;
	uint32_t portid;
	uint16_t family_id;
	bool dump;
	int (*parse)(const struct nlmsghdr *nlh, void *ctx);
	void *ctx;
	bool dump_intr;		/* a message carried NLM_F_DUMP_INTR */
	int kernel_err;		/* positive errno from the kernel, or 0 */
	struct ipc_extack extack;
};

void ipc_rx_init(struct ipc_rx *rx, uint32_t seq, uint32_t portid,
		 uint16_t family_id, bool dump,
		 int (*parse)(const struct nlmsghdr *nlh, void *ctx),
		 void *ctx);
/*
 * Consume one datagram. Returns 1 when more datagrams belong to the reply,
 * 0 when the reply is complete, a negative errno on failure: the kernel's
 * (rx->kernel_err set, rx->extack filled) or -EBADMSG/-EPROTO for a reply
 * that does not parse.
 */
int ipc_rx_process(struct ipc_rx *rx, const void *buf, size_t len);

/* Parser for the CTRL_CMD_GETFAMILY reply into struct ipc_family. */
int ipc_parse_family(const struct nlmsghdr *nlh, void *ctx);

/*
 * Walk a message's attributes. Unlike mnl_attr_for_each(), which trusts
 * the *aligned* message length and so may read up to 3 bytes past the end
 * of a datagram (found by fuzz/fuzz-reply.c), this stops at nlmsg_len.
 */
#define ipc_attr_for_each(attr, nlh, offset)				\
	for ((attr) = mnl_nlmsg_get_payload_offset((nlh), (offset));	\
	     mnl_attr_ok((attr), (int)((const char *)(nlh) +		\
				       (nlh)->nlmsg_len -		\
				       (const char *)(attr)));		\
	     (attr) = mnl_attr_next(attr))

/* The end of a message, for checking what a walk left over. */
static inline const void *ipc_msg_end(const struct nlmsghdr *nlh)
{
	return (const char *)nlh + nlh->nlmsg_len;
}

/* Largest message synctl sends or expects (a full HASH chunk fits). */
#define IPC_BUF_SIZE		(128 * 1024)

#endif /* SYNCTL_IPC_H */
