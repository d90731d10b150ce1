// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * loop: never ends on its own. Every run stops when its fuel runs out, at
 * the same instruction on every engine (status FUEL_EXHAUSTED); the counter
 * lives in memory so the state digests change from checkpoint to checkpoint.
 */
#include <synapse.h>

static volatile u64 counter;

SYNAPSE_ENTRY
{
	for (;;)
		counter++;
}
