// SPDX-License-Identifier: GPL-2.0
/*
 * Blobs over the mesh (see blobnet.h). Everything runs on the agent's one
 * event loop. A fetch asks one candidate at a time for chunks, a few in
 * flight (BLOB_WINDOW); chunks must come from that candidate, in order,
 * each exactly as long as the blob's size says. The bytes go to a
 * temporary file whose SHA-256 must be the blob's name before it is
 * renamed into the store (blob_writer_commit); otherwise the blob is
 * discarded and the next candidate is asked from the start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/event.h>

#include "agent/blobs/blobnet.h"
#include "agent/cluster/fault.h"
#include "agent/synapsed.h"

#define BLOB_WINDOW		8	/* chunks in flight per fetch: 2 MiB, half the default send queue */
#define FETCH_MAX		256	/* fetches at once */
#define FETCH_CANDS		64
#define CHUNK_TIMEOUT_MS	30000	/* no chunk for this long: next candidate (a
				 * holder's loop may be busy for seconds
				 * under TCG; a dead one has no session
				 * and is skipped at once) */
#define RETRY_MS		1000	/* every candidate failed: wait this long */
#define OFFERERS		4
#define BLOB_PUSH_ALL		(1u << 20)	/* job's blob bytes offered to all */

struct fetch {
	uint8_t hash[HASH_LEN];
	char hex[2 * HASH_LEN + 1];
	uint64_t size;
	char cands[FETCH_CANDS][NODE_ID_MAX + 1];
	unsigned int ncands, cur;
	bool active;		/* asking cands[cur] now */
	uint64_t next_req;	/* offset of the next GET to send */
	struct blob_writer w;
	struct event *timer;
	uint64_t t0_ns, retry_ns;
	char offerers[OFFERERS][NODE_ID_MAX + 1];
	unsigned int noff;
	LIST_ENTRY(fetch) link;
};

struct repl {
	unsigned int n, need, np;
	uint8_t (*hashes)[HASH_LEN];
	uint64_t *sizes;
	uint8_t *acked;		/* n x np: peer holds blob */
	uint8_t *state;		/* per peer: 0 not asked, 1 asked, 2 failed */
	unsigned int *order;	/* peer indices, ring order after us */
	unsigned int next;
	struct event *spread, *deadline;
	blobnet_done_fn done;
	void *arg;
	LIST_ENTRY(repl) link;
};

static struct {
	struct agent *a;
	struct blob_store store;
	bool up;
	void (*wake)(void *arg);
	void *wake_arg;
	LIST_HEAD(, fetch) fetches;
	LIST_HEAD(, repl) repls;
	unsigned int nfetch;
	uint64_t fetched, fetched_bytes, bad_blobs, bad_chunks, served_chunks,
		 failed, offers_rx;
	uint8_t *chunk;		/* BLOB_CHUNK bytes, for serving */
} bn;

const struct blob_store *blobnet_store(void)
{
	return bn.up ? &bn.store : NULL;
}

json_t *blobnet_stats(void)
{
	return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:i}",
			 "dir", bn.store.dir,
			 "fetched", (json_int_t)bn.fetched,
			 "fetched_bytes", (json_int_t)bn.fetched_bytes,
			 "bad_blobs", (json_int_t)bn.bad_blobs,
			 "bad_chunks", (json_int_t)bn.bad_chunks,
			 "served_chunks", (json_int_t)bn.served_chunks,
			 "fetch_failures", (json_int_t)bn.failed,
			 "fetching", (int)bn.nfetch);
}

static void send_ref(const char *node, uint32_t type, const uint8_t hash[HASH_LEN],
		     uint64_t value)
{
	struct blob_ref r = { .value = value };
	struct peer *p = mesh_find_peer(bn.a, node);
	uint8_t *buf;
	size_t len;

	memcpy(r.hash, hash, HASH_LEN);
	if (!p || blob_ref_encode(&r, &buf, &len))
		return;
	peer_send(p, type, buf, len);
	free(buf);
}

