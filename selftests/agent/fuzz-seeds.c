// SPDX-License-Identifier: GPL-2.0
/* Writes well-formed frames of every mesh message type as fuzz seeds. */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "agent/mesh/message.h"

static int write_seed(const char *dir, const char *name, struct node_msg *m,
		      EVP_PKEY *key)
{
	char path[4096];
	uint8_t *buf;
	size_t len;
	FILE *f;

	if (msg_sign(m, key) || frame_build(m, &buf, &len))
		return -1;
	snprintf(path, sizeof(path), "%s/seed-%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		free(buf);
		return -1;
	}
	free(buf);
	return 0;
}

int main(int argc, char *argv[])
{
	struct hello h = { 1, 1, "test" };
	struct refuse r = { REJ_VERSION, "no common protocol version" };
	struct heartbeat hb = { 1, 123456789 };
	uint8_t seed[32] = { 7 };
	struct node_msg m;
	EVP_PKEY *key;
	uint8_t *p;
	size_t n;
	int ret = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: fuzz-seeds DIR\n");
		return 2;
	}
	key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	if (!key)
		return 1;
	if (hello_encode(&h, &p, &n))
		return 1;
	msg_init(&m, MSG_HELLO, "n1", "n2", p, n);
	ret |= write_seed(argv[1], "hello", &m, key);
	free(p);
	if (refuse_encode(&r, &p, &n))
		return 1;
	msg_init(&m, MSG_REFUSE, "n2", "n1", p, n);
	ret |= write_seed(argv[1], "refuse", &m, key);
	free(p);
	if (heartbeat_encode(&hb, &p, &n))
		return 1;
	msg_init(&m, MSG_HEARTBEAT, "n1", "*", p, n);
	ret |= write_seed(argv[1], "heartbeat", &m, key);
	free(p);
	EVP_PKEY_free(key);
	return ret ? 1 : 0;
}
