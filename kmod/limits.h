/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * limits.h - default engine limits, reported by SYNAPSE_CMD_GET_INFO.
 *
 * Plain constants, no includes: the kernel module, the engine (both builds)
 * and userspace tools may all include this file. A task may ask for less,
 * never for more; the values behave identically on every engine because they
 * are part of the task's input hash.
 */
#ifndef SYNAPSE_KMOD_LIMITS_H
#define SYNAPSE_KMOD_LIMITS_H

#define SYNAPSE_LIMIT_MODULE_SIZE_DEFAULT	(16ULL << 20)	/* bytes */
#define SYNAPSE_LIMIT_MEMORY_PAGES_DEFAULT	1024ULL		/* 64 MiB */
#define SYNAPSE_LIMIT_TABLE_SIZE_DEFAULT	65536ULL	/* elements */
#define SYNAPSE_LIMIT_VALUE_STACK_DEFAULT	65536ULL	/* slots */
#define SYNAPSE_LIMIT_CALL_DEPTH_DEFAULT	1024ULL		/* frames */
#define SYNAPSE_LIMIT_OUTPUT_SIZE_DEFAULT	(16ULL << 20)	/* bytes */

#endif /* SYNAPSE_KMOD_LIMITS_H */