/* ---- serving ---- */

static void send_data(struct peer *p, const struct blob_data *d)
{
	uint8_t *buf;
	size_t len;

	if (blob_data_encode(d, &buf, &len))
		return;
	peer_send(p, MSG_BLOB_DATA, buf, len);
	free(buf);
}

static void on_get(struct peer *p, const struct node_msg *m, void *arg)
{
	struct blob_data d = { 0 };
	struct blob_get g;
	long n;

	if (blob_get_decode(m->payload, m->payload_len, &g)) {
		agent_reject(bn.a, REJ_PAYLOAD, "blob_get from %s: bad payload",
			     m->sender_id);
		return;
	}
	memcpy(d.hash, g.hash, HASH_LEN);
	n = blob_pread(&bn.store, g.hash, g.offset, bn.chunk, BLOB_CHUNK, &d.total);
	if (n < 0 || (g.offset >= d.total && d.total)) {
		d.status = BLOB_MISSING;
		d.total = 0;
		send_data(p, &d);
		return;
	}
	d.status = BLOB_OK;
	d.offset = g.offset;
	d.data = bn.chunk;
	d.len = n;
	if (fault_active(FAULT_CORRUPT_BLOB) && n) {
		/* a faulty holder: the fetcher must notice and go elsewhere */
		bn.chunk[n / 2] ^= 0x20;
		if (!g.offset) {
			char hex[2 * HASH_LEN + 1];

			hex_encode(g.hash, HASH_LEN, hex);
			log_warn("fault corrupt-blob: serving corrupted chunks of blob %s to %s",
				 hex, m->sender_id);
		}
	}
	bn.served_chunks++;
	send_data(p, &d);
}

/* ---- fetching ---- */

static struct fetch *find_fetch(const uint8_t hash[HASH_LEN])
{
	struct fetch *f;

	LIST_FOREACH(f, &bn.fetches, link)
		if (!memcmp(f->hash, hash, HASH_LEN))
			return f;
	return NULL;
}

static void arm_timer(struct fetch *f, unsigned int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(f->timer, &tv);
}

static void fetch_free(struct fetch *f)
{
	LIST_REMOVE(f, link);
	bn.nfetch--;
	blob_writer_abort(&f->w);
	event_free(f->timer);
	free(f);
}

static void fetch_notify(struct fetch *f, uint32_t status)
{
	unsigned int i;

	for (i = 0; i < f->noff; i++)
		send_ref(f->offerers[i], MSG_BLOB_STORED, f->hash, status);
	f->noff = 0;
}

static void send_gets(struct fetch *f)
{
	struct peer *p = mesh_find_peer(bn.a, f->cands[f->cur]);
	struct blob_get g;
	uint8_t *buf;
	size_t len;

	memcpy(g.hash, f->hash, HASH_LEN);
	while (f->next_req < f->size &&
	       f->next_req < f->w.got + BLOB_WINDOW * (uint64_t)BLOB_CHUNK) {
		g.offset = f->next_req;
		if (blob_get_encode(&g, &buf, &len))
			return;
		peer_send(p, MSG_BLOB_GET, buf, len);
		free(buf);
		f->next_req += BLOB_CHUNK;
	}
}

static void try_next(struct fetch *f);

/* Asks cands[cur] from the start; false when it has no session. */
static bool ask(struct fetch *f)
{
	struct peer *p = mesh_find_peer(bn.a, f->cands[f->cur]);

	if (!p || !p->conn)
		return false;
	blob_writer_abort(&f->w);
	if (blob_writer_open(&f->w, &bn.store, f->hash, f->size)) {
		log_err("blob %s: cannot write to the store %s", f->hex, bn.store.dir);
		return false;
	}
	f->active = true;
	f->next_req = 0;
	send_gets(f);
	arm_timer(f, CHUNK_TIMEOUT_MS);
	return true;
}

