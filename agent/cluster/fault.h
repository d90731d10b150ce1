/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SYNAGENT_FAULT_H
#define SYNAGENT_FAULT_H

/*
 * Fault injection for the cluster tests. Off by default; a fault is only
 * armed when the agent runs with --enable-faults AND the environment
 * variable SYNAPSE_ENABLE_FAULTS=1 is set by whoever starts it (a second,
 * independent switch, so a stray command line alone does nothing).
 *   corrupt-output           flip one bit of every output hash this node
 *                            attests (the trace chain stays right)
 *   corrupt-state:FUEL       once a task has used FUEL fuel, flip a byte of
 *                            its linear memory (engine state: every later
 *                            checkpoint digest and the trace hash differ);
 *                            again on every replay that passes FUEL, so
 *                            the node never agrees (a persistent fault)
 *   corrupt-state-once:FUEL  the same, on a task's first run only: a
 *                            replay from a checkpoint heals (transient)
 *   slow                     run at most one slice of a task per tick, so
 *                            the others commit first (a straggler)
 *   corrupt-blob             flip a bit in every blob chunk this node
 *                            serves to a peer (the fetcher must reject the
 *                            blob and fetch it from another holder)
 * Several faults join with commas: "slow,corrupt-state:5000000".
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fault {
	FAULT_NONE,
	FAULT_CORRUPT_OUTPUT,
	FAULT_CORRUPT_STATE,
	FAULT_CORRUPT_STATE_ONCE,
	FAULT_SLOW,
	FAULT_CORRUPT_BLOB,
};

/* -1 with err set when the fault is unknown or not enabled twice. */
int fault_arm(const char *name, bool cmdline_enabled, char *err, size_t errlen);
bool fault_active(enum fault f);
const char *fault_name(void);
void fault_apply_output(uint8_t *hash);
/*
 * The fuel position of a state fault for a run (replay: the run restarted
 * from a checkpoint after a mismatch); false when none applies to it.
 */
bool fault_state_at(bool replay, uint64_t *fuel);

#endif
