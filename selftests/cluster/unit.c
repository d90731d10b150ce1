// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the cluster's pure parts: the deterministic scheduler and
 * plan hash, the job input hash, the Merkle roots, attestations (sign,
 * verify, JSON round trip, tampering) and certificate checks.
 */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <kselftest_harness.h>

#include "agent/cluster/attest.h"
#include "agent/cluster/jobspec.h"
#include "agent/cluster/scheduler.h"

static const char *const m3[] = { "n3", "n1", "n2" };
static const char *const t5[] = { "e", "a", "c", "b", "d" };

TEST(plan_round_robin_with_replicas)
{
	struct plan p;

	ASSERT_EQ(0, plan_compute(&p, 7, m3, 3, t5, 5, 2));
	/* tasks a b c d e -> n1 n2 n3 n1 n2, replicas on the next node */
	EXPECT_STREQ("a", p.tasks[0]);
	EXPECT_STREQ("n1", plan_replica(&p, 0, 0));
	EXPECT_STREQ("n2", plan_replica(&p, 0, 1));
	EXPECT_STREQ("n3", plan_replica(&p, 2, 0));
	EXPECT_STREQ("n1", plan_replica(&p, 2, 1));
	EXPECT_STREQ("n2", plan_replica(&p, 4, 0));
	EXPECT_STREQ("n3", plan_replica(&p, 4, 1));
	EXPECT_TRUE(plan_runs(&p, 3, "n1"));
	EXPECT_FALSE(plan_runs(&p, 3, "n3"));
	plan_free(&p);
}

TEST(plan_hash_independent_of_input_order_and_bound_to_epoch)
{
	static const char *const m3s[] = { "n1", "n2", "n3" };
	static const char *const t5s[] = { "a", "b", "c", "d", "e" };
	uint8_t h1[HASH_LEN], h2[HASH_LEN], h3[HASH_LEN];
	struct plan p;

	ASSERT_EQ(0, plan_compute(&p, 7, m3, 3, t5, 5, 2));
	plan_hash(&p, h1);
	plan_free(&p);
	ASSERT_EQ(0, plan_compute(&p, 7, m3s, 3, t5s, 5, 2));
	plan_hash(&p, h2);
	plan_free(&p);
	ASSERT_EQ(0, plan_compute(&p, 8, m3s, 3, t5s, 5, 2));
	plan_hash(&p, h3);
	plan_free(&p);
	EXPECT_EQ(0, memcmp(h1, h2, HASH_LEN));
	EXPECT_NE(0, memcmp(h1, h3, HASH_LEN));
}

TEST(plan_clamps_replicas_and_refuses_duplicates)
{
	static const char *const dup[] = { "n1", "n1" };
	struct plan p;

	ASSERT_EQ(0, plan_compute(&p, 1, m3, 3, t5, 5, 9));
	EXPECT_EQ(3, p.r);
	plan_free(&p);
	EXPECT_EQ(-1, plan_compute(&p, 1, dup, 2, t5, 5, 1));
	EXPECT_EQ(-1, plan_compute(&p, 1, m3, 0, t5, 5, 1));
	EXPECT_EQ(2, quorum_of(3));
	EXPECT_EQ(3, quorum_of(4));
	EXPECT_EQ(1, quorum_of(1));
}

/* Tie-breakers are the next members in plan order, never a planned replica. */
TEST(plan_tie_breakers_follow_plan_order)
{
	struct plan p;
	unsigned int t, k;

	ASSERT_EQ(0, plan_compute(&p, 1, m3, 3, t5, 5, 2));
	for (t = 0; t < 5; t++) {
		for (k = 0; k < 2; k++)
			EXPECT_STREQ(plan_replica(&p, t, k), plan_replica_ext(&p, t, k));
		EXPECT_FALSE(plan_runs(&p, t, plan_replica_ext(&p, t, 2)));
		EXPECT_TRUE(plan_runs_ext(&p, t, plan_replica_ext(&p, t, 2), 3));
		EXPECT_FALSE(plan_runs_ext(&p, t, plan_replica_ext(&p, t, 2), 2));
	}
	/* task 1 on n2, n3: its tie-breaker is n1 */
	EXPECT_STREQ("n1", plan_replica_ext(&p, 1, 2));
	plan_free(&p);
}

