// SPDX-License-Identifier: GPL-2.0
/*
 * trace.c - the one place that instantiates the module's tracepoints (and,
 * through define_trace.h, their BPF raw tracepoint entries).
 */
#define CREATE_TRACE_POINTS
#include "trace.h"
