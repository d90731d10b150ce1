// SPDX-License-Identifier: GPL-2.0
/* synctl node: the local synapsed's identity, uptime and counters. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "agentctl.h"
#include "tools/lib/synnl/output.h"
#include "subcommands.h"

static const char usage[] =
	"Usage: synctl node [-j|--json] [-s|--socket PATH]\n"
	"\n"
	"Show the local synapsed: node id, cluster, listen address, public key,\n"
	"certificate fingerprint, task engine (user, kernel, or none outside a\n"
	"cluster), protocol versions, uptime, cluster membership (member,\n"
	"fenced, quarantined), peer states and\n"	"counters (messages, heartbeats, refusals by reason).\n"
	"The socket defaults to $SYNAPSE_SOCKET, else /run/synapse/synapsed.sock.\n";

static const char *s(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "-";
}

static long long n(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static void print_expiry(json_t *ms)
{
	char buf[64];
	struct tm tm;
	time_t t;

	if (!json_is_integer(ms))
		return;
	t = json_integer_value(ms) / 1000;
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
	printf("valid until: %s\n", buf);
}

/*
 * Our own standing: "member", "joining", "fenced" (cannot prove its lease:
 * runs and signs nothing) or "quarantined" (ours, or the cluster's record).
 */
static void print_membership(json_t *m, const char *cluster_state)
{
	const char *st = s(m, "state");

	if (!strcmp(cluster_state, "quarantined"))
		st = cluster_state;
	printf("membership:  %s, epoch %lld (%lld members)%s\n", st,
	       n(m, "epoch"), n(m, "members"),
	       json_is_true(json_object_get(m, "coordinator")) ? ", coordinator" : "");
}

int node_main(int argc, char *argv[])
{
	json_t *reply, *peers, *ctr, *rej, *pv, *v;
	const char *key;
	int status;

	if (agent_query(argc, argv, usage, "node", &reply, &status))
		return status;
	if (json_output)
		return json_print(stdout, reply) < 0 ? SYNCTL_EXIT_FAIL : SYNCTL_EXIT_OK;
	peers = json_object_get(reply, "peers");
	ctr = json_object_get(reply, "counters");
	rej = json_object_get(ctr, "rejected");
	pv = json_object_get(reply, "protocol_version");
	printf("node:        %s\n", s(reply, "node_id"));
	printf("cluster:     %s\n", s(reply, "cluster"));
	printf("listen:      %s\n", s(reply, "listen"));
	printf("engine:      %s\n", s(reply, "engine"));
	printf("public key:  %s\n", s(reply, "public_key"));
	printf("certificate: sha256 %s\n", s(reply, "cert_fingerprint"));
	print_expiry(json_object_get(reply, "cert_not_after"));
	printf("protocol:    v%lld..v%lld\n", n(pv, "min"), n(pv, "max"));
	printf("uptime:      %llds\n", n(reply, "uptime_s"));
	if (json_is_object(json_object_get(reply, "membership")))
		print_membership(json_object_get(reply, "membership"),
				 s(reply, "cluster_state"));
	else if (json_is_string(json_object_get(reply, "cluster_state")))
		printf("membership:  %s\n", s(reply, "cluster_state"));
	if (json_is_object(json_object_get(reply, "quarantine"))) {
		printf("quarantine:  ");
		print_quarantine(s(reply, "node_id"), json_object_get(reply, "quarantine"));
	}
	printf("peers:       %lld configured, %lld up, %lld suspect, %lld down\n",
	       n(peers, "configured"), n(peers, "up"), n(peers, "suspect"),
	       n(peers, "down"));
	printf("messages:    %lld received, %lld sent\n", n(ctr, "messages_rx"),
	       n(ctr, "messages_tx"));
	printf("heartbeats:  %lld received, %lld sent\n", n(ctr, "heartbeats_rx"),
	       n(ctr, "heartbeats_tx"));
	printf("refused:\n");
	json_object_foreach(rej, key, v)
		if (json_integer_value(v))
			printf("  %-20s %lld\n", key, json_integer_value(v));
	json_decref(reply);
	return SYNCTL_EXIT_OK;
}
