// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket: a unix stream socket (mode 0600 or 0660, set in the
 * config) on which synctl sends one JSON request line and reads one JSON
 * reply line. Besides the file mode, each client's credentials are checked
 * (SO_PEERCRED): root, our own uid, or - with mode 0660 - our group.
 *
 * Requests: {"cmd": "node"} | {"cmd": "peers"} | {"cmd": "ping"}.
 * Replies: {"ok": true, ...} or {"ok": false, "error": "..."}.
 * Later work adds commands to the table below.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <jansson.h>

#include "agent/blobs/blobnet.h"
#include "agent/control/ctl.h"
#include "agent/exec/executor.h"
#include "agent/cluster/membership.h"
#include "agent/synapsed.h"

static json_t *hex_json(const uint8_t *p, size_t n)
{
	char buf[2 * 64 + 1];
	size_t i;

	if (n > 64)
		n = 64;
	for (i = 0; i < n; i++)
		sprintf(buf + 2 * i, "%02x", p[i]);
	buf[2 * n] = '\0';
	return json_string(buf);
}

static json_t *ms_or_null(uint64_t ms)
{
	return ms ? json_integer(ms) : json_null();
}

static json_t *counters_json(struct agent *a)
{
	json_t *rej = json_object();
	unsigned int i;

	for (i = 0; i < REJ_COUNT; i++)
		json_object_set_new(rej, reject_name(i), json_integer(a->rejected[i]));
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:o}",
			 "messages_rx", (json_int_t)a->msgs_rx,
			 "messages_tx", (json_int_t)a->msgs_tx,
			 "heartbeats_tx", (json_int_t)a->hb_tx,
			 "heartbeats_rx", (json_int_t)a->hb_rx,
			 "reloads", (json_int_t)a->reloads,
			 "rejected", rej);
}

/*
 * A node as the cluster sees it: "member" of the committed epoch,
 * "quarantined" (quarantine/<node> in etcd: alive but given no work), or
 * "absent"; with the quarantine record (reason, since, job, task, first
 * divergent checkpoint) when there is one.
 */
static void cluster_state_json(json_t *o, const char *node)
{
	struct cluster *c = cluster_get();
	json_t *q;

	if (!c)
		return;
	q = quarantine_of(c, node);
	json_object_set_new(o, "cluster_state", json_string(q ? "quarantined" :
			    member_of(c, node) ? "member" : "absent"));
	json_object_set(o, "quarantine", q ? q : json_null());
}

/*
 * Our standing in the cluster, as this agent sees it: a fenced node cannot
 * prove its membership (lease not renewed within the TTL), so it executes
 * and attests nothing. null for a mesh-only agent (no --etcd).
 */
static json_t *membership_json(void)
{
	struct cluster *c = cluster_get();
	const char *state;

	if (!c)
		return json_null();
	if (c->quarantined)
		state = "quarantined";
	else if (c->fenced)
		state = "fenced";
	else if (member_of(c, c->a->cfg.node_id))
		state = "member";
	else
		state = "joining";
	return json_pack("{s:s, s:b, s:b, s:I, s:i}", "state", state,
			 "fenced", c->fenced, "coordinator", c->coordinator,
			 "epoch", (json_int_t)c->epoch, "members", c->nmembers);
}

static json_t *cmd_node(struct agent *a)
{
	unsigned int i, n[3] = { 0 };
	uint8_t pub[ED25519_PUB_LEN];
	json_t *pk, *o;

	for (i = 0; i < a->npeers; i++)
		n[a->peers[i].state]++;
	pk = pki_pubkey_raw(a->key, pub) ? json_null() : hex_json(pub, sizeof(pub));
	o = json_pack("{s:b, s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:{s:i, s:i}, s:I, s:I, s:{s:i, s:i, s:i, s:i}, s:o}",
			 "ok", 1,
			 "node_id", a->cfg.node_id,
			 "cluster", a->cfg.cluster,
			 /* tasks run only in a cluster (--etcd) */
			 "engine", cluster_get() ? executor_engine() : "none",
			 "listen", a->cfg.listen,
			 "public_key", pk,
			 "cert_fingerprint", a->cert_fpr,
			 "cert_not_after", ms_or_null(pki_not_after_ms(a->cert)),
			 "protocol_version", "min", PROTO_VERSION_MIN,
			 "max", PROTO_VERSION_MAX,
			 "started_at", (json_int_t)a->started_ms,
			 "uptime_s", (json_int_t)((now_realtime_ms() - a->started_ms) / 1000),
			 "peers", "configured", a->npeers, "up", n[PEER_UP],
			 "suspect", n[PEER_SUSPECT], "down", n[PEER_DOWN],
			 "counters", counters_json(a));
	if (!o)
		return NULL;
	cluster_state_json(o, a->cfg.node_id);
	json_object_set_new(o, "membership", membership_json());
	return o;
}

