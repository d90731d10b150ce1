// SPDX-License-Identifier: GPL-2.0
/*
 * Jobs: submission, the per-tick state machine on every agent, the
 * coordinator's commits and the result with its quorum certificate (see
 * job.h and Documentation/cluster.md). Everything durable is in etcd; an
 * agent keeps no job state across ticks, so a restarted or newly elected
 * agent simply continues from what etcd holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "agent/blobs/blobnet.h"
#include "agent/cluster/fault.h"
#include "agent/cluster/job.h"
#include "agent/cluster/membership.h"
#include "agent/cluster/revocation.h"
#include "agent/cluster/mismatch.h"
#include "agent/mesh/nudge.h"
#include "agent/synapsed.h"

static X509 *ca_cert;

/* Below this, checkpoints would cost more than the work between them. */
#define CHECKPOINT_EVERY_MIN	10000u

/* ---- spec ---- */

static int cmp_task(const void *a, const void *b)
{
	return strcmp(((const struct task_spec *)a)->id,
		      ((const struct task_spec *)b)->id);
}

void job_free(struct job *j)
{
	unsigned int i;

	for (i = 0; j->tasks && i < j->ntasks; i++)
		free(j->tasks[i].input);
	free(j->tasks);
	free(j->task_ids);
	free(j->token_bytes);
	etcd_kvs_free(j->kvs, j->nkv);
	memset(j, 0, sizeof(*j));
}

/* Set while job_parse_submit() runs: the input blobs are local. */
static bool parse_local;

/* "name": 64 hex -> hash; "size_name": 0..BLOB_MAX -> size */
static int parse_blob_ref(json_t *o, const char *name, const char *size_name,
			  uint8_t hash[HASH_LEN], uint64_t *size)
{
	json_t *sz = json_object_get(o, size_name);

	if (name && hex_decode(json_string_value(json_object_get(o, name)), hash, HASH_LEN))
		return -1;
	if (!json_is_integer(sz) || json_integer_value(sz) < 0 ||
	    json_integer_value(sz) > BLOB_MAX)
		return -1;
	*size = json_integer_value(sz);
	return 0;
}

/* The task input hash: declared by the spec, or computed from local bytes. */
static int task_input_hash(json_t *o, struct task_spec *t, char *err, size_t errlen)
{
	const struct blob_store *st = blobnet_store();
	int r;

	if (!parse_local) {
		if (hex_decode(json_string_value(json_object_get(o, "input_hash")),
			       t->input_hash, HASH_LEN)) {
			snprintf(err, errlen, "task %s: input_hash must be 64 hex", t->id);
			return -1;
		}
		return 0;
	}
	r = st ? blob_read(st, t->input_id, &t->input, &t->input_len) : -1;
	if (r || t->input_len != t->input_size) {
		snprintf(err, errlen, "task %s: input blob not in this agent's store (send it first)", t->id);
		return -1;
	}
	r = executor_input_hash(t);
	free(t->input);
	t->input = NULL;
	t->input_len = 0;
	if (r) {
		snprintf(err, errlen, "task %s: cannot hash the task input", t->id);
		return -1;
	}
	return 0;
}

static int parse_task(json_t *o, struct job *j, struct task_spec *t,
		      char *err, size_t errlen)
{
	const char *id = json_string_value(json_object_get(o, "id"));
	const char *mod = json_string_value(json_object_get(o, "module"));
	const char *entry = json_string_value(json_object_get(o, "entry"));

	if (!id || !task_id_valid(id)) {
		snprintf(err, errlen, "task id missing or invalid ([A-Za-z0-9._-], 1-63)");
		return -1;
	}
	strcpy(t->id, id);
	if (hex_decode(mod, t->module_id, HASH_LEN)) {
		snprintf(err, errlen, "task %s: module must be a module id (64 hex)", id);
		return -1;
	}
	if (parse_blob_ref(o, NULL, "module_size", NULL, &t->module_size) ||
	    !t->module_size) {
		snprintf(err, errlen, "task %s: module_size must be 1..%u", id, BLOB_MAX);
		return -1;
	}
	if (!entry)
		entry = "run";
	if (strlen(entry) >= sizeof(t->entry)) {
		snprintf(err, errlen, "task %s: entry name too long", id);
		return -1;
	}
	strcpy(t->entry, entry);
	if (parse_blob_ref(o, "input_blob", "input_size", t->input_id, &t->input_size)) {
		snprintf(err, errlen, "task %s: input_blob (64 hex) and input_size (0..%u) needed",
			 id, BLOB_MAX);
		return -1;
	}
	t->fuel = j->fuel;
	t->memory = j->memory;
	memcpy(t->cap_id, j->cap_id, HASH_LEN);
	t->checkpoint_every = j->checkpoint_every;
	return task_input_hash(o, t, err, errlen);
}

/*
 * "cap": the token, base64. Only parsed here (canonical form, its id): the
 * signature and constraints are job_cap_check()'s, at acceptance.
 */
static int parse_cap(json_t *spec, struct job *j, char *err, size_t errlen)
{
	json_t *cap = json_object_get(spec, "cap");

	if (!cap)
		return 0;	/* no token: the all-zero capability id */
	if (!json_is_string(cap)) {
		snprintf(err, errlen, "cap must be a capability token in base64");
		return -1;
	}
	j->token_bytes = b64_decode(json_string_value(cap), &j->token_len);
	if (!j->token_bytes ||
	    captoken_parse(j->token_bytes, j->token_len, &j->token, j->cap_id)) {
		snprintf(err, errlen, "cap is not a capability token (synctl cap issue)");
		return -1;
	}
	j->has_token = true;
	return 0;
}

int job_cap_check(const struct job *j, const char *ca, bool require_cap,
		  uint64_t now, char *err, size_t errlen)
{
	uint8_t id[CAPTOKEN_ID_LEN];
	uint64_t fuel, mem;
	struct captoken t;
	char why[256];
	int r;

	if (!j->has_token) {
		if (!require_cap)
			return 0;
		snprintf(err, errlen, "no capability token: this cluster requires one (synctl job submit --cap)");
		return -1;
	}
	executor_limits(j->fuel, j->memory, &fuel, &mem);
	r = captoken_verify(ca, j->token_bytes, j->token_len, now, &t, id,
			    why, sizeof(why));
	if (r) {
		snprintf(err, errlen, "capability token refused: %s", why);
		return -1;
	}
	if (t.job[0] && strcmp(t.job, j->name)) {
		snprintf(err, errlen, "capability token is for job '%s', not '%s'",
			 t.job, j->name);
		return -1;
	}
	if (t.fuel_max && fuel > t.fuel_max) {
		snprintf(err, errlen, "job fuel %llu per task exceeds the token's ceiling %llu",
			 (unsigned long long)fuel, (unsigned long long)t.fuel_max);
		return -1;
	}
	if (t.memory_pages_max && mem > t.memory_pages_max) {
		snprintf(err, errlen, "job memory %llu pages per task exceeds the token's ceiling %llu",
			 (unsigned long long)mem, (unsigned long long)t.memory_pages_max);
		return -1;
	}
	return 0;
}

