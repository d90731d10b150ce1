// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for libsynagent: the NodeMessage encoding (golden bytes,
 * checked independently with `openssl pkeyutl`, see
 * Documentation/wire-format.md), signatures (tampering with any field
 * fails), the decoder's strictness, framing, mesh payloads, the replay
 * window, the config parser and the PKI.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <kselftest_harness.h>

#include "agent/blobs/blob.h"
#include "agent/identity/canon.h"
#include "agent/config.h"
#include "agent/mesh/message.h"
#include "agent/identity/pki.h"
#include "agent/mesh/replay.h"

/* RFC 8032 test 1 secret key: fixed, so the signature is fixed too. */
static const uint8_t test_seed[32] = {
	0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4,
	0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19,
	0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
};

/* heartbeat payload {1: 7, 2: 1000} */
static const uint8_t golden_payload[] = {
	0xa2, 0x01, 0x07, 0x02, 0x19, 0x03, 0xe8,
};

static const char golden_unsigned[] =
	"a7"					/* map(7) */
	"0101"					/* 1: protocol_version 1 */
	"0250000102030405060708090a0b0c0d0e0f"	/* 2: message_id */
	"03626e31"				/* 3: sender "n1" */
	"04626e32"				/* 4: receiver "n2" */
	"0503"					/* 5: type 3 (heartbeat) */
	"061b0000019ab697e800"			/* 6: 1764000000000 ms */
	"0747a20107021903e8";			/* 7: payload */

static const char golden_frame[] =
	"00000075"				/* frame length 117 */
	"a8"					/* map(8) */
	"0101"
	"0250000102030405060708090a0b0c0d0e0f"
	"03626e31"
	"04626e32"
	"0503"
	"061b0000019ab697e800"
	"0747a20107021903e8"
	"085840"				/* 8: signature, bstr(64) */
	"211e081ec346a6d629397023369627dd58b940ec302020a78658929a57b01fda"
	"feae5154b0a90bd5b92fb196a94c10ee1a5bf79ae2eed4cd1877eaa357717b05";

static EVP_PKEY *test_key(void)
{
	return EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, test_seed,
					    sizeof(test_seed));
}

static EVP_PKEY *other_key(void)
{
	uint8_t seed[32];

	memset(seed, 0x42, sizeof(seed));
	return EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
					    sizeof(seed));
}

static void golden_msg(struct node_msg *m)
{
	unsigned int i;

	memset(m, 0, sizeof(*m));
	m->protocol_version = 1;
	for (i = 0; i < MSG_ID_LEN; i++)
		m->message_id[i] = i;
	strcpy(m->sender_id, "n1");
	strcpy(m->receiver_id, "n2");
	m->message_type = MSG_HEARTBEAT;
	m->timestamp_ms = 1764000000000ULL;
	m->payload = golden_payload;
	m->payload_len = sizeof(golden_payload);
}

static void to_hex(const uint8_t *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = '\0';
}

static size_t from_hex(const char *hex, uint8_t *out)
{
	size_t i, n = strlen(hex) / 2;

	for (i = 0; i < n; i++)
		sscanf(hex + 2 * i, "%2hhx", &out[i]);
	return n;
}

TEST(golden_unsigned_bytes)
{
	struct node_msg m;
	char hex[1024];
	uint8_t *buf;
	size_t len;

	golden_msg(&m);
	ASSERT_EQ(0, msg_encode(&m, false, &buf, &len));
	to_hex(buf, len, hex);
	free(buf);
	EXPECT_STREQ(golden_unsigned, hex);
}

TEST(golden_signed_frame)
{
	EVP_PKEY *key = test_key();
	struct node_msg m;
	char hex[1024];
	uint8_t *buf;
	size_t len;

	ASSERT_NE(NULL, key);
	golden_msg(&m);
	ASSERT_EQ(0, msg_sign(&m, key));
	ASSERT_EQ(0, frame_build(&m, &buf, &len));
	to_hex(buf, len, hex);
	free(buf);
	EXPECT_STREQ(golden_frame, hex);
	EVP_PKEY_free(key);
}

