/* SPDX-License-Identifier: GPL-2.0 */
/*
 * synl.h - a small libmnl client of the synapse genl family for the in-VM
 * selftests. It keeps the raw facts a test wants to assert on: the errno
 * of the ack, and the extack message, offset and missing-attribute type.
 */
#ifndef SYNAPSE_SELFTESTS_SYNL_H
#define SYNAPSE_SELFTESTS_SYNL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libmnl/libmnl.h>

#include "uapi/synapse.h"

#define SYNL_BUF_SIZE	(128 * 1024)

struct synl {
	struct mnl_socket *nl;
	uint16_t family;
	uint32_t portid;
	uint32_t seq;
	char *tx;		/* request being built */
	char *rx;
	/* The last call's ack. */
	int err;		/* 0 or -errno */
	char msg[256];		/* NLMSGERR_ATTR_MSG, "" when absent */
	bool has_msg;
	bool has_offs;		/* NLMSGERR_ATTR_OFFS present */
	uint32_t offs;
	bool has_miss_type;	/* NLMSGERR_ATTR_MISS_TYPE present */
	uint32_t miss_type;
};

struct synl_info {
	uint32_t abi_version;
	char module_version[64];
	char hash_driver[128];
	uint32_t chunk_max;
	uint64_t hash_max;
	uint32_t streams_max;
	uint32_t streams;
	bool has_streams;
	uint64_t limits[SYNAPSE_A_LIMIT_MAX + 1];
	bool has_limit[SYNAPSE_A_LIMIT_MAX + 1];
};

/* Each returns 0 or -errno. */
int synl_open(struct synl *s);
void synl_close(struct synl *s);

/* Start a request; add attributes with mnl_attr_put*(), then synl_call(). */
struct nlmsghdr *synl_req(struct synl *s, uint8_t cmd);
/* Send, collect the reply (cb per reply message, may be NULL) and the ack. */
int synl_call(struct synl *s, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

int synl_info(struct synl *s, struct synl_info *info);
/* One HASH request; digest and total are filled only from a reply. */
int synl_hash(struct synl *s, const void *p, size_t n, uint32_t flags,
	      uint8_t digest[SYNAPSE_HASH_LEN], uint64_t *total);
/* A whole payload in chunks of at most @chunk bytes, streamed if needed. */
int synl_hash_all(struct synl *s, const void *p, size_t n, size_t chunk,
		  uint8_t digest[SYNAPSE_HASH_LEN], uint64_t *total);

#endif /* SYNAPSE_SELFTESTS_SYNL_H */