static json_t *peer_json(struct peer *p)
{
	json_t *o;

	o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:I, s:I, s:I, s:I}",
		      "node_id", p->conf->id,
		      "address", p->conf->address,
		      "state", peer_state_name(p->state),
		      "direction", p->conn ? (p->conn->outbound ? "outbound" : "inbound") : "none",
		      "connected", p->conn != NULL,
		      "messages_rx", (json_int_t)p->msgs_rx,
		      "messages_tx", (json_int_t)p->msgs_tx,
		      "connects", (json_int_t)p->connects,
		      "disconnects", (json_int_t)p->disconnects);
	if (!o)
		return NULL;
	json_object_set_new(o, "protocol_version",
			    p->version ? json_integer(p->version) : json_null());
	json_object_set_new(o, "public_key", p->have_pubkey ?
			    hex_json(p->pubkey, sizeof(p->pubkey)) : json_null());
	json_object_set_new(o, "cert_fingerprint",
			    p->cert_fpr[0] ? json_string(p->cert_fpr) : json_null());
	json_object_set_new(o, "cert_not_after", ms_or_null(p->cert_not_after_ms));
	json_object_set_new(o, "registered_at", ms_or_null(p->registered_at_ms));
	json_object_set_new(o, "last_heartbeat", ms_or_null(p->last_heartbeat_ms));
	json_object_set_new(o, "rtt_us", p->rtt_samples ?
			    json_real(p->rtt_last_ns / 1e3) : json_null());
	json_object_set_new(o, "rtt_avg_us", p->rtt_samples ?
			    json_real(p->rtt_avg_ns / 1e3) : json_null());
	json_object_set_new(o, "rtt_min_us", p->rtt_samples ?
			    json_real(p->rtt_min_ns / 1e3) : json_null());
	json_object_set_new(o, "rtt_samples", json_integer(p->rtt_samples));
	cluster_state_json(o, p->conf->id);
	return o;
}

static json_t *cmd_peers(struct agent *a)
{
	struct cluster *c = cluster_get();
	json_t *arr = json_array(), *o;
	unsigned int i;

	for (i = 0; i < a->npeers; i++)
		json_array_append_new(arr, peer_json(&a->peers[i]));
	o = json_pack("{s:b, s:s, s:o}", "ok", 1, "node_id", a->cfg.node_id,
		      "peers", arr);
	/* every quarantined node, this one included */
	if (o && c)
		json_object_set_new(o, "quarantine", c->quarantine ?
				    json_deep_copy(c->quarantine) : json_object());
	/* and this node's own state ("quarantine" above is the whole map) */
	if (o && c)
		json_object_set_new(o, "cluster_state", json_string(
				    quarantine_of(c, a->cfg.node_id) ? "quarantined" :
				    member_of(c, a->cfg.node_id) ? "member" : "absent"));
	return o;
}

static json_t *cmd_ping(struct agent *a)
{
	return json_pack("{s:b, s:s}", "ok", 1, "node_id", a->cfg.node_id);
}

static const struct {
	const char *name;
	json_t *(*fn)(struct agent *a);
} commands[] = {
	{ "node", cmd_node },
	{ "peers", cmd_peers },
	{ "ping", cmd_ping },
};

