/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SYNAGENT_MESSAGE_H
#define SYNAGENT_MESSAGE_H

/*
 * NodeMessage: the signed envelope every agent-to-agent message travels in.
 * Wire format (Documentation/wire-format.md): a frame is a 4-byte big-endian
 * length followed by one canonical CBOR map
 *
 *   { 1: protocol_version (uint), 2: message_id (bstr 16),
 *     3: sender_id (tstr), 4: receiver_id (tstr), 5: message_type (uint),
 *     6: timestamp (uint, ms since the Unix epoch), 7: payload (bstr,
 *     itself canonical CBOR), 8: signature (bstr 64) }
 *
 * signature = Ed25519(sender key, "synapse/nodemsg/v1" || CBOR map of
 * keys 1..7), so a message stays verifiable when relayed or stored.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#include "agent/config.h"
#include "agent/identity/pki.h"

#define PROTO_VERSION_MIN	1
#define PROTO_VERSION_MAX	1
#define MSG_ID_LEN		16
#define MSG_SIGN_TAG		"synapse/nodemsg/v1"
#define MSG_BROADCAST		"*"
#define FRAME_HDR_LEN		4
#define FRAME_MAX_HARD		(16u << 20)

/*
 * Message types, 16 bits, allocated in ranges so later work adds types
 * without touching the mesh:
 *   0x0000-0x00ff  mesh: session setup, refusal, liveness
 *   0x0100-0x01ff  cluster membership and jobs
 *   0x0200-0x02ff  attestations (signed hashes, quorum certificates)
 *   0x0300-0x03ff  content-addressed blob transfer
 *   0xff00-0xffff  reserved for tests
 * A receiver that does not know a type counts it (unknown_type) and drops
 * it; it never closes the session for that, so mixed versions interoperate.
 */
enum msg_type {
	MSG_HELLO		= 0x0001,
	MSG_REFUSE		= 0x0002,
	MSG_HEARTBEAT		= 0x0003,
	MSG_HEARTBEAT_ACK	= 0x0004,

	MSG_RANGE_CLUSTER	= 0x0100,
	MSG_CLUSTER_NUDGE	= 0x0101,	/* wrote to etcd: tick now (nudge.h) */
	MSG_RANGE_ATTEST	= 0x0200,
	MSG_RANGE_BLOB		= 0x0300,
	MSG_BLOB_GET		= 0x0301,	/* blob.h: payloads */
	MSG_BLOB_DATA		= 0x0302,
	MSG_BLOB_OFFER		= 0x0303,
	MSG_BLOB_STORED		= 0x0304,
	MSG_RANGE_TEST		= 0xff00,
};

struct node_msg {
	uint32_t protocol_version;
	uint8_t message_id[MSG_ID_LEN];
	char sender_id[NODE_ID_MAX + 1];
	char receiver_id[NODE_ID_MAX + 1];
	uint32_t message_type;
	uint64_t timestamp_ms;
	const uint8_t *payload;		/* not owned */
	size_t payload_len;
	uint8_t signature[ED25519_SIG_LEN];
};

/*
 * Why a message or a connection was refused. Each has a counter (exported
 * as synapse_rejected_total{reason="..."}) and a rate-limited log line.
 */
enum reject_reason {
	REJ_FRAME_TOO_LARGE,
	REJ_DECODE,
	REJ_VERSION,
	REJ_SENDER,
	REJ_RECEIVER,
	REJ_SIGNATURE,
	REJ_DUPLICATE,
	REJ_STALE,
	REJ_FUTURE,
	REJ_REPLAY_FULL,
	REJ_UNKNOWN_TYPE,
	REJ_PAYLOAD,
	REJ_PROTOCOL,
	REJ_TLS,
	REJ_CERT_UNTRUSTED,
	REJ_CERT_EXPIRED,
	REJ_CERT_REVOKED,
	REJ_CERT_NO_ID,
	REJ_UNKNOWN_PEER,
	REJ_NODE_ID,
	REJ_QUEUE_FULL,
	REJ_COUNT,
};

const char *reject_name(enum reject_reason r);
const char *msg_type_name(uint32_t type);

void msg_init(struct node_msg *m, uint32_t type, const char *sender,
	      const char *receiver, const uint8_t *payload, size_t len);
int msg_encode(const struct node_msg *m, bool with_sig,
	       uint8_t **out, size_t *len);
int msg_sign(struct node_msg *m, EVP_PKEY *key);
int msg_verify(const struct node_msg *m, EVP_PKEY *pub);
/* Returns 0 or REJ_DECODE; payload points into buf. */
int msg_decode(const uint8_t *buf, size_t len, struct node_msg *m);

/* Frames: returns total frame length, 0 if more bytes are needed, -1 if
 * the announced length exceeds max (REJ_FRAME_TOO_LARGE). */
long frame_check(const uint8_t *buf, size_t len, size_t max);
int frame_build(const struct node_msg *m, uint8_t **out, size_t *len);

/* Mesh payloads. */
struct hello {
	uint32_t min_version;
	uint32_t max_version;
	char cluster[NODE_ID_MAX + 1];
};

struct refuse {
	uint32_t reason;
	char text[128];
};

struct heartbeat {
	uint64_t seq;
	uint64_t sent_ns;	/* sender's monotonic clock, echoed in ACK */
};

int hello_encode(const struct hello *h, uint8_t **out, size_t *len);
int hello_decode(const uint8_t *p, size_t n, struct hello *h);
int refuse_encode(const struct refuse *r, uint8_t **out, size_t *len);
int refuse_decode(const uint8_t *p, size_t n, struct refuse *r);
int heartbeat_encode(const struct heartbeat *h, uint8_t **out, size_t *len);
int heartbeat_decode(const uint8_t *p, size_t n, struct heartbeat *h);

uint64_t now_realtime_ms(void);
uint64_t now_mono_ns(void);

#endif
