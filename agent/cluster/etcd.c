// SPDX-License-Identifier: GPL-2.0
/*
 * etcd v3 JSON gateway client (see etcd.h). Every request is one POST of a
 * JSON body; int64 fields come back as JSON strings (grpc-gateway).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "agent/cluster/etcd.h"
#include "agent/log.h"

#define ETCD_MAX_REPLY	(64u << 20)

struct etcd {
	CURL *curl;
	char url[ETCD_MAX_ENDPOINTS][256];
	unsigned int nurl, cur;		/* endpoints, the one in use */
	char ca[4096], cert[4096], key[4096];
	uint64_t last_ok_ns;
	uint64_t last_try_ns;		/* start of the last attempt while down */
	bool down;			/* last attempt failed in transport */
	int64_t revision;
	uint64_t writes;		/* puts, creates and deletes that took */
};

struct buf {
	char *p;
	size_t len, cap;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

char *b64_encode(const void *p, size_t n)
{
	char *s = malloc(4 * ((n + 2) / 3) + 1);

	if (!s)
		return NULL;
	EVP_EncodeBlock((unsigned char *)s, p, n);
	return s;
}

uint8_t *b64_decode(const char *s, size_t *n)
{
	size_t len = strlen(s), pad = 0;
	uint8_t *out;
	int r;

	if (len % 4)
		return NULL;
	out = malloc(len / 4 * 3 + 1);
	if (!out)
		return NULL;
	r = EVP_DecodeBlock(out, (const unsigned char *)s, len);
	if (r < 0) {
		free(out);
		return NULL;
	}
	/* EVP_DecodeBlock counts padding as zero bytes */
	if (len && s[len - 1] == '=')
		pad++;
	if (len > 1 && s[len - 2] == '=')
		pad++;
	*n = r - pad;
	return out;
}

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	size_t n = size * nmemb;
	char *np;