static json_t *error_json(const char *msg)
{
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

static json_t *dispatch(struct agent *a, const char *line)
{
	json_error_t jerr;
	const char *cmd;
	json_t *req, *rep = NULL;
	unsigned int i;

	req = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
	if (!req)
		return error_json("request is not JSON");
	if (json_unpack(req, "{s:s}", "cmd", &cmd)) {
		json_decref(req);
		return error_json("request needs a string \"cmd\"");
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(cmd, commands[i].name))
			rep = commands[i].fn(a);
	if (!rep)	/* job_* and cluster take the whole request */
		rep = cluster_control(a, cmd, req);
	json_decref(req);
	return rep ? rep : error_json("unknown command");
}

static void ctl_done_cb(struct bufferevent *bev, void *arg)
{
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		bufferevent_free(bev);
}

static void ctl_event_cb(struct bufferevent *bev, short what, void *arg)
{
	bufferevent_free(bev);
}

static void write_json(struct bufferevent *bev, json_t *rep)
{
	char *out = rep ? json_dumps(rep, JSON_COMPACT) : NULL;

	json_decref(rep);
	if (!out)
		return;
	bufferevent_write(bev, out, strlen(out));
	bufferevent_write(bev, "\n", 1);
	free(out);
}

/* Writes the reply, then closes once it is flushed. */
static void reply_and_close(struct bufferevent *bev, json_t *rep, void *arg)
{
	write_json(bev, rep);
	bufferevent_disable(bev, EV_READ);
	bufferevent_setcb(bev, NULL, ctl_done_cb, ctl_event_cb, arg);
	ctl_done_cb(bev, arg);
}

/* ---- replies that come later (job_submit waits for the blobs' replicas) ---- */

struct ctl_pending {
	struct bufferevent *bev;	/* NULL once the client went away */
	struct agent *a;
};

static struct bufferevent *cur_bev;
static struct ctl_pending *cur_pending;

static void pending_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ctl_pending *p = arg;

	bufferevent_free(bev);
	p->bev = NULL;
}

struct ctl_pending *ctl_defer(void)
{
	struct ctl_pending *p;

	if (!cur_bev || cur_pending)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->bev = cur_bev;
	cur_pending = p;
	return p;
}

void ctl_reply(struct ctl_pending *p, json_t *rep)
{
	if (p->bev)
		reply_and_close(p->bev, rep, p->a);
	else
		json_decref(rep);
	free(p);
}

/*
 * ---- blob_put: a blob's bytes, streamed ----
 * {"cmd": "blob_put", "hash": HEX, "size": N} -> {"ok": true, "have": true}
 * (nothing to send) or {"ok": true, "send": true}; then exactly N raw
 * bytes -> {"ok": true, "stored": true} once they hashed to HEX and were
 * stored. Sizes above BLOB_MAX are refused before any byte is sent.
 */
struct upload {
	struct agent *a;
	struct blob_writer w;
};

static void upload_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct upload *u = arg;

	blob_writer_abort(&u->w);
	free(u);
	bufferevent_free(bev);
}

static void upload_read_cb(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	struct upload *u = arg;
	struct agent *a = u->a;
	uint8_t buf[65536];
	json_t *rep;
	int n;

	while ((n = evbuffer_remove(in, buf, sizeof(buf))) > 0)
		if (blob_writer_write(&u->w, buf, n)) {
			rep = error_json("more bytes than the announced size, or the store cannot write");
			goto done;
		}
	if (u->w.got < u->w.size)
		return;
	rep = blob_writer_commit(&u->w) ?
	      error_json("the bytes do not hash to the blob's name (or the store cannot write)") :
	      json_pack("{s:b, s:b}", "ok", 1, "stored", 1);
done:
	blob_writer_abort(&u->w);
	free(u);
	reply_and_close(bev, rep, a);
}