TEST(round_trip)
{
	EVP_PKEY *key = test_key();
	struct node_msg m, d;
	uint8_t *buf, *again;
	size_t len, len2;

	golden_msg(&m);
	ASSERT_EQ(0, msg_sign(&m, key));
	ASSERT_EQ(0, msg_encode(&m, true, &buf, &len));
	ASSERT_EQ(0, msg_decode(buf, len, &d));
	EXPECT_EQ(m.protocol_version, d.protocol_version);
	EXPECT_EQ(0, memcmp(m.message_id, d.message_id, MSG_ID_LEN));
	EXPECT_STREQ(m.sender_id, d.sender_id);
	EXPECT_STREQ(m.receiver_id, d.receiver_id);
	EXPECT_EQ(m.message_type, d.message_type);
	EXPECT_EQ(m.timestamp_ms, d.timestamp_ms);
	ASSERT_EQ(m.payload_len, d.payload_len);
	EXPECT_EQ(0, memcmp(m.payload, d.payload, d.payload_len));
	EXPECT_EQ(0, memcmp(m.signature, d.signature, ED25519_SIG_LEN));
	EXPECT_EQ(0, msg_verify(&d, key));
	/* re-encoding the decoded message gives the same bytes */
	ASSERT_EQ(0, msg_encode(&d, true, &again, &len2));
	ASSERT_EQ(len, len2);
	EXPECT_EQ(0, memcmp(buf, again, len));
	free(again);
	free(buf);
	EVP_PKEY_free(key);
}

TEST(round_trip_large_values)
{
	EVP_PKEY *key = test_key();
	static uint8_t big[70000];
	struct node_msg m, d;
	uint8_t *buf;
	size_t len;

	memset(big, 0xab, sizeof(big));
	msg_init(&m, 0xffff, "a-very.long_node-id-0123456789", MSG_BROADCAST,
		 big, sizeof(big));
	m.timestamp_ms = UINT64_MAX;
	ASSERT_EQ(0, msg_sign(&m, key));
	ASSERT_EQ(0, msg_encode(&m, true, &buf, &len));
	ASSERT_EQ(0, msg_decode(buf, len, &d));
	EXPECT_EQ(UINT64_MAX, d.timestamp_ms);
	EXPECT_EQ(0xffff, d.message_type);
	EXPECT_STREQ(MSG_BROADCAST, d.receiver_id);
	EXPECT_EQ(sizeof(big), d.payload_len);
	EXPECT_EQ(0, msg_verify(&d, key));
	free(buf);
	EVP_PKEY_free(key);
}

TEST(tampering_any_field_fails)
{
	EVP_PKEY *key = test_key(), *other = other_key();
	uint8_t payload2[sizeof(golden_payload)];
	struct node_msg m, t;
	int field;

	golden_msg(&m);
	ASSERT_EQ(0, msg_sign(&m, key));
	ASSERT_EQ(0, msg_verify(&m, key));
	EXPECT_NE(0, msg_verify(&m, other));
	for (field = 0; field < 8; field++) {
		t = m;
		switch (field) {
		case 0:
			t.protocol_version++;
			break;
		case 1:
			t.message_id[15] ^= 1;
			break;
		case 2:
			strcpy(t.sender_id, "n3");
			break;
		case 3:
			strcpy(t.receiver_id, "n3");
			break;
		case 4:
			t.message_type = MSG_HEARTBEAT_ACK;
			break;
		case 5:
			t.timestamp_ms++;
			break;
		case 6:
			memcpy(payload2, golden_payload, sizeof(payload2));
			payload2[2] ^= 1;
			t.payload = payload2;
			break;
		case 7:
			t.signature[0] ^= 0x80;
			break;
		}
		EXPECT_NE(0, msg_verify(&t, key)) {
			TH_LOG("tampered field %d still verifies", field);
		}
	}
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
}

TEST(every_bit_flip_fails_decode_or_verify)
{
	EVP_PKEY *key = test_key();
	uint8_t frame[512];
	struct node_msg d;
	size_t n, i;
	int bit, passed = 0;

	n = from_hex(golden_frame, frame);
	for (i = FRAME_HDR_LEN; i < n; i++) {
		for (bit = 0; bit < 8; bit++) {
			frame[i] ^= 1 << bit;
			if (!msg_decode(frame + FRAME_HDR_LEN, n - FRAME_HDR_LEN, &d) &&
			    !msg_verify(&d, key))
				passed++;
			frame[i] ^= 1 << bit;
		}
	}
	EXPECT_EQ(0, passed);
	ASSERT_EQ(0, msg_decode(frame + FRAME_HDR_LEN, n - FRAME_HDR_LEN, &d));
	EXPECT_EQ(0, msg_verify(&d, key));
	EVP_PKEY_free(key);
}

