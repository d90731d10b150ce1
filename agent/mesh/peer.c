// SPDX-License-Identifier: GPL-2.0
/*
 * One TLS session with a peer: identification from the verified
 * certificate, the HELLO exchange (version negotiation), framing, and the
 * checks every received NodeMessage passes before it is acted on, in this
 * order: frame size, decoding, sender = certificate identity, receiver,
 * signature, protocol version, replay window, type.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>

#include "agent/identity/pki.h"
#include "agent/synapsed.h"

/* A session must be established this soon after the TCP accept/connect. */
#define HANDSHAKE_TIMEOUT_S	10

const char *peer_state_name(enum peer_state s)
{
	switch (s) {
	case PEER_UP:
		return "up";
	case PEER_SUSPECT:
		return "suspect";
	default:
		return "down";
	}
}

static void vreject(struct agent *a, enum reject_reason r, const char *who,
		    const char *fmt, va_list ap)
{
	char msg[256];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	a->rejected[r]++;
	log_ratelimited(&a->rl[r], LOG_LVL_WARN, "refused (%s) %s: %s",
			reject_name(r), who, msg);
}

void agent_reject(struct agent *a, enum reject_reason r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreject(a, r, "", fmt, ap);
	va_end(ap);
}

static void conn_vreject(struct conn *c, enum reject_reason r,
			 const char *fmt, va_list ap)
{
	char who[160];

	snprintf(who, sizeof(who), "%s%s%s", c->remote,
		 c->cert_id[0] ? " as " : "", c->cert_id);
	vreject(c->agent, r, who, fmt, ap);
}

void conn_reject(struct conn *c, enum reject_reason r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conn_vreject(c, r, fmt, ap);
	va_end(ap);
}

void conn_close(struct conn *c)
{
	struct peer *p = c->peer;

	if (p && p->conn == c) {
		p->conn = NULL;
		p->state = PEER_DOWN;
		p->disconnects++;
		log_info("peer %s down", p->conf->id);
	}
	if (p && p->dialing == c)
		p->dialing = NULL;
	LIST_REMOVE(c, link);
	bufferevent_free(c->bev);
	EVP_PKEY_free(c->pubkey);
	EVP_PKEY_free(c->sign_key);
	X509_free(c->cert);
	free(c);
	if (p && !p->conn && p->dialer)
		mesh_schedule_reconnect(p);
}

static int conn_send(struct conn *c, uint32_t type, const char *receiver,
		     const uint8_t *payload, size_t len)
{
	struct agent *a = c->agent;
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct node_msg m;
	uint8_t *frame;
	size_t flen;

	msg_init(&m, type, a->cfg.node_id, receiver, payload, len);
	if (c->version)
		m.protocol_version = c->version;
	if (msg_sign(&m, c->sign_key) || frame_build(&m, &frame, &flen))
		return -1;
	/* bounded send queue: a slow peer loses messages, not our memory */
	if (evbuffer_get_length(out) + flen > a->cfg.send_queue_bytes) {
		free(frame);
		conn_reject(c, REJ_QUEUE_FULL, "send queue full, %s dropped",
			    msg_type_name(type));
		return -1;
	}
	bufferevent_write(c->bev, frame, flen);
	free(frame);
	a->msgs_tx++;
	if (c->peer)
		c->peer->msgs_tx++;
	return 0;
}

int peer_send(struct peer *p, uint32_t type, const uint8_t *payload,
	      size_t len)
{
	if (!p->conn)
		return -1;
	return conn_send(p->conn, type, p->conf->id, payload, len);
}

unsigned int mesh_broadcast(struct agent *a, uint32_t type,
			    const uint8_t *payload, size_t len)
{
	unsigned int i, n = 0;

	for (i = 0; i < a->npeers; i++)
		if (!peer_send(&a->peers[i], type, payload, len))
			n++;
	return n;
}

int mesh_register_handler(struct agent *a, uint32_t type, msg_handler_fn fn,
			  void *arg)
{
	unsigned int i;

	if (type < MSG_RANGE_CLUSTER || type > UINT16_MAX ||
	    a->nhandlers >= MAX_MSG_HANDLERS)
		return -1;
	for (i = 0; i < a->nhandlers; i++)
		if (a->handlers[i].type == type)
			return -1;
	a->handlers[a->nhandlers++] = (struct msg_handler){ type, fn, arg };
	return 0;
}

