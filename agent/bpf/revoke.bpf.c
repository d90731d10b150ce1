// SPDX-License-Identifier: GPL-2.0
/*
 * revoke.bpf.c - the capability verdict, attached to the module's
 * writable raw tracepoint synapse_cap_check (uapi/synapse_cap.h).
 *
 * One hash lookup per check: an entry flagged REVOKED answers REVOKED, an
 * entry whose expiry (CLOCK_BOOTTIME) has passed answers EXPIRED, anything
 * else leaves the module's ALLOW in place. The maps are pinned by name
 * under the loader's pin root, so a reloaded program (or a second loader)
 * reuses them and a revocation survives the agent.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "uapi/synapse_cap.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SYNAPSE_CAP_REVOKED_MAX);
	__type(key, struct synapse_cap_key);
	__type(value, struct synapse_cap_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} revoked SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, __SYNAPSE_CAP_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} stats SEC(".maps");

static __always_inline void count(__u32 stat)
{
	__u64 *n = bpf_map_lookup_elem(&stats, &stat);

	if (n)
		*n += 1;
}

SEC("raw_tp.w/synapse_cap_check")
int synapse_cap_check(struct bpf_raw_tracepoint_args *args)
{
	struct synapse_cap_ctx *ctx = (void *)args->args[0];
	struct synapse_cap_entry *e;
	struct synapse_cap_key key;

	count(SYNAPSE_CAP_STAT_CHECKS);
	/* The context is a tracepoint buffer: copy the key to the stack. */
	__builtin_memcpy(key.cap_id, ctx->cap_id, sizeof(key.cap_id));
	e = bpf_map_lookup_elem(&revoked, &key);
	if (!e)
		return 0;
	if (e->flags & SYNAPSE_CAP_F_REVOKED) {
		ctx->verdict = SYNAPSE_CAP_REVOKED;
		count(SYNAPSE_CAP_STAT_REVOKED);
		return 0;
	}
	if (e->expires_boot_ns && bpf_ktime_get_boot_ns() >= e->expires_boot_ns) {
		ctx->verdict = SYNAPSE_CAP_EXPIRED;
		count(SYNAPSE_CAP_STAT_EXPIRED);
	}
	return 0;
}
