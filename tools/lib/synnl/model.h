/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The neutral in-memory model between the netlink replies and the printers.
 * Parsers fill these structures from the wire; printers (output.c) turn them
 * into a human table or JSON. Neither side knows about the other.
 */
#ifndef SYNCTL_MODEL_H
#define SYNCTL_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/netlink.h>

#include "uapi/synapse.h"

#define MODEL_STR_MAX	128

enum {
	INFO_HAS_ABI_VERSION	= 1U << 0,
	INFO_HAS_MODULE_VERSION	= 1U << 1,
	INFO_HAS_HASH_DRIVER	= 1U << 2,
	INFO_HAS_HASH_CHUNK_MAX	= 1U << 3,
	INFO_HAS_HASH_MAX	= 1U << 4,
	INFO_HAS_LIMITS		= 1U << 5,
	INFO_HAS_HASH_STREAMS_MAX = 1U << 6,
	INFO_HAS_HASH_STREAMS	= 1U << 7,
	INFO_HAS_NETNS		= 1U << 8,
};

struct synctl_info {
	unsigned int present;		/* INFO_HAS_* */
	uint32_t abi_version;
	char module_version[MODEL_STR_MAX];
	char hash_driver[MODEL_STR_MAX];
	uint32_t hash_chunk_max;
	uint64_t hash_max;
	uint32_t hash_streams_max;	/* streams allowed per netns */
	uint32_t hash_streams;		/* streams open now in our netns */
	uint32_t limits_present;	/* bit n: SYNAPSE_A_LIMIT_ n present */
	uint64_t limits[SYNAPSE_A_LIMIT_MAX + 1];
	uint32_t netns_present;		/* bit n: SYNAPSE_A_NETNS_ n present */
	uint64_t netns[SYNAPSE_A_NETNS_MAX + 1];
};

struct synctl_hash_reply {
	bool has_digest;
	bool has_len;
	uint8_t digest[SYNAPSE_HASH_LEN];
	uint64_t len;
};

/* One line of `synctl hash`: a digest, or why there is none. */
struct synctl_hash_result {
	const char *name;
	int err;			/* 0, or a positive errno */
	char msg[256];			/* error text when err != 0 */
	uint8_t digest[SYNAPSE_HASH_LEN];
	uint64_t len;
};

/*
 * Netlink reply parsers (struct ipc_request.parse): return 0, or -EBADMSG
 * for a malformed attribute, -EPROTO for a reply to another command.
 * Unknown attributes are skipped so newer modules keep working.
 */
int model_parse_info(const struct nlmsghdr *nlh, void *ctx);
int model_parse_hash(const struct nlmsghdr *nlh, void *ctx);

/* "module_size" for SYNAPSE_A_LIMIT_MODULE_SIZE, ...; NULL if unknown. */
const char *model_limit_name(unsigned int type);
/* JSON and table name of a SYNAPSE_A_NETNS_ total, NULL for others. */
const char *model_netns_name(unsigned int type);

#endif /* SYNCTL_MODEL_H */
