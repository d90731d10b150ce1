/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SYNAGENT_REVOCATION_H
#define SYNAGENT_REVOCATION_H

/*
 * The cluster's revocations on this host (Documentation/capabilities.md
 * "Revocation in a cluster"). Every agent mirrors the etcd keys
 * revoked/<hex id> once per tick into an in-process set and, when it could
 * set up the BPF objects (agent/bpf/revoke.c: root, bpffs, libbpf), into
 * the pinned map the kernel's program reads, so the kernel engine, the
 * embedded engine and `synctl cap` see one revocation set. Single-threaded:
 * called from the agent's event loop only.
 */
#include <stdbool.h>
#include <stdint.h>

struct cluster;

/*
 * Attach (idempotently: a pinned link is reused) under pin_dir (NULL: the
 * default /sys/fs/bpf/synapse; "none": no BPF at all). Never fails: without
 * BPF the agent logs why once and enforces through the in-process set.
 */
void revocation_start(const char *pin_dir);
void revocation_stop(void);
/* One etcd range of revoked/; 0, or -1 when etcd did not answer. */
int revocation_sync(struct cluster *c);
/*
 * True when id is revoked in etcd (as last mirrored) or, with the BPF map,
 * when the program would not allow it (revoked or expired there, e.g. by
 * `synctl cap revoke` on this host). The all-zero id is never revoked.
 */
bool revocation_revoked(const uint8_t id[32]);
/* "bpf" (program attached), "bpf-map" (map only: no tracepoint), "process". */
const char *revocation_backend(void);
unsigned int revocation_count(void);

#endif
