// SPDX-License-Identifier: GPL-2.0
/*
 * The control-socket commands of the cluster (synctl job ..., synctl
 * cluster): job_submit, job_status, job_list, job_result, cluster.
 * Requests and replies are one JSON line each (agent/control/control.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "agent/blobs/blobnet.h"
#include "agent/cluster/fault.h"
#include "agent/cluster/job.h"
#include "agent/cluster/membership.h"
#include "agent/mesh/nudge.h"
#include "agent/cluster/revocation.h"
#include "agent/synapsed.h"

static json_t *fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static json_t *fail(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

/*
 * Bytes that came inline (base64 in the request, the form before blobs, or
 * a hand-written spec): into the local store, and the spec refers to them
 * by hash and size like one from synctl.
 */
static json_t *store_inline(const struct blob_store *st, json_t *spec)
{
	json_t *mods = json_object_get(spec, "modules"), *v, *t;
	uint8_t id[HASH_LEN], got[HASH_LEN], *b;
	char hex[2 * HASH_LEN + 1];
	const char *key;
	size_t n, i;

	json_object_foreach(mods, key, v) {
		const char *s = json_string_value(v);

		if (!s || hex_decode(key, id, HASH_LEN))
			return fail("module %s: key must be the module id", key);
		b = b64_decode(s, &n);
		if (!b)
			return fail("module %s: not base64", key);
		EVP_Digest(b, n, got, NULL, EVP_sha256(), NULL);
		if (memcmp(id, got, HASH_LEN) || n > BLOB_MAX || blob_put(st, id, b, n)) {
			free(b);
			return fail("module %s: bytes do not hash to the id, exceed %u bytes, or cannot be stored",
				    key, BLOB_MAX);
		}
		free(b);
	}
	json_array_foreach(json_object_get(spec, "tasks"), i, t) {
		json_t *in = json_object_get(t, "input");
		long long ms;

		if (!json_is_object(t))
			continue;
		if (in && !json_object_get(t, "input_blob")) {
			b = b64_decode(json_string_value(in) ?: "", &n);
			if (!b)
				return fail("task %zu: input is not base64", i);
			EVP_Digest(b, n, got, NULL, EVP_sha256(), NULL);
			if (n > BLOB_MAX || blob_put(st, got, b, n)) {
				free(b);
				return fail("task %zu: input exceeds %u bytes or cannot be stored",
					    i, BLOB_MAX);
			}
			free(b);
			hex_encode(got, HASH_LEN, hex);
			json_object_set_new(t, "input_blob", json_string(hex));
			json_object_set_new(t, "input_size", json_integer(n));
		}
		json_object_del(t, "input");
		if (!json_object_get(t, "input_blob")) {
			/* no input: the empty blob */
			EVP_Digest("", 0, got, NULL, EVP_sha256(), NULL);
			hex_encode(got, HASH_LEN, hex);
			json_object_set_new(t, "input_blob", json_string(hex));
			json_object_set_new(t, "input_size", json_integer(0));
			blob_put(st, got, (const uint8_t *)"", 0);
		}
		if (!json_object_get(t, "module_size") &&
		    !hex_decode(json_string_value(json_object_get(t, "module")), id, HASH_LEN) &&
		    (ms = blob_size(st, id)) >= 0)
			json_object_set_new(t, "module_size", json_integer(ms));
	}
	json_object_del(spec, "modules");
	return NULL;
}

/* Every module blob of the job is here, with the size the spec says. */
static json_t *check_modules(const struct blob_store *st, const struct job *j)
{
	char hex[2 * HASH_LEN + 1];
	unsigned int i;

	for (i = 0; i < j->ntasks; i++) {
		if (blob_size(st, j->tasks[i].module_id) == (long long)j->tasks[i].module_size)
			continue;
		hex_encode(j->tasks[i].module_id, HASH_LEN, hex);
		return fail("module %s (%llu bytes) is not in this agent's store: send it first (blob_put)",
			    hex, (unsigned long long)j->tasks[i].module_size);
	}
	return NULL;
}

