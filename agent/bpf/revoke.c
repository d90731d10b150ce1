// SPDX-License-Identifier: GPL-2.0
/*
 * revoke.c - the loader of revoke.bpf.c and the operations on its pinned
 * maps (revoke.h). A flock on the pin directory serialises loaders, so two
 * agents starting together attach exactly one program.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent/bpf/revoke.h"
#include "revoke.skel.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char *pin_dir(const char *dir)
{
	return dir ? dir : SYNAPSE_BPF_PIN_DIR;
}

static int pin_path(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", pin_dir(dir), name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Creates the directory if needed and holds an exclusive lock on it. */
static int lock_dir(const char *dir)
{
	int fd;

	if (mkdir(pin_dir(dir), 0700) && errno != EEXIST)
		return -errno;
	fd = open(pin_dir(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static void unlock_dir(int fd)
{
	flock(fd, LOCK_UN);
	close(fd);
}

/* The kernel id of a pinned object, 0 when not pinned. */
static uint32_t pinned_id(const char *dir, const char *name, bool link)
{
	char path[PATH_MAX];
	uint32_t id = 0;
	int fd;

	if (pin_path(path, sizeof(path), dir, name))
		return 0;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	if (link) {
		struct bpf_link_info info;
		__u32 len = sizeof(info);

		memset(&info, 0, sizeof(info));
		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			id = info.id;
	} else {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);

		memset(&info, 0, sizeof(info));
		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			id = info.id;
	}
	close(fd);
	return id;
}

static int load_and_pin(const char *dir)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_dir(dir));
	char link_path[PATH_MAX], prog_path[PATH_MAX];
	struct bpf_link *link;
	struct revoke *skel;
	int err;

	err = pin_path(link_path, sizeof(link_path), dir, "link");
	if (!err)
		err = pin_path(prog_path, sizeof(prog_path), dir, "prog");
	if (err)
		return err;

	skel = revoke__open_opts(&opts);
	if (!skel)
		return -errno;
	/* Pins (or reuses) the maps, by name, under the pin root. */
	err = revoke__load(skel);
	if (err)
		goto out_destroy;
	link = bpf_program__attach_raw_tracepoint(skel->progs.synapse_cap_check,
						  SYNAPSE_CAP_TRACEPOINT);
	if (!link) {
		err = -errno;
		goto out_destroy;
	}
	err = bpf_link__pin(link, link_path);
	if (err)
		goto out_destroy_link;
	/*
	 * Pinned, so closing our fd (bpf_link__destroy() below) leaves it
	 * attached. Not bpf_link__disconnect(): that would leak the fd, and a
	 * long-lived process (synapsed) would keep the link alive after a
	 * teardown unpinned it.
	 */
	/* The program pin is informational (bpftool, ids): the link holds it. */
	unlink(prog_path);
	err = bpf_program__pin(skel->progs.synapse_cap_check, prog_path);
	if (err) {
		unlink(link_path);
		goto out_destroy_link;
	}
out_destroy_link:
	bpf_link__destroy(link);
out_destroy:
	revoke__destroy(skel);
	return err;
}

int synapse_bpf_setup(const char *dir, bool *reused)
{
	int lock, err = 0;

	*reused = false;
	lock = lock_dir(dir);
	if (lock < 0)
		return lock;
	if (pinned_id(dir, "link", true))
		*reused = true;
	else
		err = load_and_pin(dir);
	unlock_dir(lock);
	return err;
}

static int unpin(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int err;

	err = pin_path(path, sizeof(path), dir, name);
	if (err)
		return err;
	if (unlink(path) && errno != ENOENT)
		return -errno;
	return 0;
}

