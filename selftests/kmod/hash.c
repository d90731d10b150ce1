// SPDX-License-Identifier: GPL-2.0
/*
 * HASH: every digest equals OpenSSL's SHA-256, one-shot and streamed, at
 * the SHA-256 block edges and on random data in random chunks.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <kselftest_harness.h>

#include "synl.h"
#include "util.h"

static void fill(uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 131 + 7);
}

FIXTURE(oneshot) {
	struct synl s;
	uint8_t *buf;
};

FIXTURE_VARIANT(oneshot) {
	size_t size;
};

/* The interesting sizes sit around SHA-256's 64-byte block and padding. */
FIXTURE_VARIANT_ADD(oneshot, size_0) { .size = 0 };
FIXTURE_VARIANT_ADD(oneshot, size_1) { .size = 1 };
FIXTURE_VARIANT_ADD(oneshot, size_55) { .size = 55 };
FIXTURE_VARIANT_ADD(oneshot, size_56) { .size = 56 };
FIXTURE_VARIANT_ADD(oneshot, size_63) { .size = 63 };
FIXTURE_VARIANT_ADD(oneshot, size_64) { .size = 64 };
FIXTURE_VARIANT_ADD(oneshot, size_65) { .size = 65 };
FIXTURE_VARIANT_ADD(oneshot, size_4095) { .size = 4095 };
FIXTURE_VARIANT_ADD(oneshot, size_4096) { .size = 4096 };
FIXTURE_VARIANT_ADD(oneshot, size_chunk_max) { .size = SYNAPSE_HASH_CHUNK_MAX };

FIXTURE_SETUP(oneshot)
{
	ASSERT_EQ(0, synl_open(&self->s));
	self->buf = malloc(variant->size + 1);
	ASSERT_NE(NULL, self->buf);
	fill(self->buf, variant->size);
}

FIXTURE_TEARDOWN(oneshot)
{
	free(self->buf);
	synl_close(&self->s);
}

TEST_F(oneshot, equals_openssl)
{
	uint8_t got[32], want[32];
	uint64_t total = ~0ULL;

	ASSERT_EQ(0, sha256_ref(self->buf, variant->size, want));
	ASSERT_EQ(0, synl_hash(&self->s, self->buf, variant->size, 0, got,
			       &total)) TH_LOG("extack: %s", self->s.msg);
	EXPECT_EQ(0, memcmp(got, want, 32));
	EXPECT_EQ(variant->size, total);
}

/* Unprivileged callers may hash anything that fits one request. */
TEST_F(oneshot, unprivileged)
{
	uint8_t got[32], want[32];
	struct synl s;

	ASSERT_EQ(0, drop_to_nobody());
	ASSERT_EQ(0, synl_open(&s));
	ASSERT_EQ(0, sha256_ref(self->buf, variant->size, want));
	EXPECT_EQ(0, synl_hash(&s, self->buf, variant->size, 0, got, NULL))
		TH_LOG("extack: %s", s.msg);
	EXPECT_EQ(0, memcmp(got, want, 32));
	synl_close(&s);
}

FIXTURE(streamed) {
	struct synl s;
	uint8_t *buf;
};

FIXTURE_VARIANT(streamed) {
	size_t size;
	size_t chunk;
};

FIXTURE_VARIANT_ADD(streamed, mib_1_chunk_max) {
	.size = 1 << 20, .chunk = SYNAPSE_HASH_CHUNK_MAX
};
FIXTURE_VARIANT_ADD(streamed, mib_1_chunk_4097) {
	.size = 1 << 20, .chunk = 4097
};
FIXTURE_VARIANT_ADD(streamed, bytes_200_chunk_1) { .size = 200, .chunk = 1 };
FIXTURE_VARIANT_ADD(streamed, bytes_129_chunk_64) { .size = 129, .chunk = 64 };

FIXTURE_SETUP(streamed)
{
	ASSERT_EQ(0, synl_open(&self->s));
	self->buf = malloc(variant->size);
	ASSERT_NE(NULL, self->buf);
	fill(self->buf, variant->size);
}

FIXTURE_TEARDOWN(streamed)
{
	free(self->buf);
	synl_close(&self->s);
}

TEST_F(streamed, equals_openssl)
{
	uint8_t got[32], want[32];
	uint64_t total = 0;

	ASSERT_EQ(0, sha256_ref(self->buf, variant->size, want));
	ASSERT_EQ(0, synl_hash_all(&self->s, self->buf, variant->size,
				   variant->chunk, got, &total))
		TH_LOG("extack: %s", self->s.msg);
	EXPECT_EQ(0, memcmp(got, want, 32));
	EXPECT_EQ(variant->size, total);
}

/* Empty chunks are legal anywhere in a stream and change nothing. */
TEST(streamed_empty_chunks)
{
	uint8_t got[32], want[32];
	uint64_t total = 0;
	struct synl s;

	ASSERT_EQ(0, synl_open(&s));
	ASSERT_EQ(0, sha256_ref("abc", 3, want));
	ASSERT_EQ(0, synl_hash(&s, "", 0, SYNAPSE_HASH_F_MORE, NULL, NULL));
	ASSERT_EQ(0, synl_hash(&s, "ab", 2, SYNAPSE_HASH_F_MORE, NULL, NULL));
	ASSERT_EQ(0, synl_hash(&s, "", 0, SYNAPSE_HASH_F_MORE, NULL, NULL));
	ASSERT_EQ(0, synl_hash(&s, "c", 1, 0, got, &total));
	EXPECT_EQ(0, memcmp(got, want, 32));
	EXPECT_EQ(3U, total);
	synl_close(&s);
}

/* The FIPS 180-2 example, independent of OpenSSL. */
TEST(known_answer_abc)
{
	static const uint8_t want[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
		0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
		0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
		0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	};
	uint8_t got[32];
	struct synl s;

	ASSERT_EQ(0, synl_open(&s));
	ASSERT_EQ(0, synl_hash(&s, "abc", 3, 0, got, NULL));
	EXPECT_EQ(0, memcmp(got, want, 32));
	synl_close(&s);
}

/* Random sizes and chunkings; the seed is logged to reproduce a failure. */
TEST(random_data)
{
	const size_t max = 3 * SYNAPSE_HASH_CHUNK_MAX + 17;
	uint64_t seed = (uint64_t)time(NULL) * 2654435761u | 1;
	uint8_t got[32], want[32];
	uint64_t total, st;
	struct synl s;
	uint8_t *buf;
	int i;

	if (getenv("SYNAPSE_SEED"))
		seed = strtoull(getenv("SYNAPSE_SEED"), NULL, 0);
	TH_LOG("seed %#llx (set SYNAPSE_SEED to repeat)", (unsigned long long)seed);
	st = seed;
	buf = malloc(max);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, synl_open(&s));
	for (i = 0; i < 48; i++) {
		size_t n = rnd_next(&st) % max;
		size_t chunk = 1 + rnd_next(&st) % SYNAPSE_HASH_CHUNK_MAX;

		rnd_fill(&st, buf, n);
		ASSERT_EQ(0, sha256_ref(buf, n, want));
		ASSERT_EQ(0, synl_hash_all(&s, buf, n, chunk, got, &total))
			TH_LOG("round %d: n %zu chunk %zu: %s", i, n, chunk, s.msg);
		EXPECT_EQ(0, memcmp(got, want, 32))
			TH_LOG("round %d: n %zu chunk %zu", i, n, chunk);
		EXPECT_EQ(n, total);
	}
	synl_close(&s);
	free(buf);
}

TEST_HARNESS_MAIN