/* The current candidate failed (or there is none yet): ask the next. */
static void try_next(struct fetch *f)
{
	if (f->active)
		f->cur++;
	f->active = false;
	blob_writer_abort(&f->w);
	for (; f->cur < f->ncands; f->cur++)
		if (ask(f))
			return;
	/* nobody could serve it: back off, the next want() starts over */
	bn.failed++;
	log_warn("blob %s: no holder could serve it (%u asked); retrying in %u ms",
		 f->hex, f->ncands, RETRY_MS);
	fetch_notify(f, BLOB_FAILED);
	f->retry_ns = now_mono_ns() + RETRY_MS * 1000000ull;
	arm_timer(f, RETRY_MS * 2);	/* forgotten if nobody wants it again */
}

static void on_fetch_timer(evutil_socket_t fd, short what, void *arg)
{
	struct fetch *f = arg;

	if (!f->active) {
		fetch_free(f);
		return;
	}
	log_warn("blob %s: no chunk from %s in %u ms, asking the next holder",
		 f->hex, f->cands[f->cur], CHUNK_TIMEOUT_MS);
	try_next(f);
}

static void fetch_done(struct fetch *f)
{
	uint64_t ms = (now_mono_ns() - f->t0_ns) / 1000000;

	if (blob_writer_commit(&f->w)) {
		bn.bad_blobs++;
		log_err("blob %s from %s: SHA-256 of the %llu bytes is not the blob's name: discarded, asking the next holder",
			f->hex, f->cands[f->cur], (unsigned long long)f->size);
		try_next(f);
		return;
	}
	bn.fetched++;
	bn.fetched_bytes += f->size;
	log_info("blob %s: %llu bytes fetched from %s and verified in %llu ms",
		 f->hex, (unsigned long long)f->size, f->cands[f->cur],
		 (unsigned long long)ms);
	fetch_notify(f, BLOB_OK);
	fetch_free(f);
	if (bn.wake)
		bn.wake(bn.wake_arg);
}

static void on_data(struct peer *p, const struct node_msg *m, void *arg)
{
	struct blob_data d;
	struct fetch *f;

	if (blob_data_decode(m->payload, m->payload_len, &d)) {
		bn.bad_chunks++;
		agent_reject(bn.a, REJ_PAYLOAD, "blob_data from %s: bad payload",
			     m->sender_id);
		return;
	}
	f = find_fetch(d.hash);
	/* late chunks of an earlier candidate, or nothing we asked for */
	if (!f || !f->active || strcmp(f->cands[f->cur], m->sender_id))
		return;
	if (d.status != BLOB_OK) {
		log_info("blob %s: %s does not hold it", f->hex, m->sender_id);
		try_next(f);
		return;
	}
	if (d.total != f->size || d.offset != f->w.got) {
		bn.bad_chunks++;
		log_err("blob %s from %s: chunk at %llu of %llu bytes where %llu of %llu was due: discarded, asking the next holder",
			f->hex, m->sender_id, (unsigned long long)d.offset,
			(unsigned long long)d.total, (unsigned long long)f->w.got,
			(unsigned long long)f->size);
		try_next(f);
		return;
	}
	if (blob_writer_write(&f->w, d.data, d.len)) {
		log_err("blob %s: cannot write to the store", f->hex);
		try_next(f);
		return;
	}
	if (f->w.got == f->size) {
		evtimer_del(f->timer);
		fetch_done(f);
		return;
	}
	arm_timer(f, CHUNK_TIMEOUT_MS);
	send_gets(f);
}

static void add_offerer(struct fetch *f, const char *node)
{
	unsigned int i;

	for (i = 0; i < f->noff; i++)
		if (!strcmp(f->offerers[i], node))
			return;
	if (f->noff < OFFERERS)
		strcpy(f->offerers[f->noff++], node);
}

static struct fetch *fetch_new(const uint8_t hash[HASH_LEN], uint64_t size)
{
	struct fetch *f;

