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
 *    SYNAPSE_A_INFO_LIMITS: NLA_NESTED, the engine limits: what a task
 *        started without limits gets (the engine's own defaults,
 *        svm_task_default_limits()), also the most TASK_START accepts,
 *        except OUTPUT_SIZE, which a task may raise to 16 MiB
 *        SYNAPSE_A_LIMIT_*: NLA_U64 each (see enum synapse_limit_attr)
 *    SYNAPSE_A_INFO_NETNS: NLA_NESTED, the caller's netns: what its
 *        modules and tasks hold now against the module's per-netns limits
 *        SYNAPSE_A_NETNS_*: NLA_U64 each (see enum synapse_netns_attr)
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
 * the u16 nla_len and one 64 KiB netlink message; GET_INFO and HASH reply
 * in one message (NLMSG_GOODSIZE).
 *
 * SYNAPSE_CMD_CAP_CHECK
 * ---------------------
 * The current verdict of a capability (uapi/synapse_cap.h). Needs
 * CAP_NET_ADMIN in the initial user namespace: the revocation set is
 * host-wide, and REPEAT costs kernel time. Fires the tracepoint
 * synapse_cap_check with task id 0 and where SYNAPSE_CAP_AT_QUERY, exactly
 * as a task's checkpoint does, so it tests the whole enforcement path.
 * Request:
 *
 *    SYNAPSE_A_CAP_ID: NLA_BINARY, exactly SYNAPSE_CAP_ID_LEN bytes, required
 *    SYNAPSE_A_CAP_JOB_ID: NLA_U64, optional (0), passed to the program
 *    SYNAPSE_A_CAP_REPEAT: NLA_U32, optional, 1..SYNAPSE_CAP_REPEAT_MAX:
 *                          also run the check this many times back to back
 *                          and time it (one checkpoint's cost)
 *
 * Reply (same command):
 *
 *    SYNAPSE_A_CAP_ID: the capability id asked about
 *    SYNAPSE_A_CAP_VERDICT: NLA_U32, enum synapse_cap_verdict
 *    SYNAPSE_A_CAP_ENFORCED: NLA_U32, 1 if anything is attached to the
 *                            tracepoint (a BPF program or a tracer), 0 if
 *                            the check is a no-op and every verdict ALLOW
 *    SYNAPSE_A_CAP_ELAPSED_NS: NLA_U64, with REPEAT only: nanoseconds the
 *                              repeated checks took in all
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
#define SYNAPSE_CAP_REPEAT_MAX	10000000

enum synapse_cmd {
	SYNAPSE_CMD_UNSPEC,
	SYNAPSE_CMD_GET_INFO,
	SYNAPSE_CMD_HASH,
	SYNAPSE_CMD_CAP_CHECK,
	SYNAPSE_CMD_MODULE_ADD,
	SYNAPSE_CMD_MODULE_DEL,
	SYNAPSE_CMD_MODULE_GET,
	SYNAPSE_CMD_TASK_START,
	SYNAPSE_CMD_TASK_GET,
	SYNAPSE_CMD_TASK_KILL,
	SYNAPSE_CMD_TASK_DEL,
	SYNAPSE_CMD_TASK_OUTPUT,
	SYNAPSE_CMD_TASK_CHECKPOINTS,
	SYNAPSE_CMD_TASK_REPLAY,
	SYNAPSE_CMD_TASK_DONE,		/* event on SYNAPSE_MCGRP_EVENTS only */

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
	SYNAPSE_A_CAP_ID,
	SYNAPSE_A_CAP_JOB_ID,
	SYNAPSE_A_CAP_VERDICT,
	SYNAPSE_A_CAP_ENFORCED,
	SYNAPSE_A_CAP_REPEAT,
	SYNAPSE_A_CAP_ELAPSED_NS,
	SYNAPSE_A_INFO_NETNS,

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

/*
 * SYNAPSE_A_INFO_NETNS: totals of the caller's netns. A finished task holds
 * its share of TASKS and TASK_BYTES until SYNAPSE_CMD_TASK_DEL.
 */
enum synapse_netns_attr {
	SYNAPSE_A_NETNS_UNSPEC,
	SYNAPSE_A_NETNS_PAD,
	SYNAPSE_A_NETNS_MODULES,	/* modules held */
	SYNAPSE_A_NETNS_MODULES_MAX,	/* netns_modules_max */
	SYNAPSE_A_NETNS_MODULE_BYTES,	/* bytes of the modules held */
	SYNAPSE_A_NETNS_MODULE_BYTES_MAX, /* netns_module_bytes_max */
	SYNAPSE_A_NETNS_TASKS,		/* tasks held, finished ones included */
	SYNAPSE_A_NETNS_TASKS_MAX,	/* netns_tasks_max */
	SYNAPSE_A_NETNS_TASKS_IN_FLIGHT, /* of TASKS: queued or running */
	SYNAPSE_A_NETNS_TASK_BYTES,	/* worst-case task memory reserved */
	SYNAPSE_A_NETNS_TASK_BYTES_MAX,	/* netns_task_mem_max */

	__SYNAPSE_A_NETNS_LAST
};
#define SYNAPSE_A_NETNS_MAX (__SYNAPSE_A_NETNS_LAST - 1)

/*
 * Modules and tasks
 * =================
 *
 * These commands have their own attribute spaces (enum synapse_module_attr,
 * enum synapse_task_attr), like ethtool's per-message enums. Every object
 * lives in the network namespace of the socket that created it; another
 * netns never sees it (-ENOENT). Mutating commands need CAP_NET_ADMIN in the
 * netns's user namespace (GENL_UNS_ADMIN_PERM, -EPERM); GET, OUTPUT and
 * CHECKPOINTS are unprivileged.
 *
 * SYNAPSE_CMD_MODULE_ADD (admin)
 * ------------------------------
 *    SYNAPSE_A_MODULE_DATA: NLA_BINARY, repeated: the module's bytes are
 *                           the concatenation of every DATA attribute in
 *                           message order (one attribute holds at most
 *                           SYNAPSE_MODULE_CHUNK_MAX bytes)
 * The module is decoded, validated against the deterministic profile and
 * compiled. A validation error is -EINVAL with an extack message naming the
 * byte offset ("offset 0x1c: ..."). Modules are content-addressed: adding a
 * module already present costs nothing and replies with its id again.
 * Reply: SYNAPSE_A_MODULE_ID, SYNAPSE_A_MODULE_SIZE, and the flag
 * SYNAPSE_A_MODULE_EXISTED when it was already there.
 *
 * SYNAPSE_CMD_MODULE_DEL (admin)
 * ------------------------------
 *    SYNAPSE_A_MODULE_ID: 32 bytes, required
 * -EBUSY while a task (running or finished, until TASK_DEL) uses it.
 *
 * SYNAPSE_CMD_MODULE_GET
 * ----------------------
 * With SYNAPSE_A_MODULE_ID: that module. As a dump (NLM_F_DUMP): every
 * module of the netns, restartable. Each reply:
 *    SYNAPSE_A_MODULE_ID, SYNAPSE_A_MODULE_SIZE: NLA_U64 bytes,
 *    SYNAPSE_A_MODULE_USERS: NLA_U32 tasks holding it,
 *    SYNAPSE_A_MODULE_FUNCS: NLA_U32 functions (imports included),
 *    SYNAPSE_A_MODULE_EXPORTS: NLA_U32 exports
 *
 * SYNAPSE_CMD_TASK_START (admin)
 * ------------------------------
 *    SYNAPSE_A_TASK_MODULE_ID: 32 bytes, required
 *    SYNAPSE_A_TASK_ENTRY: NLA_NUL_STRING, exported function, default "run"
 *    SYNAPSE_A_TASK_INPUT: NLA_BINARY, repeated like MODULE_DATA
 *    SYNAPSE_A_TASK_ARG_I32 (NLA_U32), SYNAPSE_A_TASK_ARG_I64 (NLA_U64):
 *        the entry's arguments, repeated, in message order (at most 16);
 *        their number and types must match the entry's signature
 *    SYNAPSE_A_TASK_JOB_ID, SYNAPSE_A_TASK_JOB_TASK_ID: NLA_U64, labels
 *        handed to the capability checkpoint (uapi/synapse_cap.h)
 *    SYNAPSE_A_TASK_CAP_ID: 32 bytes, the capability id (default zeros)
 *    SYNAPSE_A_TASK_FUEL .. SYNAPSE_A_TASK_KEEP: limits, each optional; the
 *        defaults are the engine's (Documentation/operations.md) so that a
 *        task started with none hashes like `synvm run` with none
 *    SYNAPSE_A_TASK_AUTO_DEL: NLA_FLAG, free the task as soon as it
 *        finishes: its SYNAPSE_CMD_TASK_DONE event is the only record of
 *        its results (no GET, OUTPUT, CHECKPOINTS or REPLAY afterwards)
 * The task is instantiated at once (link errors and a missing entry are
 * -EINVAL with extack) and queued; the start function, if any, runs on the
 * workqueue in slices like the entry (a trap in it is a finished task).
 * Reply: SYNAPSE_A_TASK_ID (NLA_U64), the kernel's id for it.
 * -ENOSPC: a per-netns limit (tasks, task memory budget) is reached. A
 * finished task keeps its share of both until SYNAPSE_CMD_TASK_DEL (or was
 * started with SYNAPSE_A_TASK_AUTO_DEL); GET_INFO's SYNAPSE_A_INFO_NETNS
 * shows what is held. -ERANGE: a limit above the module's maximum (extack
 * names it).
 *
 * SYNAPSE_CMD_TASK_GET
 * --------------------
 * With SYNAPSE_A_TASK_ID: that task; as a dump: every task of the netns in
 * id order, restartable. Each reply (and each SYNAPSE_CMD_TASK_DONE event):
 *    SYNAPSE_A_TASK_ID, SYNAPSE_A_TASK_MODULE_ID, SYNAPSE_A_TASK_ENTRY,
 *    SYNAPSE_A_TASK_JOB_ID, SYNAPSE_A_TASK_JOB_TASK_ID,
 *    SYNAPSE_A_TASK_STATUS: NLA_U32, enum synapse_status (QUEUED and
 *        RUNNING while in flight; uapi/synapse_abi.h)
 *    SYNAPSE_A_TASK_CODE: NLA_S32, trap or abort code
 *    SYNAPSE_A_TASK_FUEL_USED: NLA_U64
 *    SYNAPSE_A_TASK_INPUT_HASH: 32 bytes
 *    SYNAPSE_A_TASK_TRACE_HASH, SYNAPSE_A_TASK_OUTPUT_HASH: 32 bytes, once
 *        finished
 *    SYNAPSE_A_TASK_OUTPUT_LEN: NLA_U64, once finished
 *    SYNAPSE_A_TASK_CHECKPOINTS: NLA_U64, checkpoints taken, once finished
 *    SYNAPSE_A_TASK_REPLAY_OF, SYNAPSE_A_TASK_REPLAY_SEQ: NLA_U64, for a
 *        replay: the original task and the checkpoint it started from
 *    SYNAPSE_A_TASK_REPLAYABLE: NLA_FLAG, the engine state is held (the
 *        task can be replayed)
 *    SYNAPSE_A_TASK_RESULT: NLA_U64, repeated, the entry's results in
 *        order (i32 zero-extended), once finished with status OK
 *    SYNAPSE_A_TASK_EXEC_NS: NLA_U64, nanoseconds spent executing slices
 *        (instantiation excluded); informational, never hashed
 *
 * SYNAPSE_CMD_TASK_KILL (admin)
 * -----------------------------
 *    SYNAPSE_A_TASK_ID: required
 * A queued or running task ends with SYNAPSE_STATUS_KILLED at its next slice
 * boundary (the DONE event follows). Killing a finished task is a no-op.
 *
 * SYNAPSE_CMD_TASK_DEL (admin)
 * ----------------------------
 *    SYNAPSE_A_TASK_ID: required
 * Frees a finished task: output, checkpoints and engine state. -EBUSY while
 * it is queued or running.
 *
 * SYNAPSE_CMD_TASK_OUTPUT
 * -----------------------
 *    SYNAPSE_A_TASK_ID: required
 *    SYNAPSE_A_TASK_OUTPUT_OFFSET: NLA_U64, default 0
 * Reply: SYNAPSE_A_TASK_OUTPUT_LEN (the whole output's length) and
 * SYNAPSE_A_TASK_OUTPUT_DATA, at most SYNAPSE_TASK_OUTPUT_CHUNK bytes from
 * the offset (empty at or past the end). Read large outputs in a loop.
 * -EBUSY while the task is in flight.
 *
 * SYNAPSE_CMD_TASK_CHECKPOINTS (dump)
 * -----------------------------------
 *    SYNAPSE_A_TASK_ID: required
 * One message per checkpoint the finished task took, in order:
 *    SYNAPSE_A_TASK_ID, SYNAPSE_A_TASK_CP_SEQ: NLA_U64,
 *    SYNAPSE_A_TASK_CP_DIGEST: 32 bytes, the state digest,
 *    SYNAPSE_A_TASK_CP_FUEL: NLA_U64, the fuel used when it was taken (a
 *        mismatch is reported by checkpoint and fuel position),
 *    SYNAPSE_A_TASK_CP_KEPT: NLA_FLAG, a rollback point (REPLAY may start
 *        here)
 *
 * SYNAPSE_CMD_TASK_REPLAY (admin)
 * -------------------------------
 *    SYNAPSE_A_TASK_ID: the finished task, required
 *    SYNAPSE_A_TASK_REPLAY_SEQ: a kept checkpoint, required
 * Rolls the task's engine state back to that checkpoint and runs it again as
 * a new task (reply: its SYNAPSE_A_TASK_ID). The new task takes over the
 * engine state: the original keeps its results, output and checkpoint list
 * but is no longer replayable. A correct engine ends the replay with the
 * original's trace and output hashes.
 *
 * SYNAPSE_CMD_TASK_DONE (multicast group SYNAPSE_MCGRP_EVENTS)
 * -------------------------------------------------------------
 * Sent once per task when it finishes, in the task's netns, with the
 * attributes of TASK_GET. Tasks ended by netns teardown or module unload
 * send none.
 */
#define SYNAPSE_MCGRP_EVENTS		"events"
#define SYNAPSE_MODULE_CHUNK_MAX	(60 * 1024)
#define SYNAPSE_TASK_INPUT_CHUNK_MAX	(60 * 1024)
#define SYNAPSE_TASK_OUTPUT_CHUNK	(60 * 1024)
#define SYNAPSE_TASK_ENTRY_MAX		255

enum synapse_module_attr {
	SYNAPSE_A_MODULE_UNSPEC,
	SYNAPSE_A_MODULE_PAD,
	SYNAPSE_A_MODULE_ID,		/* 32 bytes: SHA-256 of the bytes */
	SYNAPSE_A_MODULE_DATA,		/* binary, repeated */
	SYNAPSE_A_MODULE_SIZE,		/* u64 */
	SYNAPSE_A_MODULE_USERS,		/* u32 */
	SYNAPSE_A_MODULE_FUNCS,		/* u32 */
	SYNAPSE_A_MODULE_EXPORTS,	/* u32 */
	SYNAPSE_A_MODULE_EXISTED,	/* flag */

	__SYNAPSE_A_MODULE_LAST
};
#define SYNAPSE_A_MODULE_MAX (__SYNAPSE_A_MODULE_LAST - 1)

enum synapse_task_attr {
	SYNAPSE_A_TASK_UNSPEC,
	SYNAPSE_A_TASK_PAD,
	SYNAPSE_A_TASK_ID,		/* u64, the kernel's task id */
	SYNAPSE_A_TASK_MODULE_ID,	/* 32 bytes */
	SYNAPSE_A_TASK_ENTRY,		/* string */
	SYNAPSE_A_TASK_INPUT,		/* binary, repeated */
	SYNAPSE_A_TASK_JOB_ID,		/* u64 */
	SYNAPSE_A_TASK_JOB_TASK_ID,	/* u64 */
	SYNAPSE_A_TASK_CAP_ID,		/* 32 bytes */
	SYNAPSE_A_TASK_FUEL,		/* u64, fuel limit */
	SYNAPSE_A_TASK_MEMORY_PAGES,	/* u32, 64 KiB pages */
	SYNAPSE_A_TASK_TABLE_SIZE,	/* u32, entries per table */
	SYNAPSE_A_TASK_VALUE_STACK,	/* u32, 8-byte slots */
	SYNAPSE_A_TASK_CALL_DEPTH,	/* u32, frames */
	SYNAPSE_A_TASK_OUTPUT_MAX,	/* u32, output bytes */
	SYNAPSE_A_TASK_CHECKPOINT_EVERY,/* u64, fuel between checkpoints */
	SYNAPSE_A_TASK_KEEP,		/* u32, kept rollback points */
	SYNAPSE_A_TASK_STATUS,		/* u32, enum synapse_status */
	SYNAPSE_A_TASK_CODE,		/* s32 */
	SYNAPSE_A_TASK_FUEL_USED,	/* u64 */
	SYNAPSE_A_TASK_INPUT_HASH,	/* 32 bytes */
	SYNAPSE_A_TASK_TRACE_HASH,	/* 32 bytes */
	SYNAPSE_A_TASK_OUTPUT_HASH,	/* 32 bytes */
	SYNAPSE_A_TASK_OUTPUT_LEN,	/* u64 */
	SYNAPSE_A_TASK_OUTPUT_OFFSET,	/* u64 */
	SYNAPSE_A_TASK_OUTPUT_DATA,	/* binary */
	SYNAPSE_A_TASK_CHECKPOINTS,	/* u64 */
	SYNAPSE_A_TASK_CP_SEQ,		/* u64 */
	SYNAPSE_A_TASK_CP_DIGEST,	/* 32 bytes */
	SYNAPSE_A_TASK_CP_KEPT,		/* flag */
	SYNAPSE_A_TASK_REPLAY_OF,	/* u64 */
	SYNAPSE_A_TASK_REPLAY_SEQ,	/* u64 */
	SYNAPSE_A_TASK_REPLAYABLE,	/* flag */
	SYNAPSE_A_TASK_ARG_I32,		/* u32, repeated */
	SYNAPSE_A_TASK_ARG_I64,		/* u64, repeated */
	SYNAPSE_A_TASK_RESULT,		/* u64, repeated */
	SYNAPSE_A_TASK_EXEC_NS,		/* u64 */
	SYNAPSE_A_TASK_AUTO_DEL,	/* flag */
	SYNAPSE_A_TASK_CP_FUEL,		/* u64 */

	__SYNAPSE_A_TASK_LAST
};
#define SYNAPSE_A_TASK_MAX (__SYNAPSE_A_TASK_LAST - 1)

#endif /* _UAPI_SYNAPSE_H */
