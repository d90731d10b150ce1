/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the subcommands that talk to synapse.ko. */
#ifndef SYNCTL_COMMON_H
#define SYNCTL_COMMON_H

#include <stddef.h>

#include "tools/lib/synnl/ipc.h"

/*
 * Open the "synapse" genl family. On failure prints why, naming the
 * unloaded module when the family does not exist, and returns -errno.
 */
int synctl_connect(struct ipc **ipcp);

/* "<strerror>[: <kernel's extack message>][ (attribute N missing)]" */
void format_error(char *buf, size_t size, int err,
		  const struct ipc_extack *extack);

/* Print "synctl: <what>: <format_error()>" on stderr. */
void report_error(const char *what, int err, const struct ipc_extack *extack);

#endif /* SYNCTL_COMMON_H */