int synapse_bpf_teardown(const char *dir, bool purge)
{
	int lock, err;

	lock = lock_dir(dir);
	if (lock < 0)
		return lock;
	/* The link first: from here on every check allows. */
	err = unpin(dir, "link");
	if (!err)
		err = unpin(dir, "prog");
	if (!err && purge)
		err = unpin(dir, "revoked");
	if (!err && purge)
		err = unpin(dir, "stats");
	unlock_dir(lock);
	if (!err && purge && rmdir(pin_dir(dir)) && errno != ENOENT &&
	    errno != ENOTEMPTY)
		err = -errno;
	return err;
}

int synapse_bpf_open(const char *dir, struct synapse_bpf *b)
{
	char path[PATH_MAX];
	int err;

	b->revoked_fd = -1;
	b->stats_fd = -1;
	err = pin_path(path, sizeof(path), dir, "revoked");
	if (err)
		return err;
	b->revoked_fd = bpf_obj_get(path);
	if (b->revoked_fd < 0)
		return -errno;
	err = pin_path(path, sizeof(path), dir, "stats");
	if (err)
		goto out_close;
	b->stats_fd = bpf_obj_get(path);
	if (b->stats_fd < 0) {
		err = -errno;
		goto out_close;
	}
	return 0;

out_close:
	synapse_bpf_close(b);
	return err;
}

void synapse_bpf_close(struct synapse_bpf *b)
{
	if (b->revoked_fd >= 0)
		close(b->revoked_fd);
	if (b->stats_fd >= 0)
		close(b->stats_fd);
	b->revoked_fd = -1;
	b->stats_fd = -1;
}

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t synapse_bpf_unix_to_boot_ns(uint64_t unix_secs)
{
	uint64_t real = clock_ns(CLOCK_REALTIME);
	uint64_t boot = clock_ns(CLOCK_BOOTTIME);
	uint64_t at = unix_secs * 1000000000ULL;

	/* Already past: the earliest nonzero instant (0 means "never"). */
	if (at <= real - boot)
		return 1;
	return at - (real - boot);
}

uint64_t synapse_bpf_boot_ns_to_unix(uint64_t boot_ns)
{
	uint64_t real = clock_ns(CLOCK_REALTIME);
	uint64_t boot = clock_ns(CLOCK_BOOTTIME);

	return (boot_ns + (real - boot)) / 1000000000ULL;
}

int synapse_bpf_lookup(struct synapse_bpf *b, const uint8_t id[SYNAPSE_CAP_ID_LEN],
		       struct synapse_cap_entry *e)
{
	struct synapse_cap_key key;

	memcpy(key.cap_id, id, sizeof(key.cap_id));
	if (bpf_map_lookup_elem(b->revoked_fd, &key, e))
		return -errno;
	return 0;
}

int synapse_bpf_verdict(struct synapse_bpf *b, const uint8_t id[SYNAPSE_CAP_ID_LEN])
{
	struct synapse_cap_entry e;

	if (synapse_bpf_lookup(b, id, &e))
		return SYNAPSE_CAP_ALLOW;
	if (e.flags & SYNAPSE_CAP_F_REVOKED)
		return SYNAPSE_CAP_REVOKED;
	/* bpf_ktime_get_boot_ns() is CLOCK_BOOTTIME. */
	if (e.expires_boot_ns && clock_ns(CLOCK_BOOTTIME) >= e.expires_boot_ns)
		return SYNAPSE_CAP_EXPIRED;
	return SYNAPSE_CAP_ALLOW;
}

static int update(struct synapse_bpf *b, const uint8_t id[SYNAPSE_CAP_ID_LEN],
		  const struct synapse_cap_entry *e)
{
	struct synapse_cap_key key;

	memcpy(key.cap_id, id, sizeof(key.cap_id));
	if (bpf_map_update_elem(b->revoked_fd, &key, e, BPF_ANY))
		return -errno;
	return 0;
}

int synapse_bpf_revoke(struct synapse_bpf *b, const uint8_t id[SYNAPSE_CAP_ID_LEN])
{
	struct synapse_cap_entry e;

	if (synapse_bpf_lookup(b, id, &e))
		memset(&e, 0, sizeof(e));
	e.flags |= SYNAPSE_CAP_F_REVOKED;
	e.revoked_unix = clock_ns(CLOCK_REALTIME) / 1000000000ULL;
	return update(b, id, &e);
}

