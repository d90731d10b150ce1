// SPDX-License-Identifier: GPL-2.0
/*
 * NodeMessage encoding, signatures, framing and the mesh payloads
 * (see message.h and Documentation/wire-format.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "agent/identity/canon.h"
#include "agent/mesh/message.h"

static const char *const reject_names[REJ_COUNT] = {
	[REJ_FRAME_TOO_LARGE] = "frame_too_large",
	[REJ_DECODE] = "decode",
	[REJ_VERSION] = "version",
	[REJ_SENDER] = "sender_mismatch",
	[REJ_RECEIVER] = "wrong_receiver",
	[REJ_SIGNATURE] = "bad_signature",
	[REJ_DUPLICATE] = "duplicate",
	[REJ_STALE] = "stale",
	[REJ_FUTURE] = "future",
	[REJ_REPLAY_FULL] = "replay_window_full",
	[REJ_UNKNOWN_TYPE] = "unknown_type",
	[REJ_PAYLOAD] = "bad_payload",
	[REJ_PROTOCOL] = "protocol",
	[REJ_TLS] = "tls_handshake",
	[REJ_CERT_UNTRUSTED] = "cert_untrusted",
	[REJ_CERT_EXPIRED] = "cert_expired",
	[REJ_CERT_REVOKED] = "cert_revoked",
	[REJ_CERT_NO_ID] = "cert_no_node_id",
	[REJ_UNKNOWN_PEER] = "unknown_peer",
	[REJ_NODE_ID] = "node_id_mismatch",
	[REJ_QUEUE_FULL] = "send_queue_full",
};

const char *reject_name(enum reject_reason r)
{
	return r < REJ_COUNT ? reject_names[r] : "?";
}

const char *msg_type_name(uint32_t type)
{
	switch (type) {
	case MSG_HELLO:
		return "hello";
	case MSG_REFUSE:
		return "refuse";
	case MSG_HEARTBEAT:
		return "heartbeat";
	case MSG_HEARTBEAT_ACK:
		return "heartbeat_ack";
	case MSG_CLUSTER_NUDGE:
		return "nudge";
	case MSG_BLOB_GET:
		return "blob_get";
	case MSG_BLOB_DATA:
		return "blob_data";
	case MSG_BLOB_OFFER:
		return "blob_offer";
	case MSG_BLOB_STORED:
		return "blob_stored";
	default:
		return "unknown";
	}
}

uint64_t now_realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t now_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void msg_init(struct node_msg *m, uint32_t type, const char *sender,
	      const char *receiver, const uint8_t *payload, size_t len)
{
	memset(m, 0, sizeof(*m));
	m->protocol_version = PROTO_VERSION_MAX;
	if (RAND_bytes(m->message_id, MSG_ID_LEN) != 1)
		abort();	/* no randomness: ids could repeat, refuse to go on */
	snprintf(m->sender_id, sizeof(m->sender_id), "%s", sender);
	snprintf(m->receiver_id, sizeof(m->receiver_id), "%s", receiver);
	m->message_type = type;
	m->timestamp_ms = now_realtime_ms();
	m->payload = payload;
	m->payload_len = len;
}

int msg_encode(const struct node_msg *m, bool with_sig,
	       uint8_t **out, size_t *len)
{
	cbor_item_t *map = cbor_new_definite_map(with_sig ? 8 : 7);

	if (!map)
		return -1;
	if (canon_put_uint(map, 1, m->protocol_version) ||
	    canon_put_bytes(map, 2, m->message_id, MSG_ID_LEN) ||
	    canon_put_text(map, 3, m->sender_id) ||
	    canon_put_text(map, 4, m->receiver_id) ||
	    canon_put_uint(map, 5, m->message_type) ||
	    canon_put_uint(map, 6, m->timestamp_ms) ||
	    canon_put_bytes(map, 7, m->payload, m->payload_len) ||
	    (with_sig && canon_put_bytes(map, 8, m->signature, ED25519_SIG_LEN))) {
		cbor_decref(&map);
		return -1;
	}
	return canon_finish(map, out, len);
}