int job_parse_spec(json_t *spec, struct job *j, char *err, size_t errlen)
{
	json_t *tasks = json_object_get(spec, "tasks"), *o;
	const char *name = json_string_value(json_object_get(spec, "name"));
	json_int_t r = json_integer_value(json_object_get(spec, "replicas"));
	uint8_t (*hashes)[HASH_LEN];
	json_int_t mem;
	size_t i;

	const char *origin = json_string_value(json_object_get(spec, "origin"));

	if (!name)
		name = "";
	if (origin && node_id_valid(origin))
		strcpy(j->origin, origin);
	if (strlen(name) > JOB_NAME_MAX) {
		snprintf(err, errlen, "name longer than %d", JOB_NAME_MAX);
		return -1;
	}
	strcpy(j->name, name);
	if (r < 1 || r > CLUSTER_MAX_MEMBERS) {
		snprintf(err, errlen, "replicas must be 1..%d", CLUSTER_MAX_MEMBERS);
		return -1;
	}
	j->r = r;
	if (parse_cap(spec, j, err, errlen))
		return -1;
	j->fuel = json_integer_value(json_object_get(spec, "fuel"));
	mem = json_integer_value(json_object_get(spec, "memory"));
	if (mem < 0 || mem > EXEC_MAX_PAGES) {
		snprintf(err, errlen, "memory must be 0..%u pages of 64 KiB", EXEC_MAX_PAGES);
		return -1;
	}
	j->memory = mem;
	/* part of every task input hash: a job with its own is another job */
	j->checkpoint_every = json_integer_value(json_object_get(spec, "checkpoint_every"));
	if (j->checkpoint_every && j->checkpoint_every < CHECKPOINT_EVERY_MIN) {
		snprintf(err, errlen, "checkpoint_every must be 0 (default) or >= %u",
			 CHECKPOINT_EVERY_MIN);
		return -1;
	}
	j->ntasks = json_array_size(tasks);
	if (!j->ntasks || j->ntasks > JOB_MAX_TASKS) {
		snprintf(err, errlen, "a job has 1..%d tasks", JOB_MAX_TASKS);
		return -1;
	}
	j->tasks = calloc(j->ntasks, sizeof(*j->tasks));
	j->task_ids = calloc(j->ntasks, sizeof(*j->task_ids));
	hashes = calloc(j->ntasks, sizeof(*hashes));
	if (!j->tasks || !j->task_ids || !hashes) {
		free(hashes);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	json_array_foreach(tasks, i, o)
		if (parse_task(o, j, &j->tasks[i], err, errlen)) {
			free(hashes);
			return -1;
		}
	qsort(j->tasks, j->ntasks, sizeof(*j->tasks), cmp_task);
	for (i = 0; i < j->ntasks; i++) {
		if (i && !strcmp(j->tasks[i - 1].id, j->tasks[i].id)) {
			snprintf(err, errlen, "duplicate task id %s", j->tasks[i].id);
			free(hashes);
			return -1;
		}
		j->task_ids[i] = j->tasks[i].id;
		memcpy(hashes[i], j->tasks[i].input_hash, HASH_LEN);
	}
	job_input_hash(j->name, j->r, j->cap_id, j->ntasks, j->task_ids,
		       (const uint8_t (*)[HASH_LEN])hashes, j->input);
	hex_encode(j->input, JOB_ID_LEN / 2, j->id);
	free(hashes);
	return 0;
}

int job_parse_submit(json_t *spec, struct job *j, char *err, size_t errlen)
{
	int r;

	parse_local = true;
	r = job_parse_spec(spec, j, err, errlen);
	parse_local = false;
	return r;
}

/* ---- reading a job from etcd ---- */

/* The kv at jobs/<id>/<rel>, or NULL. */
static struct etcd_kv *jkv(struct job *j, const char *rel)
{
	size_t i;

	for (i = 0; i < j->nkv; i++)
		if (!strcmp(j->kvs[i].key + j->plen, rel))
			return &j->kvs[i];
	return NULL;
}

static int job_load(struct cluster *c, const char *id, struct job *j)
{
	char key[256], err[256];
	struct etcd_kv *spec, *ep;
	json_t *sj;
	int r;

	memset(j, 0, sizeof(*j));
	cluster_key(c, key, sizeof(key), "jobs/%s/", id);
	if (etcd_range(c->etcd, key, false, &j->kvs, &j->nkv))
		return -1;
	j->plen = strlen(key);
	spec = jkv(j, "spec");
	if (!spec)
		goto fail;
	sj = json_loads(spec->val, 0, NULL);
	r = sj ? job_parse_spec(sj, j, err, sizeof(err)) : -1;
	json_decref(sj);
	if (r || strcmp(j->id, id)) {
		log_warn("job %s: bad spec: %s", id, r ? err : "id mismatch");
		goto fail;
	}
	ep = jkv(j, "epoch");
	if (ep) {
		j->have_epoch = true;
		j->epoch = strtoull(ep->val, NULL, 10);
	}
	return 0;
fail:
	{
		struct etcd_kv *kvs = j->kvs;
		size_t n = j->nkv;

		j->kvs = NULL;
		j->nkv = 0;
		job_free(j);
		etcd_kvs_free(kvs, n);
	}
	return -1;
}

const char *job_state_name(const struct job *j)
{
	return j->have_epoch ? "planned" : "submitted";
}

/* ---- attestations stored in etcd: the attestation JSON plus "cert" ---- */

static json_t *att_store_json(struct cluster *c, const struct attest *a)
{
	json_t *o = attest_to_json(a);

	if (o)
		json_object_set_new(o, "cert", json_string(c->cert_pem));
	return o;
}

/*
 * Attestations already verified, by SHA-256 of their stored text: every
 * tick re-reads a job's attestations, and the chain and signature checks
 * dominate a tick's CPU time otherwise. Direct-mapped; a miss only costs
 * a re-check.
 */
#define VCACHE_SIZE	4096
static uint8_t vcache[VCACHE_SIZE][HASH_LEN];

static bool vcache_has(const uint8_t d[HASH_LEN])
{
	return !memcmp(vcache[(d[0] | d[1] << 8) % VCACHE_SIZE], d, HASH_LEN);
}

static void vcache_add(const uint8_t d[HASH_LEN])
{
	memcpy(vcache[(d[0] | d[1] << 8) % VCACHE_SIZE], d, HASH_LEN);
}

/* Parses and checks a stored attestation; 0 when valid and signed by node. */
static int att_check(struct cluster *c, const char *text, const char *node,
		     struct attest *a)
{
	char who[NODE_ID_MAX + 1], err[256];
	json_t *o = json_loads(text, 0, NULL);
	uint8_t d[HASH_LEN];
	EVP_PKEY *pub;
	int r = -1;

	if (!o)
		return -1;
	if (attest_from_json(o, a) || strcmp(a->node, node))
		goto out;
	EVP_Digest(text, strlen(text), d, NULL, EVP_sha256(), NULL);
	if (vcache_has(d)) {
		r = 0;
		goto out;
	}
	pub = attest_cert_check(ca_cert, json_string_value(json_object_get(o, "cert")),
				c->a->cfg.cluster, who, err, sizeof(err));
	if (!pub)
		goto out;
	if (!strcmp(who, node) && !attest_verify(a, pub)) {
		r = 0;
		vcache_add(d);
	}
	EVP_PKEY_free(pub);
out:
	json_decref(o);
	return r;
}

static int put_att(struct cluster *c, const char *key, const struct attest *a)
{
	json_t *o = att_store_json(c, a);
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	int r;

	json_decref(o);
	if (!s)
		return -1;
	r = etcd_put(c->etcd, key, s, strlen(s), 0);
	free(s);
	if (!r)
		c->attests++;
	return r;
}

/* ---- plan and acceptance ---- */

static int job_plan(struct cluster *c, struct job *j, uint64_t epoch,
		    struct plan *p, uint8_t ph[HASH_LEN])
{
	char **m;
	unsigned int n;
	int r;

	if (epoch_members(c, epoch, &m, &n))
		return -1;
	r = plan_compute(p, epoch, (const char *const *)m, n, j->task_ids,
			 j->ntasks, j->r);
	members_free(m, n);
	if (!r)
		plan_hash(p, ph);
	return r;
}

/* Counts valid accepts in epoch matching (input, plan hash). */
static unsigned int count_accepts(struct cluster *c, struct job *j,
				  const struct plan *p, const uint8_t ph[HASH_LEN],
				  json_t *collect)
{
	char rel[256];
	struct attest a;
	unsigned int i, n = 0;
	struct etcd_kv *kv;

	for (i = 0; i < p->nmembers; i++) {
		snprintf(rel, sizeof(rel), "accept/%llu/%s",
			 (unsigned long long)p->epoch, p->members[i]);
		kv = jkv(j, rel);
		if (!kv || att_check(c, kv->val, p->members[i], &a))
			continue;
		if (a.kind != ATT_ACCEPT || a.epoch != p->epoch ||
		    strcmp(a.job, j->id) || memcmp(a.input, j->input, HASH_LEN) ||
		    memcmp(a.plan, ph, HASH_LEN))
			continue;
		n++;
		if (collect)
			json_array_append_new(collect, json_loads(kv->val, 0, NULL));
	}
	return n;
}

static void sign_accept(struct cluster *c, struct job *j, const struct plan *p,
			const uint8_t ph[HASH_LEN])
{
	const char *self = c->a->cfg.node_id;
	struct attest a = { .kind = ATT_ACCEPT };
	char rel[256], key[256];

	snprintf(rel, sizeof(rel), "accept/%llu/%s", (unsigned long long)p->epoch, self);
	if (jkv(j, rel) || plan_member_index(p, self) < 0)
		return;
	strcpy(a.node, self);
	strcpy(a.job, j->id);
	a.epoch = p->epoch;
	memcpy(a.input, j->input, HASH_LEN);
	memcpy(a.plan, ph, HASH_LEN);
	if (attest_sign(&a, c->a->key))
		return;
	cluster_key(c, key, sizeof(key), "jobs/%s/%s", j->id, rel);
	put_att(c, key, &a);
}

static json_t *hexj(const uint8_t *h);
static int commit_of(struct cluster *c, struct job *j, unsigned int ti,
		     struct attest *a, json_t **obj);

/* ---- capability revocation (revoked/<cap id> in etcd) ---- */

/*
 * The mirrored set (revocation.c): etcd's revoked/ as of this tick, and
 * this host's pinned BPF map. Also the embedded engine's cap_check.
 */
static int cap_revoked(const uint8_t cap_id[HASH_LEN], void *arg)
{
	return revocation_revoked(cap_id);
}

/* ---- capability token checks (job_cap_check), one verdict per job ---- */

#define CAPCACHE_SIZE	64

static struct cap_verdict {
	char job[JOB_ID_LEN + 1];
	int r;
	char reason[256];
} capcache[CAPCACHE_SIZE];

/*
 * 0 when job j may be accepted and run here. Taken when this agent first
 * meets the job and kept (a bounded cache: an evicted verdict is taken
 * again, so a token must stay valid while its job is being accepted).
 */
static int cap_verdict(struct cluster *c, const struct job *j, const char **reason)
{
	struct cap_verdict *v = &capcache[(j->input[0] | j->input[1] << 8) % CAPCACHE_SIZE];

	if (strcmp(v->job, j->id)) {
		strcpy(v->job, j->id);
		v->r = job_cap_check(j, c->a->cfg.ca, c->require_cap,
				     (uint64_t)time(NULL), v->reason, sizeof(v->reason));
		if (v->r)
			log_warn("job %s: refused: %s", j->id, v->reason);
	}
	*reason = v->reason;
	return v->r;
}

/*
 * A job that ends without a commit (revoked, refused): its result record
 * is written once (create-only: the first agent wins) and it leaves the
 * active set. Returns true when this agent wrote the record.
 */
static bool finish_uncommitted(struct cluster *c, const struct job *j, json_t *o)
{
	char key[256], *s;
	bool wrote;

	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	cluster_key(c, key, sizeof(key), "jobs/%s/result", j->id);
	wrote = s && etcd_create(c->etcd, key, s, strlen(s), 0) == 0;
	free(s);
	cluster_key(c, key, sizeof(key), "active/%s", j->id);
	etcd_delete(c->etcd, key);
	return wrote;
}

/* The job's capability was revoked: it ends revoked, with what committed. */
static void finish_revoked(struct cluster *c, struct job *j)
{
	char cap[2 * HASH_LEN + 1];
	unsigned int i, done = 0;
	struct attest a;
	json_t *o;

	hex_encode(j->cap_id, HASH_LEN, cap);
	for (i = 0; i < j->ntasks; i++)
		done += commit_of(c, j, i, &a, NULL) == 0;
	o = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:o}", "version", 1,
		      "job", j->id, "name", j->name, "cluster", c->a->cfg.cluster,
		      "state", "revoked", "cap_id", cap,
		      "tasks_total", j->ntasks, "tasks_committed", done,
		      "input_hash", hexj(j->input));
	if (finish_uncommitted(c, j, o))
		log_info("job %s revoked (capability %s)", j->id, cap);
}

