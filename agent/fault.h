/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SYNAGENT_FAULT_H
#define SYNAGENT_FAULT_H

/*
 * Fault injection for the cluster tests. Off by default; a fault is only
 * armed when the agent runs with --enable-faults AND the environment
 * variable SYNAPSE_ENABLE_FAULTS=1 is set by whoever starts it (a second,
 * independent switch, so a stray command line alone does nothing).
 *   corrupt-output   flip one bit of every output hash this node attests
 */
#include <stdbool.h>
#include <stdint.h>

enum fault {
	FAULT_NONE,
	FAULT_CORRUPT_OUTPUT,
};

/* -1 with err set when the fault is unknown or not enabled twice. */
int fault_arm(const char *name, bool cmdline_enabled, char *err, size_t errlen);
bool fault_active(enum fault f);
const char *fault_name(void);
void fault_apply_output(uint8_t *hash);

#endif
