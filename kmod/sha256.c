// SPDX-License-Identifier: GPL-2.0
/*
 * sha256.c - the module's one SHA-256 transform.
 *
 * Every hash in synapse.ko (the HASH command and the engine's hashes, via
 * kmod/vm/platform.h) goes through this "sha256" shash, so the crypto API
 * picks the fastest driver the CPU supports (sha256-ni, AVX2, generic) and
 * GET_INFO can report which one is actually used.
 */
#include <linux/module.h>
#include <crypto/hash.h>

#include "kmod/vm/platform.h"
#include "sha256.h"

struct crypto_shash *svm_sha256_tfm;

int synapse_sha256_init(void)
{
	struct crypto_shash *tfm;

	tfm = crypto_alloc_shash("sha256", 0, 0);
	if (IS_ERR(tfm)) {
		pr_err("no sha256 transform: %ld\n", PTR_ERR(tfm));
		return PTR_ERR(tfm);
	}
	svm_sha256_tfm = tfm;
	pr_debug("sha256 driver %s\n", synapse_sha256_driver());
	return 0;
}

void synapse_sha256_exit(void)
{
	crypto_free_shash(svm_sha256_tfm);
	svm_sha256_tfm = NULL;
}

const char *synapse_sha256_driver(void)
{
	return crypto_tfm_alg_driver_name(crypto_shash_tfm(svm_sha256_tfm));
}

/* Bytes of a shash_desc for this transform, header included. */
size_t synapse_sha256_descsize(void)
{
	return sizeof(struct shash_desc) + crypto_shash_descsize(svm_sha256_tfm);
}