/* The token check failed: the job ends refused, with the reason. */
static void finish_refused(struct cluster *c, struct job *j, const char *reason)
{
	json_t *o;

	o = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:o, s:i, s:i, s:o}", "version", 1,
		      "job", j->id, "name", j->name, "cluster", c->a->cfg.cluster,
		      "state", "refused", "reason", reason, "cap_id", hexj(j->cap_id),
		      "tasks_total", j->ntasks, "tasks_committed", 0,
		      "input_hash", hexj(j->input));
	if (finish_uncommitted(c, j, o))
		log_info("job %s refused: %s", j->id, reason);
}

/* ---- execution ---- */

/*
 * Where to fetch a job's blobs: the members in ring order after the
 * submitter, the submitter last. The first of them got the bytes at submit
 * (blobnet_replicate() offers in that order), so fetches spread over them
 * instead of all landing on the submitter, and a dead submitter costs no
 * timeout.
 */
static unsigned int blob_cands(struct cluster *c, const struct job *j,
			       const char **v)
{
	unsigned int i, first = 0, n = 0;

	while (first < c->nmembers && strcmp(c->members[first], j->origin) <= 0)
		first++;
	for (i = 0; i < c->nmembers; i++) {
		const char *m = c->members[(first + i) % c->nmembers];

		if (strcmp(m, j->origin))
			v[n++] = m;
	}
	if (j->origin[0])
		v[n++] = j->origin;
	return n;
}

/*
 * A blob's bytes, verified against its name, from the local store: 0 with
 * the bytes; 1 when they are not here yet (a fetch runs, and its end wakes
 * a tick); -1 on an error.
 */
