// SPDX-License-Identifier: GPL-2.0
/*
 * The content-addressed blob store and the blob message payloads (see
 * blob.h). Files are written whole or not at all: a temporary file in the
 * same directory, fsync, rename, fsync of the directory; a crash leaves at
 * most a ".tmp-" file, removed at the next start.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/blobs/blob.h"
#include "agent/identity/canon.h"

static int mkdir_p(const char *dir)
{
	char tmp[4096], *p;

	if (strlen(dir) >= sizeof(tmp))
		return -1;
	strcpy(tmp, dir);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(tmp, 0700) && errno != EEXIST ? -1 : 0;
}

int blob_store_open(struct blob_store *s, const char *dir, char *err,
		    size_t errlen)
{
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (strlen(dir) + 2 * HASH_LEN + 16 >= sizeof(s->dir)) {
		snprintf(err, errlen, "blob store %s: path too long", dir);
		return -1;
	}
	if (mkdir_p(dir) || stat(dir, &st) || !S_ISDIR(st.st_mode) ||
	    access(dir, W_OK)) {
		snprintf(err, errlen, "blob store %s: %s", dir, strerror(errno));
		return -1;
	}
	strcpy(s->dir, dir);
	d = opendir(dir);
	if (!d)
		return 0;
	/* leftovers of writes cut short by a crash */
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, ".tmp-", 5))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	return 0;
}

void blob_path(const struct blob_store *s, const uint8_t hash[HASH_LEN],
	       char *out, size_t len)
{
	char hex[2 * HASH_LEN + 1];

	hex_encode(hash, HASH_LEN, hex);
	snprintf(out, len, "%s/%s", s->dir, hex);
}

long long blob_size(const struct blob_store *s, const uint8_t hash[HASH_LEN])
{
	char path[4200];
	struct stat st;

	blob_path(s, hash, path, sizeof(path));
	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return -1;
	return st.st_size;
}

