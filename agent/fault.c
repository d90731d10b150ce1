// SPDX-License-Identifier: GPL-2.0
/* Fault injection, off unless enabled twice (see fault.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/fault.h"

static enum fault armed = FAULT_NONE;
static uint64_t state_fuel;
static char armed_name[64] = "none";

/* "corrupt-state:FUEL" / "corrupt-state-once:FUEL" -> fuel, 0 if valid. */
static int parse_state(const char *name, const char *kind, uint64_t *fuel)
{
	size_t n = strlen(kind);
	char *end;

	if (strncmp(name, kind, n) || name[n] != ':')
		return -1;
	*fuel = strtoull(name + n + 1, &end, 10);
	return name[n + 1] && !*end && *fuel ? 0 : -1;
}

int fault_arm(const char *name, bool cmdline_enabled, char *err, size_t errlen)
{
	const char *env = getenv("SYNAPSE_ENABLE_FAULTS");

	if (!name || !*name)
		return 0;
	if (!cmdline_enabled || !env || strcmp(env, "1")) {
		snprintf(err, errlen, "fault injection refused: needs --enable-faults and SYNAPSE_ENABLE_FAULTS=1");
		return -1;
	}
	if (!strcmp(name, "corrupt-output"))
		armed = FAULT_CORRUPT_OUTPUT;
	else if (!parse_state(name, "corrupt-state", &state_fuel))
		armed = FAULT_CORRUPT_STATE;
	else if (!parse_state(name, "corrupt-state-once", &state_fuel))
		armed = FAULT_CORRUPT_STATE_ONCE;
	else {
		snprintf(err, errlen, "unknown fault %s (corrupt-output, corrupt-state:FUEL, corrupt-state-once:FUEL)",
			 name);
		return -1;
	}
	snprintf(armed_name, sizeof(armed_name), "%s", name);
	return 0;
}

bool fault_active(enum fault f)
{
	return armed == f;
}

const char *fault_name(void)
{
	return armed_name;
}

void fault_apply_output(uint8_t *hash)
{
	if (armed == FAULT_CORRUPT_OUTPUT)
		hash[0] ^= 1;
}

bool fault_state_at(bool replay, uint64_t *fuel)
{
	if (armed != FAULT_CORRUPT_STATE &&
	    (armed != FAULT_CORRUPT_STATE_ONCE || replay))
		return false;
	*fuel = state_fuel;
	return true;
}
