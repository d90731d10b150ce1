/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SYNAPSED_H
#define SYNAPSED_H

/*
 * synapsed's state. Threading model: one thread, one libevent loop. Every
 * callback (sockets, timers, signals via evsignal) runs on that loop, so no
 * state here is locked. Signal handlers are libevent's: they only wake the
 * loop, the work happens in ordinary callbacks.
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/ssl.h>

#include "agent/config.h"
#include "agent/log.h"
#include "agent/mesh/message.h"
#include "agent/mesh/replay.h"

struct agent;
struct peer;

enum conn_state {
	CONN_TLS,		/* TCP connect / TLS handshake under way */
	CONN_HELLO,		/* TLS up, waiting for the peer's HELLO */
	CONN_ESTABLISHED,
	CONN_CLOSING,		/* flushing a REFUSE, then freed */
};

struct conn {
	struct agent *agent;
	struct bufferevent *bev;
	struct peer *peer;	/* dialled peer, or set once identified */
	bool outbound;
	enum conn_state state;
	char remote[64];	/* address, for logs */
	char cert_id[NODE_ID_MAX + 1];
	EVP_PKEY *pubkey;	/* from the verified certificate */
	EVP_PKEY *sign_key;	/* ours when the session began: a SIGHUP
				 * key rotation must not break live sessions,
				 * whose peer holds our old certificate */
	X509 *cert;
	uint32_t version;	/* negotiated */
	LIST_ENTRY(conn) link;	/* agent->conns */
};

enum peer_state {
	PEER_DOWN,
	PEER_SUSPECT,
	PEER_UP,
};

struct peer {
	struct agent *agent;
	const struct peer_conf *conf;
	bool dialer;		/* we dial it (our id sorts first) */
	struct conn *conn;	/* the established session */
	struct conn *dialing;
	struct event *reconnect_ev;
	unsigned int attempts;
	enum peer_state state;
	struct replay_win replay;
	/* the NodeIdentity view of this peer */
	uint8_t pubkey[ED25519_PUB_LEN];
	bool have_pubkey;
	char cert_fpr[65];
	uint64_t cert_not_after_ms;
	uint32_t version;
	uint64_t registered_at_ms;
	uint64_t last_heartbeat_ms;
	uint64_t last_rx_ns;	/* monotonic, any valid message */
	uint64_t rtt_last_ns, rtt_min_ns, rtt_avg_ns, rtt_samples;
	uint64_t hb_seq;
	uint64_t msgs_rx, msgs_tx, connects, disconnects;
};

/*
 * A handler for a message type outside the mesh range. It runs after every
 * check in peer.c passed (signature, sender, version, replay window), so
 * it may trust m->sender_id; the payload is still unparsed bytes.
 */
typedef void (*msg_handler_fn)(struct peer *p, const struct node_msg *m,
			       void *arg);

#define MAX_MSG_HANDLERS	64

struct msg_handler {
	uint32_t type;
	msg_handler_fn fn;
	void *arg;
};

struct agent {
	struct agent_config cfg;
	const char *config_path;
	struct event_base *base;
	SSL_CTX *ssl_ctx;
	EVP_PKEY *key;
	X509 *cert;
	X509_CRL *crl;
	char cert_fpr[65];
	struct evconnlistener *listener;
	struct peer *peers;
	unsigned int npeers;
	LIST_HEAD(, conn) conns;
	struct event *hb_timer;
	struct event *sig_hup, *sig_term, *sig_int;
	struct evconnlistener *ctl_listener;
	struct evhttp *http;
	uint64_t started_ms;
	uint64_t rejected[REJ_COUNT];
	struct log_ratelimit rl[REJ_COUNT];
	uint64_t msgs_rx, msgs_tx, hb_tx, hb_rx, reloads;
	struct msg_handler handlers[MAX_MSG_HANDLERS];
	unsigned int nhandlers;
};

/* tls.c */
int tls_load(struct agent *a, char *err, size_t errlen);
enum reject_reason tls_failure_reason(SSL *ssl);
bool tls_cert_revoked(struct agent *a, X509 *cert);

/* mesh.c */
int mesh_start(struct agent *a);
void mesh_stop(struct agent *a);
void mesh_schedule_reconnect(struct peer *p);
struct peer *mesh_find_peer(struct agent *a, const char *id);
void mesh_recheck_certs(struct agent *a);

/* peer.c */
struct conn *conn_new(struct agent *a, struct bufferevent *bev, bool outbound,
		      const char *remote);
void conn_close(struct conn *c);
void conn_reject(struct conn *c, enum reject_reason r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void agent_reject(struct agent *a, enum reject_reason r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int peer_send(struct peer *p, uint32_t type, const uint8_t *payload,
	      size_t len);
const char *peer_state_name(enum peer_state s);
/* Registers fn for a type >= MSG_RANGE_CLUSTER; -1 if taken or full. */
int mesh_register_handler(struct agent *a, uint32_t type, msg_handler_fn fn,
			  void *arg);
/* Sends to every peer with a session; returns how many it was queued for. */
unsigned int mesh_broadcast(struct agent *a, uint32_t type,
			    const uint8_t *payload, size_t len);

/* heartbeat.c */
int heartbeat_start(struct agent *a);
void heartbeat_on_msg(struct peer *p, const struct node_msg *m);

/* control.c */
int control_start(struct agent *a);
void control_stop(struct agent *a);
/*
 * Called by a command while it runs: its reply comes later, through
 * ctl_reply() (which takes rep and frees p; a client that went away
 * meanwhile is no error). The command's own return value is ignored.
 */
struct ctl_pending;
struct ctl_pending *ctl_defer(void);
void ctl_reply(struct ctl_pending *p, json_t *rep);

/* metrics.c */
int metrics_start(struct agent *a);
void metrics_stop(struct agent *a);

#endif
