/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SYNAGENT_NUDGE_H
#define SYNAGENT_NUDGE_H

/*
 * Nudges: a node that wrote cluster state to etcd tells its peers over the
 * mesh (MSG_CLUSTER_NUDGE, signed like every NodeMessage, empty payload),
 * and they, and the node itself, take their next tick within a few
 * milliseconds instead of up to a tick period later. A nudge carries
 * nothing: the tick reads etcd as always, so a lost, late or repeated
 * nudge changes no result, only how soon the work happens.
 */
#include <stdint.h>

struct cluster;

int nudge_init(struct cluster *c);
void nudge_exit(struct cluster *c);
/* After work that may have written to etcd: nudge if etcd_writes() moved. */
void nudge_if_wrote(struct cluster *c, uint64_t writes_before);
/* Marks the start of a tick (the spacing of nudged ticks counts from it). */
void nudge_tick_started(struct cluster *c);

#endif