/* Each of these differs from a valid message in one way. */
static const struct {
	const char *name;
	const char *hex;
} bad_msgs[] = {
	{ "empty", "" },
	{ "map7", "a70101" },
	{ "noncanonical_version", "a8" "180101" },
	{ "version_as_text", "a8" "016131" },
	{ "key_order", "a8" "0201" },
	{ "truncated_id", "a8" "0101" "024f000102030405060708090a0b0c0d0e" },
	{ "indefinite_map", "bf0101" },
	{ "float", "a8" "01f93c00" },
	{ "negative", "a8" "0120" },
	{ "huge_bstr_len", "a8" "0101" "025bffffffffffffffff" },
	{ "huge_map", "bbffffffffffffffff" },
};

TEST(decoder_rejects_malformed)
{
	uint8_t buf[512];
	struct node_msg d;
	unsigned int i;
	size_t n;

	for (i = 0; i < sizeof(bad_msgs) / sizeof(bad_msgs[0]); i++) {
		n = from_hex(bad_msgs[i].hex, buf);
		EXPECT_EQ(REJ_DECODE, msg_decode(buf, n, &d)) {
			TH_LOG("accepted %s", bad_msgs[i].name);
		}
	}
}

TEST(decoder_rejects_noncanonical_and_trailing)
{
	uint8_t frame[600], alt[600];
	struct node_msg d;
	size_t n, body;

	n = from_hex(golden_frame, frame);
	body = n - FRAME_HDR_LEN;
	/* trailing byte */
	memcpy(alt, frame + FRAME_HDR_LEN, body);
	alt[body] = 0;
	EXPECT_EQ(REJ_DECODE, msg_decode(alt, body + 1, &d));
	/* every proper prefix */
	for (n = 0; n < body; n++)
		EXPECT_EQ(REJ_DECODE, msg_decode(alt, n, &d));
	/* type 3 encoded in two bytes (0x18 0x03) instead of one */
	memcpy(alt, frame + FRAME_HDR_LEN, 30);
	alt[30] = 0x18;
	memcpy(alt + 31, frame + FRAME_HDR_LEN + 30, body - 30);
	ASSERT_EQ(0x05, alt[29]);
	ASSERT_EQ(0x03, alt[31]);
	EXPECT_EQ(REJ_DECODE, msg_decode(alt, body + 1, &d));
	/* sender id with an upper-case letter */
	memcpy(alt, frame + FRAME_HDR_LEN, body);
	ASSERT_EQ('n', alt[23]);
	alt[23] = 'N';
	EXPECT_EQ(REJ_DECODE, msg_decode(alt, body, &d));
}

TEST(frames)
{
	uint8_t hdr[8] = { 0, 0, 0, 5, 1, 2, 3, 4 };

	EXPECT_EQ(0, frame_check(hdr, 3, 1024));	/* header incomplete */
	EXPECT_EQ(0, frame_check(hdr, 8, 1024));	/* body incomplete */
	hdr[3] = 4;
	EXPECT_EQ(8, frame_check(hdr, 8, 1024));
	hdr[3] = 0;
	EXPECT_EQ(-1, frame_check(hdr, 8, 1024));	/* empty frame */
	hdr[2] = 0x04;
	hdr[3] = 0x01;
	EXPECT_EQ(-1, frame_check(hdr, 4, 1024));	/* 1025 > max */
	hdr[0] = 0xff;
	EXPECT_EQ(-1, frame_check(hdr, 4, UINT32_MAX));	/* > hard max */
}

