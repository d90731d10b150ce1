// SPDX-License-Identifier: GPL-2.0
/* synctl peers: synapsed's view of every configured peer. */
#include <stdio.h>
#include <time.h>

#include "agentctl.h"
#include "output.h"
#include "subcommands.h"

static const char usage[] =
	"Usage: synctl peers [-j|--json] [-s|--socket PATH]\n"
	"\n"
	"Show each configured peer as the local synapsed sees it: state\n"
	"(up / suspect / down), session direction, last heartbeat round-trip\n"
	"time, time since the last heartbeat, protocol version, address.\n"
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

int peers_main(int argc, char *argv[])
{
	json_t *reply, *peers, *p;
	char rtt[32], hb[32];
	int status;
	size_t i;

	if (agent_query(argc, argv, usage, "peers", &reply, &status))
		return status;
	if (json_output)
		return json_print(stdout, reply) < 0 ? SYNCTL_EXIT_FAIL : SYNCTL_EXIT_OK;
	peers = json_object_get(reply, "peers");
	printf("%-16s %-8s %-9s %10s %12s %4s  %s\n", "PEER", "STATE", "DIR",
	       "RTT", "HEARTBEAT", "VER", "ADDRESS");
	json_array_foreach(peers, i, p) {
		json_t *r = json_object_get(p, "rtt_us");

		if (json_is_number(r))
			snprintf(rtt, sizeof(rtt), "%.0fus", json_number_value(r));
		else
			snprintf(rtt, sizeof(rtt), "-");
		ago(hb, sizeof(hb), json_object_get(p, "last_heartbeat"));
		printf("%-16s %-8s %-9s %10s %12s %4lld  %s\n",
		       json_string_value(json_object_get(p, "node_id")),
		       json_string_value(json_object_get(p, "state")),
		       json_string_value(json_object_get(p, "direction")),
		       rtt, hb,
		       json_integer_value(json_object_get(p, "protocol_version")),
		       json_string_value(json_object_get(p, "address")));
	}
	json_decref(reply);
	return SYNCTL_EXIT_OK;
}