	if (bn.nfetch >= FETCH_MAX)
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->w.fd = -1;
	memcpy(f->hash, hash, HASH_LEN);
	hex_encode(hash, HASH_LEN, f->hex);
	f->size = size;
	f->timer = evtimer_new(bn.a->base, on_fetch_timer, f);
	if (!f->timer) {
		free(f);
		return NULL;
	}
	LIST_INSERT_HEAD(&bn.fetches, f, link);
	bn.nfetch++;
	return f;
}

static void set_cands(struct fetch *f, const char *const *cands, unsigned int n)
{
	unsigned int i;

	f->ncands = 0;
	for (i = 0; i < n && f->ncands < FETCH_CANDS; i++)
		if (strcmp(cands[i], bn.a->cfg.node_id))
			snprintf(f->cands[f->ncands++], NODE_ID_MAX + 1, "%s", cands[i]);
	f->cur = 0;
	f->active = false;
	f->t0_ns = now_mono_ns();
}

/* The empty blob needs nobody: its name is SHA-256 of nothing. */
static int have_or_empty(const uint8_t hash[HASH_LEN], uint64_t size)
{
	long long have = blob_size(&bn.store, hash);

	if (have >= 0)
		return (uint64_t)have == size ? 1 : -1;
	if (size == 0)
		return blob_put(&bn.store, hash, (const uint8_t *)"", 0) ? -1 : 1;
	return 0;
}

int blobnet_want(const uint8_t hash[HASH_LEN], uint64_t size,
		 const char *const *cands, unsigned int ncands)
{
	struct fetch *f;
	int r;

	if (!bn.up || size > BLOB_MAX)
		return -1;
	r = have_or_empty(hash, size);
	if (r)
		return r;
	f = find_fetch(hash);
	if (f && (f->active || now_mono_ns() < f->retry_ns))
		return 0;
	if (!f)
		f = fetch_new(hash, size);
	if (!f)
		return 0;
	set_cands(f, cands, ncands);
	try_next(f);
	return 0;
}

static void on_offer(struct peer *p, const struct node_msg *m, void *arg)
{
	const char *from = m->sender_id;
	struct blob_ref r;
	struct fetch *f;
	int have;

	if (blob_ref_decode(m->payload, m->payload_len, &r, BLOB_MAX)) {
		agent_reject(bn.a, REJ_PAYLOAD, "blob_offer from %s: bad payload", from);
		return;
	}
	bn.offers_rx++;
	have = have_or_empty(r.hash, r.value);
	if (have) {
		send_ref(from, MSG_BLOB_STORED, r.hash, have > 0 ? BLOB_OK : BLOB_FAILED);
		return;
	}
	f = find_fetch(r.hash);
	if (f && f->active) {
		add_offerer(f, from);
		return;
	}
	if (!f)
		f = fetch_new(r.hash, r.value);
	if (!f) {
		send_ref(from, MSG_BLOB_STORED, r.hash, BLOB_REFUSED);
		return;
	}
	f->size = r.value;
	set_cands(f, &from, 1);
	add_offerer(f, from);
	try_next(f);
}

/* ---- replication at submit ---- */

static unsigned int peer_index(const char *node)
{
	unsigned int i;

	for (i = 0; i < bn.a->npeers; i++)
		if (!strcmp(bn.a->peers[i].conf->id, node))
			return i;
	return bn.a->npeers;
}

/* Frees a replication not (or no longer) on bn.repls. */
static void repl_destroy(struct repl *r)
{
	if (r->spread)
		event_free(r->spread);
	if (r->deadline)
		event_free(r->deadline);
	free(r->hashes);
	free(r->sizes);
	free(r->acked);
	free(r->state);
	free(r->order);
	free(r);
}

static void repl_free(struct repl *r)
{
	LIST_REMOVE(r, link);
	repl_destroy(r);
}

