// SPDX-License-Identifier: GPL-2.0
/*
 * synctl: the Synapse control tool. This file is only the table of
 * subcommands and the global options; each subcommand lives in <cmd>.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "subcommands.h"
#include "uapi/synapse.h"

#define SYNCTL_VERSION	"0.1.0"

static int help_main(int argc, char *argv[]);

static const struct {
	const char *name;
	int (*main)(int argc, char *argv[]);
	const char *summary;
} subcommands[] = {
	{ "info", info_main, "show the loaded synapse.ko: versions, hash driver, limits" },
	{ "hash", hash_main, "SHA-256 of files through the kernel, like sha256sum" },
	{ "ca", ca_main, "cluster PKI: init a CA, issue node certificates, revoke" },
	{ "node", node_main, "the local synapsed: identity, uptime, counters" },
	{ "peers", peers_main, "the local synapsed's peers: state, RTT, heartbeats" },
	{ "cap", cap_main, "capability tokens and their eBPF-enforced revocation" },
	{ "module", module_main, "add, delete and list Wasm modules in synapse.ko" },
	{ "task", task_main, "start, inspect, kill, read and replay kernel tasks" },
	{ "monitor", monitor_main, "print task completion events" },
	{ "job", job_main, "cluster jobs: submit, status, wait, result, verify offline" },
	{ "help", help_main, "show this help, or a subcommand's" },
};

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define N_SUBCOMMANDS	ARRAY_SIZE(subcommands)

static void show_usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: %s [-j|--json] <cmd> [<args>]\n"
		   "       %s --help | --version\n\n"
		   "Available subcommands:\n", PROG_NAME, PROG_NAME);
	for (i = 0; i < N_SUBCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n", subcommands[i].name,
			subcommands[i].summary);
	fprintf(f, "\nOptions:\n"
		   "  -j, --json     machine-readable JSON output\n"
		   "  -h, --help     this help (\"%s <cmd> --help\" for one subcommand)\n"
		   "      --version  print the version and exit\n"
		   "\nExit status: 0 success, 1 failure, 2 usage error.\n",
		PROG_NAME);
}

static int find_subcommand(const char *name)
{
	size_t i;

	for (i = 0; i < N_SUBCOMMANDS; i++)
		if (!strcmp(subcommands[i].name, name))
			return (int)i;
	return -1;
}

static int help_main(int argc, char *argv[])
{
	char help_opt[] = "--help";
	char *sub_argv[3] = { NULL, help_opt, NULL };
	int i;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		show_usage(stdout);
		return SYNCTL_EXIT_OK;
	}
	i = find_subcommand(argv[1]);
	if (i < 0 || subcommands[i].main == help_main) {
		fprintf(stderr, "%s: no help for '%s'\n\n", PROG_NAME, argv[1]);
		show_usage(stderr);
		return SYNCTL_EXIT_USAGE;
	}
	sub_argv[0] = argv[1];
	return subcommands[i].main(2, sub_argv);
}

int main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int c, i;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json_output = true;
			break;
		case 'h':
			show_usage(stdout);
			return SYNCTL_EXIT_OK;
		case 'V':
			printf("%s %s (ABI %d)\n", PROG_NAME, SYNCTL_VERSION,
			       SYNAPSE_ABI_VERSION);
			return SYNCTL_EXIT_OK;
		default:
			fprintf(stderr, "%s: unknown option '%s'\n\n", PROG_NAME,
				bad_option(argv));
			show_usage(stderr);
			return SYNCTL_EXIT_USAGE;
		}
	}
	if (optind == argc) {
		show_usage(stderr);
		return SYNCTL_EXIT_USAGE;
	}
	i = find_subcommand(argv[optind]);
	if (i < 0) {
		fprintf(stderr, "%s: unknown command '%s'\n\n", PROG_NAME,
			argv[optind]);
		show_usage(stderr);
		return SYNCTL_EXIT_USAGE;
	}
	return subcommands[i].main(argc - optind, argv + optind);
}