TEST(mesh_payloads)
{
	struct hello h = { 1, 3, "prod" }, h2;
	struct refuse r = { REJ_VERSION, "no common version" }, r2;
	struct heartbeat hb = { 42, 123456789012ULL }, hb2;
	uint8_t *p;
	size_t n;

	ASSERT_EQ(0, hello_encode(&h, &p, &n));
	ASSERT_EQ(0, hello_decode(p, n, &h2));
	EXPECT_EQ(1, h2.min_version);
	EXPECT_EQ(3, h2.max_version);
	EXPECT_STREQ("prod", h2.cluster);
	EXPECT_NE(0, hello_decode(p, n - 1, &h2));
	EXPECT_NE(0, heartbeat_decode(p, n, &hb2));
	free(p);
	h.min_version = 4;	/* min > max */
	ASSERT_EQ(0, hello_encode(&h, &p, &n));
	EXPECT_NE(0, hello_decode(p, n, &h2));
	free(p);
	ASSERT_EQ(0, refuse_encode(&r, &p, &n));
	ASSERT_EQ(0, refuse_decode(p, n, &r2));
	EXPECT_EQ(REJ_VERSION, r2.reason);
	EXPECT_STREQ("no common version", r2.text);
	free(p);
	ASSERT_EQ(0, heartbeat_encode(&hb, &p, &n));
	ASSERT_EQ(0, heartbeat_decode(p, n, &hb2));
	EXPECT_EQ(42, hb2.seq);
	EXPECT_EQ(123456789012ULL, hb2.sent_ns);
	free(p);
}

TEST(replay_window)
{
	const uint64_t now = 1764000000000ULL, skew = 1000;
	struct replay_win w;
	uint8_t id[MSG_ID_LEN] = { 1 };
	unsigned int i;

	ASSERT_EQ(0, replay_init(&w, 64, skew));
	EXPECT_EQ(0, replay_check(&w, id, now, now));
	EXPECT_EQ(REJ_DUPLICATE, replay_check(&w, id, now, now));
	EXPECT_EQ(REJ_DUPLICATE, replay_check(&w, id, now, now + 500));
	id[0] = 2;
	EXPECT_EQ(REJ_STALE, replay_check(&w, id, now - skew - 1, now));
	EXPECT_EQ(REJ_FUTURE, replay_check(&w, id, now + skew + 1, now));
	EXPECT_EQ(0, replay_check(&w, id, now - skew, now));	/* edge: in */
	id[0] = 3;
	EXPECT_EQ(0, replay_check(&w, id, now + skew, now));
	/* fill up with live ids: refused, never forgotten */
	for (i = 3; i < 64; i++) {
		memcpy(id + 4, &i, sizeof(i));
		id[0] = 0xee;
		EXPECT_EQ(0, replay_check(&w, id, now, now));
	}
	id[0] = 0xef;
	EXPECT_EQ(REJ_REPLAY_FULL, replay_check(&w, id, now, now));
	/* once the window moved on, expired ids are purged */
	EXPECT_EQ(0, replay_check(&w, id, now + 3 * skew, now + 3 * skew));
	EXPECT_EQ(REJ_DUPLICATE, replay_check(&w, id, now + 3 * skew,
					      now + 3 * skew));
	replay_free(&w);
}

static const char good_conf[] =
	"# comment\n"
	"[node]\n"
	"id = n1\n"
	"cluster = test\n"
	"listen = 127.0.0.1:7001\n"
	"key = /k\n"
	"cert = /c\n"
	"ca = /ca\n"
	"control = /s\n"
	"heartbeat_ms = 250\n"
	"control_mode = 0660\n"
	"\n"
	"[peer \"n2\"]\n"
	"address = 127.0.0.1:7002\n"
	"[peer \"n3\"]\n"
	"address = [::1]:7003\n";

TEST(config_good)
{
	struct agent_config cfg;
	char err[256] = "";

	ASSERT_EQ(0, config_parse(good_conf, "t.conf", &cfg, err, sizeof(err))) {
		TH_LOG("%s", err);
	}
	EXPECT_STREQ("n1", cfg.node_id);
	EXPECT_EQ(250, cfg.heartbeat_ms);
	EXPECT_EQ(0660, cfg.control_mode);
	EXPECT_EQ(30000, cfg.max_skew_ms);	/* default */
	ASSERT_EQ(2, cfg.npeers);
	EXPECT_STREQ("[::1]:7003", config_find_peer(&cfg, "n3")->address);
	EXPECT_EQ(NULL, config_find_peer(&cfg, "n4"));
	config_free(&cfg);
}

