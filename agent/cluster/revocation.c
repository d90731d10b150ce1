// SPDX-License-Identifier: GPL-2.0
/*
 * Mirror of the cluster's revocations (revocation.h). An id is removed
 * from the pinned map only when this process saw it revoked in etcd and
 * then saw it gone: entries written by `synctl cap revoke`, by another
 * cluster's agents sharing the pin directory, or before a restart are
 * never lifted here (a stale revocation fails closed).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/bpf/revoke.h"
#include "agent/cluster/etcd.h"
#include "agent/exec/executor.h"
#include "agent/log.h"
#include "agent/cluster/membership.h"
#include "agent/cluster/revocation.h"

#define ID_LEN	SYNAPSE_CAP_ID_LEN

static struct {
	bool have_map;			/* b is open */
	bool attached;			/* the program is attached (tracepoint) */
	struct synapse_bpf b;
	uint8_t (*ids)[ID_LEN];		/* sorted: revoked in etcd */
	size_t n;
} rv;

static int cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, ID_LEN);
}

static bool in_set(uint8_t (*ids)[ID_LEN], size_t n, const uint8_t *id)
{
	return n && bsearch(id, ids, n, ID_LEN, cmp_id);
}

void revocation_start(const char *pin_dir)
{
	bool reused = false;
	int err;

	if (pin_dir && !strcmp(pin_dir, "none")) {
		log_info("revocation: BPF disabled (--bpf-pin-dir none): in-process set only");
		return;
	}
	err = synapse_bpf_setup(pin_dir, &reused);
	if (!err)
		rv.attached = true;
	/* -ENOENT: no tracepoint (synapse.ko not loaded); the maps are pinned */
	if ((!err || err == -ENOENT) && !synapse_bpf_open(pin_dir, &rv.b))
		rv.have_map = true;
	if (rv.attached && rv.have_map)
		log_info("revocation: BPF program %s under %s", reused ?
			 "already attached, reusing the pinned objects" : "attached and pinned",
			 pin_dir ? pin_dir : SYNAPSE_BPF_PIN_DIR);
	else if (rv.have_map)
		log_info("revocation: no synapse_cap_check tracepoint (synapse.ko not loaded): mirroring into the pinned map under %s only",
			 pin_dir ? pin_dir : SYNAPSE_BPF_PIN_DIR);
	else
		log_warn("revocation: BPF unavailable (%s): enforcing through the in-process set only",
			 strerror(err < 0 ? -err : EPERM));
}

void revocation_stop(void)
{
	if (rv.have_map)
		synapse_bpf_close(&rv.b);
	free(rv.ids);
	memset(&rv, 0, sizeof(rv));
}

/* revoked/<64 hex> keys -> sorted ids; malformed keys are skipped. */
static int read_etcd(struct cluster *c, uint8_t (**ids)[ID_LEN], size_t *n)
{
	struct etcd_kv *kvs;
	char prefix[256];
	size_t nkv, i, plen;

	cluster_key(c, prefix, sizeof(prefix), "revoked/");
	if (etcd_range(c->etcd, prefix, true, &kvs, &nkv))
		return -1;
	plen = strlen(prefix);
	*ids = calloc(nkv + 1, ID_LEN);
	*n = 0;
	if (!*ids) {
		etcd_kvs_free(kvs, nkv);
		return -1;
	}
	for (i = 0; i < nkv; i++)
		if (!hex_decode(kvs[i].key + plen, (*ids)[*n], ID_LEN))
			(*n)++;
	etcd_kvs_free(kvs, nkv);
	qsort(*ids, *n, ID_LEN, cmp_id);
	return 0;
}

static void map_update(const uint8_t *id, bool revoke)
{
	char hex[2 * ID_LEN + 1];
	int err;

	hex_encode(id, ID_LEN, hex);
	if (!rv.have_map) {
		log_info("revocation: %s %s (in-process)", revoke ? "revoked" : "lifted", hex);
		return;
	}
	err = revoke ? synapse_bpf_revoke(&rv.b, id) : synapse_bpf_unrevoke(&rv.b, id);
	if (err && err != -ENOENT)
		log_err("revocation: %s %s in the pinned map: %s",
			revoke ? "revoking" : "lifting", hex, strerror(-err));
	else
		log_info("revocation: %s %s in the pinned map", revoke ? "revoked" : "lifted", hex);
}

int revocation_sync(struct cluster *c)
{
	uint8_t (*ids)[ID_LEN];
	size_t n, i;

	if (read_etcd(c, &ids, &n))
		return -1;
	for (i = 0; i < n; i++)
		if (!in_set(rv.ids, rv.n, ids[i]))
			map_update(ids[i], true);
	for (i = 0; i < rv.n; i++)
		if (!in_set(ids, n, rv.ids[i]))
			map_update(rv.ids[i], false);
	free(rv.ids);
	rv.ids = ids;
	rv.n = n;
	return 0;
}

bool revocation_revoked(const uint8_t id[32])
{
	if (cap_id_none(id))
		return false;
	if (in_set(rv.ids, rv.n, id))
		return true;
	return rv.have_map && synapse_bpf_verdict(&rv.b, id) != SYNAPSE_CAP_ALLOW;
}

const char *revocation_backend(void)
{
	return rv.attached && rv.have_map ? "bpf" : rv.have_map ? "bpf-map" : "process";
}

unsigned int revocation_count(void)
{
	return rv.n;
}