TEST(merkle_root_shape)
{
	uint8_t l[3][HASH_LEN], r1[HASH_LEN], r2[HASH_LEN], want[HASH_LEN];
	uint8_t leaf[1 + HASH_LEN];
	struct hctx h;

	memset(l[0], 1, HASH_LEN);
	memset(l[1], 2, HASH_LEN);
	memset(l[2], 3, HASH_LEN);
	merkle_root((const uint8_t (*)[HASH_LEN])l, 1, r1);
	/* one leaf: H(tag, n=1, H(0x00 || leaf)) */
	leaf[0] = 0;
	memcpy(leaf + 1, l[0], HASH_LEN);
	EVP_Digest(leaf, sizeof(leaf), want, NULL, EVP_sha256(), NULL);
	ASSERT_EQ(0, h_init(&h, TAG_MERKLE));
	h_u32(&h, 1);
	h_raw(&h, want, HASH_LEN);
	h_final(&h, want);
	EXPECT_EQ(0, memcmp(r1, want, HASH_LEN));
	merkle_root((const uint8_t (*)[HASH_LEN])l, 3, r1);
	memcpy(leaf + 1, l[0], HASH_LEN);
	memcpy(l[0], l[1], HASH_LEN);
	memcpy(l[1], leaf + 1, HASH_LEN);
	merkle_root((const uint8_t (*)[HASH_LEN])l, 3, r2);
	EXPECT_NE(0, memcmp(r1, r2, HASH_LEN));	/* order matters */
	merkle_root(NULL, 0, r2);
	EXPECT_NE(0, memcmp(r1, r2, HASH_LEN));
}

TEST(job_input_hash_binds_every_field)
{
	static const char *const ids[] = { "a", "b" };
	uint8_t ti[2][HASH_LEN], h[6][HASH_LEN], cap[HASH_LEN] = { 0 };
	uint8_t cap_last[HASH_LEN] = { 0 }, cap_first[HASH_LEN] = { 0 };
	int i, k;

	cap_last[HASH_LEN - 1] = 1;	/* the whole 32-byte id is bound */
	cap_first[0] = 1;
	memset(ti, 7, sizeof(ti));
	job_input_hash("x", 3, cap, 2, ids, (const uint8_t (*)[HASH_LEN])ti, h[0]);
	job_input_hash("y", 3, cap, 2, ids, (const uint8_t (*)[HASH_LEN])ti, h[1]);
	job_input_hash("x", 2, cap, 2, ids, (const uint8_t (*)[HASH_LEN])ti, h[2]);
	job_input_hash("x", 3, cap_last, 2, ids, (const uint8_t (*)[HASH_LEN])ti, h[3]);
	job_input_hash("x", 3, cap_first, 2, ids, (const uint8_t (*)[HASH_LEN])ti, h[4]);
	ti[1][0] ^= 1;
	job_input_hash("x", 3, cap, 2, ids, (const uint8_t (*)[HASH_LEN])ti, h[5]);
	for (i = 0; i < 6; i++)
		for (k = i + 1; k < 6; k++)
			EXPECT_NE(0, memcmp(h[i], h[k], HASH_LEN));
}

static EVP_PKEY *ed25519_key(void)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	EVP_PKEY *k = NULL;

	if (ctx && EVP_PKEY_keygen_init(ctx) == 1)
		EVP_PKEY_keygen(ctx, &k);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

TEST(attestation_sign_verify_roundtrip_and_tamper)
{
	EVP_PKEY *k = ed25519_key(), *other = ed25519_key();
	struct attest a = { .kind = ATT_TASK, .epoch = 4, .status = 0 }, b;
	json_t *j;

	ASSERT_NE(NULL, k);
	strcpy(a.node, "n1");
	strcpy(a.job, "0123456789abcdef0123456789abcdef");
	strcpy(a.task, "t1");
	memset(a.input, 1, HASH_LEN);
	memset(a.trace, 2, HASH_LEN);
	memset(a.output, 3, HASH_LEN);
	ASSERT_EQ(0, attest_sign(&a, k));
	EXPECT_EQ(0, attest_verify(&a, k));
	EXPECT_NE(0, attest_verify(&a, other));
	j = attest_to_json(&a);
	ASSERT_EQ(0, attest_from_json(j, &b));
	json_decref(j);
	EXPECT_EQ(0, attest_verify(&b, k));
	EXPECT_TRUE(attest_task_same(&a, &b));
	b.output[5] ^= 1;
	EXPECT_NE(0, attest_verify(&b, k));
	EXPECT_FALSE(attest_task_same(&a, &b));
	b = a;
	b.epoch = 5;
	EXPECT_NE(0, attest_verify(&b, k));
	b = a;
	strcpy(b.node, "n2");
	EXPECT_NE(0, attest_verify(&b, k));
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

TEST(attestation_json_rejects_malformed)
{
	struct attest a;
	json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s}", "kind", "accept",
			      "node", "n1", "job", "x", "epoch", 1,
			      "input_hash", "zz", "signature", "00");

	EXPECT_NE(0, attest_from_json(j, &a));
	json_decref(j);
	j = json_pack("{s:s}", "kind", "vote");
	EXPECT_NE(0, attest_from_json(j, &a));
	json_decref(j);
}

TEST(cert_check_refuses_garbage)
{
	char node[NODE_ID_MAX + 1], err[256];
	EVP_PKEY *k = ed25519_key();
	X509 *ca = X509_new();

	ASSERT_NE(NULL, ca);
	X509_set_pubkey(ca, k);
	EXPECT_EQ(NULL, attest_cert_check(ca, "not a certificate", "demo", node,
					  err, sizeof(err)));
	EXPECT_NE(0, strlen(err));
	X509_free(ca);
	EVP_PKEY_free(k);
}

TEST_HARNESS_MAIN