/* The signed bytes: domain tag followed by the canonical unsigned map. */
static int signed_bytes(const struct node_msg *m, uint8_t **out, size_t *len)
{
	size_t tl = strlen(MSG_SIGN_TAG), n;
	uint8_t *body, *buf;

	if (msg_encode(m, false, &body, &n))
		return -1;
	buf = malloc(tl + n);
	if (!buf) {
		free(body);
		return -1;
	}
	memcpy(buf, MSG_SIGN_TAG, tl);
	memcpy(buf + tl, body, n);
	free(body);
	*out = buf;
	*len = tl + n;
	return 0;
}

int msg_sign(struct node_msg *m, EVP_PKEY *key)
{
	uint8_t *buf;
	size_t len;
	int ret;

	if (signed_bytes(m, &buf, &len))
		return -1;
	ret = pki_sign(key, buf, len, m->signature);
	free(buf);
	return ret;
}

int msg_verify(const struct node_msg *m, EVP_PKEY *pub)
{
	uint8_t *buf;
	size_t len;
	int ret;

	if (signed_bytes(m, &buf, &len))
		return -1;
	ret = pki_verify(pub, buf, len, m->signature);
	free(buf);
	return ret;
}

static int rd_id(struct canon_rd *rd, char *out, size_t outlen, bool bcast)
{
	const char *p;
	size_t n;

	if (canon_rd_text(rd, &p, &n) || n == 0 || n >= outlen)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	if (strlen(out) != n)
		return -1;
	if (bcast && !strcmp(out, MSG_BROADCAST))
		return 0;
	return node_id_valid(out) ? 0 : -1;
}

int msg_decode(const uint8_t *buf, size_t len, struct node_msg *m)
{
	struct canon_rd rd;
	const uint8_t *p;
	uint64_t v;
	size_t n;

	memset(m, 0, sizeof(*m));
	canon_rd_init(&rd, buf, len);
	if (canon_rd_map(&rd, &n) || n != 8)
		return REJ_DECODE;
	if (canon_rd_key(&rd, 1) || canon_rd_uint(&rd, &v) || v > UINT16_MAX)
		return REJ_DECODE;
	m->protocol_version = v;
	if (canon_rd_key(&rd, 2) || canon_rd_bytes(&rd, &p, &n) ||
	    n != MSG_ID_LEN)
		return REJ_DECODE;
	memcpy(m->message_id, p, MSG_ID_LEN);
	if (canon_rd_key(&rd, 3) ||
	    rd_id(&rd, m->sender_id, sizeof(m->sender_id), false))
		return REJ_DECODE;
	if (canon_rd_key(&rd, 4) ||
	    rd_id(&rd, m->receiver_id, sizeof(m->receiver_id), true))
		return REJ_DECODE;
	if (canon_rd_key(&rd, 5) || canon_rd_uint(&rd, &v) || v > UINT16_MAX)
		return REJ_DECODE;
	m->message_type = v;
	if (canon_rd_key(&rd, 6) || canon_rd_uint(&rd, &m->timestamp_ms))
		return REJ_DECODE;
	if (canon_rd_key(&rd, 7) ||
	    canon_rd_bytes(&rd, &m->payload, &m->payload_len))
		return REJ_DECODE;
	if (canon_rd_key(&rd, 8) || canon_rd_bytes(&rd, &p, &n) ||
	    n != ED25519_SIG_LEN)
		return REJ_DECODE;
	memcpy(m->signature, p, ED25519_SIG_LEN);
	if (!canon_rd_done(&rd))
		return REJ_DECODE;
	return 0;
}

long frame_check(const uint8_t *buf, size_t len, size_t max)
{
	uint32_t n;

	if (len < FRAME_HDR_LEN)
		return 0;
	n = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
	    (uint32_t)buf[2] << 8 | buf[3];
	if (n == 0 || n > max || n > FRAME_MAX_HARD)
		return -1;
	if (len - FRAME_HDR_LEN < n)
		return 0;
	return FRAME_HDR_LEN + (long)n;
}