/* The spec as stored: blobs by hash and size, each task's input hash, origin. */
static char *stored_spec(struct cluster *c, json_t *spec, const struct job *j)
{
	char hex[2 * HASH_LEN + 1];
	unsigned int k;
	json_t *t;
	size_t i;

	json_array_foreach(json_object_get(spec, "tasks"), i, t) {
		const char *id = json_string_value(json_object_get(t, "id"));

		for (k = 0; k < j->ntasks; k++)
			if (id && !strcmp(id, j->tasks[k].id))
				break;
		if (k == j->ntasks)
			return NULL;
		hex_encode(j->tasks[k].input_hash, HASH_LEN, hex);
		json_object_set_new(t, "input_hash", json_string(hex));
	}
	json_object_set_new(spec, "origin", json_string(c->a->cfg.node_id));
	return json_dumps(spec, JSON_COMPACT | JSON_SORT_KEYS);
}

/* Writes jobs/<id>/spec (create-once) and active/<id>; the reply. */
static json_t *write_spec(struct cluster *c, const char *id, const char *spec,
			  unsigned int ntasks)
{
	char key[256];
	int r;

	cluster_key(c, key, sizeof(key), "jobs/%s/spec", id);
	r = etcd_create(c->etcd, key, spec, strlen(spec), 0);
	if (r < 0)
		return fail("%s", "etcd unavailable");
	if (r == 0) {
		cluster_key(c, key, sizeof(key), "active/%s", id);
		etcd_put(c->etcd, key, "", 0, 0);
	}
	return json_pack("{s:b, s:s, s:b, s:i}", "ok", 1, "job", id,
			 "existed", r == 1, "tasks", ntasks);
}

struct submit {
	struct ctl_pending *p;
	char id[JOB_ID_LEN + 1];
	char *spec;
	unsigned int ntasks;
	uint64_t t0_ns;
};

/* The blobs are on a majority (or the deadline passed): write the spec. */
static void submit_done(void *arg, const char *why)
{
	struct cluster *c = cluster_get();
	struct submit *s = arg;
	json_t *rep;

	if (why || !c) {
		log_warn("job %s: %s", s->id, why ?: "the cluster stopped");
		rep = fail("%s", why ?: "the cluster stopped");
	} else {
		uint64_t writes = etcd_writes(c->etcd);

		log_info("job %s: blobs on a majority after %llu ms, spec written",
			 s->id, (unsigned long long)((now_mono_ns() - s->t0_ns) / 1000000));
		rep = write_spec(c, s->id, s->spec, s->ntasks);
		/* the cluster acts on it at once */
		nudge_if_wrote(c, writes);
	}
	ctl_reply(s->p, rep);
	free(s->spec);
	free(s);
}

/* The job's distinct blobs (modules and inputs) with their sizes. */
static unsigned int job_blobs(const struct job *j, uint8_t (*h)[HASH_LEN], uint64_t *sz)
{
	unsigned int i, k, n = 0;

	for (i = 0; i < 2 * j->ntasks; i++) {
		const struct task_spec *t = &j->tasks[i / 2];
		const uint8_t *x = i % 2 ? t->input_id : t->module_id;
		uint64_t size = i % 2 ? t->input_size : t->module_size;

		for (k = 0; k < n && memcmp(h[k], x, HASH_LEN); k++)
			;
		if (k < n)
			continue;
		memcpy(h[n], x, HASH_LEN);
		sz[n++] = size;
	}
	return n;
}

/*
 * Durability: the spec is written only once the job's blobs are on a
 * strict majority of the members (this node and enough peers that
 * fetched them through BLOB_OFFER), so the bytes outlive the submitter.
 */
