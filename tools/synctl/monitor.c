// SPDX-License-Identifier: GPL-2.0
/* synctl monitor: print task completion events as they happen. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "tools/lib/synnl/output.h"
#include "subcommands.h"
#include "tools/lib/synnl/taskmodel.h"

static const char usage[] =
	"Usage: synctl monitor [-j|--json] [--count N] [--timeout SECS]\n"
	"\n"
	"Listen on synapse.ko's \"events\" multicast group and print one line\n"
	"(or one JSON object) per finished task of this network namespace.\n"
	"Stops after N events or SECS seconds (default: never). Unprivileged.\n";

struct mon_ctx {
	unsigned long seen, count;
};

static int print_event(const struct nlmsghdr *nlh, void *ctx)
{
	struct mon_ctx *mc = ctx;
	char hex[HASH_HEX_LEN + 1];
	struct synctl_task t;

	if (model_parse_task(nlh, &t) < 0 || t.cmd != SYNAPSE_CMD_TASK_DONE)
		return 0;
	if (mc->count && mc->seen >= mc->count)
		return 0;
	mc->seen++;
	if (json_output) {
		json_print(stdout, task_to_json(&t));
	} else {
		hex_digest(t.output_hash, hex);
		printf("task %" PRIu64 " %s code %d fuel %" PRIu64 " output %s\n",
		       t.id, task_status_name(t.status), t.code, t.fuel_used, hex);
	}
	fflush(stdout);
	return 0;
}

int monitor_main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "count", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	struct mon_ctx mc = { 0 };
	unsigned long timeout = 0;
	struct timespec start, now;
	struct ipc *ipc;
	int c, ret, status = SYNCTL_EXIT_OK;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json_output = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return SYNCTL_EXIT_OK;
		case 'c':
			mc.count = strtoul(optarg, NULL, 0);
			break;
		case 't':
			timeout = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "%s monitor: unknown option '%s'\n",
				PROG_NAME, bad_option(argv));
			fputs(usage, stderr);
			return SYNCTL_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fputs(usage, stderr);
		return SYNCTL_EXIT_USAGE;
	}
	if (synctl_connect(&ipc) < 0)
		return SYNCTL_EXIT_FAIL;
	ret = ipc_subscribe(ipc, SYNAPSE_MCGRP_EVENTS);
	if (ret < 0) {
		report_error("subscribe to events", ret, NULL);
		ipc_close(ipc);
		return SYNCTL_EXIT_FAIL;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!mc.count || mc.seen < mc.count) {
		ret = ipc_next_events(ipc, 200, print_event, &mc);
		if (ret == -ENOBUFS) {
			fprintf(stderr, "%s: monitor: events were lost (socket buffer full)\n",
				PROG_NAME);
		} else if (ret < 0 && ret != -EINTR) {
			report_error("monitor", ret, NULL);
			status = SYNCTL_EXIT_FAIL;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (timeout && (unsigned long)(now.tv_sec - start.tv_sec) >= timeout)
			break;
	}
	ipc_close(ipc);
	return status;
}
