/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by the subcommands that talk to synapsed's control socket. */
#ifndef SYNCTL_AGENTCTL_H
#define SYNCTL_AGENTCTL_H

#include <jansson.h>

/*
 * Parses -j, -h and -s/--socket PATH (default $SYNAPSE_SOCKET, else
 * /run/synapse/synapsed.sock), sends {"cmd": cmd}, and leaves the reply in
 * *reply. Returns -1 with *status set when the caller should return.
 */
int agent_query(int argc, char *argv[], const char *usage, const char *cmd,
		json_t **reply, int *status);

/* One line: node, since when, reason, job and task of a quarantine record. */
void print_quarantine(const char *node, json_t *q);

#endif
