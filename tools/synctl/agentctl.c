// SPDX-License-Identifier: GPL-2.0
/* The control-socket front for synctl's agent subcommands (agentctl.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "agent/control/ctl.h"
#include "agentctl.h"
#include "subcommands.h"

int agent_query(int argc, char *argv[], const char *usage, const char *cmd,
		json_t **reply, int *status)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = getenv("SYNAPSE_SOCKET");
	const char *msg;
	char err[512];
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "s:jh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			sock = optarg;
			break;
		case 'j':
			json_output = true;
			break;
		case 'h':
			fputs(usage, stdout);
			*status = SYNCTL_EXIT_OK;
			return -1;
		default:
			fprintf(stderr, "%s %s: unknown option '%s'\n", PROG_NAME,
				argv[0], bad_option(argv));
			fputs(usage, stderr);
			*status = SYNCTL_EXIT_USAGE;
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s %s: unexpected argument '%s'\n", PROG_NAME,
			argv[0], argv[optind]);
		fputs(usage, stderr);
		*status = SYNCTL_EXIT_USAGE;
		return -1;
	}
	if (ctl_request(sock ? sock : CTL_DEFAULT_SOCKET, cmd, reply, err,
			sizeof(err))) {
		fprintf(stderr, "%s %s: %s\n", PROG_NAME, argv[0], err);
		*status = SYNCTL_EXIT_FAIL;
		return -1;
	}
	if (!json_is_true(json_object_get(*reply, "ok"))) {
		msg = json_string_value(json_object_get(*reply, "error"));
		fprintf(stderr, "%s %s: agent: %s\n", PROG_NAME, argv[0],
			msg ? msg : "request failed");
		json_decref(*reply);
		*status = SYNCTL_EXIT_FAIL;
		return -1;
	}
	json_object_del(*reply, "ok");
	return 0;
}
