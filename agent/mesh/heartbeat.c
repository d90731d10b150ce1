// SPDX-License-Identifier: GPL-2.0
/*
 * Heartbeats ride the mesh as signed NodeMessages. Every interval each
 * established peer gets a HEARTBEAT carrying our monotonic send time; the
 * peer echoes it in a HEARTBEAT_ACK, which gives the round-trip time
 * without trusting anybody's clock. A peer is up while we hear from it
 * within suspect_ms, suspect until down_ms, then its session is dropped
 * (and redialled by whichever side dials).
 */
#include <stdlib.h>

#include "agent/synapsed.h"

static void send_hb(struct peer *p, uint32_t type, const struct heartbeat *h)
{
	uint8_t *payload;
	size_t len;

	if (heartbeat_encode(h, &payload, &len))
		return;
	if (!peer_send(p, type, payload, len) && type == MSG_HEARTBEAT)
		p->agent->hb_tx++;
	free(payload);
}

static void update_state(struct peer *p, uint64_t now)
{
	const struct agent_config *cfg = &p->agent->cfg;
	uint64_t quiet_ms = (now - p->last_rx_ns) / 1000000;
	enum peer_state old = p->state;

	if (!p->conn) {
		p->state = PEER_DOWN;
		return;
	}
	if (quiet_ms > cfg->down_ms) {
		log_warn("peer %s: nothing heard for %llu ms, dropping session",
			 p->conf->id, (unsigned long long)quiet_ms);
		conn_close(p->conn);
		return;
	}
	p->state = quiet_ms > cfg->suspect_ms ? PEER_SUSPECT : PEER_UP;
	if (p->state != old)
		log_info("peer %s %s", p->conf->id, peer_state_name(p->state));
}

static void tick(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;
	uint64_t now = now_mono_ns();
	unsigned int i;

	for (i = 0; i < a->npeers; i++) {
		struct peer *p = &a->peers[i];
		struct heartbeat h = { .seq = ++p->hb_seq, .sent_ns = now };

		update_state(p, now);
		if (p->conn)
			send_hb(p, MSG_HEARTBEAT, &h);
	}
}

void heartbeat_on_msg(struct peer *p, const struct node_msg *m)
{
	uint64_t now = now_mono_ns(), rtt;
	struct heartbeat h;

	if (heartbeat_decode(m->payload, m->payload_len, &h)) {
		agent_reject(p->agent, REJ_PAYLOAD, "malformed heartbeat from %s",
			     p->conf->id);
		return;
	}
	p->last_heartbeat_ms = now_realtime_ms();
	if (p->state == PEER_SUSPECT) {
		p->state = PEER_UP;
		log_info("peer %s up", p->conf->id);
	}
	if (m->message_type == MSG_HEARTBEAT) {
		p->agent->hb_rx++;
		send_hb(p, MSG_HEARTBEAT_ACK, &h);
		return;
	}
	/* an echo of a time we never sent (or from the future) is no sample */
	if (h.sent_ns > now || h.seq > p->hb_seq)
		return;
	rtt = now - h.sent_ns;
	p->rtt_last_ns = rtt;
	if (!p->rtt_samples || rtt < p->rtt_min_ns)
		p->rtt_min_ns = rtt;
	/* EWMA, 1/8 like TCP's srtt */
	p->rtt_avg_ns = p->rtt_samples ? p->rtt_avg_ns - p->rtt_avg_ns / 8 + rtt / 8 : rtt;
	p->rtt_samples++;
}

int heartbeat_start(struct agent *a)
{
	struct timeval tv = {
		.tv_sec = a->cfg.heartbeat_ms / 1000,
		.tv_usec = (a->cfg.heartbeat_ms % 1000) * 1000,
	};

	a->hb_timer = event_new(a->base, -1, EV_PERSIST, tick, a);
	if (!a->hb_timer)
		return -1;
	return evtimer_add(a->hb_timer, &tv);
}