static int task_blob(struct cluster *c, const struct job *j,
		     const uint8_t hash[HASH_LEN], uint64_t size,
		     uint8_t **buf, size_t *len)
{
	const char *cands[CLUSTER_MAX_MEMBERS + 1];
	const struct blob_store *st = blobnet_store();
	int r;

	if (!st)
		return -1;
	r = blob_read(st, hash, buf, len);
	if (r == 0 && *len == size)
		return 0;
	if (r == 0)
		free(*buf);
	/* absent, or damaged on disk (then removed): fetch it */
	r = blobnet_want(hash, size, cands, blob_cands(c, j, cands));
	if (r < 0)
		return -1;
	if (r == 0)
		return 1;
	return blob_read(st, hash, buf, len) ? -1 : 0;
}

/*
 * The task's module and input bytes, both verified; the task input hash
 * from the bytes must be the one the job was accepted with. Until then
 * (0 returned) the task does not start.
 */
static int task_bytes(struct cluster *c, const struct job *j, unsigned int ti,
		      struct task_spec *t, uint8_t **mod, size_t *len)
{
	uint8_t want[HASH_LEN];
	int r1, r2;

	*t = j->tasks[ti];
	t->input = NULL;
	r1 = task_blob(c, j, t->module_id, t->module_size, mod, len);
	r2 = task_blob(c, j, t->input_id, t->input_size, &t->input, &t->input_len);
	if (r1 || r2) {
		if (!r1)
			free(*mod);
		if (!r2)
			free(t->input);
		return -1;
	}
	memcpy(want, t->input_hash, HASH_LEN);
	if (executor_input_hash(t) || memcmp(want, t->input_hash, HASH_LEN)) {
		log_err("job %s task %s: the input bytes do not give the task input hash the job declares: not run",
			j->id, t->id);
		free(*mod);
		free(t->input);
		return -1;
	}
	return 0;
}

/* Turns an ended run into our signed attestation and stores the output. */
static int attest_result(struct cluster *c, struct job *j, unsigned int ti,
			 struct exec_result *res, struct attest *a)
{
	const struct task_spec *t = &j->tasks[ti];
	char key[256], cap[2 * HASH_LEN + 1], *b64;

	c->tasks_run++;
	hex_encode(t->cap_id, HASH_LEN, cap);
	if (res->status == 5)	/* SYNAPSE_STATUS_REVOKED */
		log_warn("job %s task %s: ended revoked (capability %s)",
			 j->id, t->id, cap);
	memset(a, 0, sizeof(*a));
	a->kind = ATT_TASK;
	strcpy(a->node, c->a->cfg.node_id);
	strcpy(a->job, j->id);
	strcpy(a->task, t->id);
	a->epoch = j->epoch;
	a->status = res->status;
	memcpy(a->input, t->input_hash, HASH_LEN);
	memcpy(a->trace, res->trace, HASH_LEN);
	memcpy(a->output, res->output, HASH_LEN);
	b64 = b64_encode(res->out, res->out_len);
	exec_result_free(res);
	if (!b64)
		return -1;
	cluster_key(c, key, sizeof(key), "jobs/%s/out/%s/%s", j->id, t->id, a->node);
	etcd_put(c->etcd, key, b64, strlen(b64), 0);
	free(b64);
	return attest_sign(a, c->a->key);
}

static struct exec_run *start_task(struct cluster *c, struct job *j, unsigned int ti)
{
	struct task_spec ts, *t = &ts;
	struct exec_run *r;
	char err[256];
	uint8_t *mod;
	size_t len;

	if (task_bytes(c, j, ti, t, &mod, &len))
		return NULL;
	r = executor_start(t, mod, len, err, sizeof(err));
	free(mod);
	free(t->input);
	if (!r)
		log_err("job %s task %s: %s", j->id, t->id, err);
	else
		log_info("job %s task %s: started", j->id, t->id);
	return r;
}

#define SLICE_FUEL	2000000ull

/*
 * Writes quarantine/<self>; the coordinator leaves quarantined nodes out
 * of every new epoch, so their uncommitted tasks are re-planned onto
 * others. We keep our lease (the node stays visible, alive, in synctl
 * peers) until an operator lifts the quarantine (synctl peers
 * unquarantine), which deletes the key.
 */
static void quarantine_self(struct cluster *c, struct job *j, unsigned int ti,
			    const struct mm_divergence *d)
{
	char key[256], reason[160], *s;
	json_t *o;

	snprintf(reason, sizeof(reason), "still disagrees with the committed majority after a replay from %s %lld (first divergent checkpoint %llu)",
		 d->from >= 0 ? "checkpoint" : "the input", (long long)(d->from >= 0 ? d->from : 0),
		 (unsigned long long)d->first);
	o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "node", c->a->cfg.node_id,
		      "job", j->id, "task", j->tasks[ti].id, "reason", reason,
		      "since", (json_int_t)now_realtime_ms(),
		      "first_divergent", (json_int_t)d->first,
		      "first_divergent_fuel", (json_int_t)d->first_fuel);
	s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	cluster_key(c, key, sizeof(key), "quarantine/%s", c->a->cfg.node_id);
	if (s)
		etcd_put(c->etcd, key, s, strlen(s), 0);
	free(s);
	log_err("cluster: job %s task %s: still disagrees after replay; quarantined",
		j->id, j->tasks[ti].id);
	c->quarantined = true;
	/* our other runs are as suspect: none finishes, is audited or replayed */
	mm_drop_all();
	executor_abort(c->run);
	c->run = NULL;
	c->run_job[0] = c->run_task[0] = '\0';
}

/* Our own checkpoint list: from the kept run, else as we published it. */
static void own_list(struct cluster *c, struct job *j, unsigned int ti,
		     struct exec_run *r, struct mm_list *l)
{
	char rel[256];
	struct etcd_kv *kv;

	memset(l, 0, sizeof(*l));
	if (r) {
		mm_list_of_run(r, 0, l);
		return;
	}
	snprintf(rel, sizeof(rel), "cps/%s/%s", j->tasks[ti].id, c->a->cfg.node_id);
	kv = jkv(j, rel);
	if (kv)
		mm_list_parse(kv->val, l);
}

/*
 * Our attestation disagrees with the committed majority: find the first
 * divergent checkpoint against a majority replica's list, roll back to the
 * newest kept checkpoint before it (the last agreed state; the task input
 * when none is kept any more) and replay from there. A transient fault
 * heals here and our attestation is replaced; a persistent one
 * quarantines us.
 */