int blob_read(const struct blob_store *s, const uint8_t hash[HASH_LEN],
	      uint8_t **buf, size_t *len)
{
	uint8_t got[HASH_LEN], *b;
	char path[4200];
	struct stat st;
	size_t done = 0;
	int fd;

	blob_path(s, hash, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 1 : -1;
	if (fstat(fd, &st) || st.st_size > BLOB_MAX) {
		close(fd);
		return -1;
	}
	b = malloc(st.st_size + 1);
	while (b && done < (size_t)st.st_size) {
		ssize_t r = read(fd, b + done, st.st_size - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		done += r;
	}
	close(fd);
	if (!b || done != (size_t)st.st_size) {
		free(b);
		return -1;
	}
	EVP_Digest(b, done, got, NULL, EVP_sha256(), NULL);
	if (memcmp(got, hash, HASH_LEN)) {
		/* damaged on disk: never run it, fetch it again */
		unlink(path);
		free(b);
		return -1;
	}
	*buf = b;
	*len = done;
	return 0;
}

long blob_pread(const struct blob_store *s, const uint8_t hash[HASH_LEN],
		uint64_t off, uint8_t *buf, size_t n, uint64_t *total)
{
	char path[4200];
	struct stat st;
	size_t done = 0;
	int fd;

	blob_path(s, hash, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || (uint64_t)st.st_size < off) {
		close(fd);
		return -1;
	}
	*total = st.st_size;
	if (n > *total - off)
		n = *total - off;
	while (done < n) {
		ssize_t r = pread(fd, buf + done, n - done, off + done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		done += r;
	}
	close(fd);
	return done == n ? (long)n : -1;
}

int blob_writer_open(struct blob_writer *w, const struct blob_store *s,
		     const uint8_t hash[HASH_LEN], uint64_t size)
{
	static unsigned int seq;
	char hex[2 * HASH_LEN + 1];

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	if (size > BLOB_MAX)
		return -1;
	w->s = s;
	memcpy(w->want, hash, HASH_LEN);
	w->size = size;
	hex_encode(hash, HASH_LEN, hex);
	snprintf(w->tmp, sizeof(w->tmp), "%s/.tmp-%s-%d-%u", s->dir, hex,
		 (int)getpid(), seq++);
	w->md = EVP_MD_CTX_new();
	if (!w->md || !EVP_DigestInit_ex(w->md, EVP_sha256(), NULL))
		goto fail;
	w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (w->fd < 0)
		goto fail;
	return 0;
fail:
	EVP_MD_CTX_free(w->md);
	w->md = NULL;
	return -1;
}

int blob_writer_write(struct blob_writer *w, const uint8_t *p, size_t n)
{
	size_t done = 0;

	if (w->fd < 0 || n > w->size - w->got)
		return -1;
	EVP_DigestUpdate(w->md, p, n);
	while (done < n) {
		ssize_t r = write(w->fd, p + done, n - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		done += r;
	}
	w->got += n;
	return 0;
}

void blob_writer_abort(struct blob_writer *w)
{
	if (w->fd >= 0) {
		close(w->fd);
		unlink(w->tmp);
	}
	w->fd = -1;
	EVP_MD_CTX_free(w->md);
	w->md = NULL;
}

static void fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int blob_writer_commit(struct blob_writer *w)
{
	uint8_t got[HASH_LEN];
	char path[4200];
	int r = -1;

	if (w->fd < 0)
		return -1;
	EVP_DigestFinal_ex(w->md, got, NULL);
	/* verify on write: a file under a hash's name holds those bytes */
	if (w->got != w->size || memcmp(got, w->want, HASH_LEN) ||
	    fsync(w->fd))
		goto out;
	blob_path(w->s, w->want, path, sizeof(path));
	if (rename(w->tmp, path))
		goto out;
	fsync_dir(w->s->dir);
	r = 0;
out:
	close(w->fd);
	w->fd = -1;
	if (r)
		unlink(w->tmp);
	EVP_MD_CTX_free(w->md);
	w->md = NULL;
	return r;
}

int blob_put(const struct blob_store *s, const uint8_t hash[HASH_LEN],
	     const uint8_t *p, size_t n)
{
	struct blob_writer w;

	if (blob_writer_open(&w, s, hash, n))
		return -1;
	if (blob_writer_write(&w, p, n)) {
		blob_writer_abort(&w);
		return -1;
	}
	return blob_writer_commit(&w);
}

/* ---- payloads ---- */

static int rd_hash(struct canon_rd *rd, uint8_t hash[HASH_LEN])
{
	const uint8_t *p;
	size_t n;

	if (canon_rd_bytes(rd, &p, &n) || n != HASH_LEN)
		return -1;
	memcpy(hash, p, HASH_LEN);
	return 0;
}

/* BLOB_GET and the BLOB_OFFER/STORED refs share one shape: {1: hash, 2: uint}. */
static int hash_uint_encode(const uint8_t *hash, uint64_t v, uint8_t **out,
			    size_t *len)
{
	cbor_item_t *map = cbor_new_definite_map(2);

	if (!map)
		return -1;
	if (canon_put_bytes(map, 1, hash, HASH_LEN) || canon_put_uint(map, 2, v)) {
		cbor_decref(&map);
		return -1;
	}
	return canon_finish(map, out, len);
}

static int hash_uint_decode(const uint8_t *p, size_t n, uint8_t *hash,
			    uint64_t *v)
{
	struct canon_rd rd;
	size_t cnt;

	canon_rd_init(&rd, p, n);
	if (canon_rd_map(&rd, &cnt) || cnt != 2 ||
	    canon_rd_key(&rd, 1) || rd_hash(&rd, hash) ||
	    canon_rd_key(&rd, 2) || canon_rd_uint(&rd, v) ||
	    !canon_rd_done(&rd))
		return -1;
	return 0;
}

int blob_get_encode(const struct blob_get *g, uint8_t **out, size_t *len)
{
	return hash_uint_encode(g->hash, g->offset, out, len);
}

int blob_get_decode(const uint8_t *p, size_t n, struct blob_get *g)
{
	if (hash_uint_decode(p, n, g->hash, &g->offset))
		return -1;
	/* chunk-aligned and inside the cap: anything else is garbage */
	if (g->offset % BLOB_CHUNK || g->offset >= BLOB_MAX)
		return -1;
	return 0;
}

int blob_data_encode(const struct blob_data *d, uint8_t **out, size_t *len)
{
	cbor_item_t *map = cbor_new_definite_map(5);

	if (!map)
		return -1;
	if (canon_put_bytes(map, 1, d->hash, HASH_LEN) ||
	    canon_put_uint(map, 2, d->status) ||
	    canon_put_uint(map, 3, d->offset) ||
	    canon_put_uint(map, 4, d->total) ||
	    canon_put_bytes(map, 5, d->len ? d->data : (const uint8_t *)"", d->len)) {
		cbor_decref(&map);
		return -1;
	}
	return canon_finish(map, out, len);
}

int blob_data_decode(const uint8_t *p, size_t n, struct blob_data *d)
{
	struct canon_rd rd;
	uint64_t st, want;
	size_t cnt;

	canon_rd_init(&rd, p, n);
	if (canon_rd_map(&rd, &cnt) || cnt != 5 ||
	    canon_rd_key(&rd, 1) || rd_hash(&rd, d->hash) ||
	    canon_rd_key(&rd, 2) || canon_rd_uint(&rd, &st) ||
	    canon_rd_key(&rd, 3) || canon_rd_uint(&rd, &d->offset) ||
	    canon_rd_key(&rd, 4) || canon_rd_uint(&rd, &d->total) ||
	    canon_rd_key(&rd, 5) || canon_rd_bytes(&rd, &d->data, &d->len) ||
	    !canon_rd_done(&rd))
		return -1;
	if (st > BLOB_FAILED)
		return -1;
	d->status = st;
	if (st != BLOB_OK)
		return d->offset || d->total || d->len ? -1 : 0;
	/* a chunk is exactly where and as long as the blob says */
	if (d->total > BLOB_MAX || d->offset % BLOB_CHUNK ||
	    (d->offset >= d->total && !(d->offset == 0 && d->total == 0)))
		return -1;
	want = d->total - d->offset;
	if (want > BLOB_CHUNK)
		want = BLOB_CHUNK;
	return d->len == want ? 0 : -1;
}

int blob_ref_encode(const struct blob_ref *r, uint8_t **out, size_t *len)
{
	return hash_uint_encode(r->hash, r->value, out, len);
}

int blob_ref_decode(const uint8_t *p, size_t n, struct blob_ref *r,
		    uint64_t max)
{
	if (hash_uint_decode(p, n, r->hash, &r->value) || r->value > max)
		return -1;
	return 0;
}
