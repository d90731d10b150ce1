/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SYNAGENT_MEMBERSHIP_H
#define SYNAGENT_MEMBERSHIP_H

/*
 * The cluster side of synapsed (Documentation/cluster.md): membership by
 * etcd leases, the coordinator election, membership epochs, and the job
 * state machine (job.c) driven by one libevent timer. The etcd calls are
 * synchronous with a short timeout, made only from that timer.
 *
 * Key layout under /synapse/<cluster>/ (cluster.md "Key layout"):
 *   members/<node>          {node, cert}             with the node's lease
 *   coordinator             <node>                   with its lease
 *   epoch                   {epoch, members}         the committed epoch
 *   epochs/<n>              {epoch, members}         history, create-once
 *   active/<job>            ""                       jobs not yet final
 *   jobs/<job>/spec (blobs by hash and size: blobnet.h), jobs/<job>/epoch, jobs/<job>/accept/<E>/<node>,
 *   jobs/<job>/att/<task>/<node>, jobs/<job>/commit/<task>,
 *   jobs/<job>/out/<task>/<node>, jobs/<job>/result
 *   jobs/<job>/cps/<task>/<node>, jobs/<job>/mismatch/<task>/<node>
 *   quarantine/<node>       {node, job, task, reason, since, ...}: left out
 *                           of new epochs until an operator deletes it
 */
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "agent/cluster/etcd.h"

struct agent;
struct exec_run;

#define CLUSTER_MAX_MEMBERS	64

struct cluster_opts {
	const char *etcd_url;
	const char *engine;
	const char *fault;
	bool enable_faults;
	int lease_ttl_s;
	unsigned int tick_ms;
	const char *bpf_pin_dir;	/* NULL: SYNAPSE_BPF_PIN_DIR; "none" */
	bool require_cap;		/* refuse jobs without a capability token */
};

struct cluster {
	struct agent *a;
	struct etcd *etcd;
	struct event *tick;
	struct event *nudge;		/* a nudged tick is coming (nudge.c) */
	uint64_t tick_start_ns;
	char prefix[128];		/* "/synapse/<cluster>/" */
	char *cert_pem;
	int lease_ttl_s;
	unsigned int tick_ms;
	int64_t lease;
	uint64_t lease_ok_ns;		/* last keepalive answered alive */
	uint64_t last_keepalive_ns;
	bool fenced;			/* cannot prove membership: no work */
	bool coordinator;
	bool quarantined;		/* quarantine/<self> exists */
	json_t *quarantine;		/* quarantine/: node -> record, per tick */
	bool require_cap;
	bool ran_this_tick;		/* work budget of this tick used up */
	uint64_t work_deadline_ns;
	struct exec_run *run;		/* our one task in progress, run in slices */
	char run_job[33];
	char run_task[64];
	uint8_t run_cap[32];	/* capability the running task is under */
	char last_job[33], last_task[64];
	size_t job_rr;			/* round-robin start in active/ */	/* last attested, see advance_run() */
	uint64_t epoch;
	unsigned int nmembers;
	char *members[CLUSTER_MAX_MEMBERS];
	/* counters, shown by synctl job list / node */
	uint64_t tasks_run, attests, commits, results, replans, etcd_errors;
	uint64_t nudges_tx, nudges_rx;
};

int cluster_start(struct agent *a, const struct cluster_opts *o);
void cluster_stop(struct agent *a);
struct cluster *cluster_get(void);
void the_cluster_set(struct cluster *c);
/* Control-socket commands job_*, cluster; NULL when cmd is not ours. */
json_t *cluster_control(struct agent *a, const char *cmd, json_t *req);

/* membership.c */
void membership_tick(struct cluster *c);
/* Renews the lease if due (cheap when not); fences on failure. */
void membership_keepalive(struct cluster *c);
/* Still a live member within the lease TTL (checked after a long task). */
bool cluster_may_attest(const struct cluster *c);
bool member_of(const struct cluster *c, const char *node);
/* The quarantine record of node (borrowed), or NULL. */
json_t *quarantine_of(const struct cluster *c, const char *node);
/* Members of epoch n (from epochs/<n>); caller frees with members_free. */
int epoch_members(struct cluster *c, uint64_t n, char ***v, unsigned int *cnt);
void members_free(char **v, unsigned int n);
int cluster_key(struct cluster *c, char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* job.c */
void jobs_tick(struct cluster *c);
uint64_t mono_now_ns(void);

#endif
