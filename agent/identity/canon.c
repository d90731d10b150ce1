// SPDX-License-Identifier: GPL-2.0
/*
 * Canonical CBOR writer and strict reader (see canon.h).
 */
#include <stdlib.h>
#include <string.h>

#include "agent/identity/canon.h"

cbor_item_t *canon_uint(uint64_t v)
{
	if (v <= UINT8_MAX)
		return cbor_build_uint8(v);
	if (v <= UINT16_MAX)
		return cbor_build_uint16(v);
	if (v <= UINT32_MAX)
		return cbor_build_uint32(v);
	return cbor_build_uint64(v);
}

int canon_put(cbor_item_t *map, uint64_t key, cbor_item_t *val)
{
	cbor_item_t *k;
	bool ok;

	if (!val)
		return -1;
	k = canon_uint(key);
	if (!k) {
		cbor_decref(&val);
		return -1;
	}
	ok = cbor_map_add(map, (struct cbor_pair){ .key = k, .value = val });
	cbor_decref(&k);
	cbor_decref(&val);
	return ok ? 0 : -1;
}

int canon_put_uint(cbor_item_t *map, uint64_t key, uint64_t v)
{
	return canon_put(map, key, canon_uint(v));
}

int canon_put_bytes(cbor_item_t *map, uint64_t key, const void *p, size_t n)
{
	/* libcbor wants a non-NULL pointer even for an empty string */
	static const uint8_t empty;

	return canon_put(map, key, cbor_build_bytestring(n ? p : &empty, n));
}

int canon_put_text(cbor_item_t *map, uint64_t key, const char *s)
{
	return canon_put(map, key, cbor_build_string(s));
}

int canon_finish(cbor_item_t *item, uint8_t **out, size_t *len)
{
	unsigned char *buf = NULL;
	size_t cap = 0, n;

	if (!item)
		return -1;
	n = cbor_serialize_alloc(item, &buf, &cap);
	cbor_decref(&item);
	if (!n) {
		free(buf);
		return -1;
	}
	*out = buf;
	*len = n;
	return 0;
}

enum item_kind {
	IK_NONE,
	IK_UINT,
	IK_BYTES,
	IK_TEXT,
	IK_MAP,
	IK_OTHER,
};

struct item {
	enum item_kind kind;
	uint64_t u;
	const uint8_t *p;
	size_t n;
};

static void on_u8(void *c, uint8_t v)
{
	*(struct item *)c = (struct item){ .kind = IK_UINT, .u = v };
}

static void on_u16(void *c, uint16_t v)
{
	*(struct item *)c = (struct item){ .kind = IK_UINT, .u = v };
}

static void on_u32(void *c, uint32_t v)
{
	*(struct item *)c = (struct item){ .kind = IK_UINT, .u = v };
}

static void on_u64(void *c, uint64_t v)
{
	*(struct item *)c = (struct item){ .kind = IK_UINT, .u = v };
}

static void on_bytes(void *c, cbor_data p, size_t n)
{
	*(struct item *)c = (struct item){ .kind = IK_BYTES, .p = p, .n = n };
}

static void on_text(void *c, cbor_data p, size_t n)
{
	*(struct item *)c = (struct item){ .kind = IK_TEXT, .p = p, .n = n };
}

static void on_map(void *c, size_t n)
{
	*(struct item *)c = (struct item){ .kind = IK_MAP, .n = n };
}

static const struct cbor_callbacks *callbacks(void)
{
	static struct cbor_callbacks cb;
	static bool init;

	if (!init) {
		/* every other item kind keeps the empty callback: IK_NONE */
		cb = cbor_empty_callbacks;
		cb.uint8 = on_u8;
		cb.uint16 = on_u16;
		cb.uint32 = on_u32;
		cb.uint64 = on_u64;
		cb.byte_string = on_bytes;
		cb.string = on_text;
		cb.map_start = on_map;
		init = true;
	}
	return &cb;
}

/* Header size a canonical encoder uses for argument v. */
static size_t head_len(uint64_t v)
{
	if (v < 24)
		return 1;
	if (v <= UINT8_MAX)
		return 2;
	if (v <= UINT16_MAX)
		return 3;
	if (v <= UINT32_MAX)
		return 5;
	return 9;
}

static int next(struct canon_rd *rd, struct item *it, enum item_kind want)
{
	struct cbor_decoder_result r;
	size_t rem = rd->len - rd->pos;
	size_t hl;

	if (!rem)
		return -1;
	it->kind = IK_NONE;
	r = cbor_stream_decode(rd->buf + rd->pos, rem, callbacks(), it);
	if (r.status != CBOR_DECODER_FINISHED || r.read > rem ||
	    it->kind != want)
		return -1;
	/* shortest form only: the header must be as short as possible */
	hl = head_len(want == IK_UINT ? it->u : it->n);
	if (want == IK_BYTES || want == IK_TEXT) {
		if (it->n > rem || r.read != hl + it->n)
			return -1;
	} else if (r.read != hl) {
		return -1;
	}
	rd->pos += r.read;
	return 0;
}

void canon_rd_init(struct canon_rd *rd, const void *buf, size_t len)
{
	rd->buf = buf;
	rd->len = len;
	rd->pos = 0;
}

int canon_rd_map(struct canon_rd *rd, size_t *n)
{
	struct item it;

	if (next(rd, &it, IK_MAP))
		return -1;
	*n = it.n;
	return 0;
}

int canon_rd_uint(struct canon_rd *rd, uint64_t *v)
{
	struct item it;

	if (next(rd, &it, IK_UINT))
		return -1;
	*v = it.u;
	return 0;
}

int canon_rd_bytes(struct canon_rd *rd, const uint8_t **p, size_t *n)
{
	struct item it;

	if (next(rd, &it, IK_BYTES))
		return -1;
	*p = it.p;
	*n = it.n;
	return 0;
}

int canon_rd_text(struct canon_rd *rd, const char **p, size_t *n)
{
	struct item it;

	if (next(rd, &it, IK_TEXT))
		return -1;
	*p = (const char *)it.p;
	*n = it.n;
	return 0;
}

int canon_rd_key(struct canon_rd *rd, uint64_t k)
{
	uint64_t v;

	if (canon_rd_uint(rd, &v) || v != k)
		return -1;
	return 0;
}

bool canon_rd_done(const struct canon_rd *rd)
{
	return rd->pos == rd->len;
}