static const struct {
	const char *edit_from, *edit_to, *err;
} bad_confs[] = {
	{ "heartbeat_ms = 250\n", "heartbeat_ms = 250\nbogus = 1\n", "t.conf:11: unknown key 'bogus'" },
	{ "id = n1\n", "", "missing required key 'id'" },
	{ "id = n1\n", "id = N1\n", "invalid node id" },
	{ "heartbeat_ms = 250\n", "heartbeat_ms = 25x\n", "t.conf:10: 'heartbeat_ms' must be an integer" },
	{ "control_mode = 0660\n", "control_mode = 0666\n", "must be 0600 or 0660" },
	{ "[peer \"n3\"]", "[peer \"n2\"]", "duplicate peer 'n2'" },
	{ "address = [::1]:7003", "address = localhost", "address must be HOST:PORT" },
	{ "id = n1\n", "id = n1\nid = n1\n", "duplicate key 'id'" },
	{ "[peer \"n3\"]", "[peer \"n1\"]", "peer 'n1' is this node" },
	{ "heartbeat_ms = 250\n", "heartbeat_ms = 5000\n", "heartbeat_ms < suspect_ms" },
	{ "[node]", "[nod]", "unknown section [nod]" },
};

TEST(config_bad)
{
	struct agent_config cfg;
	char text[2048], err[256];
	unsigned int i;
	char *at;

	for (i = 0; i < sizeof(bad_confs) / sizeof(bad_confs[0]); i++) {
		at = strstr(good_conf, bad_confs[i].edit_from);
		ASSERT_NE(NULL, at);
		snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - good_conf),
			 good_conf, bad_confs[i].edit_to,
			 at + strlen(bad_confs[i].edit_from));
		err[0] = '\0';
		EXPECT_NE(0, config_parse(text, "t.conf", &cfg, err, sizeof(err)));
		EXPECT_NE(NULL, strstr(err, bad_confs[i].err)) {
			TH_LOG("case %u: got '%s', want '%s'", i, err,
			       bad_confs[i].err);
		}
	}
}

FIXTURE(pki) {
	char dir[64];
	char path[256];
	char err[512];
};

FIXTURE_SETUP(pki)
{
	strcpy(self->dir, "/tmp/synagent-unit-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	ASSERT_EQ(0, pki_ca_init(self->dir, "test", 10, self->err, sizeof(self->err))) {
		TH_LOG("%s", self->err);
	}
}

FIXTURE_TEARDOWN(pki)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
	if (system(cmd))
		TH_LOG("cleanup failed");
}

TEST_F(pki, issue_and_identity)
{
	struct pki_issue_opts o = { .node_id = "n7", .outdir = self->dir, .days = 5 };
	char id[NODE_ID_MAX + 1], cluster[NODE_ID_MAX + 1];
	struct stat st;
	EVP_PKEY *key;
	X509 *cert;

	ASSERT_EQ(0, pki_issue(self->dir, &o, self->err, sizeof(self->err)));
	snprintf(self->path, sizeof(self->path), "%s/n7.key", self->dir);
	ASSERT_EQ(0, stat(self->path, &st));
	EXPECT_EQ(0600, st.st_mode & 0777);
	key = pki_load_key(self->path, self->err, sizeof(self->err));
	ASSERT_NE(NULL, key);
	/* a second issue never overwrites the key */
	EXPECT_NE(0, pki_issue(self->dir, &o, self->err, sizeof(self->err)));
	snprintf(self->path, sizeof(self->path), "%s/n7.crt", self->dir);
	cert = pki_load_cert(self->path, self->err, sizeof(self->err));
	ASSERT_NE(NULL, cert);
	EXPECT_EQ(1, X509_check_private_key(cert, key));
	ASSERT_EQ(0, pki_cert_node_id(cert, "test", id, sizeof(id)));
	EXPECT_STREQ("n7", id);
	EXPECT_NE(0, pki_cert_node_id(cert, "other", id, sizeof(id)));
	EXPECT_NE(0, pki_cert_cluster(cert, cluster, sizeof(cluster)));
	X509_free(cert);
	snprintf(self->path, sizeof(self->path), "%s/" CA_CERT_FILE, self->dir);
	cert = pki_load_cert(self->path, self->err, sizeof(self->err));
	ASSERT_NE(NULL, cert);
	ASSERT_EQ(0, pki_cert_cluster(cert, cluster, sizeof(cluster)));
	EXPECT_STREQ("test", cluster);
	X509_free(cert);
	EVP_PKEY_free(key);
}

