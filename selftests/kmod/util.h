/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the in-VM selftests. */
#ifndef SYNAPSE_SELFTESTS_UTIL_H
#define SYNAPSE_SELFTESTS_UTIL_H

#include <grp.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <openssl/evp.h>

#define NOBODY	65534

/*
 * The harness gives each test 30 s; under emulation on a loaded 2-core
 * host the bigger hash and stream tests need more. Include after
 * <kselftest_harness.h>: TEST()/TEST_F() read this where they are used.
 */
#ifdef TEST_TIMEOUT_DEFAULT
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 180
#endif

static inline int sha256_ref(const void *p, size_t n, uint8_t out[32])
{
	unsigned int len = 32;

	return EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) == 1 ? 0 : -1;
}

/* Become nobody: no capabilities in any namespace we are in. */
static inline int drop_to_nobody(void)
{
	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
		return -1;
	return 0;
}

/* xorshift64*: reproducible data from a logged seed. */
static inline uint64_t rnd_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static inline void rnd_fill(uint64_t *s, uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = rnd_next(s) >> 56;
}

#endif /* SYNAPSE_SELFTESTS_UTIL_H */