	if (b->len + n + 1 > ETCD_MAX_REPLY)
		return 0;
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		np = realloc(b->p, b->cap);
		if (!np)
			return 0;
		b->p = np;
	}
	memcpy(b->p + b->len, ptr, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

/* "https://a:2379,https://b:2379" -> e->url[]; -1 when empty or too many. */
static int parse_endpoints(struct etcd *e, const char *list)
{
	const char *p = list, *comma;
	size_t n;

	while (*p) {
		comma = strchr(p, ',');
		n = comma ? (size_t)(comma - p) : strlen(p);
		if (!n || n >= sizeof(e->url[0]) || e->nurl == ETCD_MAX_ENDPOINTS)
			return -1;
		memcpy(e->url[e->nurl], p, n);
		e->url[e->nurl++][n] = '\0';
		if (!comma)
			break;
		p = comma + 1;
	}
	return e->nurl ? 0 : -1;
}

struct etcd *etcd_new(const char *url, const char *ca, const char *cert,
		      const char *key)
{
	struct etcd *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	if (parse_endpoints(e, url)) {
		free(e);
		return NULL;
	}
	snprintf(e->ca, sizeof(e->ca), "%s", ca);
	snprintf(e->cert, sizeof(e->cert), "%s", cert);
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->curl = curl_easy_init();
	if (!e->curl) {
		free(e);
		return NULL;
	}
	return e;
}

void etcd_free(struct etcd *e)
{
	if (!e)
		return;
	curl_easy_cleanup(e->curl);
	free(e);
}

uint64_t etcd_last_ok_ns(const struct etcd *e)
{
	return e->last_ok_ns;
}

bool etcd_reachable(const struct etcd *e)
{
	return !e->down;
}

int64_t etcd_last_revision(const struct etcd *e)
{
	return e->revision;
}

static int64_t jint64(json_t *j)
{
	if (json_is_string(j))
		return strtoll(json_string_value(j), NULL, 10);
	if (json_is_integer(j))
		return json_integer_value(j);
	return 0;
}

/*
 * One POST of body to path on the endpoint in use: the HTTP status in
 * *code and the reply in b; a CURLcode other than CURLE_OK is a transport
 * failure (the endpoint is unreachable, or too slow).
 */
static CURLcode post(struct etcd *e, const char *path, const char *body,
		     long conn_tmo, struct buf *b, long *code)
{
	char url[512];
	CURLcode rc;

	snprintf(url, sizeof(url), "%s%s", e->url[e->cur], path);
	curl_easy_reset(e->curl);
	curl_easy_setopt(e->curl, CURLOPT_URL, url);
	curl_easy_setopt(e->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(e->curl, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e->curl, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(e->curl, CURLOPT_TIMEOUT_MS, (long)ETCD_TIMEOUT_MS);
	curl_easy_setopt(e->curl, CURLOPT_CONNECTTIMEOUT_MS, conn_tmo);
	curl_easy_setopt(e->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e->curl, CURLOPT_CAINFO, e->ca);
	curl_easy_setopt(e->curl, CURLOPT_SSLCERT, e->cert);
	curl_easy_setopt(e->curl, CURLOPT_SSLKEY, e->key);
	rc = curl_easy_perform(e->curl);
	*code = 0;
	if (rc == CURLE_OK)
		curl_easy_getinfo(e->curl, CURLINFO_RESPONSE_CODE, code);
	return rc;
}

/*
 * Tries each endpoint at most once, starting with the one in use; the
 * first that answers stays in use. CURLE_OK, or the last failure. While
 * etcd is down a probe tries one endpoint, the next one each time, so a
 * cut-off node never blocks on all of them in one tick.
 */
static CURLcode post_any(struct etcd *e, const char *path, const char *body,
			 long conn_tmo, struct buf *b, long *code)
{
	unsigned int k, tries = e->down ? 1 : e->nurl;
	CURLcode rc = CURLE_FAILED_INIT;

	for (k = 0; k < tries; k++) {
		b->len = 0;
		rc = post(e, path, body, conn_tmo, b, code);
		if (rc == CURLE_OK)
			return rc;
		if (e->nurl > 1 && !e->down)
			log_warn("etcd %s: %s; trying %s", e->url[e->cur],
				 curl_easy_strerror(rc),
				 e->url[(e->cur + 1) % e->nurl]);
		e->cur = (e->cur + 1) % e->nurl;
	}
	return rc;
}

/* POSTs req (consumed) to path; returns the reply object or NULL. */
static json_t *call(struct etcd *e, const char *path, json_t *req)
{
	struct buf b = { 0 };
	json_t *rep = NULL, *hdr;
	long code = 0, conn_tmo = ETCD_TIMEOUT_MS;
	uint64_t now = mono_ns();
	char *body;
	CURLcode rc;

	/* down: fail fast, but probe once in a while (short timeout) */
	if (e->down) {
		if (now - e->last_try_ns < ETCD_RETRY_MS * 1000000ull) {
			json_decref(req);
			return NULL;
		}
		e->last_try_ns = now;
		conn_tmo = ETCD_PROBE_MS;
	}
	body = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!body)
		return NULL;
	rc = post_any(e, path, body, conn_tmo, &b, &code);
	free(body);
	if (rc != CURLE_OK) {
		if (!e->down)
			log_warn("etcd %s: %s; failing fast, probing every %d ms",
				 path, curl_easy_strerror(rc), ETCD_RETRY_MS);
		e->down = true;
		e->last_try_ns = mono_ns();
		goto out;
	}
	if (e->down)
		log_info("etcd reachable again (%s)", e->url[e->cur]);
	e->down = false;
	if (code != 200) {
		log_debug("etcd %s: HTTP %ld: %.200s", path, code, b.p ? b.p : "");
		goto out;
	}
	rep = json_loads(b.p ? b.p : "{}", 0, NULL);
	if (!rep)
		goto out;
	hdr = json_object_get(rep, "header");
	if (hdr)
		e->revision = jint64(json_object_get(hdr, "revision"));
	e->last_ok_ns = mono_ns();
out:
	free(b.p);
	return rep;
}

static json_t *jb64(const void *p, size_t n)
{
	char *s = b64_encode(p, n);
	json_t *j = json_string(s ? s : "");

	free(s);
	return j;
}

static char *range_end(const char *prefix)
{
	size_t n = strlen(prefix);
	char *end = strdup(prefix);

	if (!end || !n)
		return end;
	end[n - 1]++;	/* prefixes here are ASCII and never end in 0xff */
	return end;
}

int etcd_put(struct etcd *e, const char *key, const void *val, size_t len,
	     int64_t lease)
{
	json_t *req = json_object(), *rep;
	char lbuf[32];

	json_object_set_new(req, "key", jb64(key, strlen(key)));
	json_object_set_new(req, "value", jb64(val, len));
	if (lease) {
		snprintf(lbuf, sizeof(lbuf), "%lld", (long long)lease);
		json_object_set_new(req, "lease", json_string(lbuf));
	}
	rep = call(e, "/v3/kv/put", req);
	if (!rep)
		return -1;
	json_decref(rep);
	e->writes++;
	return 0;
}

void etcd_kv_clear(struct etcd_kv *kv)
{
	free(kv->key);
	free(kv->val);
	memset(kv, 0, sizeof(*kv));
}

void etcd_kvs_free(struct etcd_kv *kvs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		etcd_kv_clear(&kvs[i]);
	free(kvs);
}

static int kv_from_json(json_t *o, struct etcd_kv *kv)
{
	const char *k = json_string_value(json_object_get(o, "key"));
	const char *v = json_string_value(json_object_get(o, "value"));
	size_t n;

	memset(kv, 0, sizeof(*kv));
	if (!k)
		return -1;
	kv->key = (char *)b64_decode(k, &n);
	if (!kv->key)
		return -1;
	kv->key[n] = '\0';
	kv->val = (char *)b64_decode(v ? v : "", &kv->len);
	if (!kv->val) {
		etcd_kv_clear(kv);
		return -1;
	}
	kv->val[kv->len] = '\0';
	kv->mod_rev = jint64(json_object_get(o, "mod_revision"));
	kv->lease = jint64(json_object_get(o, "lease"));
	return 0;
}

static int do_range(struct etcd *e, const char *key, const char *end,
		    bool keys_only, struct etcd_kv **kvs, size_t *n)
{
	json_t *req = json_object(), *rep, *arr, *o;
	size_t i;

	json_object_set_new(req, "key", jb64(key, strlen(key)));
	if (end)
		json_object_set_new(req, "range_end", jb64(end, strlen(end)));
	if (keys_only)
		json_object_set_new(req, "keys_only", json_true());
	rep = call(e, "/v3/kv/range", req);
	if (!rep)
		return -1;
	arr = json_object_get(rep, "kvs");
	*n = json_array_size(arr);
	*kvs = calloc(*n ? *n : 1, sizeof(**kvs));
	if (!*kvs) {
		json_decref(rep);
		return -1;
	}
	json_array_foreach(arr, i, o) {
		if (kv_from_json(o, &(*kvs)[i])) {
			etcd_kvs_free(*kvs, i);
			json_decref(rep);
			return -1;
		}
	}
	json_decref(rep);
	return 0;
}

int etcd_get(struct etcd *e, const char *key, struct etcd_kv *out)
{
	struct etcd_kv *kvs;
	size_t n;

	if (do_range(e, key, NULL, false, &kvs, &n))
		return -1;
	if (!n) {
		free(kvs);
		return 1;
	}
	*out = kvs[0];	/* a single key: at most one kv */
	free(kvs);
	return 0;
}

int etcd_range(struct etcd *e, const char *prefix, bool keys_only,
	       struct etcd_kv **kvs, size_t *n)
{
	char *end = range_end(prefix);
	int r;

	if (!end)
		return -1;
	r = do_range(e, prefix, end, keys_only, kvs, n);
	free(end);
	return r;
}

int etcd_create(struct etcd *e, const char *key, const void *val, size_t len,
		int64_t lease)
{
	json_t *req, *put, *rep;
	char lbuf[32];
	int r;

	put = json_object();
	json_object_set_new(put, "key", jb64(key, strlen(key)));
	json_object_set_new(put, "value", jb64(val, len));
	if (lease) {
		snprintf(lbuf, sizeof(lbuf), "%lld", (long long)lease);
		json_object_set_new(put, "lease", json_string(lbuf));
	}
	req = json_pack("{s:[{s:o, s:s, s:s, s:s}], s:[{s:o}]}",
			"compare", "key", jb64(key, strlen(key)),
			"target", "CREATE", "result", "EQUAL",
			"create_revision", "0",
			"success", "request_put", put);
	rep = call(e, "/v3/kv/txn", req);
	if (!rep)
		return -1;
	r = json_is_true(json_object_get(rep, "succeeded")) ? 0 : 1;
	json_decref(rep);
	if (!r)
		e->writes++;
	return r;
}

static int do_delete(struct etcd *e, const char *key, const char *end)
{
	json_t *req = json_object(), *rep;

	json_object_set_new(req, "key", jb64(key, strlen(key)));
	if (end)
		json_object_set_new(req, "range_end", jb64(end, strlen(end)));
	rep = call(e, "/v3/kv/deleterange", req);
	if (!rep)
		return -1;
	json_decref(rep);
	e->writes++;
	return 0;
}

int etcd_delete(struct etcd *e, const char *key)
{
	return do_delete(e, key, NULL);
}

int etcd_delete_prefix(struct etcd *e, const char *prefix)
{
	char *end = range_end(prefix);
	int r;

	if (!end)
		return -1;
	r = do_delete(e, prefix, end);
	free(end);
	return r;
}

uint64_t etcd_writes(const struct etcd *e)
{
	return e->writes;
}

int etcd_lease_grant(struct etcd *e, int ttl_s, int64_t *id)
{
	json_t *req = json_pack("{s:i}", "TTL", ttl_s), *rep;

	rep = call(e, "/v3/lease/grant", req);
	if (!rep)
		return -1;
	*id = jint64(json_object_get(rep, "ID"));
	json_decref(rep);
	return *id ? 0 : -1;
}

int etcd_lease_keepalive(struct etcd *e, int64_t id)
{
	char lbuf[32];
	json_t *rep, *res;
	int r;

	snprintf(lbuf, sizeof(lbuf), "%lld", (long long)id);
	rep = call(e, "/v3/lease/keepalive", json_pack("{s:s}", "ID", lbuf));
	if (!rep)
		return -1;
	res = json_object_get(rep, "result");
	r = jint64(json_object_get(res, "TTL")) > 0 ? 0 : 1;
	json_decref(rep);
	return r;
}

int etcd_lease_revoke(struct etcd *e, int64_t id)
{
	char lbuf[32];
	json_t *rep;

	snprintf(lbuf, sizeof(lbuf), "%lld", (long long)id);
	rep = call(e, "/v3/kv/lease/revoke", json_pack("{s:s}", "ID", lbuf));
	if (!rep)
		return -1;
	json_decref(rep);
	return 0;
}