static json_t *cmd_submit(struct cluster *c, json_t *req)
{
	const struct blob_store *st = blobnet_store();
	json_t *spec = json_object_get(req, "spec"), *e;
	uint8_t (*h)[HASH_LEN] = NULL;
	struct submit *s = NULL;
	uint64_t *sz = NULL;
	unsigned int n, need;
	struct etcd_kv kv;
	char err[256], key[256];
	struct job j;

	if (!json_is_object(spec))
		return fail("%s", "job_submit needs a \"spec\" object");
	if (!st)
		return fail("%s", "no blob store");
	spec = json_deep_copy(spec);
	memset(&j, 0, sizeof(j));
	e = store_inline(st, spec);
	if (e)
		goto out;
	if (job_parse_submit(spec, &j, err, sizeof(err))) {
		e = fail("bad job spec: %s", err);
		goto out;
	}
	e = check_modules(st, &j);
	if (e)
		goto out;
	cluster_key(c, key, sizeof(key), "jobs/%s/spec", j.id);
	if (etcd_get(c->etcd, key, &kv) == 0) {
		/* the same job (content-addressed): already there */
		etcd_kv_clear(&kv);
		e = json_pack("{s:b, s:s, s:b, s:i}", "ok", 1, "job", j.id,
			      "existed", 1, "tasks", j.ntasks);
		goto out;
	}
	s = calloc(1, sizeof(*s));
	h = calloc(2 * j.ntasks, sizeof(*h));
	sz = calloc(2 * j.ntasks, sizeof(*sz));
	if (!s || !h || !sz || !(s->spec = stored_spec(c, spec, &j))) {
		e = fail("%s", "out of memory");
		goto out;
	}
	strcpy(s->id, j.id);
	s->ntasks = j.ntasks;
	s->t0_ns = now_mono_ns();
	n = job_blobs(&j, h, sz);
	need = c->nmembers / 2;		/* a strict majority, counting us */
	if (need > c->a->npeers)
		need = c->a->npeers;
	if (!need) {
		e = write_spec(c, s->id, s->spec, s->ntasks);
		goto out;
	}
	s->p = ctl_defer();
	if (!s->p) {
		e = fail("%s", "cannot defer the reply");
		goto out;
	}
	if (blobnet_replicate((const uint8_t (*)[HASH_LEN])h, sz, n, need,
			      submit_done, s)) {
		ctl_reply(s->p, fail("%s", "out of memory"));
		goto out;
	}
	s = NULL;	/* submit_done() owns it */
out:
	if (s) {
		free(s->spec);
		free(s);
	}
	free(h);
	free(sz);
	json_decref(spec);
	job_free(&j);
	return e;
}

static int get_result(struct cluster *c, const char *id, json_t **out)
{
	struct etcd_kv kv;
	char key[256];
	int r;

	cluster_key(c, key, sizeof(key), "jobs/%s/result", id);
	r = etcd_get(c->etcd, key, &kv);
	if (r)
		return r;
	*out = json_loads(kv.val, 0, NULL);
	etcd_kv_clear(&kv);
	return *out ? 0 : -1;
}

static const char *job_arg(json_t *req)
{
	const char *id = json_string_value(json_object_get(req, "job"));
	size_t i;

	if (!id || strlen(id) != JOB_ID_LEN)
		return NULL;
	for (i = 0; i < JOB_ID_LEN; i++)
		if (!strchr("0123456789abcdef", id[i]))
			return NULL;
	return id;
}

static json_t *cmd_status(struct cluster *c, json_t *req)
{
	const char *id = job_arg(req);
	json_t *res = NULL, *rep;
	struct etcd_kv *kvs;
	size_t n, i, commits = 0, atts = 0, ntasks = 0;
	char key[256], prefix[256];
	const char *state = "submitted";
	json_t *spec = NULL, *mism;
	long long epoch = -1;

	if (!id)
		return fail("%s", "needs \"job\": a 32-hex job id");
	cluster_key(c, prefix, sizeof(prefix), "jobs/%s/", id);
	if (etcd_range(c->etcd, prefix, false, &kvs, &n))
		return fail("%s", "etcd unavailable");
	if (!n) {
		free(kvs);
		return fail("no job %s", id);
	}
	mism = json_array();
	for (i = 0; i < n; i++) {
		const char *rel = kvs[i].key + strlen(prefix);

		if (!strncmp(rel, "commit/", 7))
			commits++;
		else if (!strncmp(rel, "att/", 4))
			atts++;
		else if (!strcmp(rel, "epoch"))
			epoch = strtoll(kvs[i].val, NULL, 10);
		else if (!strcmp(rel, "spec"))
			spec = json_loads(kvs[i].val, 0, NULL);
		else if (!strcmp(rel, "result"))
			res = json_loads(kvs[i].val, 0, NULL);
		else if (!strncmp(rel, "mismatch/", 9))
			json_array_append_new(mism, json_loads(kvs[i].val, 0, NULL));
	}
	etcd_kvs_free(kvs, n);
	ntasks = json_array_size(json_object_get(spec, "tasks"));
	json_decref(spec);
	if (res)
		state = json_string_value(json_object_get(res, "state"));
	else if (commits)
		state = "running";
	else if (atts)
		state = "running";
	else if (epoch >= 0)
		state = "planned";
	rep = json_pack("{s:b, s:s, s:s, s:I, s:i, s:i, s:i}", "ok", 1, "job", id,
			"state", state, "epoch", (json_int_t)epoch,
			"tasks", (int)ntasks, "tasks_committed", (int)commits,
			"attestations", (int)atts);
	/* replicas that disagreed: where they diverged, how they recovered */
	json_object_set_new(rep, "mismatches", mism);
	if (res) {
		static const char *const f[] = { "input_hash", "plan_hash",
			"execution_hash", "output_hash", "epoch", "cap_id", "reason" };

		for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
			if (json_object_get(res, f[i]))
				json_object_set(rep, f[i], json_object_get(res, f[i]));
		json_decref(res);
	}
	(void)key;
	return rep;
}