static void repl_finish(struct repl *r, const char *why)
{
	blobnet_done_fn done = r->done;
	void *arg = r->arg;

	repl_free(r);
	done(arg, why);
}

static unsigned int repl_holders(const struct repl *r)
{
	unsigned int p, b, n = 0;

	for (p = 0; p < r->np; p++) {
		for (b = 0; b < r->n && r->acked[b * r->np + p]; b++)
			;
		n += b == r->n;
	}
	return n;
}

/* Offers every blob to the next peer in ring order with a session. */
static bool repl_offer_next(struct repl *r)
{
	struct peer *p;
	unsigned int b, pi;
	struct blob_ref ref;
	uint8_t *buf;
	size_t len;

	while (r->next < r->np) {
		pi = r->order[r->next++];
		p = &bn.a->peers[pi];
		if (!p->conn) {
			r->state[pi] = 2;
			continue;
		}
		r->state[pi] = 1;
		for (b = 0; b < r->n; b++) {
			memcpy(ref.hash, r->hashes[b], HASH_LEN);
			ref.value = r->sizes[b];
			if (blob_ref_encode(&ref, &buf, &len))
				continue;
			peer_send(p, MSG_BLOB_OFFER, buf, len);
			free(buf);
		}
		return true;
	}
	return false;
}

static void on_spread(evutil_socket_t fd, short what, void *arg)
{
	struct repl *r = arg;

	/* slow holders: offer to every other peer as well */
	while (repl_offer_next(r))
		;
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct repl *r = arg;
	char why[256];

	snprintf(why, sizeof(why), "the job's bytes reached %u other node(s) in time, %u needed for a majority: not submitted",
		 repl_holders(r), r->need);
	repl_finish(r, why);
}

static void on_stored(struct peer *p, const struct node_msg *m, void *arg)
{
	struct repl *r, *next;
	struct blob_ref ref;
	unsigned int pi, b;

	if (blob_ref_decode(m->payload, m->payload_len, &ref, BLOB_FAILED)) {
		agent_reject(bn.a, REJ_PAYLOAD, "blob_stored from %s: bad payload",
			     m->sender_id);
		return;
	}
	pi = peer_index(m->sender_id);
	for (r = LIST_FIRST(&bn.repls); r; r = next) {
		next = LIST_NEXT(r, link);
		if (pi >= r->np || r->state[pi] != 1)
			continue;
		for (b = 0; b < r->n; b++) {
			if (memcmp(r->hashes[b], ref.hash, HASH_LEN))
				continue;
			if (ref.value == BLOB_OK) {
				r->acked[b * r->np + pi] = 1;
			} else if (r->state[pi] == 1) {
				r->state[pi] = 2;
				repl_offer_next(r);
			}
		}
		if (repl_holders(r) >= r->need)
			repl_finish(r, NULL);
	}
}

static int cmp_peer(const void *x, const void *y)
{
	return strcmp(bn.a->peers[*(const unsigned int *)x].conf->id,
		      bn.a->peers[*(const unsigned int *)y].conf->id);
}

