// SPDX-License-Identifier: GPL-2.0
/*
 * Nudges over the mesh (see nudge.h). Without them every step of a job
 * (plan, accept, run, attest, commit, result) waited for the next 100 ms
 * tick of whichever node takes it, about five ticks for a trivial job.
 *
 * Nudged ticks coalesce in one timer and start at least NUDGE_GAP_NS
 * after the previous tick began, so nodes that keep writing can at most
 * tick every few milliseconds, never spin.
 */
#include <event2/event.h>

#include "agent/cluster/etcd.h"
#include "agent/log.h"
#include "agent/cluster/membership.h"
#include "agent/mesh/message.h"
#include "agent/mesh/nudge.h"
#include "agent/synapsed.h"

#define NUDGE_GAP_NS	5000000ull	/* 5 ms between nudged ticks at least */

/* The tick timer fires now (it stays armed for its regular period too). */
static void on_nudge_timer(evutil_socket_t fd, short what, void *arg)
{
	struct cluster *c = arg;

	if (c->tick)
		event_active(c->tick, EV_TIMEOUT, 0);
}

static void schedule(struct cluster *c)
{
	uint64_t now = mono_now_ns(), at = c->tick_start_ns + NUDGE_GAP_NS;
	struct timeval tv = { 0, 0 };

	if (!c->nudge || evtimer_pending(c->nudge, NULL))
		return;		/* one nudged tick is already coming */
	if (at > now)
		tv.tv_usec = (at - now) / 1000;
	evtimer_add(c->nudge, &tv);
}

/*
 * Any authenticated peer may nudge: it only makes us look at etcd sooner.
 * (The handler outlives a stopped cluster, hence cluster_get().)
 */
static void on_nudge(struct peer *p, const struct node_msg *m, void *arg)
{
	struct cluster *c = cluster_get();

	if (!c)
		return;
	c->nudges_rx++;
	schedule(c);
}

int nudge_init(struct cluster *c)
{
	c->nudge = evtimer_new(c->a->base, on_nudge_timer, c);
	if (!c->nudge)
		return -1;
	if (mesh_register_handler(c->a, MSG_CLUSTER_NUDGE, on_nudge, NULL)) {
		event_free(c->nudge);
		c->nudge = NULL;
		return -1;
	}
	return 0;
}

void nudge_exit(struct cluster *c)
{
	if (c->nudge)
		event_free(c->nudge);
	c->nudge = NULL;
}

void nudge_tick_started(struct cluster *c)
{
	c->tick_start_ns = mono_now_ns();
}

void nudge_if_wrote(struct cluster *c, uint64_t writes_before)
{
	if (etcd_writes(c->etcd) == writes_before)
		return;
	c->nudges_tx += mesh_broadcast(c->a, MSG_CLUSTER_NUDGE, NULL, 0);
	/* our own next step may depend on what we wrote, too */
	schedule(c);
}