static json_t *cmd_result(struct cluster *c, json_t *req)
{
	const char *id = job_arg(req);
	json_t *res, *outs, *t;
	char prefix[256];
	struct etcd_kv *kvs;
	size_t n, i;

	if (!id)
		return fail("%s", "needs \"job\": a 32-hex job id");
	if (get_result(c, id, &res))
		return fail("job %s has no committed result (yet)", id);
	outs = json_object();
	/* outputs: any replica's bytes whose output hash is the committed one */
	cluster_key(c, prefix, sizeof(prefix), "jobs/%s/out/", id);
	if (!etcd_range(c->etcd, prefix, false, &kvs, &n)) {
		json_array_foreach(json_object_get(res, "tasks"), i, t) {
			const char *tid = json_string_value(json_object_get(t, "id"));
			json_t *a = json_array_get(json_object_get(t, "attestations"), 0);
			const char *node = json_string_value(json_object_get(a, "node"));
			char want[512];
			size_t k;

			snprintf(want, sizeof(want), "%s%s/%s", prefix, tid, node);
			for (k = 0; k < n; k++)
				if (!strcmp(kvs[k].key, want))
					json_object_set_new(outs, tid, json_string(kvs[k].val));
		}
		etcd_kvs_free(kvs, n);
	}
	return json_pack("{s:b, s:o, s:o}", "ok", 1, "result", res, "outputs", outs);
}

static json_t *cmd_list(struct cluster *c)
{
	char prefix[256], active[256];
	struct etcd_kv *kvs, *act;
	size_t n, na, i, k;
	json_t *arr = json_array();

	cluster_key(c, prefix, sizeof(prefix), "jobs/");
	cluster_key(c, active, sizeof(active), "active/");
	if (etcd_range(c->etcd, prefix, true, &kvs, &n)) {
		json_decref(arr);
		return fail("%s", "etcd unavailable");
	}
	if (etcd_range(c->etcd, active, true, &act, &na)) {
		act = NULL;
		na = 0;
	}
	for (i = 0; i < n; i++) {
		const char *rel = kvs[i].key + strlen(prefix);
		bool is_active = false;
		char id[JOB_ID_LEN + 1];

		if (strlen(rel) != JOB_ID_LEN + 5 || strcmp(rel + JOB_ID_LEN, "/spec"))
			continue;
		memcpy(id, rel, JOB_ID_LEN);
		id[JOB_ID_LEN] = '\0';
		for (k = 0; k < na; k++)
			is_active |= !strcmp(act[k].key + strlen(active), id);
		json_array_append_new(arr, json_pack("{s:s, s:s}", "job", id,
				      "state", is_active ? "active" : "final"));
	}
	etcd_kvs_free(kvs, n);
	etcd_kvs_free(act, na);
	return json_pack("{s:b, s:o}", "ok", 1, "jobs", arr);
}

static json_t *cmd_cluster(struct cluster *c)
{
	json_t *m = json_array(), *q = json_object();
	char prefix[256];
	struct etcd_kv *kvs;
	size_t n, i;

	for (i = 0; i < c->nmembers; i++)
		json_array_append_new(m, json_string(c->members[i]));
	cluster_key(c, prefix, sizeof(prefix), "quarantine/");
	if (!etcd_range(c->etcd, prefix, false, &kvs, &n)) {
		for (i = 0; i < n; i++)
			json_object_set_new(q, kvs[i].key + strlen(prefix),
					    json_loads(kvs[i].val, 0, NULL));
		etcd_kvs_free(kvs, n);
	}
	return json_pack("{s:b, s:s, s:I, s:o, s:b, s:b, s:b, s:o, s:s, s:s, s:{s:s, s:i, s:b}, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:o}",
			 "ok", 1, "node_id", c->a->cfg.node_id,
			 "epoch", (json_int_t)c->epoch, "members", m,
			 "coordinator", c->coordinator, "fenced", c->fenced,
			 "quarantined", c->quarantined, "quarantine", q,
			 "engine", executor_engine(), "fault", fault_name(),
			 "revocation", "backend", revocation_backend(),
			 "revoked", (int)revocation_count(),
			 "require_cap", c->require_cap,
			 "counters", "tasks_run", (json_int_t)c->tasks_run,
			 "attestations", (json_int_t)c->attests,
			 "task_commits", (json_int_t)c->commits,
			 "job_results", (json_int_t)c->results,
			 "replans", (json_int_t)c->replans,
			 "etcd_errors", (json_int_t)c->etcd_errors,
			 "nudges_sent", (json_int_t)c->nudges_tx,
			 "nudges_received", (json_int_t)c->nudges_rx,
			 "blobs", blobnet_stats());
}

