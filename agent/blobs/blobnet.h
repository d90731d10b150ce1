/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SYNAGENT_BLOBNET_H
#define SYNAGENT_BLOBNET_H

/*
 * Blobs over the mesh (Documentation/cluster.md "Blobs", protocol.md):
 * the local store, serving chunks to peers (BLOB_GET -> BLOB_DATA),
 * fetching on demand from a list of candidate holders in order (a bad
 * blob - its SHA-256 is not its name - is discarded, logged with the
 * peer's id, and fetched from the next one), and the replication a submit
 * waits for (BLOB_OFFER -> the peer fetches -> BLOB_STORED).
 */
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "agent/blobs/blob.h"

struct agent;

/* dir: the store; wake: called when a fetch has completed. */
int blobnet_start(struct agent *a, const char *dir, void (*wake)(void *arg),
		  void *arg, char *err, size_t errlen);
void blobnet_stop(void);
/* NULL before blobnet_start(). */
const struct blob_store *blobnet_store(void);

/*
 * Makes sure a blob of size bytes is (or becomes) local: 1 when it is in
 * the store already, 0 when a fetch from the candidates (node ids, asked
 * in order) is under way or backing off after every candidate failed.
 */
int blobnet_want(const uint8_t hash[HASH_LEN], uint64_t size,
		 const char *const *cands, unsigned int ncands);

/*
 * Submit: offers the blobs to peers (in ring order after this node) until
 * need peers hold all of them; then done(arg, NULL). On the deadline,
 * done(arg, why). need 0: done at once.
 */
typedef void (*blobnet_done_fn)(void *arg, const char *why);
int blobnet_replicate(const uint8_t (*hashes)[HASH_LEN], const uint64_t *sizes,
		      unsigned int n, unsigned int need, blobnet_done_fn done,
		      void *arg);

/* Counters for synctl job cluster. */
json_t *blobnet_stats(void);

#endif