TEST_F(pki, loose_key_mode_refused)
{
	EVP_PKEY *key;

	snprintf(self->path, sizeof(self->path), "%s/" CA_KEY_FILE, self->dir);
	ASSERT_EQ(0, chmod(self->path, 0644));
	key = pki_load_key(self->path, self->err, sizeof(self->err));
	EXPECT_EQ(NULL, key);
	EXPECT_NE(NULL, strstr(self->err, "readable by others"));
	EVP_PKEY_free(key);
}

TEST_F(pki, revoke_and_crl)
{
	struct pki_issue_opts o = { .node_id = "n8", .outdir = self->dir, .days = 5 };
	char certpath[256];
	X509_REVOKED *rev;
	X509_CRL *crl;
	X509 *cert;

	ASSERT_EQ(0, pki_issue(self->dir, &o, self->err, sizeof(self->err)));
	snprintf(certpath, sizeof(certpath), "%s/n8.crt", self->dir);
	ASSERT_EQ(0, pki_revoke(self->dir, certpath, 5, self->err, sizeof(self->err))) {
		TH_LOG("%s", self->err);
	}
	EXPECT_NE(0, pki_revoke(self->dir, certpath, 5, self->err, sizeof(self->err)));
	snprintf(self->path, sizeof(self->path), "%s/" CA_CRL_FILE, self->dir);
	crl = pki_load_crl(self->path, self->err, sizeof(self->err));
	cert = pki_load_cert(certpath, self->err, sizeof(self->err));
	ASSERT_NE(NULL, crl);
	ASSERT_NE(NULL, cert);
	EXPECT_EQ(1, X509_CRL_get0_by_cert(crl, &rev, cert));
	EXPECT_EQ(1, sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)));
	X509_free(cert);
	X509_CRL_free(crl);
}

TEST(sign_verify_helpers)
{
	EVP_PKEY *key = test_key();
	uint8_t sig[ED25519_SIG_LEN], pub[ED25519_PUB_LEN];

	ASSERT_EQ(0, pki_sign(key, "abc", 3, sig));
	EXPECT_EQ(0, pki_verify(key, "abc", 3, sig));
	EXPECT_NE(0, pki_verify(key, "abd", 3, sig));
	ASSERT_EQ(0, pki_pubkey_raw(key, pub));
	/* RFC 8032 test 1 public key */
	EXPECT_EQ(0xd7, pub[0]);
	EXPECT_EQ(0x1a, pub[31]);
	EVP_PKEY_free(key);
}

/* ---- blobs: the content-addressed store and the blob payloads ---- */

FIXTURE(blobs) {
	char dir[64];
	struct blob_store st;
};

FIXTURE_SETUP(blobs)
{
	char err[256];

	strcpy(self->dir, "/tmp/synapse-blob-unit.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	strcat(self->dir, "/blobs");	/* created by blob_store_open */
	ASSERT_EQ(0, blob_store_open(&self->st, self->dir, err, sizeof(err)));
}

FIXTURE_TEARDOWN(blobs)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %.*s", (int)(strlen(self->dir) - 6), self->dir);
	if (system(cmd))
		TH_LOG("cleanup of %s failed", self->dir);
}

static void sha(const void *p, size_t n, uint8_t out[HASH_LEN])
{
	EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL);
}

