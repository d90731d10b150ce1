/* SPDX-License-Identifier: GPL-2.0 */
/*
 * revoke.h - load, pin and drive the capability revocation program
 * (revoke.bpf.c). Shared by synctl's "cap" subcommand and synapsed.
 *
 * Everything lives under a pin directory on bpffs (SYNAPSE_BPF_PIN_DIR by
 * default; a NULL dir means that one): the maps "revoked" and "stats", the
 * program "prog" and its raw tracepoint link "link". The link keeps the
 * program attached after every process has gone; loading again finds the
 * pinned link and changes nothing. Functions return 0 or a negative errno.
 */
#ifndef SYNAPSE_AGENT_BPF_REVOKE_H
#define SYNAPSE_AGENT_BPF_REVOKE_H

#include <stdbool.h>
#include <stdint.h>

#include "uapi/synapse_cap.h"

struct synapse_bpf {
	int revoked_fd;
	int stats_fd;
};

struct synapse_bpf_status {
	bool maps;		/* revoked and stats are pinned */
	bool prog;		/* the program is pinned */
	bool link;		/* the link is pinned: enforcing */
	uint32_t prog_id;	/* kernel ids, 0 when absent */
	uint32_t link_id;
	uint32_t entries;	/* entries in the revoked map */
	uint64_t stats[__SYNAPSE_CAP_STAT_MAX];
};

/*
 * Load the program, attach it to the tracepoint and pin all four objects,
 * unless a pinned link exists already (*reused = true). Maps already pinned
 * are reused either way, so revocations survive a reload. Fails with
 * -ENOENT when synapse.ko (the tracepoint) is not loaded; the maps are
 * pinned even then.
 */
int synapse_bpf_setup(const char *dir, bool *reused);
/* Unpin link and program (enforcement stops); with purge, the maps too. */
int synapse_bpf_teardown(const char *dir, bool purge);

/* Open the pinned maps (-ENOENT: not set up). */
int synapse_bpf_open(const char *dir, struct synapse_bpf *b);
void synapse_bpf_close(struct synapse_bpf *b);

/* Mark revoked (keeps an expiry already set). */
int synapse_bpf_revoke(struct synapse_bpf *b, const uint8_t id[SYNAPSE_CAP_ID_LEN]);
/*
 * Set the expiry, in seconds since the epoch (0: none). Stored as
 * CLOCK_BOOTTIME, which the program can read.
 */
int synapse_bpf_expire(struct synapse_bpf *b, const uint8_t id[SYNAPSE_CAP_ID_LEN],
		       uint64_t unix_secs);
/* Clear the revocation (an expiry stays); -ENOENT if not revoked. */
int synapse_bpf_unrevoke(struct synapse_bpf *b, const uint8_t id[SYNAPSE_CAP_ID_LEN]);
int synapse_bpf_lookup(struct synapse_bpf *b, const uint8_t id[SYNAPSE_CAP_ID_LEN],
		       struct synapse_cap_entry *e);

/*
 * The verdict revoke.bpf.c gives this capability right now (enum
 * synapse_cap_verdict), computed in userspace from the same pinned map by
 * the same rules: the embedded userspace engine's cap_check callback uses
 * it, so both engines honour one revocation set.
 */
int synapse_bpf_verdict(struct synapse_bpf *b, const uint8_t id[SYNAPSE_CAP_ID_LEN]);

typedef int (*synapse_bpf_iter_fn)(const uint8_t id[SYNAPSE_CAP_ID_LEN],
				   const struct synapse_cap_entry *e, void *arg);
/* Calls fn for every entry (in the map's order); stops at a non-zero return. */
int synapse_bpf_for_each(struct synapse_bpf *b, synapse_bpf_iter_fn fn, void *arg);

int synapse_bpf_status(const char *dir, struct synapse_bpf_status *st);

/* CLOCK_BOOTTIME ns <-> seconds since the epoch, for expiries. */
uint64_t synapse_bpf_unix_to_boot_ns(uint64_t unix_secs);
uint64_t synapse_bpf_boot_ns_to_unix(uint64_t boot_ns);

#endif /* SYNAPSE_AGENT_BPF_REVOKE_H */
