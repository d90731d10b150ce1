/* SPDX-License-Identifier: GPL-2.0 */
/*
 * synctl's subcommands. Each lives in its own file as <cmd>_main() and is
 * listed in the table in synctl.c; argv[0] is the subcommand's name.
 * A subcommand returns the process exit status (enum synctl_exit).
 */
#ifndef SYNCTL_SUBCOMMANDS_H
#define SYNCTL_SUBCOMMANDS_H

#include <stdbool.h>
#include <stdio.h>

enum synctl_exit {
	SYNCTL_EXIT_OK = 0,
	SYNCTL_EXIT_FAIL = 1,	/* the operation failed */
	SYNCTL_EXIT_USAGE = 2,	/* bad command line */
};

extern const char *PROG_NAME;
/* -j/--json, given before the subcommand or among its options. */
extern bool json_output;

int info_main(int argc, char *argv[]);
int hash_main(int argc, char *argv[]);
/* Agent subcommands (tools/synctl/{ca,node,peers}.c, agent/ libsynagent). */
int ca_main(int argc, char *argv[]);
int node_main(int argc, char *argv[]);
int peers_main(int argc, char *argv[]);
/* Capability tokens and revocation (agent/identity/captoken.c, agent/bpf/). */
int cap_main(int argc, char *argv[]);
/* Modules and tasks in synapse.ko (module.c, task.c, monitor.c). */
int module_main(int argc, char *argv[]);
int task_main(int argc, char *argv[]);
int monitor_main(int argc, char *argv[]);
/* Cluster jobs through synapsed, offline verification (job.c). */
int job_main(int argc, char *argv[]);

/*
 * Options every subcommand takes: -j/--json and -h/--help. Returns the
 * index of the first operand, or -1 when the caller should return *status
 * at once (help printed, or a usage error reported).
 */
int parse_common_opts(int argc, char *argv[], const char *usage, int *status);

/* The option getopt_long() just refused, for the error message. */
const char *bad_option(char *argv[]);

#endif /* SYNCTL_SUBCOMMANDS_H */
