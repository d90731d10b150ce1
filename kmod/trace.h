/* SPDX-License-Identifier: GPL-2.0 */
/*
 * trace.h - the capability checkpoint tracepoint, writable by BPF.
 *
 * The pattern of include/trace/events/nbd.h: an event class plus
 * DEFINE_EVENT_WRITABLE, whose first argument is the buffer a
 * raw_tp.w program may write. struct synapse_cap_ctx comes from its own
 * guarded uapi header, outside the multi-read guard below, so the
 * repeated inclusions by define_trace.h see it exactly once.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM synapse

#include "uapi/synapse_cap.h"

#if !defined(SYNAPSE_KMOD_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define SYNAPSE_KMOD_TRACE_H

#include <linux/tracepoint.h>

DECLARE_EVENT_CLASS(synapse_cap_class,

	TP_PROTO(struct synapse_cap_ctx *ctx),

	TP_ARGS(ctx),

	TP_STRUCT__entry(
		__field(u64, task_id)
		__field(u64, job_id)
		__array(u8, cap_id, SYNAPSE_CAP_ID_LEN)
		__field(u8, where)
	),

	TP_fast_assign(
		__entry->task_id = ctx->task_id;
		__entry->job_id = ctx->job_id;
		memcpy(__entry->cap_id, ctx->cap_id, SYNAPSE_CAP_ID_LEN);
		__entry->where = ctx->where;
	),

	TP_printk("task=%llu job=%llu cap=%*phN where=%u",
		  __entry->task_id, __entry->job_id,
		  SYNAPSE_CAP_ID_LEN, __entry->cap_id, __entry->where)
);

/*
 * DEFINE_EVENT_WRITABLE exists only in bpf_probe.h's pass of
 * define_trace.h; every other pass sees a plain event (as nbd.h does).
 */
#ifdef DEFINE_EVENT_WRITABLE
#undef SYNAPSE_DEFINE_EVENT
#define SYNAPSE_DEFINE_EVENT(template, call, proto, args, size)	\
	DEFINE_EVENT_WRITABLE(template, call, PARAMS(proto),		\
			      PARAMS(args), size)
#else
#undef SYNAPSE_DEFINE_EVENT
#define SYNAPSE_DEFINE_EVENT(template, call, proto, args, size)	\
	DEFINE_EVENT(template, call, PARAMS(proto), PARAMS(args))
#endif

SYNAPSE_DEFINE_EVENT(synapse_cap_class, synapse_cap_check,

	TP_PROTO(struct synapse_cap_ctx *ctx),

	TP_ARGS(ctx),

	sizeof(struct synapse_cap_ctx)
);

#endif /* SYNAPSE_KMOD_TRACE_H */

/* Out of tree: define_trace.h finds this header through -I$(src)/.. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH kmod
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace

#include <trace/define_trace.h>
