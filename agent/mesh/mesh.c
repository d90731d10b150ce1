// SPDX-License-Identifier: GPL-2.0
/*
 * The peer mesh: the TLS listener, dialling, and reconnection with
 * exponential backoff and jitter. Each pair of nodes keeps one session:
 * the node whose id sorts first dials, the other accepts. An inbound
 * session from a configured peer is accepted either way (configs may
 * disagree during a rollout); the newest established session wins.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <openssl/rand.h>

#include "agent/synapsed.h"

static int make_sockaddr(const char *hostport, struct sockaddr_storage *ss,
			 socklen_t *len)
{
	char host[CONF_ADDR_MAX];
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	uint16_t port;

	memset(ss, 0, sizeof(*ss));
	if (parse_hostport(hostport, host, sizeof(host), &port))
		return -1;
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return 0;
	}
	return -1;
}

static void sockaddr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	uint16_t port = 0;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		port = ntohs(sin->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		port = ntohs(sin6->sin6_port);
	}
	snprintf(buf, len, "%s:%u", host, port);
}

struct peer *mesh_find_peer(struct agent *a, const char *id)
{
	unsigned int i;

	for (i = 0; i < a->npeers; i++)
		if (!strcmp(a->peers[i].conf->id, id))
			return &a->peers[i];
	return NULL;
}

static void dial(struct peer *p)
{
	struct agent *a = p->agent;
	struct sockaddr_storage ss;
	struct bufferevent *bev;
	socklen_t slen;
	SSL *ssl;

	if (p->conn || p->dialing)
		return;
	if (make_sockaddr(p->conf->address, &ss, &slen)) {
		log_err("peer %s: bad address %s", p->conf->id, p->conf->address);
		return;
	}
	ssl = SSL_new(a->ssl_ctx);
	if (!ssl)
		goto out_retry;
	bev = bufferevent_openssl_socket_new(a->base, -1, ssl,
					     BUFFEREVENT_SSL_CONNECTING,
					     BEV_OPT_CLOSE_ON_FREE |
					     BEV_OPT_DEFER_CALLBACKS);
	if (!bev) {
		SSL_free(ssl);
		goto out_retry;
	}
	p->dialing = conn_new(a, bev, true, p->conf->address);
	if (!p->dialing)
		goto out_retry;
	p->dialing->peer = p;
	if (bufferevent_socket_connect(bev, (struct sockaddr *)&ss, slen)) {
		/* conn_close schedules the next attempt */
		conn_close(p->dialing);
	}
	return;

out_retry:
	mesh_schedule_reconnect(p);
}

static void reconnect_cb(evutil_socket_t fd, short what, void *arg)
{
	dial(arg);
}

void mesh_schedule_reconnect(struct peer *p)
{
	const struct agent_config *cfg = &p->agent->cfg;
	uint64_t delay = cfg->backoff_min_ms;
	uint32_t r = 0;
	struct timeval tv;
	unsigned int i;

	if (!p->dialer || p->conn || !p->reconnect_ev ||
	    evtimer_pending(p->reconnect_ev, NULL))
		return;
	for (i = 0; i < p->attempts && delay < cfg->backoff_max_ms; i++)
		delay *= 2;
	if (delay > cfg->backoff_max_ms)
		delay = cfg->backoff_max_ms;
	/* full jitter in [delay/2, delay): peers restarted together spread out */
	RAND_bytes((unsigned char *)&r, sizeof(r));
	delay = delay / 2 + (delay / 2 ? r % (delay / 2) : 0);
	p->attempts++;
	tv.tv_sec = delay / 1000;
	tv.tv_usec = (delay % 1000) * 1000;
	evtimer_add(p->reconnect_ev, &tv);
}

/* Sessions not yet past HELLO: bounded, each also times out (10 s). */
#define MAX_PENDING	128

