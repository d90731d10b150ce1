// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kmod/vm/hashenc.c: the canonical encoding of DESIGN §4,
 * checked against vectors computed independently (Python hashlib) and
 * written down in Documentation/hashes.md.
 */
#include <stdio.h>
#include <string.h>

#include "kmod/vm/hashenc.h"
#include <kselftest_harness.h>

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

#define EXPECT_HASH(d, str) do {				\
	char _h[2 * SVM_SHA256_LEN + 1];			\
	hex(d, SVM_SHA256_LEN, _h);				\
	EXPECT_STREQ(str, _h);					\
} while (0)

TEST(plain_sha256_fips_vectors)
{
	uint8_t d[SVM_SHA256_LEN];

	ASSERT_EQ(0, svm_sha256("", 0, d));
	EXPECT_HASH(d, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	ASSERT_EQ(0, svm_sha256("abc", 3, d));
	EXPECT_HASH(d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(tag_only)
{
	struct svm_hasher h;
	uint8_t d[SVM_SHA256_LEN];

	svm_hash_begin(&h, "test");
	ASSERT_EQ(0, svm_hash_end(&h, d));
	EXPECT_HASH(d, "4ae5905305c7d2cd090a781125f797e6e213a0e3b9d5f78ca537807e404ba3c3");
}

TEST(tag_is_a_length_prefixed_string)
{
	static const uint8_t enc[] = {
		15, 0, 0, 0, 0, 0, 0, 0,
		's', 'y', 'n', 'a', 'p', 's', 'e', '/', 't', 'e', 's', 't',
		'/', 'v', '1',
	};
	struct svm_hasher h;
	uint8_t a[SVM_SHA256_LEN], b[SVM_SHA256_LEN];

	svm_hash_begin(&h, "test");
	ASSERT_EQ(0, svm_hash_end(&h, a));
	ASSERT_EQ(0, svm_sha256(enc, sizeof(enc), b));
	EXPECT_EQ(0, memcmp(a, b, sizeof(a)));
}

TEST(all_field_kinds)
{
	struct svm_hasher h;
	uint8_t d[SVM_SHA256_LEN];

	svm_hash_begin(&h, "test");
	svm_hash_u32(&h, 0x01020304);
	svm_hash_u64(&h, 0x1122334455667788ull);
	svm_hash_bytes(&h, "hello", 5);
	svm_hash_raw(&h, "raw!", 4);
	ASSERT_EQ(0, svm_hash_end(&h, d));
	EXPECT_HASH(d, "8ffe20be17e258cd739a8bea5a4eeff6b8111d65679d0dde7f1263678b0e7b8a");
}

TEST(empty_bytes_is_just_a_zero_length)
{
	struct svm_hasher h;
	uint8_t a[SVM_SHA256_LEN], b[SVM_SHA256_LEN];

	svm_hash_begin(&h, "test");
	svm_hash_bytes(&h, NULL, 0);
	ASSERT_EQ(0, svm_hash_end(&h, a));
	EXPECT_HASH(a, "bdfc87e834e86523418ce28c856da51758aae4bc7c9c2a5aeee2bbcb1d59f23b");
	svm_hash_begin(&h, "test");
	svm_hash_u64(&h, 0);
	ASSERT_EQ(0, svm_hash_end(&h, b));
	EXPECT_EQ(0, memcmp(a, b, sizeof(a)));
}

/* Moving a byte between adjacent strings must change the hash. */
TEST(length_prefix_separates_fields)
{
	struct svm_hasher h;
	uint8_t a[SVM_SHA256_LEN], b[SVM_SHA256_LEN];

	svm_hash_begin(&h, "test");
	svm_hash_bytes(&h, "ab", 2);
	svm_hash_bytes(&h, "c", 1);
	ASSERT_EQ(0, svm_hash_end(&h, a));
	svm_hash_begin(&h, "test");
	svm_hash_bytes(&h, "a", 1);
	svm_hash_bytes(&h, "bc", 2);
	ASSERT_EQ(0, svm_hash_end(&h, b));
	EXPECT_NE(0, memcmp(a, b, sizeof(a)));
}

TEST(kinds_are_domain_separated)
{
	struct svm_hasher h;
	uint8_t a[SVM_SHA256_LEN], b[SVM_SHA256_LEN];

	svm_hash_begin(&h, "state");
	svm_hash_u64(&h, 1);
	ASSERT_EQ(0, svm_hash_end(&h, a));
	svm_hash_begin(&h, "trace");
	svm_hash_u64(&h, 1);
	ASSERT_EQ(0, svm_hash_end(&h, b));
	EXPECT_NE(0, memcmp(a, b, sizeof(a)));
}

TEST(sticky_error_zeroes_digest)
{
	struct svm_hasher h;
	uint8_t d[SVM_SHA256_LEN];

	svm_hash_begin(&h, "test");
	h.err = -1;	/* as if an update had failed */
	svm_hash_u32(&h, 7);
	memset(d, 0xaa, sizeof(d));
	EXPECT_EQ(-1, svm_hash_end(&h, d));
	for (size_t i = 0; i < sizeof(d); i++)
		EXPECT_EQ(0, d[i]);
}

TEST_HARNESS_MAIN
