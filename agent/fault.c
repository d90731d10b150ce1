// SPDX-License-Identifier: GPL-2.0
/* Fault injection, off unless enabled twice (see fault.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/fault.h"

static enum fault armed = FAULT_NONE;

int fault_arm(const char *name, bool cmdline_enabled, char *err, size_t errlen)
{
	const char *env = getenv("SYNAPSE_ENABLE_FAULTS");

	if (!name || !*name)
		return 0;
	if (!cmdline_enabled || !env || strcmp(env, "1")) {
		snprintf(err, errlen, "fault injection refused: needs --enable-faults and SYNAPSE_ENABLE_FAULTS=1");
		return -1;
	}
	if (strcmp(name, "corrupt-output")) {
		snprintf(err, errlen, "unknown fault %s", name);
		return -1;
	}
	armed = FAULT_CORRUPT_OUTPUT;
	return 0;
}

bool fault_active(enum fault f)
{
	return armed == f;
}

const char *fault_name(void)
{
	return armed == FAULT_CORRUPT_OUTPUT ? "corrupt-output" : "none";
}

void fault_apply_output(uint8_t *hash)
{
	if (armed == FAULT_CORRUPT_OUTPUT)
		hash[0] ^= 1;
}
