// SPDX-License-Identifier: GPL-2.0
/* synctl peers: synapsed's view of every configured peer. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/control/ctl.h"

#include "agentctl.h"
#include "tools/lib/synnl/output.h"
#include "subcommands.h"

static const char usage[] =
	"Usage: synctl peers [-j|--json] [-s|--socket PATH]\n"
	"       synctl peers unquarantine [-s|--socket PATH] NODE_ID\n"
	"\n"
	"Show each configured peer as the local synapsed sees it: state\n"
	"(up / suspect / down), session direction, last heartbeat round-trip\n"
	"time, time since the last heartbeat, protocol version, address, and\n"
	"its cluster state (member / quarantined / absent). Quarantined nodes\n"
	"(this one included) are listed with their reason and since when.\n"
	"unquarantine lifts a node's quarantine (deletes quarantine/NODE_ID in\n"
	"etcd): the coordinator takes it into the next epoch.\n"
	"The socket defaults to $SYNAPSE_SOCKET, else /run/synapse/synapsed.sock.\n";

static void ago(char *buf, size_t len, json_t *ms)
{
	struct timespec ts;
	long long now;

	if (!json_is_integer(ms)) {
		snprintf(buf, len, "never");
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	snprintf(buf, len, "%.1fs ago", (now - json_integer_value(ms)) / 1000.0);
}

/* "n3 quarantined since 2026-11-25 10:01:02 UTC (12.3s ago): reason" */
void print_quarantine(const char *node, json_t *q)
{
	json_t *since = json_object_get(q, "since");
	char when[64] = "?", hb[32];
	struct tm tm;
	time_t t;

	if (json_is_integer(since)) {
		t = json_integer_value(since) / 1000;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	}
	ago(hb, sizeof(hb), since);
	printf("%s quarantined since %s (%s): %s [job %s task %s]\n", node, when, hb,
	       json_string_value(json_object_get(q, "reason")) ?: "?",
	       json_string_value(json_object_get(q, "job")) ?: "?",
	       json_string_value(json_object_get(q, "task")) ?: "?");
}

static int unquarantine_main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = getenv("SYNAPSE_SOCKET");
	json_t *req, *reply;
	char err[512];
	int c, r;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "s:h", opts, NULL)) != -1) {
		if (c == 's') {
			sock = optarg;
		} else if (c == 'h') {
			fputs(usage, stdout);
			return SYNCTL_EXIT_OK;
		} else {
			fputs(usage, stderr);
			return SYNCTL_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fputs(usage, stderr);
		return SYNCTL_EXIT_USAGE;
	}
	req = json_pack("{s:s, s:s}", "cmd", "quarantine_lift", "node", argv[optind]);
	r = req ? ctl_request_json(sock ? sock : CTL_DEFAULT_SOCKET, req, &reply,
				   err, sizeof(err)) : -1;
	json_decref(req);
	if (r) {
		fprintf(stderr, "%s peers unquarantine: %s\n", PROG_NAME, err);
		return SYNCTL_EXIT_FAIL;
	}
	if (!json_is_true(json_object_get(reply, "ok"))) {
		fprintf(stderr, "%s peers unquarantine: agent: %s\n", PROG_NAME,
			json_string_value(json_object_get(reply, "error")) ?: "failed");
		json_decref(reply);
		return SYNCTL_EXIT_FAIL;
	}
	printf("%s: quarantine lifted; it joins the next epoch\n", argv[optind]);
	json_decref(reply);
	return SYNCTL_EXIT_OK;
}

int peers_main(int argc, char *argv[])
{
	json_t *reply, *peers, *p;
	char rtt[32], hb[32];
	int status;
	size_t i;

	if (argc > 1 && !strcmp(argv[1], "unquarantine"))
		return unquarantine_main(argc - 1, argv + 1);
	if (agent_query(argc, argv, usage, "peers", &reply, &status))
		return status;
	if (json_output)
		return json_print(stdout, reply) < 0 ? SYNCTL_EXIT_FAIL : SYNCTL_EXIT_OK;
	peers = json_object_get(reply, "peers");
	printf("%-16s %-8s %-9s %10s %12s %4s %-12s %s\n", "PEER", "STATE", "DIR",
	       "RTT", "HEARTBEAT", "VER", "CLUSTER", "ADDRESS");
	json_array_foreach(peers, i, p) {
		json_t *r = json_object_get(p, "rtt_us");

		if (json_is_number(r))
			snprintf(rtt, sizeof(rtt), "%.0fus", json_number_value(r));
		else
			snprintf(rtt, sizeof(rtt), "-");
		ago(hb, sizeof(hb), json_object_get(p, "last_heartbeat"));
		printf("%-16s %-8s %-9s %10s %12s %4lld %-12s %s\n",
		       json_string_value(json_object_get(p, "node_id")),
		       json_string_value(json_object_get(p, "state")),
		       json_string_value(json_object_get(p, "direction")),
		       rtt, hb,
		       json_integer_value(json_object_get(p, "protocol_version")),
		       json_string_value(json_object_get(p, "cluster_state")) ?: "-",
		       json_string_value(json_object_get(p, "address")));
	}
	{
		const char *node;
		json_t *q;

		json_object_foreach(json_object_get(reply, "quarantine"), node, q)
			print_quarantine(node, q);
	}
	json_decref(reply);
	return SYNCTL_EXIT_OK;
}
