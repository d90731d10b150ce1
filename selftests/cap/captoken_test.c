// SPDX-License-Identifier: GPL-2.0
/*
 * Capability tokens (agent/identity/captoken.c): round trip, the id is SHA-256 of
 * the canonical body, every single-byte change is refused, other CA and
 * other cluster refused, the validity window, strict canonical parsing,
 * fresh ids per issue; and the expiry clock conversion of agent/bpf/revoke.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>

#include <kselftest_harness.h>

#include "agent/bpf/revoke.h"
#include "agent/identity/canon.h"
#include "agent/identity/captoken.h"
#include "agent/identity/pki.h"

FIXTURE(tok) {
	char dir[64];
	char ca[96], ca2[96], other[96];
	char cert[128], cert2[128], other_cert[128];
	struct captoken t;
	uint8_t *tok;
	size_t len;
	uint8_t id[CAPTOKEN_ID_LEN];
	uint64_t now;
};

FIXTURE_SETUP(tok)
{
	char err[256];

	strcpy(self->dir, "/tmp/captoken-test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->ca, sizeof(self->ca), "%s/ca", self->dir);
	snprintf(self->ca2, sizeof(self->ca2), "%s/ca2", self->dir);
	snprintf(self->other, sizeof(self->other), "%s/other", self->dir);
	snprintf(self->cert, sizeof(self->cert), "%s/ca.crt", self->ca);
	snprintf(self->cert2, sizeof(self->cert2), "%s/ca.crt", self->ca2);
	snprintf(self->other_cert, sizeof(self->other_cert), "%s/ca.crt", self->other);
	ASSERT_EQ(0, pki_ca_init(self->ca, "alpha", 30, err, sizeof(err))) TH_LOG("%s", err);
	/* Same cluster name, another key. */
	ASSERT_EQ(0, pki_ca_init(self->ca2, "alpha", 30, err, sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(0, pki_ca_init(self->other, "beta", 30, err, sizeof(err))) TH_LOG("%s", err);

	self->now = (uint64_t)time(NULL);
	memset(&self->t, 0, sizeof(self->t));
	strcpy(self->t.subject, "alice");
	strcpy(self->t.job, "nightly");
	self->t.fuel_max = 1000000;
	self->t.memory_pages_max = 42;
	self->t.not_before = self->now - 10;
	self->t.not_after = self->now + 3600;
	ASSERT_EQ(0, captoken_issue(self->ca, &self->t, &self->tok, &self->len,
				    self->id, err, sizeof(err))) TH_LOG("%s", err);
}

FIXTURE_TEARDOWN(tok)
{
	char cmd[128];

	free(self->tok);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	if (system(cmd))
		TH_LOG("cleanup of %s failed", self->dir);
}

TEST_F(tok, round_trip)
{
	uint8_t id[CAPTOKEN_ID_LEN];
	struct captoken t;
	char err[256];

	ASSERT_EQ(0, captoken_verify(self->cert, self->tok, self->len, self->now,
				     &t, id, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(0, memcmp(id, self->id, sizeof(id)));
	EXPECT_STREQ("alpha", t.cluster);
	EXPECT_STREQ("alice", t.subject);
	EXPECT_STREQ("nightly", t.job);
	EXPECT_EQ(1000000, t.fuel_max);
	EXPECT_EQ(42, t.memory_pages_max);
	EXPECT_EQ(self->t.not_after, t.not_after);
	EXPECT_EQ(0, memcmp(t.nonce, self->t.nonce, CAPTOKEN_NONCE_LEN));
}

TEST_F(tok, id_is_sha256_of_canonical_body)
{
	uint8_t *body, want[CAPTOKEN_ID_LEN];
	size_t len;

	ASSERT_EQ(0, captoken_encode(&self->t, &body, &len));
	SHA256(body, len, want);
	EXPECT_EQ(0, memcmp(want, self->id, sizeof(want)));
	/* The body starts with the domain tag, key 0. */
	EXPECT_NE(NULL, memmem(body, len, CAPTOKEN_TAG, strlen(CAPTOKEN_TAG)));
	/* And the token carries exactly that body. */
	EXPECT_NE(NULL, memmem(self->tok, self->len, body, len));
	free(body);
}

TEST_F(tok, every_byte_flip_refused)
{
	uint8_t id[CAPTOKEN_ID_LEN];
	struct captoken t;
	char err[256];
	size_t i;
	int bit;

	for (i = 0; i < self->len; i++) {
		for (bit = 0; bit < 8; bit += 7) {
			self->tok[i] ^= 1U << bit;
			EXPECT_NE(0, captoken_verify(self->cert, self->tok, self->len,
						     self->now, &t, id, err,
						     sizeof(err)))
				TH_LOG("flip of bit %d of byte %zu accepted", bit, i);
			self->tok[i] ^= 1U << bit;
		}
	}
}

TEST_F(tok, other_ca_refused)
{
	uint8_t id[CAPTOKEN_ID_LEN];
	struct captoken t;
	char err[256];

	EXPECT_EQ(-1, captoken_verify(self->cert2, self->tok, self->len, self->now,
				      &t, id, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "signature"));
	EXPECT_EQ(-1, captoken_verify(self->other_cert, self->tok, self->len,
				      self->now, &t, id, err, sizeof(err)));
}

TEST_F(tok, validity_window)
{
	uint8_t id[CAPTOKEN_ID_LEN];
	struct captoken t;
	char err[256];

	EXPECT_EQ(-2, captoken_verify(self->cert, self->tok, self->len,
				      self->t.not_after, &t, id, err, sizeof(err)));
	EXPECT_STREQ("expired", err);
	EXPECT_EQ(-2, captoken_verify(self->cert, self->tok, self->len,
				      self->t.not_before - 1, &t, id, err, sizeof(err)));
	EXPECT_EQ(0, captoken_verify(self->cert, self->tok, self->len,
				     self->t.not_after - 1, &t, id, err, sizeof(err)));
}

TEST_F(tok, no_expiry_refused_at_issue)
{
	struct captoken t = self->t;
	uint8_t id[CAPTOKEN_ID_LEN], *tok = NULL;
	char err[256];
	size_t len;

	t.not_after = 0;
	EXPECT_EQ(-1, captoken_issue(self->ca, &t, &tok, &len, id, err, sizeof(err)));
	t.not_after = t.not_before;
	EXPECT_EQ(-1, captoken_issue(self->ca, &t, &tok, &len, id, err, sizeof(err)));
	EXPECT_EQ(NULL, tok);
}

TEST_F(tok, fresh_id_per_issue)
{
	struct captoken t = self->t;
	uint8_t id[CAPTOKEN_ID_LEN], *tok;
	char err[256];
	size_t len;

	ASSERT_EQ(0, captoken_issue(self->ca, &t, &tok, &len, id, err, sizeof(err)));
	EXPECT_NE(0, memcmp(id, self->id, sizeof(id)));
	free(tok);
}

TEST_F(tok, trailing_and_truncated_refused)
{
	uint8_t id[CAPTOKEN_ID_LEN], *big;
	struct captoken t;
	size_t n;

	big = calloc(1, CAPTOKEN_MAX_LEN + 2);
	ASSERT_NE(NULL, big);
	memcpy(big, self->tok, self->len);
	EXPECT_EQ(-1, captoken_parse(big, self->len + 1, &t, id));
	EXPECT_EQ(-1, captoken_parse(big, CAPTOKEN_MAX_LEN + 1, &t, id));
	for (n = 0; n < self->len; n++)
		EXPECT_EQ(-1, captoken_parse(self->tok, n, &t, id)) TH_LOG("prefix %zu", n);
	free(big);
}

/* A body with a non-shortest integer: same values, other bytes, refused. */
TEST_F(tok, non_canonical_body_refused)
{
	uint8_t sig[ED25519_SIG_LEN] = { 0 }, id[CAPTOKEN_ID_LEN];
	uint8_t *body, *tok, *p, *wide;
	struct captoken t;
	cbor_item_t *map;
	size_t len, tlen;

	ASSERT_EQ(0, captoken_encode(&self->t, &body, &len));
	/* memory_pages_max 42 is "18 2a" (uint8); key 6 precedes it. */
	p = memmem(body, len, "\x06\x18\x2a", 3);
	ASSERT_NE(NULL, p);
	wide = malloc(len + 1);
	ASSERT_NE(NULL, wide);
	memcpy(wide, body, p - body + 1);
	/* uint16 form: 19 00 2a */
	memcpy(wide + (p - body) + 1, "\x19\x00\x2a", 3);
	memcpy(wide + (p - body) + 4, p + 3, len - (p - body) - 3);
	map = cbor_new_definite_map(2);
	ASSERT_NE(NULL, map);
	ASSERT_EQ(0, canon_put_bytes(map, 1, wide, len + 1));
	ASSERT_EQ(0, canon_put_bytes(map, 2, sig, sizeof(sig)));
	ASSERT_EQ(0, canon_finish(map, &tok, &tlen));
	free(wide);
	EXPECT_EQ(-1, captoken_parse(tok, tlen, &t, id));
	free(tok);
	free(body);
}

TEST(expiry_clock_conversion)
{
	uint64_t now = (uint64_t)time(NULL), b;

	b = synapse_bpf_unix_to_boot_ns(now + 100);
	EXPECT_GT(b, 0);
	/* Back within a second of where we started. */
	EXPECT_LE(synapse_bpf_boot_ns_to_unix(b), now + 101);
	EXPECT_GE(synapse_bpf_boot_ns_to_unix(b), now + 99);
	/* Past instants clamp to 1 ns: expired, never "no expiry" (0). */
	EXPECT_EQ(1, synapse_bpf_unix_to_boot_ns(1));
}

TEST_HARNESS_MAIN
