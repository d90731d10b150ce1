/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SYNAGENT_BLOB_H
#define SYNAGENT_BLOB_H

/*
 * Content-addressed blobs (module and task input bytes), named by their
 * SHA-256 (Documentation/cluster.md "Blobs"):
 *
 *  - the store: one file per blob, <state_dir>/blobs/<64 hex>, written to
 *    a temporary file, fsync'd and renamed into place only after the
 *    bytes hashed to the name (verify on write). Reading for execution
 *    verifies again (verify on read): SHA-256 costs ~1 ms per MiB against
 *    a task's run, and a file damaged on disk is then deleted and fetched
 *    anew instead of being run. Serving a chunk to a peer does not verify:
 *    the fetcher verifies the whole blob before it keeps it.
 *  - the wire payloads of the blob messages (range 0x0300, message.h).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#include "agent/cluster/jobspec.h"

#define BLOB_MAX	(64u << 20)	/* bytes per blob: the documented cap */
#define BLOB_CHUNK	(256u << 10)	/* bytes per BLOB_DATA message */

struct blob_store {
	char dir[4096];
};

/* Creates dir (and its parent) 0700 and removes stale temporary files. */
int blob_store_open(struct blob_store *s, const char *dir, char *err,
		    size_t errlen);
void blob_path(const struct blob_store *s, const uint8_t hash[HASH_LEN],
	       char *out, size_t len);
/* Size of a stored blob, or -1 when absent. */
long long blob_size(const struct blob_store *s, const uint8_t hash[HASH_LEN]);
/*
 * Reads a whole blob into a malloc'd buffer and checks its hash. 1 when
 * absent, -1 on error or a hash mismatch (the bad file is removed), 0 ok.
 */
int blob_read(const struct blob_store *s, const uint8_t hash[HASH_LEN],
	      uint8_t **buf, size_t *len);
/* Up to n bytes at off (no hash check); *total = blob size. -1: absent. */
long blob_pread(const struct blob_store *s, const uint8_t hash[HASH_LEN],
		uint64_t off, uint8_t *buf, size_t n, uint64_t *total);
/* Stores bytes that must hash to hash (atomically); -1 otherwise. */
int blob_put(const struct blob_store *s, const uint8_t hash[HASH_LEN],
	     const uint8_t *p, size_t n);

/* A blob written sequentially (control socket, mesh fetch). */
struct blob_writer {
	const struct blob_store *s;
	uint8_t want[HASH_LEN];
	uint64_t size;		/* announced */
	uint64_t got;
	int fd;
	char tmp[4200];
	EVP_MD_CTX *md;
};

int blob_writer_open(struct blob_writer *w, const struct blob_store *s,
		     const uint8_t hash[HASH_LEN], uint64_t size);
/* Appends; -1 beyond the announced size or on a write error. */
int blob_writer_write(struct blob_writer *w, const uint8_t *p, size_t n);
/*
 * All bytes written: 0 when they hash to the name (fsync, rename, fsync of
 * the directory), -1 otherwise (the temporary file is removed). Either
 * way the writer is closed.
 */
int blob_writer_commit(struct blob_writer *w);
void blob_writer_abort(struct blob_writer *w);

/* ---- message payloads (canonical CBOR maps, Documentation/protocol.md) ---- */

enum blob_status {
	BLOB_OK = 0,
	BLOB_MISSING = 1,	/* not in this node's store */
	BLOB_REFUSED = 2,	/* bad request or too busy */
	BLOB_FAILED = 3,	/* STORED: could not fetch or verify it */
};

/* BLOB_GET {1: hash, 2: offset}: the chunk at offset (a multiple of BLOB_CHUNK). */
struct blob_get {
	uint8_t hash[HASH_LEN];
	uint64_t offset;
};

/*
 * BLOB_DATA {1: hash, 2: status, 3: offset, 4: total, 5: bytes}: with
 * status BLOB_OK, min(BLOB_CHUNK, total - offset) bytes of a blob of
 * total bytes; otherwise no bytes, offset and total 0.
 */
struct blob_data {
	uint8_t hash[HASH_LEN];
	uint32_t status;
	uint64_t offset;
	uint64_t total;
	const uint8_t *data;	/* points into the decoded buffer */
	size_t len;
};

/* BLOB_OFFER {1: hash, 2: size}: fetch this blob from me (submit). */
/* BLOB_STORED {1: hash, 2: status}: the answer to an offer. */
struct blob_ref {
	uint8_t hash[HASH_LEN];
	uint64_t value;		/* OFFER: size; STORED: status */
};

int blob_get_encode(const struct blob_get *g, uint8_t **out, size_t *len);
int blob_get_decode(const uint8_t *p, size_t n, struct blob_get *g);
int blob_data_encode(const struct blob_data *d, uint8_t **out, size_t *len);
int blob_data_decode(const uint8_t *p, size_t n, struct blob_data *d);
int blob_ref_encode(const struct blob_ref *r, uint8_t **out, size_t *len);
/* max: the largest value accepted (BLOB_MAX for an offer). */
int blob_ref_decode(const uint8_t *p, size_t n, struct blob_ref *r,
		    uint64_t max);

#endif