static const struct msg_handler *find_handler(struct agent *a, uint32_t type)
{
	unsigned int i;

	for (i = 0; i < a->nhandlers; i++)
		if (a->handlers[i].type == type)
			return &a->handlers[i];
	return NULL;
}

static void close_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		conn_close(c);
}

static const struct timeval refuse_flush_timeout = { .tv_sec = 5 };

static void event_cb(struct bufferevent *bev, short what, void *arg);

/* Tell the peer why (when we can), then close once that is flushed. */
static void conn_refuse(struct conn *c, enum reject_reason r,
			const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void conn_refuse(struct conn *c, enum reject_reason r,
			const char *fmt, ...)
{
	struct refuse rf = { .reason = r };
	uint8_t *payload;
	size_t len;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rf.text, sizeof(rf.text), fmt, ap);
	va_end(ap);
	conn_reject(c, r, "%s", rf.text);
	if (c->state == CONN_TLS || !c->cert_id[0] ||
	    refuse_encode(&rf, &payload, &len)) {
		conn_close(c);
		return;
	}
	conn_send(c, MSG_REFUSE, c->cert_id, payload, len);
	free(payload);
	c->state = CONN_CLOSING;
	bufferevent_disable(c->bev, EV_READ);
	/* a peer that stops reading cannot keep us flushing forever */
	bufferevent_set_timeouts(c->bev, NULL, &refuse_flush_timeout);
	bufferevent_setcb(c->bev, NULL, close_cb, event_cb, c);
	close_cb(c->bev, c);
}

static void send_hello(struct conn *c)
{
	struct hello h = {
		.min_version = PROTO_VERSION_MIN,
		.max_version = PROTO_VERSION_MAX,
	};
	uint8_t *payload;
	size_t len;

	snprintf(h.cluster, sizeof(h.cluster), "%s", c->agent->cfg.cluster);
	if (hello_encode(&h, &payload, &len))
		return;
	conn_send(c, MSG_HELLO, c->cert_id, payload, len);
	free(payload);
}

/* TLS is up and the peer's chain verified: who is it? */
static void conn_tls_up(struct conn *c)
{
	struct agent *a = c->agent;
	X509 *cert = SSL_get1_peer_certificate(bufferevent_openssl_get_ssl(c->bev));
	evutil_socket_t fd = bufferevent_getfd(c->bev);
	struct peer *p;
	int one = 1;

	/* heartbeats are small and RTT-sensitive: no Nagle delay */
	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* from here on a REFUSE can tell the peer why */
	c->state = CONN_HELLO;
	if (!cert) {
		conn_refuse(c, REJ_TLS, "no peer certificate");
		return;
	}
	c->cert = cert;
	if (pki_cert_node_id(cert, a->cfg.cluster, c->cert_id,
			     sizeof(c->cert_id))) {
		c->cert_id[0] = '\0';
		conn_refuse(c, REJ_CERT_NO_ID, "certificate has no synapse://%s/node/ URI",
			    a->cfg.cluster);
		return;
	}
	c->pubkey = X509_get_pubkey(cert);
	if (!c->pubkey || EVP_PKEY_get_id(c->pubkey) != EVP_PKEY_ED25519) {
		conn_refuse(c, REJ_CERT_UNTRUSTED, "peer key is not Ed25519");
		return;
	}
	if (c->outbound) {
		if (strcmp(c->cert_id, c->peer->conf->id)) {
			conn_refuse(c, REJ_NODE_ID, "dialled %s, certificate says %s",
				    c->peer->conf->id, c->cert_id);
			return;
		}
	} else {
		p = mesh_find_peer(a, c->cert_id);
		if (!p) {
			conn_refuse(c, REJ_UNKNOWN_PEER, "node %s is not a configured peer",
				    c->cert_id);
			return;
		}
		c->peer = p;
	}
	send_hello(c);
}