int synapse_bpf_expire(struct synapse_bpf *b, const uint8_t id[SYNAPSE_CAP_ID_LEN],
		       uint64_t unix_secs)
{
	struct synapse_cap_entry e;
	struct synapse_cap_key key;

	if (synapse_bpf_lookup(b, id, &e))
		memset(&e, 0, sizeof(e));
	e.expires_boot_ns = unix_secs ? synapse_bpf_unix_to_boot_ns(unix_secs) : 0;
	if (e.flags || e.expires_boot_ns)
		return update(b, id, &e);
	memcpy(key.cap_id, id, sizeof(key.cap_id));
	if (bpf_map_delete_elem(b->revoked_fd, &key) && errno != ENOENT)
		return -errno;
	return 0;
}

int synapse_bpf_unrevoke(struct synapse_bpf *b, const uint8_t id[SYNAPSE_CAP_ID_LEN])
{
	struct synapse_cap_entry e;
	struct synapse_cap_key key;
	int err;

	err = synapse_bpf_lookup(b, id, &e);
	if (err)
		return err;
	if (!(e.flags & SYNAPSE_CAP_F_REVOKED))
		return -ENOENT;
	if (e.expires_boot_ns) {
		e.flags &= ~SYNAPSE_CAP_F_REVOKED;
		e.revoked_unix = 0;
		return update(b, id, &e);
	}
	memcpy(key.cap_id, id, sizeof(key.cap_id));
	if (bpf_map_delete_elem(b->revoked_fd, &key))
		return -errno;
	return 0;
}

int synapse_bpf_for_each(struct synapse_bpf *b, synapse_bpf_iter_fn fn, void *arg)
{
	struct synapse_cap_key key, next;
	struct synapse_cap_entry e;
	void *prev = NULL;
	unsigned int n = 0;
	int err;

	/* Bounded: a concurrent writer may restart the walk at most so far. */
	while (n++ <= SYNAPSE_CAP_REVOKED_MAX * 2U) {
		if (bpf_map_get_next_key(b->revoked_fd, prev, &next))
			return errno == ENOENT ? 0 : -errno;
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(b->revoked_fd, &key, &e))
			continue;	/* deleted meanwhile */
		err = fn(key.cap_id, &e, arg);
		if (err)
			return err;
	}
	return -EAGAIN;
}

static int count_entry(const uint8_t id[SYNAPSE_CAP_ID_LEN],
		       const struct synapse_cap_entry *e, void *arg)
{
	(*(uint32_t *)arg)++;
	return 0;
}

static int read_stats(struct synapse_bpf *b, uint64_t out[__SYNAPSE_CAP_STAT_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t vals[1024];
	__u32 i;
	int c;

	if (ncpu < 0)
		return ncpu;
	if ((size_t)ncpu > ARRAY_SIZE(vals))
		return -E2BIG;
	for (i = 0; i < __SYNAPSE_CAP_STAT_MAX; i++) {
		out[i] = 0;
		if (bpf_map_lookup_elem(b->stats_fd, &i, vals))
			return -errno;
		for (c = 0; c < ncpu; c++)
			out[i] += vals[c];
	}
	return 0;
}

int synapse_bpf_status(const char *dir, struct synapse_bpf_status *st)
{
	struct synapse_bpf b;
	int err;

	memset(st, 0, sizeof(*st));
	st->link_id = pinned_id(dir, "link", true);
	st->link = st->link_id != 0;
	st->prog_id = pinned_id(dir, "prog", false);
	st->prog = st->prog_id != 0;
	err = synapse_bpf_open(dir, &b);
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	st->maps = true;
	err = synapse_bpf_for_each(&b, count_entry, &st->entries);
	if (!err)
		err = read_stats(&b, st->stats);
	synapse_bpf_close(&b);
	return err;
}
