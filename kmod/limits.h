/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * limits.h - bounds of the kernel module's requests that are not task
 * limits. Plain constants, no includes: the kernel module and userspace
 * tools may both include this file.
 *
 * The task limits (memory pages, table size, value stack, call depth,
 * output) have one source of truth, the engine's svm_task_default_limits()
 * (kmod/vm/task.c): a task started without limits gets them, GET_INFO
 * reports them, and TASK_START refuses more, except for the output limit,
 * which a task may raise up to SYNAPSE_LIMIT_OUTPUT_SIZE_MAX.
 */
#ifndef SYNAPSE_KMOD_LIMITS_H
#define SYNAPSE_KMOD_LIMITS_H

#define SYNAPSE_LIMIT_MODULE_SIZE_DEFAULT	(16ULL << 20)	/* bytes */
#define SYNAPSE_LIMIT_OUTPUT_SIZE_MAX		(16ULL << 20)	/* bytes */

#endif /* SYNAPSE_KMOD_LIMITS_H */