static json_t *upload_start(struct agent *a, struct bufferevent *bev, json_t *req)
{
	const struct blob_store *st = blobnet_store();
	json_t *sz = json_object_get(req, "size");
	uint8_t hash[HASH_LEN];
	struct upload *u;
	char msg[160];

	if (!st)
		return error_json("this agent runs without a cluster (no --etcd): no blob store");
	if (hex_decode(json_string_value(json_object_get(req, "hash")), hash, HASH_LEN) ||
	    !json_is_integer(sz) || json_integer_value(sz) < 0)
		return error_json("blob_put needs \"hash\" (64 hex, the SHA-256) and \"size\"");
	if (json_integer_value(sz) > BLOB_MAX) {
		snprintf(msg, sizeof(msg), "blob of %lld bytes exceeds the cap of %u bytes (%u MiB) per blob",
			 (long long)json_integer_value(sz), BLOB_MAX, BLOB_MAX >> 20);
		return error_json(msg);
	}
	if (blob_size(st, hash) == json_integer_value(sz))
		return json_pack("{s:b, s:b}", "ok", 1, "have", 1);
	u = calloc(1, sizeof(*u));
	if (!u || blob_writer_open(&u->w, st, hash, json_integer_value(sz))) {
		free(u);
		return error_json("the blob store cannot write");
	}
	u->a = a;
	write_json(bev, json_pack("{s:b, s:b}", "ok", 1, "send", 1));
	bufferevent_setcb(bev, upload_read_cb, NULL, upload_event_cb, u);
	/* bytes that came with the request line */
	if (evbuffer_get_length(bufferevent_get_input(bev)))
		upload_read_cb(bev, u);
	return NULL;
}

/* A blob_put request line: starts the upload (NULL) or says why not. */
static bool is_upload(const char *line, json_t **req)
{
	*req = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
	if (*req && !strcmp(json_string_value(json_object_get(*req, "cmd")) ?: "",
			    "blob_put"))
		return true;
	json_decref(*req);
	*req = NULL;
	return false;
}

static void ctl_read_cb(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	struct ctl_pending *p;
	json_t *rep, *req;
	char *line;
	size_t n;

	line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF);
	if (!line) {
		if (evbuffer_get_length(in) > CTL_MAX_REQUEST)
			bufferevent_free(bev);
		return;
	}
	if (is_upload(line, &req)) {
		free(line);
		rep = upload_start(arg, bev, req);
		json_decref(req);
		if (rep)
			reply_and_close(bev, rep, arg);
		return;
	}
	cur_bev = bev;
	rep = dispatch(arg, line);
	cur_bev = NULL;
	p = cur_pending;
	cur_pending = NULL;
	free(line);
	if (p) {
		/* the reply comes later, by ctl_reply() */
		json_decref(rep);
		p->a = arg;
		bufferevent_disable(bev, EV_READ);
		bufferevent_setcb(bev, NULL, NULL, pending_event_cb, p);
		return;
	}
	reply_and_close(bev, rep, arg);
}

static bool client_allowed(struct agent *a, int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len))
		return false;
	if (cr.uid == 0 || cr.uid == geteuid())
		return true;
	return a->cfg.control_mode == 0660 && cr.gid == getegid();
}

static void ctl_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
			  struct sockaddr *sa, int salen, void *arg)
{
	struct agent *a = arg;
	struct timeval tv = { .tv_sec = 5 };
	struct bufferevent *bev;

	if (!client_allowed(a, fd)) {
		log_warn("control: client credentials refused");
		evutil_closesocket(fd);
		return;
	}
	bev = bufferevent_socket_new(a->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!bev) {
		evutil_closesocket(fd);
		return;
	}
	bufferevent_setcb(bev, ctl_read_cb, NULL, ctl_event_cb, a);
	bufferevent_set_timeouts(bev, &tv, &tv);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

int control_start(struct agent *a)
{
	const char *path = a->cfg.control;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_err("control: path too long: %s", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	/* a stale socket from a crashed run is replaced, nothing else is */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_err("control: %s exists and is not a socket", path);
			return -1;
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	old = umask(0177);	/* never exists with looser bits, even briefly */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		umask(old);
		log_err("control: bind %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	umask(old);
	if (chmod(path, a->cfg.control_mode) ||
	    stat(path, &st) || (st.st_mode & 0777) != a->cfg.control_mode) {
		log_err("control: cannot set mode %04o on %s", a->cfg.control_mode, path);
		close(fd);
		unlink(path);
		return -1;
	}
	a->ctl_listener = evconnlistener_new(a->base, ctl_accept_cb, a,
					     LEV_OPT_CLOSE_ON_FREE, 16, fd);
	if (!a->ctl_listener) {
		close(fd);
		unlink(path);
		return -1;
	}
	return 0;
}

void control_stop(struct agent *a)
{
	if (!a->ctl_listener)
		return;
	evconnlistener_free(a->ctl_listener);
	a->ctl_listener = NULL;
	unlink(a->cfg.control);
}