static void peer_established(struct conn *c, uint32_t version)
{
	struct peer *p = c->peer;
	struct conn *old = p->conn;
	size_t klen = ED25519_PUB_LEN;

	c->version = version;
	c->state = CONN_ESTABLISHED;
	if (p->dialing == c)
		p->dialing = NULL;
	p->conn = c;
	if (old && old != c) {
		/* newest session wins; the old one may be a dead peer's */
		old->peer = NULL;
		conn_close(old);
	}
	p->version = version;
	p->attempts = 0;
	p->connects++;
	p->state = PEER_UP;
	p->last_rx_ns = now_mono_ns();
	if (EVP_PKEY_get_raw_public_key(c->pubkey, p->pubkey, &klen) == 1)
		p->have_pubkey = true;
	pki_fingerprint(c->cert, p->cert_fpr);
	p->cert_not_after_ms = pki_not_after_ms(c->cert);
	if (!p->registered_at_ms)
		p->registered_at_ms = now_realtime_ms();
	bufferevent_set_timeouts(c->bev, NULL, NULL);
	log_info("peer %s up (%s, %s, protocol v%u)", p->conf->id, c->remote,
		 c->outbound ? "outbound" : "inbound", version);
}

static bool on_hello(struct conn *c, const struct node_msg *m)
{
	struct agent *a = c->agent;
	uint32_t lo, hi;
	struct hello h;

	if (hello_decode(m->payload, m->payload_len, &h)) {
		conn_refuse(c, REJ_PAYLOAD, "malformed HELLO");
		return false;
	}
	if (strcmp(h.cluster, a->cfg.cluster)) {
		conn_refuse(c, REJ_PROTOCOL, "cluster %s, we are %s", h.cluster,
			    a->cfg.cluster);
		return false;
	}
	lo = h.min_version > PROTO_VERSION_MIN ? h.min_version : PROTO_VERSION_MIN;
	hi = h.max_version < PROTO_VERSION_MAX ? h.max_version : PROTO_VERSION_MAX;
	if (lo > hi) {
		conn_refuse(c, REJ_VERSION,
			    "no common protocol version: peer speaks %u..%u, we speak %u..%u",
			    h.min_version, h.max_version, PROTO_VERSION_MIN,
			    PROTO_VERSION_MAX);
		return false;
	}
	peer_established(c, hi);
	return true;
}

static void on_refuse(struct conn *c, const struct node_msg *m)
{
	struct refuse r;

	if (refuse_decode(m->payload, m->payload_len, &r)) {
		conn_reject(c, REJ_PAYLOAD, "malformed REFUSE");
	} else {
		log_warn("peer %s refused us: %s (%s)", c->cert_id, r.text,
			 reject_name(r.reason));
	}
	conn_close(c);
}