int blobnet_replicate(const uint8_t (*hashes)[HASH_LEN], const uint64_t *sizes,
		      unsigned int n, unsigned int need, blobnet_done_fn done,
		      void *arg)
{
	unsigned int i, first = 0, np = bn.a->npeers, *tmp;
	uint64_t total = 0, ms;
	struct timeval tv;
	struct repl *r;

	if (!need || !n) {
		done(arg, NULL);
		return 0;
	}
	r = calloc(1, sizeof(*r));
	tmp = calloc(np + 1, sizeof(*tmp));
	if (!r || !tmp)
		goto fail;
	r->n = n;
	r->need = need;
	r->np = np;
	r->done = done;
	r->arg = arg;
	r->hashes = malloc(n * sizeof(*r->hashes));
	r->sizes = malloc(n * sizeof(*r->sizes));
	r->acked = calloc((size_t)n * np + 1, 1);
	r->state = calloc(np + 1, 1);
	r->order = calloc(np + 1, sizeof(*r->order));
	if (!r->hashes || !r->sizes || !r->acked || !r->state || !r->order)
		goto fail;
	memcpy(r->hashes, hashes, n * sizeof(*r->hashes));
	memcpy(r->sizes, sizes, n * sizeof(*r->sizes));
	for (i = 0; i < n; i++)
		total += sizes[i];
	/* ring order after us: the replicas a plan puts next to us first */
	for (i = 0; i < np; i++)
		tmp[i] = i;
	qsort(tmp, np, sizeof(*tmp), cmp_peer);
	while (first < np && strcmp(bn.a->peers[tmp[first]].conf->id,
				    bn.a->cfg.node_id) < 0)
		first++;
	for (i = 0; i < np; i++)
		r->order[i] = tmp[(first + i) % np];
	free(tmp);
	tmp = NULL;
	/* 60 s plus 2 MiB/s: generous on a loaded machine and under TCG */
	ms = 60000 + total / 2048;
	r->spread = evtimer_new(bn.a->base, on_spread, r);
	r->deadline = evtimer_new(bn.a->base, on_deadline, r);
	if (!r->spread || !r->deadline)
		goto fail;
	LIST_INSERT_HEAD(&bn.repls, r, link);
	tv.tv_sec = ms / 3000;
	tv.tv_usec = (ms / 3 % 1000) * 1000;
	evtimer_add(r->spread, &tv);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(r->deadline, &tv);
	for (i = 0; i < need && repl_offer_next(r); i++)
		;
	/*
	 * Small jobs go to every peer at once (only a majority is waited
	 * for): a replica then starts with the bytes at hand, as fast as
	 * when they rode in etcd. Large ones are fetched on demand.
	 */
	if (total <= BLOB_PUSH_ALL)
		while (repl_offer_next(r))
			;
	return 0;
fail:
	free(tmp);
	if (r)
		repl_destroy(r);	/* never inserted: every goto precedes that */
	return -1;
}

/* ---- start / stop ---- */

int blobnet_start(struct agent *a, const char *dir, void (*wake)(void *arg),
		  void *arg, char *err, size_t errlen)
{
	uint8_t empty[HASH_LEN];

	if (blob_store_open(&bn.store, dir, err, errlen))
		return -1;
	/* the empty blob (a task without input) is everybody's */
	EVP_Digest("", 0, empty, NULL, EVP_sha256(), NULL);
	bn.chunk = malloc(BLOB_CHUNK);
	if (!bn.chunk || blob_put(&bn.store, empty, (const uint8_t *)"", 0)) {
		snprintf(err, errlen, "blob store %s: cannot write", dir);
		free(bn.chunk);
		bn.chunk = NULL;
		return -1;
	}
	bn.a = a;
	bn.wake = wake;
	bn.wake_arg = arg;
	LIST_INIT(&bn.fetches);
	LIST_INIT(&bn.repls);
	if (mesh_register_handler(a, MSG_BLOB_GET, on_get, NULL) ||
	    mesh_register_handler(a, MSG_BLOB_DATA, on_data, NULL) ||
	    mesh_register_handler(a, MSG_BLOB_OFFER, on_offer, NULL) ||
	    mesh_register_handler(a, MSG_BLOB_STORED, on_stored, NULL)) {
		snprintf(err, errlen, "blob message handlers already registered");
		free(bn.chunk);
		bn.chunk = NULL;
		return -1;
	}
	bn.up = true;
	return 0;
}

void blobnet_stop(void)
{
	while (!LIST_EMPTY(&bn.repls))
		repl_finish(LIST_FIRST(&bn.repls), "the agent is stopping");
	while (!LIST_EMPTY(&bn.fetches))
		fetch_free(LIST_FIRST(&bn.fetches));
	free(bn.chunk);
	bn.chunk = NULL;
	bn.up = false;
}
