/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SYNAGENT_ETCD_H
#define SYNAGENT_ETCD_H

/*
 * A small etcd v3 client over the JSON gateway (/v3/...), libcurl +
 * jansson, mutual TLS with the node's certificate. Calls are synchronous
 * with a short timeout (ETCD_TIMEOUT_MS): the agent calls them from its
 * cluster timer on loopback or LAN latency, never from a socket callback
 * that must not stall. One handle keeps its TLS connection alive.
 *
 * Keys and values are byte strings; the gateway carries them base64.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ETCD_TIMEOUT_MS	1500
/*
 * After a transport failure (timeout, refused, unreachable) etcd counts as
 * down: calls fail at once, except one probe per ETCD_RETRY_MS, until one
 * succeeds. A probe may take ETCD_PROBE_MS to connect (TCP; a cut link
 * loses the SYN) and the usual ETCD_TIMEOUT_MS in all (the TLS handshake
 * on a loaded machine). A node cut off from the network thus spends about
 * a third of its time blocked on etcd, its control socket keeps answering
 * while it is fenced, and it is back soon after the link.
 */
#define ETCD_PROBE_MS	500
#define ETCD_RETRY_MS	1000
/*
 * The URL may list the members of an etcd cluster, comma-separated. Calls
 * go to one endpoint at a time; a transport failure moves on to the next
 * within the same call, so losing one member (say the leader) costs one
 * failed connection, and only when every endpoint fails does etcd count as
 * down. (A leader change itself is handled by etcd: a member forwards to
 * the new leader; the short window without one answers with an error and
 * the tick retries.)
 */
#define ETCD_MAX_ENDPOINTS	8

struct etcd;

struct etcd_kv {
	char *key;		/* NUL-terminated */
	char *val;		/* NUL-terminated (values may hold NULs: use len) */
	size_t len;
	int64_t mod_rev;
	int64_t lease;
};

struct etcd *etcd_new(const char *url, const char *ca, const char *cert,
		      const char *key);
void etcd_free(struct etcd *e);
/* Wall time of the last successful call (ns, monotonic). */
uint64_t etcd_last_ok_ns(const struct etcd *e);
/* The last call reached etcd (false while down, see ETCD_RETRY_MS). */
bool etcd_reachable(const struct etcd *e);
int64_t etcd_last_revision(const struct etcd *e);

int etcd_put(struct etcd *e, const char *key, const void *val, size_t len,
	     int64_t lease);
/* 0 found (*out malloc'd), 1 absent, -1 error. */
int etcd_get(struct etcd *e, const char *key, struct etcd_kv *out);
/* Every key under prefix, sorted by key; -1 on error. */
int etcd_range(struct etcd *e, const char *prefix, bool keys_only,
	       struct etcd_kv **kvs, size_t *n);
void etcd_kv_clear(struct etcd_kv *kv);
void etcd_kvs_free(struct etcd_kv *kvs, size_t n);
/* Create-if-absent (a txn on create_revision == 0): 0 created, 1 existed. */
int etcd_create(struct etcd *e, const char *key, const void *val, size_t len,
		int64_t lease);
int etcd_delete(struct etcd *e, const char *key);
int etcd_delete_prefix(struct etcd *e, const char *prefix);
/* Writes (put, create that took, delete) since etcd_new(): a change tells a
 * caller it wrote cluster state others may be waiting for. */
uint64_t etcd_writes(const struct etcd *e);
int etcd_lease_grant(struct etcd *e, int ttl_s, int64_t *id);
/* 0 alive, 1 expired/unknown, -1 error. */
int etcd_lease_keepalive(struct etcd *e, int64_t id);
int etcd_lease_revoke(struct etcd *e, int64_t id);

/* base64 helpers (standard alphabet, padded); malloc'd, NUL-terminated. */
char *b64_encode(const void *p, size_t n);
uint8_t *b64_decode(const char *s, size_t *n);

#endif
