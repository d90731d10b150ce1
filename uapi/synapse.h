/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * Synapse generic netlink ABI.
 *
 * Family name: SYNAPSE_GENL_NAME ("synapse"), version SYNAPSE_GENL_VERSION.
 * The family is netns-aware: every object belongs to the network namespace
 * of the socket that created it, and privilege means CAP_NET_ADMIN in the
 * user namespace that owns that netns.
 *
 * Requests are validated strictly: an attribute a command does not take
 * (including a reply-only one), an attribute of the wrong length, and a
 * non-zero genlmsghdr.reserved are refused with -EINVAL. Every error carries
 * an extack message (NLMSGERR_ATTR_MSG; set NETLINK_EXT_ACK on the socket),
 * a bad attribute is pointed at (NLMSGERR_ATTR_OFFS) and a missing one named
 * (NLMSGERR_ATTR_MISS_TYPE). Unknown commands get -EOPNOTSUPP.
 *
 * SYNAPSE_CMD_GET_INFO
 * --------------------
 * Unprivileged. Request: no attributes. Reply (same command):
 *
 *    SYNAPSE_A_INFO_ABI_VERSION: NLA_U32, SYNAPSE_ABI_VERSION
 *    SYNAPSE_A_INFO_MODULE_VERSION: NLA_NUL_STRING, the module's version
 *    SYNAPSE_A_INFO_HASH_DRIVER: NLA_NUL_STRING, crypto driver actually
 *                                serving "sha256" (e.g. "sha256-ni")
 *    SYNAPSE_A_INFO_HASH_CHUNK_MAX: NLA_U32, largest DATA of one HASH request
 *    SYNAPSE_A_INFO_HASH_MAX: NLA_U64, largest total payload of one stream
 *    SYNAPSE_A_INFO_HASH_STREAMS_MAX: NLA_U32, SYNAPSE_HASH_STREAMS_MAX
 *    SYNAPSE_A_INFO_HASH_STREAMS: NLA_U32, hash streams open now in the
 *                                 caller's netns
 *    SYNAPSE_A_INFO_LIMITS: NLA_NESTED, the engine limits
 *        SYNAPSE_A_LIMIT_*: NLA_U64 each (see enum synapse_limit_attr)
 *
 * SYNAPSE_CMD_HASH
 * ----------------
 * SHA-256 through the kernel crypto API. Request:
 *
 *    SYNAPSE_A_HASH_DATA: NLA_BINARY, at most SYNAPSE_HASH_CHUNK_MAX bytes;
 *                         required (-EINVAL, NLMSGERR_ATTR_MISS_TYPE names
 *                         it) but may be empty (zero-length attribute:
 *                         the hash of nothing); not needed with
 *                         SYNAPSE_HASH_F_ABORT
 *    SYNAPSE_A_HASH_FLAGS: NLA_U32, optional, enum synapse_hash_flags
 *
 * A payload that fits in one chunk is hashed in one request, unprivileged,
 * and the reply carries SYNAPSE_A_HASH_DIGEST (32 bytes) and
 * SYNAPSE_A_HASH_LEN (NLA_U64, total bytes hashed).
 *
 * Larger payloads stream: every request but the last sets
 * SYNAPSE_HASH_F_MORE; the kernel keeps one partial hash per netlink socket
 * (netns, port id) until the request without SYNAPSE_HASH_F_MORE, which
 * replies with the digest and length of the whole stream. Requests with
 * SYNAPSE_HASH_F_MORE only ack (set NLM_F_ACK to see it). Because a stream
 * pins kernel memory between requests, SYNAPSE_HASH_F_MORE needs
 * CAP_NET_ADMIN (-EPERM otherwise); the final request needs nothing. A
 * stream is dropped when its socket closes, when its netns goes away, on
 * SYNAPSE_HASH_F_ABORT (no DATA needed; acks whether or not a stream was
 * open), and on any error in a stream request (-EFBIG, -ENOMEM, crypto
 * errors) so a client never continues a stream that missed a chunk; a
 * request refused by validation leaves it alone. A stream holds at most
 * SYNAPSE_HASH_MAX bytes (-EFBIG); at most SYNAPSE_HASH_STREAMS_MAX streams
 * are open per netns and 1024 in all (-EBUSY). Requests on one socket are
 * meant to be sequential: concurrent senders on one socket share its stream.
 *
 * Errors of HASH:
 *    -EINVAL      DATA missing, wrong attribute or length, ABORT with MORE
 *    -ERANGE      DATA longer than SYNAPSE_HASH_CHUNK_MAX
 *    -EOPNOTSUPP  a flag bit outside __SYNAPSE_HASH_F_ALL (a newer client)
 *    -EPERM       SYNAPSE_HASH_F_MORE without CAP_NET_ADMIN
 *    -EFBIG       the stream would exceed SYNAPSE_HASH_MAX (stream dropped)
 *    -EBUSY       too many open streams (none opened)
 *    -ENOMEM      out of memory
 *
 * Limits: SYNAPSE_HASH_CHUNK_MAX keeps a request with its headers within
 * the u16 nla_len and one 64 KiB netlink message; the reply of every
 * command fits one message (NLMSG_GOODSIZE), so there are no dumps yet.
 */