static void reconcile(struct cluster *c, struct job *j, unsigned int ti,
		      const struct attest *committed)
{
	const char *tid = j->tasks[ti].id;
	struct exec_run *r = mm_take(j->id, tid);
	struct mm_list mine, major = { 0 };
	struct mm_divergence d;
	struct exec_result res;
	struct attest again;
	struct etcd_kv *kv;
	char rel[256], key[256];
	int done;

	snprintf(rel, sizeof(rel), "cps/%s/%s", tid, committed->node);
	kv = jkv(j, rel);
	if (kv)
		mm_list_parse(kv->val, &major);
	own_list(c, j, ti, r, &mine);
	mm_compare(&mine, &major, &d);
	mm_list_free(&mine);
	mm_list_free(&major);
	if (r && mm_rollback(r, &d)) {
		executor_abort(r);
		r = NULL;
	}
	if (d.known)
		log_warn("job %s task %s: mismatch with the committed result (%s): first divergent checkpoint %llu at fuel %llu, last agreed %lld",
			 j->id, tid, committed->node, (unsigned long long)d.first,
			 (unsigned long long)d.first_fuel, (long long)d.last_agreed);
	else
		log_warn("job %s task %s: mismatch with the committed result (%s): no checkpoint list to compare",
			 j->id, tid, committed->node);
	if (!r) {
		r = start_task(c, j, ti);
		if (!r)
			return;
		executor_set_replay(r);
	}
	log_warn("job %s task %s: replaying from %s %lld (fuel %llu)", j->id, tid,
		 d.from >= 0 ? "checkpoint" : "the input",
		 (long long)(d.from >= 0 ? d.from : 0), (unsigned long long)d.from_fuel);
	/* the lease is renewed between slices: a long replay keeps us a member */
	while ((done = executor_step(r, SLICE_FUEL)) != EXEC_DONE) {
		/* the kernel engine runs it: wait for its event a while */
		if (done == EXEC_WAIT)
			executor_wait(r, 100);
		membership_keepalive(c);
	}
	if (executor_result(r, &res) || attest_result(c, j, ti, &res, &again)) {
		executor_abort(r);
		return;
	}
	mm_publish(c, j->id, tid, r, res.fuel_used);
	executor_abort(r);
	if (attest_task_same(&again, committed)) {
		cluster_key(c, key, sizeof(key), "jobs/%s/att/%s/%s", j->id, tid,
			    again.node);
		put_att(c, key, &again);
		mm_report(c, j->id, tid, committed->node, &d, "agrees");
		log_info("job %s task %s: replay agrees", j->id, tid);
		return;
	}
	mm_report(c, j->id, tid, committed->node, &d, "quarantined");
	quarantine_self(c, j, ti, &d);
}

static int commit_of(struct cluster *c, struct job *j, unsigned int ti,
		     struct attest *a, json_t **obj)
{
	char rel[256];
	struct etcd_kv *kv;
	json_t *o, *atts;

	snprintf(rel, sizeof(rel), "commit/%s", j->tasks[ti].id);
	kv = jkv(j, rel);
	if (!kv)
		return 1;
	o = json_loads(kv->val, 0, NULL);
	atts = json_object_get(o, "attestations");
	if (!o || !json_array_size(atts) ||
	    attest_from_json(json_array_get(atts, 0), a)) {
		json_decref(o);
		return -1;
	}
	if (obj)
		*obj = o;
	else
		json_decref(o);
	return 0;
}

static void drop_run(struct cluster *c)
{
	executor_abort(c->run);
	c->run = NULL;
	c->run_job[0] = c->run_task[0] = '\0';
}

/*
 * Our run of task ti was cut short: a majority committed it without us.
 * The checkpoints it took so far are still evidence. If one of them differs
 * from the committed replica's at the same position, this node computed
 * something wrong, and it reconciles like a replica that finished late:
 * roll back, replay to the end, then attest (the fault was transient) or
 * quarantine itself. Agreeing so far, the run is dropped: work nobody needs.
 */
static void cut_short(struct cluster *c, struct job *j, unsigned int ti,
		      const struct attest *committed)
{
	struct mm_list mine, major = { 0 };
	struct mm_divergence d;
	struct etcd_kv *kv;
	char rel[256];

	snprintf(rel, sizeof(rel), "cps/%s/%s", j->tasks[ti].id, committed->node);
	kv = jkv(j, rel);
	if (kv)
		mm_list_parse(kv->val, &major);
	if (mm_list_of_run(c->run, 0, &mine))
		memset(&mine, 0, sizeof(mine));
	mm_compare(&mine, &major, &d);
	mm_list_free(&mine);
	mm_list_free(&major);
	if (!d.known || d.after_last) {
		drop_run(c);
		return;
	}
	log_warn("job %s task %s: committed without us, and our run so far already differs at checkpoint %llu",
		 j->id, j->tasks[ti].id, (unsigned long long)d.first);
	mm_keep(j->id, j->tasks[ti].id, c->run);
	c->run = NULL;
	c->run_job[0] = c->run_task[0] = '\0';
	reconcile(c, j, ti, committed);
}

/*
 * Advances our one running task by slices until half a tick is used; when
 * it ends, attests. Returns true while the task is still running.
 */
static bool advance_run(struct cluster *c, struct job *j)
{
	struct exec_result res;
	struct attest a;
	char key[256];
	int ti = -1, done = 0;
	unsigned int i;

	for (i = 0; i < j->ntasks; i++)
		if (!strcmp(j->tasks[i].id, c->run_task))
			ti = i;
	if (ti < 0) {
		drop_run(c);
		return false;
	}
	if (commit_of(c, j, ti, &a, NULL) == 0) {
		cut_short(c, j, ti, &a);	/* committed without us meanwhile */
		return false;
	}
	/* revocation is honoured at slice boundaries too, not only at checkpoints */
	if (cap_revoked(j->cap_id, c))
		executor_stop(c->run, 5 /* SYNAPSE_STATUS_REVOKED */);
	/* the kernel engine says EXEC_WAIT: its completion event wakes a tick */
	while ((done = executor_step(c->run, SLICE_FUEL)) == EXEC_YIELD)
		if (mono_now_ns() > c->work_deadline_ns || fault_active(FAULT_SLOW))
			break;
	if (done != EXEC_DONE) {
		c->ran_this_tick = true;
		return true;
	}
	/* the ended run stays, for a rollback should we turn out to disagree */
	if (executor_result(c->run, &res)) {
		drop_run(c);
		return false;
	}
	mm_publish(c, j->id, j->tasks[ti].id, c->run, res.fuel_used);
	mm_keep(j->id, j->tasks[ti].id, c->run);
	c->run = NULL;
	/* this tick's snapshot of etcd does not show our attestation yet */
	strcpy(c->last_job, c->run_job);
	strcpy(c->last_task, c->run_task);
	c->run_job[0] = c->run_task[0] = '\0';
	if (attest_result(c, j, ti, &res, &a))
		return false;
	/* membership lapsed while we ran: others may have re-planned */
	if (!cluster_may_attest(c))
		return false;
	cluster_key(c, key, sizeof(key), "jobs/%s/att/%s/%s", j->id, a.task, a.node);
	put_att(c, key, &a);
	return false;
}

/*
 * If task ti is committed, compares our own attestation (if we made one)
 * with the committed result and reconciles on a mismatch. Returns true when
 * the task is committed (nothing left for us to run).
 */
static bool audit_task(struct cluster *c, struct job *j, unsigned int ti)
{
	const char *self = c->a->cfg.node_id;
	struct attest mine, committed;
	struct etcd_kv *kv;
	char rel[256];

	if (commit_of(c, j, ti, &committed, NULL))
		return false;
	snprintf(rel, sizeof(rel), "att/%s/%s", j->tasks[ti].id, self);
	kv = jkv(j, rel);
	if (!kv || att_check(c, kv->val, self, &mine))
		return true;
	if (attest_task_same(&mine, &committed))
		mm_drop(j->id, j->tasks[ti].id);	/* agreed: no rollback needed */
	else
		reconcile(c, j, ti, &committed);
	return true;
}

/*
 * A job whose result is written stays in the active set for one more
 * coordinator tick: a replica that finished after the majority audits its
 * attestations here, so a disagreement is still found and reconciled.
 */
static void audit_ended(struct cluster *c, struct job *j)
{
	unsigned int i;

	for (i = 0; i < j->ntasks && !c->quarantined; i++)
		audit_task(c, j, i);
}

/*
 * Replicas of task ti in plan p: its r planned ones, plus the tie-breakers
 * the coordinator added in this epoch (jobs/<job>/extra/<task>).
 */