TEST_F(blobs, put_read_and_names)
{
	static const char data[] = "module bytes";
	uint8_t h[HASH_LEN], bad[HASH_LEN], *b;
	char path[4200];
	size_t n;

	sha(data, sizeof(data), h);
	memcpy(bad, h, HASH_LEN);
	bad[0] ^= 1;
	EXPECT_EQ(1, blob_read(&self->st, h, &b, &n));		/* absent */
	EXPECT_EQ(-1, blob_size(&self->st, h));
	/* verify on write: bytes under another name are refused, nothing left */
	EXPECT_NE(0, blob_put(&self->st, bad, (const uint8_t *)data, sizeof(data)));
	EXPECT_EQ(-1, blob_size(&self->st, bad));
	ASSERT_EQ(0, blob_put(&self->st, h, (const uint8_t *)data, sizeof(data)));
	EXPECT_EQ((long long)sizeof(data), blob_size(&self->st, h));
	ASSERT_EQ(0, blob_read(&self->st, h, &b, &n));
	EXPECT_EQ(sizeof(data), n);
	EXPECT_EQ(0, memcmp(b, data, n));
	free(b);
	/* verify on read: a file damaged on disk is never returned, and removed */
	blob_path(&self->st, h, path, sizeof(path));
	{
		FILE *f = fopen(path, "r+b");

		ASSERT_NE(NULL, f);
		fputc('M' ^ 1, f);
		fclose(f);
	}
	EXPECT_EQ(-1, blob_read(&self->st, h, &b, &n));
	EXPECT_EQ(-1, blob_size(&self->st, h));
}

TEST_F(blobs, streamed_writer)
{
	uint8_t h[HASH_LEN], *big, got[32];
	struct blob_writer w;
	uint64_t total;
	size_t n = 3 * BLOB_CHUNK + 17, i;

	big = malloc(n);
	ASSERT_NE(NULL, big);
	for (i = 0; i < n; i++)
		big[i] = i * 7 + (i >> 11);
	sha(big, n, h);
	/* over the cap: refused before a byte is written */
	EXPECT_NE(0, blob_writer_open(&w, &self->st, h, (uint64_t)BLOB_MAX + 1));
	/* more bytes than announced */
	ASSERT_EQ(0, blob_writer_open(&w, &self->st, h, 10));
	EXPECT_NE(0, blob_writer_write(&w, big, 11));
	blob_writer_abort(&w);
	/* wrong bytes: the commit fails and the store stays empty */
	ASSERT_EQ(0, blob_writer_open(&w, &self->st, h, n));
	ASSERT_EQ(0, blob_writer_write(&w, big + 1, n - 1));
	ASSERT_EQ(0, blob_writer_write(&w, big, 1));
	EXPECT_NE(0, blob_writer_commit(&w));
	EXPECT_EQ(-1, blob_size(&self->st, h));
	/* in chunks, as from the mesh */
	ASSERT_EQ(0, blob_writer_open(&w, &self->st, h, n));
	for (i = 0; i < n; i += BLOB_CHUNK)
		ASSERT_EQ(0, blob_writer_write(&w, big + i, n - i < BLOB_CHUNK ? n - i : BLOB_CHUNK));
	ASSERT_EQ(0, blob_writer_commit(&w));
	EXPECT_EQ((long long)n, blob_size(&self->st, h));
	EXPECT_EQ(16, blob_pread(&self->st, h, 3 * BLOB_CHUNK, got, 16, &total));
	EXPECT_EQ(n, total);
	EXPECT_EQ(0, memcmp(got, big + 3 * BLOB_CHUNK, 16));
	/* a read past the end is cut at the end */
	EXPECT_EQ(17, blob_pread(&self->st, h, 3 * BLOB_CHUNK, got, 21, &total));
	free(big);
}

TEST_F(blobs, stale_temporary_files_removed_at_open)
{
	char path[4200], err[256];
	struct blob_store again;
	FILE *f;

	snprintf(path, sizeof(path), "%s/.tmp-crashed", self->dir);
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	fclose(f);
	ASSERT_EQ(0, blob_store_open(&again, self->dir, err, sizeof(err)));
	EXPECT_NE(0, access(path, F_OK));
}

