// SPDX-License-Identifier: GPL-2.0
/*
 * Replay window: an open-addressing hash set of message ids with their
 * timestamps, purged of expired ids when it fills up (see replay.h).
 */
#include <stdlib.h>
#include <string.h>

#include "agent/mesh/replay.h"

int replay_init(struct replay_win *w, uint32_t capacity, uint64_t skew_ms)
{
	uint32_t size = 16;

	while (size < 2 * capacity)
		size <<= 1;
	memset(w, 0, sizeof(*w));
	w->slots = calloc(size, sizeof(*w->slots));
	if (!w->slots)
		return -1;
	w->skew_ms = skew_ms;
	w->capacity = capacity;
	w->size = size;
	return 0;
}

void replay_free(struct replay_win *w)
{
	free(w->slots);
	w->slots = NULL;
}

/* Ids are random: their first bytes are already a good hash. */
static uint32_t slot_of(const struct replay_win *w, const uint8_t *id)
{
	uint32_t h;

	memcpy(&h, id, sizeof(h));
	return h & (w->size - 1);
}

static struct replay_entry *lookup(struct replay_win *w, const uint8_t *id)
{
	uint32_t i = slot_of(w, id);

	while (w->slots[i].used) {
		if (!memcmp(w->slots[i].id, id, MSG_ID_LEN))
			return &w->slots[i];
		i = (i + 1) & (w->size - 1);
	}
	return &w->slots[i];
}

/* Rebuild without the ids whose timestamps left the window. */
static void purge(struct replay_win *w, uint64_t now_ms)
{
	struct replay_entry *old = w->slots, *e;
	uint32_t i, size = w->size;

	w->slots = calloc(size, sizeof(*w->slots));
	if (!w->slots) {
		w->slots = old;	/* keep the full table: we refuse, not forget */
		return;
	}
	w->count = 0;
	for (i = 0; i < size; i++) {
		if (!old[i].used || old[i].ts_ms + w->skew_ms < now_ms)
			continue;
		e = lookup(w, old[i].id);
		*e = old[i];
		w->count++;
	}
	free(old);
}

int replay_check(struct replay_win *w, const uint8_t id[MSG_ID_LEN],
		 uint64_t ts_ms, uint64_t now_ms)
{
	struct replay_entry *e;

	if (ts_ms + w->skew_ms < now_ms)
		return REJ_STALE;
	if (ts_ms > now_ms + w->skew_ms)
		return REJ_FUTURE;
	e = lookup(w, id);
	if (e->used)
		return REJ_DUPLICATE;
	if (w->count >= w->capacity) {
		purge(w, now_ms);
		if (w->count >= w->capacity)
			return REJ_REPLAY_FULL;
		e = lookup(w, id);
	}
	memcpy(e->id, id, MSG_ID_LEN);
	e->ts_ms = ts_ms;
	e->used = 1;
	w->count++;
	return 0;
}