static unsigned int task_replicas(struct job *j, const struct plan *p,
				  unsigned int ti)
{
	unsigned int n = p->r;
	struct etcd_kv *kv;
	char rel[256];
	json_int_t x;
	json_t *o;

	snprintf(rel, sizeof(rel), "extra/%s", j->tasks[ti].id);
	kv = jkv(j, rel);
	o = kv ? json_loads(kv->val, 0, NULL) : NULL;
	if (o && (uint64_t)json_integer_value(json_object_get(o, "epoch")) == p->epoch) {
		x = json_integer_value(json_object_get(o, "replicas"));
		if (x > (json_int_t)n && x <= (json_int_t)p->nmembers)
			n = x;
	}
	json_decref(o);
	return n;
}

static void member_work(struct cluster *c, struct job *j, const struct plan *p)
{
	const char *self = c->a->cfg.node_id;
	char rel[256];
	struct etcd_kv *kv;
	bool worked = false;
	unsigned int i;

	if (c->run && strcmp(c->run_job, j->id))
		return;		/* busy with another job's task */
	/* a disagreement is reconciled now, not after the task in progress */
	if (c->run)
		audit_ended(c, j);
	if (c->quarantined)
		return;
	if (c->run && advance_run(c, j))
		return;
	worked = c->ran_this_tick;
	for (i = 0; i < j->ntasks && !c->quarantined; i++) {
		snprintf(rel, sizeof(rel), "att/%s/%s", j->tasks[i].id, self);
		kv = jkv(j, rel);
		if (audit_task(c, j, i))
			continue;
		if (kv || !plan_runs_ext(p, i, self, task_replicas(j, p, i)) ||
		    (!strcmp(c->last_job, j->id) && !strcmp(c->last_task, j->tasks[i].id)))
			continue;
		/*
		 * The deadline bounds how much work one tick does, but the
		 * first task always starts: where the tick's own etcd calls
		 * take longer than the budget (a slow VM), nothing would ever
		 * run.
		 */
		if (worked && mono_now_ns() > c->work_deadline_ns) {
			c->ran_this_tick = true;
			return;
		}
		worked = true;
		c->run = start_task(c, j, i);
		if (!c->run)
			continue;
		strcpy(c->run_job, j->id);
		strcpy(c->run_task, j->tasks[i].id);
		memcpy(c->run_cap, j->cap_id, HASH_LEN);
		if (advance_run(c, j))
			return;
	}
}

/* ---- coordinator ---- */

/*
 * Ties: every replica of a task attested and no claim has a strict
 * majority (r = 2 with one faulty replica, say). The next member in plan
 * order is added as one more replica, for this epoch; repeated while the
 * tie lasts and members remain. A commit still needs a strict majority of
 * all the task's replicas, tie-breakers included.
 */
static void add_tiebreaker(struct cluster *c, struct job *j, const struct plan *p,
			   unsigned int ti, unsigned int nrep, unsigned int best)
{
	char key[256], val[64];

	if (nrep >= p->nmembers) {
		log_warn("job %s task %s: no strict majority among all %u members; waiting for a new epoch",
			 j->id, j->tasks[ti].id, nrep);
		return;
	}
	snprintf(val, sizeof(val), "{\"epoch\":%llu,\"replicas\":%u}",
		 (unsigned long long)p->epoch, nrep + 1);
	cluster_key(c, key, sizeof(key), "jobs/%s/extra/%s", j->id, j->tasks[ti].id);
	if (etcd_put(c->etcd, key, val, strlen(val), 0))
		return;
	log_warn("job %s task %s: replicas disagree (at most %u of %u agree); adding %s as tie-breaker",
		 j->id, j->tasks[ti].id, best, nrep, plan_replica_ext(p, ti, nrep));
}

static void try_commit(struct cluster *c, struct job *j, const struct plan *p,
		       unsigned int ti)
{
	struct attest att[CLUSTER_MAX_MEMBERS];
	unsigned int nrep = task_replicas(j, p, ti), need = quorum_of(nrep);
	unsigned int k, m, n = 0, best = 0, besti = 0;
	char rel[256], key[256], *s;
	struct etcd_kv *kv;
	json_t *arr, *dissent, *o;

	for (k = 0; k < nrep; k++) {
		const char *node = plan_replica_ext(p, ti, k);

		snprintf(rel, sizeof(rel), "att/%s/%s", j->tasks[ti].id, node);
		kv = jkv(j, rel);
		if (!kv || att_check(c, kv->val, node, &att[n]) ||
		    att[n].kind != ATT_TASK || strcmp(att[n].job, j->id) ||
		    strcmp(att[n].task, j->tasks[ti].id) ||
		    memcmp(att[n].input, j->tasks[ti].input_hash, HASH_LEN))
			continue;
		n++;
	}
	for (k = 0; k < n; k++) {
		unsigned int same = 0;

		for (m = 0; m < n; m++)
			same += attest_task_same(&att[k], &att[m]);
		if (same > best) {
			best = same;
			besti = k;
		}
	}
	if (best < need) {
		if (n == nrep)
			add_tiebreaker(c, j, p, ti, nrep, best);
		return;
	}
	arr = json_array();
	dissent = json_array();
	for (k = 0; k < n; k++) {
		snprintf(rel, sizeof(rel), "att/%s/%s", j->tasks[ti].id, att[k].node);
		json_array_append_new(attest_task_same(&att[besti], &att[k]) ? arr : dissent,
				      json_loads(jkv(j, rel)->val, 0, NULL));
	}
	o = json_pack("{s:I, s:o}", "epoch", (json_int_t)p->epoch, "attestations", arr);
	/* with tie-breakers: how many replicas, and the tie they broke */
	if (nrep > p->r) {
		json_object_set_new(o, "replicas", json_integer(nrep));
		json_object_set_new(o, "dissent", dissent);
	} else {
		json_decref(dissent);
	}
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	cluster_key(c, key, sizeof(key), "jobs/%s/commit/%s", j->id, j->tasks[ti].id);
	/* create-once: a task is never committed twice */
	if (s && etcd_create(c->etcd, key, s, strlen(s), 0) == 0) {
		c->commits++;
		log_info("job %s task %s committed by %u/%u replicas (epoch %llu)",
			 j->id, j->tasks[ti].id, best, nrep, (unsigned long long)p->epoch);
	}
	free(s);
}

static json_t *hexj(const uint8_t *h)
{
	char s[2 * HASH_LEN + 1];

	hex_encode(h, HASH_LEN, s);
	return json_string(s);
}

/* epochs[E] = {members, plan_hash, accepts}: the quorum that accepted E. */
static int add_epoch(struct cluster *c, struct job *j, json_t *epochs, uint64_t ep)
{
	json_t *acc, *mem;
	uint8_t ph[HASH_LEN];
	struct plan p;
	char ekey[32];
	unsigned int k;

	snprintf(ekey, sizeof(ekey), "%llu", (unsigned long long)ep);
	if (json_object_get(epochs, ekey))
		return 0;
	if (job_plan(c, j, ep, &p, ph))
		return -1;
	acc = json_array();
	if (count_accepts(c, j, &p, ph, acc) < quorum_of(p.nmembers)) {
		plan_free(&p);
		json_decref(acc);
		return -1;
	}
	mem = json_array();
	for (k = 0; k < p.nmembers; k++)
		json_array_append_new(mem, json_string(p.members[k]));
	json_object_set_new(epochs, ekey, json_pack("{s:o, s:o, s:o}",
			    "members", mem, "plan_hash", hexj(ph), "accepts", acc));
	plan_free(&p);
	return 0;
}