TEST(blob_payloads_round_trip)
{
	uint8_t data[BLOB_CHUNK], *buf;
	struct blob_get g = { .offset = 2 * BLOB_CHUNK }, g2;
	struct blob_data d = { .status = BLOB_OK, .offset = BLOB_CHUNK,
			       .total = BLOB_CHUNK + 100 }, d2;
	struct blob_ref r = { .value = 12345 }, r2;
	size_t len;

	memset(g.hash, 0xab, HASH_LEN);
	ASSERT_EQ(0, blob_get_encode(&g, &buf, &len));
	ASSERT_EQ(0, blob_get_decode(buf, len, &g2));
	EXPECT_EQ(0, memcmp(g.hash, g2.hash, HASH_LEN));
	EXPECT_EQ(g.offset, g2.offset);
	free(buf);

	memset(data, 0x5a, sizeof(data));
	memset(d.hash, 0xcd, HASH_LEN);
	d.data = data;
	d.len = 100;
	ASSERT_EQ(0, blob_data_encode(&d, &buf, &len));
	ASSERT_EQ(0, blob_data_decode(buf, len, &d2));
	EXPECT_EQ(d.offset, d2.offset);
	EXPECT_EQ(d.total, d2.total);
	EXPECT_EQ(100, d2.len);
	EXPECT_EQ(0, memcmp(d2.data, data, 100));
	free(buf);

	memset(r.hash, 0xef, HASH_LEN);
	ASSERT_EQ(0, blob_ref_encode(&r, &buf, &len));
	ASSERT_EQ(0, blob_ref_decode(buf, len, &r2, BLOB_MAX));
	EXPECT_EQ(12345, r2.value);
	EXPECT_NE(0, blob_ref_decode(buf, len, &r2, 100));	/* over max */
	free(buf);
}

/* Garbled chunks: wrong length, misaligned, past the cap, bad status. */
TEST(blob_data_rejects_garbled)
{
	static uint8_t data[BLOB_CHUNK];
	struct blob_data d, out;
	uint8_t *buf;
	size_t len, i;
	const struct {
		uint32_t status;
		uint64_t offset, total;
		size_t len;
	} bad[] = {
		{ BLOB_OK, 0, 1000, 999 },		/* short chunk */
		{ BLOB_OK, 0, 2 * BLOB_CHUNK, 100 },	/* a middle chunk must be full */
		{ BLOB_OK, 100, 1000, 900 },		/* misaligned */
		{ BLOB_OK, BLOB_CHUNK, BLOB_CHUNK, 0 },	/* past the end */
		{ BLOB_OK, 0, (uint64_t)BLOB_MAX + 1, BLOB_CHUNK },	/* over the cap */
		{ BLOB_MISSING, 0, 0, 10 },		/* "missing" with bytes */
		{ 9, 0, 10, 10 },			/* unknown status */
	};

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&d, 0, sizeof(d));
		d.status = bad[i].status;
		d.offset = bad[i].offset;
		d.total = bad[i].total;
		d.data = data;
		d.len = bad[i].len;
		ASSERT_EQ(0, blob_data_encode(&d, &buf, &len));
		EXPECT_NE(0, blob_data_decode(buf, len, &out)) {
			TH_LOG("garbled case %zu decoded", i);
		}
		free(buf);
	}
}

/* Every truncation and every single bit flip of a chunk: never a crash,
 * and whatever still decodes fails the signature of its NodeMessage. */
TEST(blob_data_bit_flips_and_forgery)
{
	EVP_PKEY *key = test_key(), *other = other_key();
	uint8_t data[300], *buf, *copy;
	struct blob_data d = { .status = BLOB_OK, .total = 300 }, out;
	struct node_msg m, t;
	size_t len, i;
	int bit;

	memset(data, 0x77, sizeof(data));
	memset(d.hash, 0x11, HASH_LEN);
	d.data = data;
	d.len = sizeof(data);
	ASSERT_EQ(0, blob_data_encode(&d, &buf, &len));
	for (i = 0; i < len; i++)
		EXPECT_NE(0, blob_data_decode(buf, i, &out));
	msg_init(&m, MSG_BLOB_DATA, "n1", "n2", buf, len);
	ASSERT_EQ(0, msg_sign(&m, key));
	ASSERT_EQ(0, msg_verify(&m, key));
	/* forged: another key's signature over the same chunk */
	t = m;
	ASSERT_EQ(0, msg_sign(&t, other));
	EXPECT_NE(0, msg_verify(&t, key));
	copy = malloc(len);
	ASSERT_NE(NULL, copy);
	for (i = 0; i < len; i++)
		for (bit = 0; bit < 8; bit++) {
			memcpy(copy, buf, len);
			copy[i] ^= 1 << bit;
			t = m;
			t.payload = copy;
			blob_data_decode(copy, len, &out);	/* must not crash */
			EXPECT_NE(0, msg_verify(&t, key));
		}
	free(copy);
	free(buf);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
}

TEST_HARNESS_MAIN