/* Returns false when the connection was closed. */
static bool handle_msg(struct conn *c, const uint8_t *buf, size_t len)
{
	struct agent *a = c->agent;
	const struct msg_handler *h;
	struct peer *p = c->peer;
	struct node_msg m;
	int r;

	if (msg_decode(buf, len, &m)) {
		conn_refuse(c, REJ_DECODE, "malformed NodeMessage (%zu bytes)", len);
		return false;
	}
	if (strcmp(m.sender_id, c->cert_id)) {
		conn_refuse(c, REJ_NODE_ID, "claims to be %s", m.sender_id);
		return false;
	}
	if (strcmp(m.receiver_id, a->cfg.node_id) &&
	    strcmp(m.receiver_id, MSG_BROADCAST)) {
		conn_reject(c, REJ_RECEIVER, "message for %s", m.receiver_id);
		return true;
	}
	if (msg_verify(&m, c->pubkey)) {
		conn_refuse(c, REJ_SIGNATURE, "%s signature does not verify",
			    msg_type_name(m.message_type));
		return false;
	}
	if (c->state == CONN_HELLO && m.message_type != MSG_HELLO &&
	    m.message_type != MSG_REFUSE) {
		conn_refuse(c, REJ_PROTOCOL, "%s before HELLO",
			    msg_type_name(m.message_type));
		return false;
	}
	if (c->state == CONN_ESTABLISHED && m.protocol_version != c->version) {
		conn_refuse(c, REJ_VERSION, "message version %u, session is v%u",
			    m.protocol_version, c->version);
		return false;
	}
	r = replay_check(&p->replay, m.message_id, m.timestamp_ms,
			 now_realtime_ms());
	if (r) {
		conn_reject(c, r, "%s dropped", msg_type_name(m.message_type));
		return true;
	}
	a->msgs_rx++;
	p->msgs_rx++;
	switch (m.message_type) {
	case MSG_HELLO:
		if (c->state != CONN_HELLO) {
			conn_refuse(c, REJ_PROTOCOL, "second HELLO");
			return false;
		}
		return on_hello(c, &m);
	case MSG_REFUSE:
		on_refuse(c, &m);
		return false;
	case MSG_HEARTBEAT:
	case MSG_HEARTBEAT_ACK:
		p->last_rx_ns = now_mono_ns();
		heartbeat_on_msg(p, &m);
		return true;
	default:
		p->last_rx_ns = now_mono_ns();
		h = find_handler(a, m.message_type);
		if (!h) {
			conn_reject(c, REJ_UNKNOWN_TYPE, "type 0x%04x dropped",
				    m.message_type);
			return true;
		}
		h->fn(p, &m, h->arg);
		/* the handler may have closed the session */
		return p->conn == c;
	}
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t *buf;
	size_t avail;
	long n;

	while (c->state == CONN_HELLO || c->state == CONN_ESTABLISHED) {
		avail = evbuffer_get_length(in);
		buf = evbuffer_pullup(in, avail < FRAME_HDR_LEN ? -1 : FRAME_HDR_LEN);
		n = frame_check(buf, avail, c->agent->cfg.max_frame);
		if (n < 0) {
			conn_refuse(c, REJ_FRAME_TOO_LARGE, "frame over %u bytes",
				    c->agent->cfg.max_frame);
			return;
		}
		if (n == 0)
			return;
		buf = evbuffer_pullup(in, n);
		if (!handle_msg(c, buf + FRAME_HDR_LEN, n - FRAME_HDR_LEN))
			return;
		evbuffer_drain(in, n);
	}
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	unsigned long e;

	if (what & BEV_EVENT_CONNECTED) {
		conn_tls_up(c);
		return;
	}
	if (c->state == CONN_CLOSING) {
		/* the refusal could not be flushed: it was counted already */
	} else if (c->state == CONN_TLS) {
		e = bufferevent_get_openssl_error(bev);
		if (what & BEV_EVENT_TIMEOUT)
			conn_reject(c, REJ_TLS, "handshake timeout");
		else if (c->outbound && tls_failure_reason(ssl) == REJ_TLS &&
			 (!ERR_GET_LIB(e) || ERR_GET_LIB(e) == ERR_LIB_SYS))
			/*
			 * No TLS-level error (libevent reports a bare
			 * SSL_ERROR_SYSCALL): TCP failed, the peer is not
			 * there (yet). Not a refusal.
			 */
			log_debug("connect to %s failed", c->remote);
		else
			conn_reject(c, tls_failure_reason(ssl), "TLS handshake failed: %s",
				    e && ERR_reason_error_string(e) ?
				    ERR_reason_error_string(e) : "connection closed");
	} else if (what & BEV_EVENT_TIMEOUT) {
		conn_reject(c, REJ_PROTOCOL, "no HELLO in time");
	} else if (c->peer && c->peer->conn == c) {
		log_info("peer %s: connection %s", c->peer->conf->id,
			 (what & BEV_EVENT_EOF) ? "closed" : "error");
	}
	ERR_clear_error();
	conn_close(c);
}

struct conn *conn_new(struct agent *a, struct bufferevent *bev, bool outbound,
		      const char *remote)
{
	struct timeval tv = { .tv_sec = HANDSHAKE_TIMEOUT_S };
	struct conn *c = calloc(1, sizeof(*c));

	if (!c) {
		bufferevent_free(bev);
		return NULL;
	}
	c->agent = a;
	c->bev = bev;
	EVP_PKEY_up_ref(a->key);
	c->sign_key = a->key;
	c->outbound = outbound;
	c->state = CONN_TLS;
	snprintf(c->remote, sizeof(c->remote), "%s", remote);
	LIST_INSERT_HEAD(&a->conns, c, link);
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	bufferevent_setcb(bev, read_cb, NULL, event_cb, c);
	bufferevent_set_timeouts(bev, &tv, &tv);
	/* no frame header is read before it is complete */
	bufferevent_setwatermark(bev, EV_READ, FRAME_HDR_LEN, 0);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	return c;
}
