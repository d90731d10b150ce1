// SPDX-License-Identifier: GPL-2.0
/*
 * Membership, coordinator election and epochs on etcd (see membership.h).
 *
 * A member is a node whose key members/<node> is alive under its lease.
 * The coordinator is whoever created the key "coordinator" under its own
 * lease (a txn on create_revision == 0); when its lease expires the key
 * goes with it and the next tick elects another. Only the coordinator
 * moves the epoch: when the live member set differs from the committed
 * one it creates epochs/<n+1> (create-once, so two coordinators racing
 * across a lease expiry cannot both commit epoch n+1) and then points
 * "epoch" at it. A node whose lease it cannot renew within the TTL is
 * fenced: it executes and attests nothing until it is a member again.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "agent/cluster/membership.h"
#include "agent/synapsed.h"

static struct cluster *the_cluster;

struct cluster *cluster_get(void)
{
	return the_cluster;
}

void the_cluster_set(struct cluster *c)
{
	the_cluster = c;
}

uint64_t mono_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int cluster_key(struct cluster *c, char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strlen(c->prefix);
	va_list ap;
	int r;

	if (n >= len)
		return -1;
	memcpy(buf, c->prefix, n);
	va_start(ap, fmt);
	r = vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
	return r < 0 || (size_t)r >= len - n ? -1 : 0;
}

void members_free(char **v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

bool member_of(const struct cluster *c, const char *node)
{
	unsigned int i;

	for (i = 0; i < c->nmembers; i++)
		if (!strcmp(c->members[i], node))
			return true;
	return false;
}

json_t *quarantine_of(const struct cluster *c, const char *node)
{
	return c->quarantine ? json_object_get(c->quarantine, node) : NULL;
}

/*
 * quarantine/ as etcd has it now: a node quarantined itself after a
 * replay still disagreed; an operator lifts it by deleting the key. An
 * unreadable range keeps what we knew.
 */
static void read_quarantine(struct cluster *c)
{
	const char *self = c->a->cfg.node_id;
	struct etcd_kv *kvs;
	char key[256];
	size_t n, i, plen;
	json_t *q;
	bool was = c->quarantined;

	cluster_key(c, key, sizeof(key), "quarantine/");
	if (etcd_range(c->etcd, key, false, &kvs, &n))
		return;
	plen = strlen(key);
	q = json_object();
	for (i = 0; i < n; i++) {
		json_t *v = json_loads(kvs[i].val, 0, NULL);

		json_object_set_new(q, kvs[i].key + plen, v ? v : json_object());
	}
	etcd_kvs_free(kvs, n);
	json_decref(c->quarantine);
	c->quarantine = q;
	c->quarantined = quarantine_of(c, self) != NULL;
	if (was && !c->quarantined)
		log_info("cluster: quarantine lifted; back in the next epoch");
}

/* {"epoch": n, "members": [...]} -> sorted list (the writer sorted it). */
static int parse_epoch(const char *text, uint64_t *n, char ***v, unsigned int *cnt)
{
	json_t *j = json_loads(text, 0, NULL), *arr, *m;
	size_t i;

	if (!j)
		return -1;
	arr = json_object_get(j, "members");
	if (!json_is_integer(json_object_get(j, "epoch")) || !json_is_array(arr) ||
	    json_array_size(arr) > CLUSTER_MAX_MEMBERS) {
		json_decref(j);
		return -1;
	}
	*n = json_integer_value(json_object_get(j, "epoch"));
	*cnt = json_array_size(arr);
	*v = calloc(*cnt + 1, sizeof(**v));
	json_array_foreach(arr, i, m)
		(*v)[i] = strdup(json_string_value(m) ? json_string_value(m) : "");
	json_decref(j);
	return 0;
}

int epoch_members(struct cluster *c, uint64_t n, char ***v, unsigned int *cnt)
{
	struct etcd_kv kv;
	char key[256];
	uint64_t got;
	int r;

	if (cluster_key(c, key, sizeof(key), "epochs/%020llu", (unsigned long long)n))
		return -1;
	r = etcd_get(c->etcd, key, &kv);
	if (r)
		return -1;
	r = parse_epoch(kv.val, &got, v, cnt);
	etcd_kv_clear(&kv);
	if (!r && got != n) {
		members_free(*v, *cnt);
		return -1;
	}
	return r;
}

static int register_member(struct cluster *c)
{
	char key[256], *val;
	json_t *j;
	int r;

	if (etcd_lease_grant(c->etcd, c->lease_ttl_s, &c->lease))
		return -1;
	j = json_pack("{s:s, s:s}", "node", c->a->cfg.node_id, "cert", c->cert_pem);
	val = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	cluster_key(c, key, sizeof(key), "members/%s", c->a->cfg.node_id);
	r = val ? etcd_put(c->etcd, key, val, strlen(val), c->lease) : -1;
	free(val);
	if (r) {
		c->lease = 0;
		return -1;
	}
	c->lease_ok_ns = c->last_keepalive_ns = mono_now_ns();
	log_info("cluster: registered as member (lease %llx, ttl %ds)",
		 (unsigned long long)c->lease, c->lease_ttl_s);
	return 0;
}

/* Logs the moments we stop and start working: fencing is the partition's visible edge. */
static void set_fenced(struct cluster *c, bool fenced)
{
	if (fenced && !c->fenced && c->lease)
		log_warn("cluster: fenced: lease not renewed for %d s (etcd %s); no execution, no attestation",
			 c->lease_ttl_s, etcd_reachable(c->etcd) ? "reachable" : "unreachable");
	else if (!fenced && c->fenced)
		log_info("cluster: lease live: not fenced");
	c->fenced = fenced;
}

