/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SYNAGENT_REPLAY_H
#define SYNAGENT_REPLAY_H

/*
 * Replay window for one sender. A message is accepted only if its
 * timestamp is within +-skew of our clock and its id was not seen in that
 * window. Ids older than the window need not be remembered: their
 * timestamps make them stale. The table is bounded (capacity ids); when it
 * is full of live ids the message is refused rather than the window
 * silently shrinking.
 */
#include <stdint.h>

#include "agent/mesh/message.h"

struct replay_entry {
	uint8_t id[MSG_ID_LEN];
	uint64_t ts_ms;
	uint8_t used;
};

struct replay_win {
	uint64_t skew_ms;
	uint32_t capacity;	/* live ids kept at most */
	uint32_t size;		/* slots: power of two >= 2 * capacity */
	uint32_t count;
	struct replay_entry *slots;
};

int replay_init(struct replay_win *w, uint32_t capacity, uint64_t skew_ms);
void replay_free(struct replay_win *w);
/* Returns 0 (accepted and remembered) or REJ_STALE/FUTURE/DUPLICATE/REPLAY_FULL. */
int replay_check(struct replay_win *w, const uint8_t id[MSG_ID_LEN],
		 uint64_t ts_ms, uint64_t now_ms);

#endif
