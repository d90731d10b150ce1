/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * Synapse task ABI: what a WebAssembly task may import, and how a task ends.
 * Shared by both engines (kernel and userspace), the agent and the tools.
 *
 * Host functions live in import module SYNAPSE_ABI_MODULE ("synapse").
 * Any other import, or one of these with another signature, fails
 * instantiation with the import's name. Every host call is a checkpoint and
 * its arguments and results are hashed into the execution trace.
 *
 *   input_len() -> i32
 *       length of the task input in bytes.
 *   input_read(dst: i32, offset: i32, len: i32) -> i32
 *       copy input[offset, offset+len) clipped to the input's end into
 *       memory at dst; returns bytes copied. Out-of-bounds dst traps.
 *   output_write(src: i32, len: i32) -> i32
 *       append memory[src, src+len) to the task output; returns 0.
 *       Exceeding the task's output limit traps (SYNAPSE_TRAP_OUTPUT_LIMIT).
 *   abort(code: i32)
 *       end the task now with SYNAPSE_STATUS_ABORTED and this code.
 *   cap_check(op: i32) -> i32
 *       ask whether the task's capability still holds (op is free for the
 *       task to name what it is about to do; it is hashed into the trace).
 *       Returns 1. A revoked capability never returns: the task ends with
 *       SYNAPSE_STATUS_REVOKED.
 */
#ifndef _UAPI_SYNAPSE_ABI_H
#define _UAPI_SYNAPSE_ABI_H

#define SYNAPSE_ABI_MODULE	"synapse"

/* How a task ended. Hashed into the trace and output hashes: never renumber. */
enum synapse_status {
	SYNAPSE_STATUS_OK = 0,
	SYNAPSE_STATUS_TRAP = 1,		/* code: enum synapse_trap */
	SYNAPSE_STATUS_FUEL_EXHAUSTED = 2,
	SYNAPSE_STATUS_ABORTED = 3,		/* code: the task's abort code */
	SYNAPSE_STATUS_KILLED = 4,
	SYNAPSE_STATUS_REVOKED = 5,

	/* Not end states: only reported for tasks still in flight. */
	SYNAPSE_STATUS_QUEUED = 100,
	SYNAPSE_STATUS_RUNNING = 101,
};

/* Trap codes. Hashed: never renumber. */
enum synapse_trap {
	SYNAPSE_TRAP_NONE = 0,
	SYNAPSE_TRAP_UNREACHABLE = 1,
	SYNAPSE_TRAP_MEMORY_OOB = 2,		/* out of bounds memory access */
	SYNAPSE_TRAP_DIV_ZERO = 3,		/* integer divide by zero */
	SYNAPSE_TRAP_INT_OVERFLOW = 4,		/* integer overflow */
	SYNAPSE_TRAP_TABLE_OOB = 5,		/* undefined element / table OOB */
	SYNAPSE_TRAP_NULL_FUNC = 6,		/* uninitialized element */
	SYNAPSE_TRAP_SIG_MISMATCH = 7,		/* indirect call type mismatch */
	SYNAPSE_TRAP_STACK_EXHAUSTED = 8,	/* value stack or call depth */
	SYNAPSE_TRAP_OUTPUT_LIMIT = 9,
	SYNAPSE_TRAP_HOST_ARGS = 10,		/* bad host call arguments */
	SYNAPSE_TRAP_NULL_REF = 11,
};

#endif /* _UAPI_SYNAPSE_ABI_H */