static void keep_lease(struct cluster *c)
{
	uint64_t now = mono_now_ns(), ttl_ns = c->lease_ttl_s * 1000000000ull;
	int r;

	if (!c->lease) {
		if (register_member(c))
			c->etcd_errors++;
	} else if (now - c->last_keepalive_ns >= ttl_ns / 3) {
		r = etcd_lease_keepalive(c->etcd, c->lease);
		/* a failed keepalive is retried next tick (cheap while etcd is down) */
		if (r == 0) {
			c->lease_ok_ns = c->last_keepalive_ns = now;
		} else if (r == 1) {
			log_warn("cluster: lease expired; re-registering");
			c->lease = 0;
		} else {
			c->etcd_errors++;
		}
	}
	/* unproven membership for a whole TTL: others may have re-planned */
	set_fenced(c, !c->lease || mono_now_ns() - c->lease_ok_ns >= ttl_ns);
}

static void elect(struct cluster *c)
{
	const char *self = c->a->cfg.node_id;
	struct etcd_kv kv;
	char key[256];
	int r;

	cluster_key(c, key, sizeof(key), "coordinator");
	r = etcd_get(c->etcd, key, &kv);
	if (r == 0 && c->quarantined && !strcmp(kv.val, self)) {
		/* a quarantined node does not coordinate: hand it over */
		etcd_delete(c->etcd, key);
		log_warn("cluster: quarantined; gave up the coordinator role");
		etcd_kv_clear(&kv);
		r = 1;
	}
	if (r == 1 && !c->fenced && !c->quarantined) {
		if (etcd_create(c->etcd, key, self, strlen(self), c->lease) == 0)
			log_info("cluster: elected coordinator");
		r = etcd_get(c->etcd, key, &kv);
	}
	if (r) {
		c->coordinator = false;
		return;
	}
	c->coordinator = !c->fenced && !c->quarantined && !strcmp(kv.val, self);
	etcd_kv_clear(&kv);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool same_members(char **a, unsigned int na, char **b, unsigned int nb)
{
	unsigned int i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (strcmp(a[i], b[i]))
			return false;
	return true;
}

/* The coordinator commits a new epoch when the live member set moved. */
static void advance_epoch(struct cluster *c)
{
	char key[256], *live[CLUSTER_MAX_MEMBERS], *val;
	struct etcd_kv *kvs;
	size_t n, i, plen;
	unsigned int nlive = 0;
	json_t *j, *arr;

	cluster_key(c, key, sizeof(key), "members/");
	if (etcd_range(c->etcd, key, true, &kvs, &n))
		return;
	plen = strlen(key);
	/* quarantined nodes stay alive but get no work in new epochs */
	for (i = 0; i < n && nlive < CLUSTER_MAX_MEMBERS; i++)
		if (!quarantine_of(c, kvs[i].key + plen))
			live[nlive++] = kvs[i].key + plen;
	qsort(live, nlive, sizeof(*live), cmp_str);
	if (!nlive || same_members(live, nlive, c->members, c->nmembers))
		goto out;
	arr = json_array();
	for (i = 0; i < nlive; i++)
		json_array_append_new(arr, json_string(live[i]));
	j = json_pack("{s:I, s:o}", "epoch", (json_int_t)(c->epoch + 1), "members", arr);
	val = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	cluster_key(c, key, sizeof(key), "epochs/%020llu", (unsigned long long)(c->epoch + 1));
	if (val && etcd_create(c->etcd, key, val, strlen(val), 0) == 0) {
		cluster_key(c, key, sizeof(key), "epoch");
		etcd_put(c->etcd, key, val, strlen(val), 0);
		log_info("cluster: epoch %llu with %u members",
			 (unsigned long long)(c->epoch + 1), nlive);
	}
	free(val);
out:
	etcd_kvs_free(kvs, n);
}

static void read_epoch(struct cluster *c)
{
	struct etcd_kv kv;
	char key[256], **v;
	unsigned int cnt, i;
	uint64_t n;

	cluster_key(c, key, sizeof(key), "epoch");
	if (etcd_get(c->etcd, key, &kv))
		return;
	if (!parse_epoch(kv.val, &n, &v, &cnt)) {
		for (i = 0; i < c->nmembers; i++)
			free(c->members[i]);
		for (i = 0; i < cnt; i++)
			c->members[i] = v[i];
		free(v);
		c->nmembers = cnt;
		c->epoch = n;
	}
	etcd_kv_clear(&kv);
}

void membership_keepalive(struct cluster *c)
{
	if (c->lease)
		keep_lease(c);
}

bool cluster_may_attest(const struct cluster *c)
{
	return c->lease && !c->quarantined &&
	       mono_now_ns() - c->lease_ok_ns < c->lease_ttl_s * 1000000000ull;
}

void membership_tick(struct cluster *c)
{
	keep_lease(c);
	if (c->fenced) {
		c->coordinator = false;
		return;
	}
	/* etcd went away mid-lease: nothing else to do until it is back */
	if (!etcd_reachable(c->etcd))
		return;
	read_quarantine(c);
	elect(c);
	read_epoch(c);
	if (c->coordinator) {
		advance_epoch(c);
		read_epoch(c);
	}
}
