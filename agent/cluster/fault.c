// SPDX-License-Identifier: GPL-2.0
/* Fault injection, off unless enabled twice (see fault.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cluster/fault.h"

static unsigned int armed;	/* 1 << enum fault, one bit per armed fault */
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

/* One fault of a comma-separated list; -1 when unknown. */
static int arm_one(const char *name)
{
	if (!strcmp(name, "corrupt-output"))
		armed |= 1u << FAULT_CORRUPT_OUTPUT;
	else if (!strcmp(name, "slow"))
		armed |= 1u << FAULT_SLOW;
	else if (!strcmp(name, "corrupt-blob"))
		armed |= 1u << FAULT_CORRUPT_BLOB;
	else if (!parse_state(name, "corrupt-state", &state_fuel))
		armed |= 1u << FAULT_CORRUPT_STATE;
	else if (!parse_state(name, "corrupt-state-once", &state_fuel))
		armed |= 1u << FAULT_CORRUPT_STATE_ONCE;
	else
		return -1;
	return 0;
}

int fault_arm(const char *name, bool cmdline_enabled, char *err, size_t errlen)
{
	const char *env = getenv("SYNAPSE_ENABLE_FAULTS");
	char list[sizeof(armed_name)], *save, *one;

	if (!name || !*name)
		return 0;
	if (!cmdline_enabled || !env || strcmp(env, "1")) {
		snprintf(err, errlen, "fault injection refused: needs --enable-faults and SYNAPSE_ENABLE_FAULTS=1");
		return -1;
	}
	if (strlen(name) >= sizeof(list)) {
		snprintf(err, errlen, "fault list too long (at most %zu characters)",
			 sizeof(list) - 1);
		return -1;
	}
	strcpy(list, name);
	armed = 0;
	for (one = strtok_r(list, ",", &save); one; one = strtok_r(NULL, ",", &save)) {
		if (arm_one(one))
			goto unknown;
	}
	/* both state faults at once would fight over one fuel position */
	if ((armed & 1u << FAULT_CORRUPT_STATE) &&
	    (armed & 1u << FAULT_CORRUPT_STATE_ONCE)) {
		snprintf(err, errlen, "corrupt-state and corrupt-state-once exclude each other");
		goto disarm;
	}
	snprintf(armed_name, sizeof(armed_name), "%s", name);
	return 0;
unknown:
	snprintf(err, errlen, "unknown fault %s (corrupt-output, corrupt-state:FUEL, corrupt-state-once:FUEL, slow, corrupt-blob; several joined by commas)",
		 one);
disarm:
	armed = 0;
	return -1;
}

bool fault_active(enum fault f)
{
	return armed & 1u << f;
}

const char *fault_name(void)
{
	return armed_name;
}

void fault_apply_output(uint8_t *hash)
{
	if (fault_active(FAULT_CORRUPT_OUTPUT))
		hash[0] ^= 1;
}

bool fault_state_at(bool replay, uint64_t *fuel)
{
	if (!fault_active(FAULT_CORRUPT_STATE) &&
	    (!fault_active(FAULT_CORRUPT_STATE_ONCE) || replay))
		return false;
	*fuel = state_fuel;
	return true;
}