static int pending_sessions(struct agent *a)
{
	struct conn *c;
	int n = 0;

	LIST_FOREACH(c, &a->conns, link)
		if (c->state == CONN_TLS || c->state == CONN_HELLO)
			n++;
	return n;
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd,
		      struct sockaddr *sa, int salen, void *arg)
{
	struct agent *a = arg;
	struct bufferevent *bev;
	char remote[64];
	SSL *ssl;

	sockaddr_str(sa, remote, sizeof(remote));
	if (pending_sessions(a) >= MAX_PENDING) {
		/* unauthenticated handshakes are cheap to start, not to serve */
		agent_reject(a, REJ_TLS, "%s: over %d pending handshakes", remote,
			     MAX_PENDING);
		evutil_closesocket(fd);
		return;
	}
	ssl = SSL_new(a->ssl_ctx);
	if (!ssl) {
		evutil_closesocket(fd);
		return;
	}
	bev = bufferevent_openssl_socket_new(a->base, fd, ssl,
					     BUFFEREVENT_SSL_ACCEPTING,
					     BEV_OPT_CLOSE_ON_FREE |
					     BEV_OPT_DEFER_CALLBACKS);
	if (!bev) {
		SSL_free(ssl);
		evutil_closesocket(fd);
		return;
	}
	conn_new(a, bev, false, remote);
}

int mesh_start(struct agent *a)
{
	struct sockaddr_storage ss;
	socklen_t slen;
	unsigned int i;

	if (make_sockaddr(a->cfg.listen, &ss, &slen)) {
		log_err("listen: %s is not an IP:PORT", a->cfg.listen);
		return -1;
	}
	a->listener = evconnlistener_new_bind(a->base, accept_cb, a,
					      LEV_OPT_CLOSE_ON_FREE |
					      LEV_OPT_CLOSE_ON_EXEC |
					      LEV_OPT_REUSEABLE, 64,
					      (struct sockaddr *)&ss, slen);
	if (!a->listener) {
		log_err("listen on %s: %s", a->cfg.listen, strerror(errno));
		return -1;
	}
	a->npeers = a->cfg.npeers;
	a->peers = calloc(a->npeers ? a->npeers : 1, sizeof(*a->peers));
	if (!a->peers)
		return -1;
	for (i = 0; i < a->npeers; i++) {
		struct peer *p = &a->peers[i];

		p->agent = a;
		p->conf = &a->cfg.peers[i];
		p->dialer = strcmp(a->cfg.node_id, p->conf->id) < 0;
		p->reconnect_ev = evtimer_new(a->base, reconnect_cb, p);
		if (!p->reconnect_ev ||
		    replay_init(&p->replay, a->cfg.replay_capacity,
				a->cfg.max_skew_ms))
			return -1;
		if (p->dialer)
			dial(p);
	}
	log_info("node %s listening on %s, %u peers", a->cfg.node_id,
		 a->cfg.listen, a->npeers);
	return 0;
}

/* After a CRL reload: sessions whose certificate was revoked end now. */
void mesh_recheck_certs(struct agent *a)
{
	struct conn *c, *next;

	for (c = LIST_FIRST(&a->conns); c; c = next) {
		next = LIST_NEXT(c, link);
		if (c->cert && tls_cert_revoked(a, c->cert)) {
			conn_reject(c, REJ_CERT_REVOKED, "certificate revoked by new CRL");
			conn_close(c);
		}
	}
}

void mesh_stop(struct agent *a)
{
	unsigned int i;

	/* stop the timers first so closing sessions schedule nothing */
	for (i = 0; i < a->npeers; i++) {
		if (a->peers[i].reconnect_ev)
			event_free(a->peers[i].reconnect_ev);
		a->peers[i].reconnect_ev = NULL;
	}
	while (!LIST_EMPTY(&a->conns))
		conn_close(LIST_FIRST(&a->conns));
	for (i = 0; i < a->npeers; i++)
		replay_free(&a->peers[i].replay);
	free(a->peers);
	a->peers = NULL;
	a->npeers = 0;
	if (a->listener)
		evconnlistener_free(a->listener);
	a->listener = NULL;
}