#ifndef _UAPI_SYNAPSE_H
#define _UAPI_SYNAPSE_H

#include <linux/types.h>

#define SYNAPSE_GENL_NAME	"synapse"
#define SYNAPSE_GENL_VERSION	1
#define SYNAPSE_ABI_VERSION	1

#define SYNAPSE_HASH_LEN	32
/* Fits a u16 nla_len with room for the header. */
#define SYNAPSE_HASH_CHUNK_MAX	(60 * 1024)
#define SYNAPSE_HASH_MAX	(1ULL << 30)
#define SYNAPSE_HASH_STREAMS_MAX 64

enum synapse_cmd {
	SYNAPSE_CMD_UNSPEC,
	SYNAPSE_CMD_GET_INFO,
	SYNAPSE_CMD_HASH,

	__SYNAPSE_CMD_MAX
};
#define SYNAPSE_CMD_MAX (__SYNAPSE_CMD_MAX - 1)

enum synapse_hash_flags {
	SYNAPSE_HASH_F_MORE = 1U << 0,
	SYNAPSE_HASH_F_ABORT = 1U << 1,

	__SYNAPSE_HASH_F_ALL = SYNAPSE_HASH_F_MORE | SYNAPSE_HASH_F_ABORT
};

enum synapse_attr {
	SYNAPSE_A_UNSPEC,
	SYNAPSE_A_PAD,
	SYNAPSE_A_INFO_ABI_VERSION,
	SYNAPSE_A_INFO_MODULE_VERSION,
	SYNAPSE_A_INFO_HASH_DRIVER,
	SYNAPSE_A_INFO_HASH_CHUNK_MAX,
	SYNAPSE_A_INFO_HASH_MAX,
	SYNAPSE_A_INFO_LIMITS,
	SYNAPSE_A_HASH_DATA,
	SYNAPSE_A_HASH_FLAGS,
	SYNAPSE_A_HASH_DIGEST,
	SYNAPSE_A_HASH_LEN,
	SYNAPSE_A_INFO_HASH_STREAMS_MAX,
	SYNAPSE_A_INFO_HASH_STREAMS,

	__SYNAPSE_A_LAST
};
#define SYNAPSE_A_MAX (__SYNAPSE_A_LAST - 1)

enum synapse_limit_attr {
	SYNAPSE_A_LIMIT_UNSPEC,
	SYNAPSE_A_LIMIT_PAD,
	SYNAPSE_A_LIMIT_MODULE_SIZE,	/* bytes of one Wasm module */
	SYNAPSE_A_LIMIT_MEMORY_PAGES,	/* 64 KiB Wasm pages per task */
	SYNAPSE_A_LIMIT_TABLE_SIZE,	/* elements per table */
	SYNAPSE_A_LIMIT_VALUE_STACK,	/* value stack slots */
	SYNAPSE_A_LIMIT_CALL_DEPTH,	/* nested Wasm calls */
	SYNAPSE_A_LIMIT_OUTPUT_SIZE,	/* bytes of task output */

	__SYNAPSE_A_LIMIT_LAST
};
#define SYNAPSE_A_LIMIT_MAX (__SYNAPSE_A_LIMIT_LAST - 1)

#endif /* _UAPI_SYNAPSE_H */