/* The result and its quorum certificate; NULL while a task is uncommitted. */
static json_t *build_result(struct cluster *c, struct job *j, const struct plan *fp,
			    const uint8_t fph[HASH_LEN])
{
	uint8_t (*tr)[HASH_LEN] = calloc(j->ntasks, HASH_LEN);
	uint8_t (*out)[HASH_LEN] = calloc(j->ntasks, HASH_LEN);
	json_t *res = NULL, *tasks = json_array(), *epochs = json_object(), *co;
	struct attest a;
	unsigned int i;
	bool revoked = false;

	if (!tr || !out)
		goto out;
	for (i = 0; i < j->ntasks; i++) {
		json_int_t ep;
		json_t *to;

		if (commit_of(c, j, i, &a, &co))
			goto out;
		memcpy(tr[i], a.trace, HASH_LEN);
		memcpy(out[i], a.output, HASH_LEN);
		revoked |= a.status == 5;	/* SYNAPSE_STATUS_REVOKED */
		ep = json_integer_value(json_object_get(co, "epoch"));
		to = json_pack("{s:s, s:o, s:i, s:o, s:o, s:I, s:O}",
			"id", j->tasks[i].id, "input_hash", hexj(j->tasks[i].input_hash),
			"status", a.status, "trace_hash", hexj(a.trace),
			"output_hash", hexj(a.output), "epoch", ep,
			"attestations", json_object_get(co, "attestations"));
		/* a broken tie: the replica count and the evidence of the tie */
		if (to && json_object_get(co, "replicas")) {
			json_object_set(to, "replicas", json_object_get(co, "replicas"));
			json_object_set(to, "dissent", json_object_get(co, "dissent"));
		}
		json_array_append_new(tasks, to);
		json_decref(co);
		if (add_epoch(c, j, epochs, ep))
			goto out;
	}
	if (add_epoch(c, j, epochs, fp->epoch))
		goto out;
	merkle_root((const uint8_t (*)[HASH_LEN])tr, j->ntasks, tr[0]);
	merkle_root((const uint8_t (*)[HASH_LEN])out, j->ntasks, out[0]);
	res = json_pack("{s:i, s:s, s:s, s:s, s:i, s:o, s:I, s:I, s:s, s:o, s:o, s:o, s:o, s:O, s:O}",
			"version", 1, "job", j->id, "name", j->name,
			"cluster", c->a->cfg.cluster, "replicas", j->r,
			"cap_id", hexj(j->cap_id), "fuel", (json_int_t)j->fuel,
			"epoch", (json_int_t)fp->epoch,
			"state", revoked ? "revoked" : "committed",
			"input_hash", hexj(j->input), "plan_hash", hexj(fph),
			"execution_hash", hexj(tr[0]), "output_hash", hexj(out[0]),
			"tasks", tasks, "epochs", epochs);
	/* the token itself, so that synctl job verify checks it offline */
	if (res && j->has_token) {
		char *b64 = b64_encode(j->token_bytes, j->token_len);

		if (b64)
			json_object_set_new(res, "cap", json_string(b64));
		free(b64);
	}
out:
	json_decref(tasks);
	json_decref(epochs);
	free(tr);
	free(out);
	return res;
}

