// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus text-format metrics on GET /metrics, served by libevent's
 * evhttp on a loopback address only: the numbers are for the local
 * scraper, and anything else would need its own authentication.
 */
#include <arpa/inet.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "agent/synapsed.h"

static bool is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return false;
}

static void metrics_cb(struct evhttp_request *req, void *arg)
{
	struct agent *a = arg;
	struct evbuffer *b;
	unsigned int i;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_send_error(req, 405, "Method Not Allowed");
		return;
	}
	b = evbuffer_new();
	if (!b) {
		evhttp_send_error(req, 500, "Internal Error");
		return;
	}
	evbuffer_add_printf(b,
		"# HELP synapse_uptime_seconds Seconds since synapsed started.\n"
		"# TYPE synapse_uptime_seconds gauge\n"
		"synapse_uptime_seconds %llu\n",
		(unsigned long long)(now_realtime_ms() - a->started_ms) / 1000);
	evbuffer_add_printf(b,
		"# HELP synapse_messages_total NodeMessages accepted and sent.\n"
		"# TYPE synapse_messages_total counter\n"
		"synapse_messages_total{direction=\"rx\"} %llu\n"
		"synapse_messages_total{direction=\"tx\"} %llu\n",
		(unsigned long long)a->msgs_rx, (unsigned long long)a->msgs_tx);
	evbuffer_add_printf(b,
		"# HELP synapse_rejected_total Messages and connections refused, by reason.\n"
		"# TYPE synapse_rejected_total counter\n");
	for (i = 0; i < REJ_COUNT; i++)
		evbuffer_add_printf(b, "synapse_rejected_total{reason=\"%s\"} %llu\n",
				    reject_name(i), (unsigned long long)a->rejected[i]);
	evbuffer_add_printf(b,
		"# HELP synapse_peer_up 1 if the peer is up, 0.5 suspect, 0 down.\n"
		"# TYPE synapse_peer_up gauge\n");
	for (i = 0; i < a->npeers; i++)
		evbuffer_add_printf(b, "synapse_peer_up{peer=\"%s\"} %s\n",
				    a->peers[i].conf->id,
				    a->peers[i].state == PEER_UP ? "1" :
				    a->peers[i].state == PEER_SUSPECT ? "0.5" : "0");
	evbuffer_add_printf(b,
		"# HELP synapse_peer_rtt_seconds Last heartbeat round-trip time.\n"
		"# TYPE synapse_peer_rtt_seconds gauge\n");
	for (i = 0; i < a->npeers; i++)
		if (a->peers[i].rtt_samples)
			evbuffer_add_printf(b, "synapse_peer_rtt_seconds{peer=\"%s\"} %.9f\n",
					    a->peers[i].conf->id,
					    a->peers[i].rtt_last_ns / 1e9);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/plain; version=0.0.4");
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

int metrics_start(struct agent *a)
{
	char host[CONF_ADDR_MAX];
	uint16_t port;

	if (!a->cfg.metrics[0])
		return 0;
	if (parse_hostport(a->cfg.metrics, host, sizeof(host), &port) ||
	    !is_loopback(host)) {
		log_err("metrics: %s is not a loopback HOST:PORT", a->cfg.metrics);
		return -1;
	}
	a->http = evhttp_new(a->base);
	if (!a->http)
		return -1;
	evhttp_set_allowed_methods(a->http, EVHTTP_REQ_GET);
	evhttp_set_cb(a->http, "/metrics", metrics_cb, a);
	if (evhttp_bind_socket(a->http, host, port)) {
		log_err("metrics: cannot bind %s", a->cfg.metrics);
		evhttp_free(a->http);
		a->http = NULL;
		return -1;
	}
	return 0;
}

void metrics_stop(struct agent *a)
{
	if (a->http)
		evhttp_free(a->http);
	a->http = NULL;
}