/* Lifts a node's quarantine: the coordinator takes it into the next epoch. */
static json_t *cmd_quarantine_lift(struct cluster *c, json_t *req)
{
	const char *node = json_string_value(json_object_get(req, "node"));
	struct etcd_kv kv;
	char key[256];
	json_t *rec;
	int r;

	if (!node || !node_id_valid(node))
		return fail("%s", "needs \"node\": a node id");
	cluster_key(c, key, sizeof(key), "quarantine/%s", node);
	r = etcd_get(c->etcd, key, &kv);
	if (r < 0)
		return fail("%s", "etcd unavailable");
	if (r == 1)
		return fail("node %s is not quarantined", node);
	rec = json_loads(kv.val, 0, NULL);
	etcd_kv_clear(&kv);
	if (etcd_delete(c->etcd, key)) {
		json_decref(rec);
		return fail("%s", "etcd unavailable");
	}
	log_info("cluster: quarantine of %s lifted by an operator", node);
	return json_pack("{s:b, s:s, s:o}", "ok", 1, "node", node,
			 "was", rec ? rec : json_null());
}

/*
 * Revocation is cluster-wide: revoked/<id> in etcd, mirrored by every
 * agent into its revocation set and pinned BPF map at its next tick
 * (revocation.c). Unrevoke deletes the key.
 */
static json_t *cmd_revoke(struct cluster *c, json_t *req, bool revoke)
{
	const char *cap = json_string_value(json_object_get(req, "cap_id"));
	uint8_t id[HASH_LEN];
	char key[256], val[32];
	int r;

	if (hex_decode(cap, id, HASH_LEN) || cap_id_none(id))
		return fail("%s", "needs \"cap_id\": a capability id (64 lowercase hex digits, not all zero)");
	cluster_key(c, key, sizeof(key), "revoked/%s", cap);
	snprintf(val, sizeof(val), "%llu", (unsigned long long)now_realtime_ms());
	r = revoke ? etcd_put(c->etcd, key, val, strlen(val), 0) : etcd_delete(c->etcd, key);
	if (r)
		return fail("%s", "etcd unavailable");
	return json_pack("{s:b, s:s, s:b}", "ok", 1, "cap_id", cap, "revoked", revoke);
}

static json_t *dispatch(struct cluster *c, const char *cmd, json_t *req)
{
	if (!strcmp(cmd, "job_submit"))
		return cmd_submit(c, req);
	if (!strcmp(cmd, "job_status"))
		return cmd_status(c, req);
	if (!strcmp(cmd, "job_result"))
		return cmd_result(c, req);
	if (!strcmp(cmd, "job_revoke"))
		return cmd_revoke(c, req, true);
	if (!strcmp(cmd, "job_unrevoke"))
		return cmd_revoke(c, req, false);
	if (!strcmp(cmd, "job_list"))
		return cmd_list(c);
	if (!strcmp(cmd, "cluster"))
		return cmd_cluster(c);
	if (!strcmp(cmd, "quarantine_lift"))
		return cmd_quarantine_lift(c, req);
	return NULL;
}

json_t *cluster_control(struct agent *a, const char *cmd, json_t *req)
{
	struct cluster *c = cluster_get();
	uint64_t writes;
	json_t *rep;

	if (strncmp(cmd, "job_", 4) && strcmp(cmd, "cluster") &&
	    strcmp(cmd, "quarantine_lift"))
		return NULL;
	if (!c)
		return fail("%s", "this agent runs without a cluster (no --etcd)");
	/* a submitted job, a revocation: the cluster acts on it at once */
	writes = etcd_writes(c->etcd);
	rep = dispatch(c, cmd, req);
	nudge_if_wrote(c, writes);
	return rep;
}
