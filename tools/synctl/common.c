// SPDX-License-Identifier: GPL-2.0
/* Option parsing and error reporting shared by every subcommand. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "subcommands.h"
#include "uapi/synapse.h"

const char *PROG_NAME = "synctl";
bool json_output;

const char *bad_option(char *argv[])
{
	static char short_opt[3] = "-?";

	/* getopt names a bad short option in optopt, a long one by optind. */
	if (optopt) {
		short_opt[1] = (char)optopt;
		return short_opt;
	}
	return argv[optind - 1];
}

int parse_common_opts(int argc, char *argv[], const char *usage, int *status)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	/* Reparse from scratch; options may follow operands, "--" ends them. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
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
	return optind;
}

void format_error(char *buf, size_t size, int err,
		  const struct ipc_extack *extack)
{
	int n;

	n = snprintf(buf, size, "%s", strerror(err < 0 ? -err : err));
	if (!extack || n < 0 || (size_t)n >= size)
		return;
	if (extack->msg[0])
		n += snprintf(buf + n, size - n, ": %s", extack->msg);
	if (extack->has_miss_type && n >= 0 && (size_t)n < size)
		snprintf(buf + n, size - n, " (missing attribute %u)",
			 extack->miss_type);
}

void report_error(const char *what, int err, const struct ipc_extack *extack)
{
	char msg[512];

	format_error(msg, sizeof(msg), err, extack);
	fprintf(stderr, "%s: %s: %s\n", PROG_NAME, what, msg);
}

int synctl_connect(struct ipc **ipcp)
{
	int ret;

	ret = ipc_open(ipcp, SYNAPSE_GENL_NAME);
	if (ret == -ENOENT)
		fprintf(stderr,
			"%s: synapse.ko is not loaded: generic netlink family '%s' not found\n",
			PROG_NAME, SYNAPSE_GENL_NAME);
	else if (ret < 0)
		report_error("cannot open generic netlink", ret, NULL);
	return ret;
}