static void coordinate(struct cluster *c, struct job *j)
{
	struct plan p;
	uint8_t ph[HASH_LEN];
	char key[256], val[32], *s;
	unsigned int i, done = 0;
	const char *why;
	json_t *res;

	if (cap_revoked(j->cap_id, c)) {
		finish_revoked(c, j);
		return;
	}
	if (cap_verdict(c, j, &why)) {
		finish_refused(c, j, why);
		return;
	}
	if (!j->have_epoch || j->epoch != c->epoch) {
		/* a job is (re-)planned on the committed epoch */
		snprintf(val, sizeof(val), "%llu", (unsigned long long)c->epoch);
		cluster_key(c, key, sizeof(key), "jobs/%s/epoch", j->id);
		if (c->epoch && !etcd_put(c->etcd, key, val, strlen(val), 0)) {
			if (j->have_epoch) {
				c->replans++;
				log_info("job %s re-planned in epoch %llu", j->id,
					 (unsigned long long)c->epoch);
			}
		}
		return;
	}
	if (job_plan(c, j, j->epoch, &p, ph))
		return;
	if (count_accepts(c, j, &p, ph, NULL) < quorum_of(p.nmembers))
		goto out;
	for (i = 0; i < j->ntasks; i++) {
		struct attest a;

		if (commit_of(c, j, i, &a, NULL) == 0) {
			done++;
			continue;
		}
		try_commit(c, j, &p, i);
	}
	if (done < j->ntasks)
		goto out;
	res = build_result(c, j, &p, ph);
	s = res ? json_dumps(res, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(res);
	cluster_key(c, key, sizeof(key), "jobs/%s/result", j->id);
	if (s && etcd_create(c->etcd, key, s, strlen(s), 0) == 0) {
		c->results++;
		log_info("job %s committed", j->id);
	}
	free(s);
	if (s) {
		cluster_key(c, key, sizeof(key), "active/%s", j->id);
		etcd_delete(c->etcd, key);
	}
out:
	plan_free(&p);
}

/*
 * Fetches the blobs of our planned tasks as soon as we see the job planned,
 * while the members still sign their accepts: by the time a task may
 * start its bytes are here, fetched from holders that are not busy
 * running it yet. Tasks we attested or that committed need nothing.
 */
static void prefetch(struct cluster *c, struct job *j, const struct plan *p)
{
	const char *self = c->a->cfg.node_id, *cands[CLUSTER_MAX_MEMBERS + 1];
	unsigned int i, n = 0;
	char rel[256];

	for (i = 0; i < j->ntasks; i++) {
		const struct task_spec *t = &j->tasks[i];

		snprintf(rel, sizeof(rel), "att/%s/%s", t->id, self);
		if (jkv(j, rel) || !plan_runs_ext(p, i, self, task_replicas(j, p, i)))
			continue;
		snprintf(rel, sizeof(rel), "commit/%s", t->id);
		if (jkv(j, rel))
			continue;
		if (!n)
			n = blob_cands(c, j, cands);
		blobnet_want(t->module_id, t->module_size, cands, n);
		blobnet_want(t->input_id, t->input_size, cands, n);
	}
}

static void job_tick(struct cluster *c, const char *id)
{
	struct plan p;
	uint8_t ph[HASH_LEN];
	const char *why;
	struct job j;
	char key[256];

	if (job_load(c, id, &j))
		return;
	if (jkv(&j, "result")) {
		if (!c->quarantined && member_of(c, c->a->cfg.node_id))
			audit_ended(c, &j);
		if (c->coordinator) {
			cluster_key(c, key, sizeof(key), "active/%s", id);
			etcd_delete(c->etcd, key);
		}
		goto out;
	}
	if (c->coordinator)
		coordinate(c, &j);
	if (!j.have_epoch || c->quarantined || c->fenced ||
	    !member_of(c, c->a->cfg.node_id) || j.epoch != c->epoch)
		goto out;
	/* never accept, nor run a task of, a job whose token fails here */
	if (cap_verdict(c, &j, &why))
		goto out;
	if (job_plan(c, &j, j.epoch, &p, ph))
		goto out;
	sign_accept(c, &j, &p, ph);
	prefetch(c, &j, &p);
	if (!c->ran_this_tick && !cap_revoked(j.cap_id, c) &&
	    count_accepts(c, &j, &p, ph, NULL) >= quorum_of(p.nmembers))
		member_work(c, &j, &p);
	plan_free(&p);
out:
	job_free(&j);
}

/*
 * Our ended runs whose job left the active set before we saw its commit
 * (the majority committed and the result was written while we still ran):
 * audit them anyway, so a late disagreement is still found, reported and
 * reconciled. A task that never committed (the job was revoked) is dropped.
 */
static void audit_kept(struct cluster *c, struct etcd_kv *act, size_t nact,
		       size_t plen)
{
	char jobs[MM_KEPT_MAX][JOB_ID_LEN + 1], tasks[MM_KEPT_MAX][TASK_ID_MAX + 1];
	unsigned int n = mm_kept_list(jobs, tasks, MM_KEPT_MAX), k, i;
	struct job j;
	size_t a;

	for (k = 0; k < n && !c->quarantined; k++) {
		bool active = false;

		for (a = 0; a < nact; a++)
			active |= !strcmp(act[a].key + plen, jobs[k]);
		if (active)
			continue;	/* job_tick audits it */
		if (job_load(c, jobs[k], &j)) {
			mm_drop(jobs[k], tasks[k]);
			continue;
		}
		for (i = 0; i < j.ntasks; i++)
			if (!strcmp(j.tasks[i].id, tasks[k]) && !audit_task(c, &j, i))
				mm_drop(jobs[k], tasks[k]);	/* never committed */
		job_free(&j);
	}
}

/*
 * The job of our running task left the active set while the task ran: it
 * was revoked, or committed without us (then the run so far is audited).
 */
static void run_job_ended(struct cluster *c)
{
	struct attest a;
	struct job j;
	unsigned int i;

	if (cap_revoked(c->run_cap, c))
		log_warn("job %s task %s: ended revoked (job revoked)",
			 c->run_job, c->run_task);
	if (job_load(c, c->run_job, &j)) {
		drop_run(c);
		return;
	}
	for (i = 0; i < j.ntasks; i++)
		if (!strcmp(j.tasks[i].id, c->run_task))
			break;
	if (i < j.ntasks && commit_of(c, &j, i, &a, NULL) == 0)
		cut_short(c, &j, i, &a);
	else
		drop_run(c);
	job_free(&j);
}

void jobs_tick(struct cluster *c)
{
	uint64_t t0 = mono_now_ns();
	struct etcd_kv *kvs;
	char key[256];
	size_t n, i, k, plen;

	/* ended runs kept for a rollback: their jobs are long committed */
	mm_prune(t0, MM_KEEP_NS);
	cluster_key(c, key, sizeof(key), "active/");
	if (etcd_range(c->etcd, key, true, &kvs, &n)) {
		c->etcd_errors++;
		return;
	}
	plen = strlen(key);
	/*
	 * Bounded work per tick: many active jobs are served round robin
	 * from a rotating start, and the lease is renewed in between, so a
	 * backlog can never cost us our membership.
	 */
	for (k = 0; k < n; k++) {
		i = (c->job_rr + k) % n;
		job_tick(c, kvs[i].key + plen);
		membership_keepalive(c);
		if (mono_now_ns() - t0 > c->tick_ms * 3000000ull) {
			c->job_rr = i + 1;
			break;
		}
	}
	if (c->run) {
		bool found = false;

		for (i = 0; i < n; i++)
			found |= !strcmp(kvs[i].key + plen, c->run_job);
		if (!found)
			run_job_ended(c);
	}
	audit_kept(c, kvs, n, plen);
	etcd_kvs_free(kvs, n);
}

/* ---- start / stop ---- */

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct cluster *c = arg;
	uint64_t writes = etcd_writes(c->etcd);

	nudge_tick_started(c);
	membership_tick(c);
	if (revocation_sync(c))
		c->etcd_errors++;
	c->ran_this_tick = false;
	c->work_deadline_ns = mono_now_ns() + c->tick_ms * 500000ull;
	if (!c->fenced && !c->quarantined)
		jobs_tick(c);
	nudge_if_wrote(c, writes);
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = n >= 0 ? malloc(n + 1) : NULL;
	if (buf && fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = '\0';
	fclose(f);
	return buf;
}

/* A run on the kernel engine ended: take the next tick now. */
static void wake_tick(void *arg)
{
	struct cluster *c = cluster_get();

	if (c && c->tick)
		event_active(c->tick, EV_TIMEOUT, 0);
}

int cluster_start(struct agent *a, const struct cluster_opts *o)
{
	char err[256], dir[CONF_PATH_MAX + 8];
	struct timeval tv;
	struct cluster *c;

	if (!o->etcd_url)
		return 0;	/* mesh-only agent */
	if (executor_init(o->engine, a->base, wake_tick, NULL, err, sizeof(err)) ||
	    fault_arm(o->fault, o->enable_faults, err, sizeof(err))) {
		log_err("cluster: %s", err);
		executor_exit();
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s/blobs", a->cfg.state_dir);
	if (blobnet_start(a, dir, wake_tick, NULL, err, sizeof(err))) {
		log_err("cluster: %s (state_dir in the config)", err);
		executor_exit();
		return -1;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -1;
	c->a = a;
	c->lease_ttl_s = o->lease_ttl_s > 0 ? o->lease_ttl_s : 3;
	c->tick_ms = o->tick_ms ? o->tick_ms : 100;
	snprintf(c->prefix, sizeof(c->prefix), "/synapse/%s/", a->cfg.cluster);
	c->cert_pem = read_text(a->cfg.cert);
	ca_cert = pki_load_cert(a->cfg.ca, err, sizeof(err));
	c->etcd = etcd_new(o->etcd_url, a->cfg.ca, a->cfg.cert, a->cfg.key);
	if (!c->cert_pem || !ca_cert || !c->etcd) {
		log_err("cluster: cannot set up the etcd client");
		goto fail;
	}
	c->tick = event_new(a->base, -1, EV_PERSIST, on_tick, c);
	tv.tv_sec = c->tick_ms / 1000;
	tv.tv_usec = (c->tick_ms % 1000) * 1000;
	if (!c->tick || event_add(c->tick, &tv) || nudge_init(c))
		goto fail;
	c->require_cap = o->require_cap;
	revocation_start(o->bpf_pin_dir);
	the_cluster_set(c);
	executor_set_revoked(cap_revoked, c);
	log_info("cluster: etcd %s, engine %s, faults %s", o->etcd_url,
		 executor_engine(), fault_name());
	return 0;
fail:
	nudge_exit(c);
	if (c->tick)
		event_free(c->tick);
	executor_exit();
	blobnet_stop();
	etcd_free(c->etcd);
	free(c->cert_pem);
	free(c);
	return -1;
}

void cluster_stop(struct agent *a)
{
	struct cluster *c = cluster_get();
	unsigned int i;

	if (!c)
		return;
	nudge_exit(c);
	event_free(c->tick);
	executor_abort(c->run);
	mm_drop_all();
	executor_exit();
	blobnet_stop();
	/* a clean stop leaves at once instead of after the lease TTL */
	if (c->lease)
		etcd_lease_revoke(c->etcd, c->lease);
	etcd_free(c->etcd);
	for (i = 0; i < c->nmembers; i++)
		free(c->members[i]);
	free(c->cert_pem);
	json_decref(c->quarantine);
	free(c);
	the_cluster_set(NULL);
	revocation_stop();
	X509_free(ca_cert);
	ca_cert = NULL;
}