int frame_build(const struct node_msg *m, uint8_t **out, size_t *len)
{
	uint8_t *body, *buf;
	size_t n;

	if (msg_encode(m, true, &body, &n))
		return -1;
	buf = malloc(FRAME_HDR_LEN + n);
	if (!buf) {
		free(body);
		return -1;
	}
	buf[0] = n >> 24;
	buf[1] = n >> 16;
	buf[2] = n >> 8;
	buf[3] = n;
	memcpy(buf + FRAME_HDR_LEN, body, n);
	free(body);
	*out = buf;
	*len = FRAME_HDR_LEN + n;
	return 0;
}

int hello_encode(const struct hello *h, uint8_t **out, size_t *len)
{
	cbor_item_t *map = cbor_new_definite_map(3);

	if (!map)
		return -1;
	if (canon_put_uint(map, 1, h->min_version) ||
	    canon_put_uint(map, 2, h->max_version) ||
	    canon_put_text(map, 3, h->cluster)) {
		cbor_decref(&map);
		return -1;
	}
	return canon_finish(map, out, len);
}

int hello_decode(const uint8_t *p, size_t n, struct hello *h)
{
	struct canon_rd rd;
	uint64_t lo, hi;
	size_t cnt;

	canon_rd_init(&rd, p, n);
	if (canon_rd_map(&rd, &cnt) || cnt != 3 ||
	    canon_rd_key(&rd, 1) || canon_rd_uint(&rd, &lo) ||
	    canon_rd_key(&rd, 2) || canon_rd_uint(&rd, &hi) ||
	    lo > hi || hi > UINT16_MAX || canon_rd_key(&rd, 3) ||
	    rd_id(&rd, h->cluster, sizeof(h->cluster), false) ||
	    !canon_rd_done(&rd))
		return -1;
	h->min_version = lo;
	h->max_version = hi;
	return 0;
}

int refuse_encode(const struct refuse *r, uint8_t **out, size_t *len)
{
	cbor_item_t *map = cbor_new_definite_map(2);

	if (!map)
		return -1;
	if (canon_put_uint(map, 1, r->reason) ||
	    canon_put_text(map, 2, r->text)) {
		cbor_decref(&map);
		return -1;
	}
	return canon_finish(map, out, len);
}

int refuse_decode(const uint8_t *p, size_t n, struct refuse *r)
{
	struct canon_rd rd;
	const char *t;
	uint64_t v;
	size_t cnt, tl;

	canon_rd_init(&rd, p, n);
	if (canon_rd_map(&rd, &cnt) || cnt != 2 ||
	    canon_rd_key(&rd, 1) || canon_rd_uint(&rd, &v) ||
	    v > UINT16_MAX || canon_rd_key(&rd, 2) ||
	    canon_rd_text(&rd, &t, &tl) || tl >= sizeof(r->text) ||
	    memchr(t, '\0', tl) || !canon_rd_done(&rd))
		return -1;
	r->reason = v;
	memcpy(r->text, t, tl);
	r->text[tl] = '\0';
	return 0;
}

int heartbeat_encode(const struct heartbeat *h, uint8_t **out, size_t *len)
{
	cbor_item_t *map = cbor_new_definite_map(2);

	if (!map)
		return -1;
	if (canon_put_uint(map, 1, h->seq) ||
	    canon_put_uint(map, 2, h->sent_ns)) {
		cbor_decref(&map);
		return -1;
	}
	return canon_finish(map, out, len);
}

int heartbeat_decode(const uint8_t *p, size_t n, struct heartbeat *h)
{
	struct canon_rd rd;
	size_t cnt;

	canon_rd_init(&rd, p, n);
	if (canon_rd_map(&rd, &cnt) || cnt != 2 ||
	    canon_rd_key(&rd, 1) || canon_rd_uint(&rd, &h->seq) ||
	    canon_rd_key(&rd, 2) || canon_rd_uint(&rd, &h->sent_ns) ||
	    !canon_rd_done(&rd))
		return -1;
	return 0;
}
