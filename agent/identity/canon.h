/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SYNAGENT_CANON_H
#define SYNAGENT_CANON_H

/*
 * Canonical (deterministic) CBOR, RFC 8949 §4.2.1, for the subset Synapse
 * uses: unsigned integers, byte and text strings of definite length, and
 * maps with unsigned integer keys in ascending order. Writing goes through
 * libcbor items with the shortest integer width; reading uses libcbor's
 * allocation-free streaming decoder one item at a time, so a hostile
 * length field can never make us allocate.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cbor.h>

cbor_item_t *canon_uint(uint64_t v);
/* Adds key -> val (val is consumed even on failure). Keys must ascend. */
int canon_put(cbor_item_t *map, uint64_t key, cbor_item_t *val);
int canon_put_uint(cbor_item_t *map, uint64_t key, uint64_t v);
int canon_put_bytes(cbor_item_t *map, uint64_t key, const void *p, size_t n);
int canon_put_text(cbor_item_t *map, uint64_t key, const char *s);
/* Serializes into a malloc'd buffer; frees the item. */
int canon_finish(cbor_item_t *item, uint8_t **out, size_t *len);

struct canon_rd {
	const uint8_t *buf;
	size_t len;
	size_t pos;
};

void canon_rd_init(struct canon_rd *rd, const void *buf, size_t len);
int canon_rd_map(struct canon_rd *rd, size_t *n);
int canon_rd_uint(struct canon_rd *rd, uint64_t *v);
int canon_rd_bytes(struct canon_rd *rd, const uint8_t **p, size_t *n);
int canon_rd_text(struct canon_rd *rd, const char **p, size_t *n);
/* Reads key k (must be exactly k: maps are read in canonical order). */
int canon_rd_key(struct canon_rd *rd, uint64_t k);
bool canon_rd_done(const struct canon_rd *rd);

#endif
