/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * Synapse capability checkpoint: the context of the writable tracepoint
 * "synapse_cap_check" (trace system "synapse") and the layout of the BPF
 * maps that decide its verdict.
 *
 * The module fires the tracepoint at task start, at every cap_check host
 * call, at every checkpoint, and for SYNAPSE_CMD_CAP_CHECK (task id 0). The
 * first tracepoint argument points at a struct synapse_cap_ctx whose verdict
 * the module sets to SYNAPSE_CAP_ALLOW; a program attached as
 * SEC("raw_tp.w/synapse_cap_check") may overwrite the verdict (and only the
 * bytes of this struct). Any verdict other than SYNAPSE_CAP_ALLOW ends the
 * task with SYNAPSE_STATUS_REVOKED. Nothing attached: every check allows.
 *
 * Plain __u64/__u8 fields, fixed offsets, no holes: the BPF program reads it
 * by these offsets. Extend at the end only (the writable size is checked by
 * the verifier against sizeof(struct synapse_cap_ctx)).
 *
 * Pinned objects (bpffs, SYNAPSE_BPF_PIN_DIR):
 *   revoked  hash map, key struct synapse_cap_key, value struct
 *            synapse_cap_entry (at most SYNAPSE_CAP_REVOKED_MAX entries)
 *   stats    per-CPU array, SYNAPSE_CAP_STAT_* counters (__u64)
 *   prog     the raw_tp.w program
 *   link     its attachment to synapse_cap_check
 */
#ifndef _UAPI_SYNAPSE_CAP_H
#define _UAPI_SYNAPSE_CAP_H

#include <linux/types.h>

#define SYNAPSE_CAP_ID_LEN	32	/* SHA-256 of the canonical token */
#define SYNAPSE_BPF_PIN_DIR	"/sys/fs/bpf/synapse"
#define SYNAPSE_CAP_TRACEPOINT	"synapse_cap_check"
#define SYNAPSE_CAP_REVOKED_MAX	65536

/* Where the check fired. */
enum synapse_cap_where {
	SYNAPSE_CAP_AT_QUERY = 0,	/* SYNAPSE_CMD_CAP_CHECK, no task */
	SYNAPSE_CAP_AT_START = 1,	/* before the task's first instruction */
	SYNAPSE_CAP_AT_CALL = 2,	/* cap_check host call */
	SYNAPSE_CAP_AT_CHECKPOINT = 3,	/* every checkpoint */
};

enum synapse_cap_verdict {
	SYNAPSE_CAP_ALLOW = 0,
	SYNAPSE_CAP_REVOKED = 1,	/* in the revoked map */
	SYNAPSE_CAP_EXPIRED = 2,	/* its entry's expiry has passed */
};

struct synapse_cap_ctx {
	__u64 task_id;
	__u64 job_id;
	__u8 cap_id[SYNAPSE_CAP_ID_LEN];
	__u8 verdict;			/* enum synapse_cap_verdict */
	__u8 where;			/* enum synapse_cap_where */
	__u8 pad[6];
};

struct synapse_cap_key {
	__u8 cap_id[SYNAPSE_CAP_ID_LEN];
};

enum synapse_cap_entry_flags {
	/* Revoked now. Without it the entry only carries an expiry. */
	SYNAPSE_CAP_F_REVOKED = 1U << 0,

	__SYNAPSE_CAP_F_ALL = SYNAPSE_CAP_F_REVOKED
};

struct synapse_cap_entry {
	/*
	 * CLOCK_BOOTTIME nanoseconds (bpf_ktime_get_boot_ns()) after which
	 * the capability counts as expired; 0: never. Userspace converts the
	 * token's wall-clock expiry when it writes the entry.
	 */
	__u64 expires_boot_ns;
	__u64 revoked_unix;		/* wall clock of the revocation, info */
	__u32 flags;			/* enum synapse_cap_entry_flags */
	__u32 pad;
};

enum synapse_cap_stat {
	SYNAPSE_CAP_STAT_CHECKS,	/* program runs */
	SYNAPSE_CAP_STAT_REVOKED,	/* verdicts REVOKED */
	SYNAPSE_CAP_STAT_EXPIRED,	/* verdicts EXPIRED */

	__SYNAPSE_CAP_STAT_MAX
};

#endif /* _UAPI_SYNAPSE_CAP_H */
