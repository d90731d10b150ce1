// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * task.c - tasks: the host ABI, the four hashes, checkpoints, rollback.
 *
 * Byte layouts are the contract of Documentation/hashes.md (hash contract
 * v1); every integer goes through hashenc's fixed-width LE encoders.
 *
 * A checkpoint is taken at a basic-block boundary once the task has used
 * another checkpoint_every fuel (svm_exec_run() stops the interpreter
 * exactly there), and after every host call that returns to the task.
 * Each one extends the trace chain with the state digest and the host
 * calls made since the previous one, and saves what a rollback needs: the
 * engine state here, memory as copy-on-write pages in memtrack.
 */
#include "task.h"
#include "hashenc.h"
#include "ops.h"
#include <uapi/synapse_abi.h>

void svm_task_default_limits(struct svm_task_limits *lim)
{
	lim->fuel = SVM_DEFAULT_FUEL;
	lim->max_pages = SVM_DEFAULT_PAGES;
	lim->max_table = SVM_DEFAULT_TABLE;
	lim->stack_slots = SVM_DEFAULT_SLOTS;
	lim->max_frames = SVM_DEFAULT_FRAMES;
	lim->max_output = SVM_DEFAULT_OUTPUT;
	lim->checkpoint_every = SVM_DEFAULT_CP_EVERY;
	lim->keep = SVM_DEFAULT_KEEP;
}

int svm_task_input_hash(const uint8_t module_id[SVM_SHA256_LEN],
			const struct svm_task_params *p,
			uint8_t out[SVM_SHA256_LEN])
{
	const char *entry = p->entry ? p->entry : "run";
	struct svm_hasher h;
	uint32_t i;

	svm_hash_begin(&h, "task-input");
	svm_hash_raw(&h, module_id, SVM_SHA256_LEN);
	svm_hash_bytes(&h, entry, strlen(entry));
	svm_hash_bytes(&h, p->input, p->input_len);
	svm_hash_u64(&h, p->lim.fuel);
	svm_hash_u32(&h, p->lim.max_pages);
	svm_hash_u32(&h, p->lim.max_table);
	svm_hash_u32(&h, p->lim.stack_slots);
	svm_hash_u32(&h, p->lim.max_frames);
	svm_hash_u32(&h, p->lim.max_output);
	svm_hash_u64(&h, p->lim.checkpoint_every);
	svm_hash_raw(&h, p->cap_id, SVM_SHA256_LEN);
	svm_hash_u32(&h, p->nargs);
	for (i = 0; i < p->nargs && i < SVM_MAX_ARGS; i++) {
		svm_hash_u32(&h, p->arg_types[i]);
		svm_hash_u64(&h, p->args[i]);
	}
	return svm_hash_end(&h, out);
}

/* ---- host calls, recorded canonically for the next trace link ---- */

static int calls_put(struct svm_task *t, const void *p, size_t n)
{
	if (t->calls_len + n > t->calls_cap) {
		size_t cap = t->calls_cap ? t->calls_cap * 2 : 256;
		uint8_t *b;

		while (cap < t->calls_len + n)
			cap *= 2;
		b = svm_alloc(cap);
		if (!b)
			return -1;
		if (t->calls)
			memcpy(b, t->calls, t->calls_len);
		svm_free(t->calls);
		t->calls = b;
		t->calls_cap = cap;
	}
	memcpy(t->calls + t->calls_len, p, n);
	t->calls_len += n;
	return 0;
}

static void calls_u32(struct svm_task *t, uint32_t v)
{
	uint8_t b[4];

	svm_put_le32(b, v);
	if (calls_put(t, b, 4))
		t->err = -SVM_ENOMEM;
}

static void calls_u64(struct svm_task *t, uint64_t v)
{
	uint8_t b[8];

	svm_put_le64(b, v);
	if (calls_put(t, b, 8))
		t->err = -SVM_ENOMEM;
}

/* import index, args, results (i32 values as u64, zero-extended) */
static void record_call(struct svm_task *t, struct svm_funcinst *fi,
			const uint64_t *args, const uint64_t *res, uint32_t nres)
{
	uint32_t i, np = fi->type->nparams;

	calls_u32(t, fi->host_index);
	calls_u32(t, np);
	for (i = 0; i < np; i++)
		calls_u64(t, (uint32_t)args[i]);
	calls_u32(t, nres);
	for (i = 0; i < nres; i++)
		calls_u64(t, (uint32_t)res[i]);
	t->ncalls++;
}

static struct svm_memory *task_mem(struct svm_task *t)
{
	return t->inst ? t->inst->mem : NULL;
}

/* Host code pays for bytes moved: one fuel per started 64 bytes. */
static bool host_charge(struct svm_task *t, uint64_t bytes)
{
	return svm_exec_charge(&t->ex, bytes / 64);
}

static int h_input_len(struct svm_exec *ex, struct svm_funcinst *fi,
		       uint64_t *args, uint64_t *res, int *code)
{
	struct svm_task *t = fi->host_ctx;

	res[0] = (uint32_t)t->p.input_len;
	record_call(t, fi, args, res, 1);
	return 0;
}

static int h_input_read(struct svm_exec *ex, struct svm_funcinst *fi,
			uint64_t *args, uint64_t *res, int *code)
{
	struct svm_task *t = fi->host_ctx;
	struct svm_memory *mem = task_mem(t);
	uint32_t dst = (uint32_t)args[0], off = (uint32_t)args[1];
	uint32_t len = (uint32_t)args[2], n = 0;

	if (off < t->p.input_len)
		n = (uint32_t)(t->p.input_len - off) < len ?
		    (uint32_t)(t->p.input_len - off) : len;
	res[0] = n;
	if (!mem || (uint64_t)dst + n > mem->bytes) {
		record_call(t, fi, args, res, 0);
		*code = SYNAPSE_TRAP_MEMORY_OOB;
		return SYNAPSE_STATUS_TRAP;
	}
	if (!host_charge(t, n)) {
		record_call(t, fi, args, res, 0);
		return SYNAPSE_STATUS_FUEL_EXHAUSTED;
	}
	memcpy(mem->data + dst, t->input + off, n);
	if (mem->mt && n)
		svm_memtrack_dirty(mem->mt, dst, n);
	record_call(t, fi, args, res, 1);
	return 0;
}

static int h_output_write(struct svm_exec *ex, struct svm_funcinst *fi,
			  uint64_t *args, uint64_t *res, int *code)
{
	struct svm_task *t = fi->host_ctx;
	struct svm_memory *mem = task_mem(t);
	uint32_t src = (uint32_t)args[0], len = (uint32_t)args[1];

	res[0] = 0;
	if (!mem || (uint64_t)src + len > mem->bytes) {
		record_call(t, fi, args, res, 0);
		*code = SYNAPSE_TRAP_MEMORY_OOB;
		return SYNAPSE_STATUS_TRAP;
	}
	if (t->out_len + len > t->p.lim.max_output) {
		record_call(t, fi, args, res, 0);
		*code = SYNAPSE_TRAP_OUTPUT_LIMIT;
		return SYNAPSE_STATUS_TRAP;
	}
	if (!host_charge(t, len)) {
		record_call(t, fi, args, res, 0);
		return SYNAPSE_STATUS_FUEL_EXHAUSTED;
	}
	if (!len) {
		record_call(t, fi, args, res, 1);
		return 0;
	}
	if (t->out_len + len > t->out_cap) {
		uint64_t cap = t->out_cap ? t->out_cap : 4096;
		uint8_t *b;

		while (cap < t->out_len + len)
			cap *= 2;
		b = svm_valloc(cap);
		if (!b) {
			t->err = -SVM_ENOMEM;
			*code = SYNAPSE_TRAP_OUTPUT_LIMIT;
			return SYNAPSE_STATUS_TRAP;
		}
		if (t->out)
			memcpy(b, t->out, t->out_len);
		svm_vfree(t->out);
		t->out = b;
		t->out_cap = cap;
	}
	memcpy(t->out + t->out_len, mem->data + src, len);
	t->out_len += len;
	record_call(t, fi, args, res, 1);
	return 0;
}

static int h_abort(struct svm_exec *ex, struct svm_funcinst *fi,
		   uint64_t *args, uint64_t *res, int *code)
{
	struct svm_task *t = fi->host_ctx;

	record_call(t, fi, args, res, 0);
	*code = (int32_t)(uint32_t)args[0];
	return SYNAPSE_STATUS_ABORTED;
}

static int cap_holds(struct svm_task *t, int where, int32_t op)
{
	if (!t->host.cap_check)
		return 1;
	return !t->host.cap_check(t->host.ctx, t, where, op);
}

static int h_cap_check(struct svm_exec *ex, struct svm_funcinst *fi,
		       uint64_t *args, uint64_t *res, int *code)
{
	struct svm_task *t = fi->host_ctx;

	if (!cap_holds(t, SVM_CAP_CALL, (int32_t)(uint32_t)args[0])) {
		record_call(t, fi, args, res, 0);
		return SYNAPSE_STATUS_REVOKED;
	}
	res[0] = 1;
	record_call(t, fi, args, res, 1);
	return 0;
}

static const struct {
	const char *name;
	svm_host_fn fn;
	uint8_t np, nr;
} host_abi[] = {
	{ "input_len", h_input_len, 0, 1 },
	{ "input_read", h_input_read, 3, 1 },
	{ "output_write", h_output_write, 2, 1 },
	{ "abort", h_abort, 1, 0 },
	{ "cap_check", h_cap_check, 1, 1 },
};

static const uint8_t i32x4[4] = { SVM_T_I32, SVM_T_I32, SVM_T_I32, SVM_T_I32 };

/* Every import must be one of the ABI's functions with its signature. */
static int link_abi(struct svm_task *t, struct svm_extern *exts,
		    struct svm_error *err)
{
	const struct svm_module *m = t->mod;
	uint32_t i, k;

	for (i = 0; i < m->nimports; i++) {
		const struct svm_import *im = &m->imports[i];
		struct svm_functype ft;
		bool ok = im->kind == SVM_EXT_FUNC &&
			  im->mlen == strlen(SYNAPSE_ABI_MODULE) &&
			  !memcmp(im->module, SYNAPSE_ABI_MODULE, im->mlen);

		for (k = 0; ok && k < ARRAY_SIZE(host_abi); k++)
			if (im->nlen == strlen(host_abi[k].name) &&
			    !memcmp(im->name, host_abi[k].name, im->nlen))
				break;
		if (!ok || k == ARRAY_SIZE(host_abi)) {
			svm_set_error(err, 0, "unknown import %.*s.%.*s (not in the host ABI)",
				      (int)im->mlen, im->module,
				      (int)im->nlen, im->name);
			err->link = true;
			return -1;
		}
		ft.nparams = host_abi[k].np;
		ft.nresults = host_abi[k].nr;
		ft.types = (uint8_t *)i32x4;
		{
			const struct svm_functype *want = &m->types[im->type];

			if (want->nparams != ft.nparams ||
			    want->nresults != ft.nresults ||
			    memcmp(want->types, i32x4, ft.nparams + ft.nresults)) {
				svm_set_error(err, 0, "import %.*s.%.*s has the wrong signature",
					      (int)im->mlen, im->module,
					      (int)im->nlen, im->name);
				err->link = true;
				return -1;
			}
		}
		exts[i].kind = SVM_EXT_FUNC;
		exts[i].ptr = svm_store_host_func(&t->store, &ft, host_abi[k].fn,
						  t, i);
		if (!exts[i].ptr) {
			svm_set_error(err, 0, "out of memory");
			return -1;
		}
	}
	return 0;
}

/* ---- state digest ---- */

static uint32_t func_index(const struct svm_funcinst *fn)
{
	const struct svm_module *m = fn->inst->mod;

	return (uint32_t)(fn->code - m->funcs) + m->nfunc_imports;
}

static void hash_frame_values(struct svm_hasher *h, const struct svm_funcinst *fn,
			      const uint64_t *fp, uint32_t height)
{
	const struct svm_func *f = fn->code;
	uint32_t i;

	svm_hash_u32(h, f->nlocals);
	for (i = 0; i < f->nlocals; i++)
		svm_hash_u64(h, fp[i]);
	svm_hash_u32(h, height);
	for (i = 0; i < height; i++)
		svm_hash_u64(h, fp[f->nlocals + f->nconsts + i]);
}

/*
 * Where the top frame stands: at a block's fuel op (its first instruction)
 * or just after a host call (the call's offset; results pushed).
 */
static void top_pc(const struct svm_task *t, bool host, uint32_t *off,
		   uint32_t *height)
{
	const struct svm_exec *ex = &t->ex;
	uint64_t packed = host ? ex->ip[-1].u : ex->ip[2].u;

	*off = SVM_PC_OFF(packed);
	*height = SVM_PC_HEIGHT(packed);
	if (host)
		*height += t->nresults_host;
}

static int state_digest(struct svm_task *t, bool host, const uint8_t *mroot,
			uint8_t out[SVM_SHA256_LEN])
{
	const struct svm_exec *ex = &t->ex;
	const struct svm_instance *in = t->inst;
	struct svm_memory *mem = in->mem;
	struct svm_hasher h;
	uint32_t off, height, i, k;

	top_pc(t, host, &off, &height);
	svm_hash_begin(&h, "state");
	svm_hash_u64(&h, ex->fuel_used);
	svm_hash_u32(&h, func_index(ex->fn));
	svm_hash_u32(&h, off);
	/* value stack: every frame's locals and operands, bottom first */
	svm_hash_u32(&h, ex->nframes + 1);
	for (i = 0; i < ex->nframes; i++) {
		const struct svm_frame *fr = &ex->frames[i];

		hash_frame_values(&h, fr->fn, fr->fp,
				  SVM_PC_HEIGHT(fr->ip[-1].u));
	}
	hash_frame_values(&h, ex->fn, ex->fp, height);
	/* call stack: the frames below the top, at their call sites */
	svm_hash_u32(&h, ex->nframes);
	for (i = 0; i < ex->nframes; i++) {
		const struct svm_frame *fr = &ex->frames[i];

		svm_hash_u32(&h, func_index(fr->fn));
		svm_hash_u32(&h, SVM_PC_OFF(fr->ip[-1].u));
	}
	svm_hash_u32(&h, in->mod->nglobals);
	for (i = 0; i < in->mod->nglobals; i++)
		svm_hash_u64(&h, in->globals[i]->val);
	svm_hash_u32(&h, in->mod->ntables);
	for (i = 0; i < in->mod->ntables; i++) {
		const struct svm_table *tb = in->tables[i];

		svm_hash_u32(&h, tb->size);
		for (k = 0; k < tb->size; k++)
			svm_hash_u64(&h, tb->elems[k]);
	}
	svm_hash_u32(&h, mem ? mem->pages : 0);
	svm_hash_raw(&h, mroot, SVM_SHA256_LEN);
	return svm_hash_end(&h, out);
}

/* ---- checkpoints ---- */

static void snap_free(struct svm_snap *s)
{
	uint32_t i;

	svm_vfree(s->frames);
	svm_vfree(s->stack);
	svm_free(s->globals);
	svm_free(s->table_sizes);
	if (s->tables)
		for (i = 0; s->tables[i]; i++)
			svm_vfree(s->tables[i]);
	svm_free(s->tables);
	svm_free(s->elem_dropped);
	svm_free(s->data_dropped);
	memset(s, 0, sizeof(*s));
}

static int snap_save(struct svm_task *t, struct svm_snap *s)
{
	const struct svm_exec *ex = &t->ex;
	const struct svm_instance *in = t->inst;
	const struct svm_module *m = in->mod;
	uint64_t top = (uint64_t)(ex->fp - ex->stack) + ex->fn->code->frame_slots;
	uint32_t i;

	s->seq = t->seq;
	s->fuel_used = ex->fuel_used;
	s->next_cp = ex->next_cp;
	memcpy(s->trace, t->trace, SVM_SHA256_LEN);
	s->out_len = t->out_len;
	s->ip = ex->ip;
	s->fn = ex->fn;
	s->fp_off = (uint64_t)(ex->fp - ex->stack);
	s->nframes = ex->nframes;
	s->pages = in->mem ? in->mem->pages : 0;
	if (top > ex->stack_slots)
		top = ex->stack_slots;
	s->nstack = top;
	s->frames = svm_valloc(((size_t)ex->nframes + 1) * sizeof(*s->frames));
	s->stack = svm_valloc((size_t)top * 8 + 8);
	s->globals = svm_alloc(((size_t)m->nglobals + 1) * 8);
	s->table_sizes = svm_alloc(((size_t)m->ntables + 1) * 4);
	s->tables = svm_alloc(((size_t)m->ntables + 1) * sizeof(*s->tables));
	s->elem_dropped = svm_alloc((size_t)m->nelems + 1);
	s->data_dropped = svm_alloc((size_t)m->ndatas + 1);
	if (!s->frames || !s->stack || !s->globals || !s->table_sizes ||
	    !s->tables || !s->elem_dropped || !s->data_dropped)
		goto out_nomem;
	memcpy(s->frames, ex->frames, (size_t)ex->nframes * sizeof(*s->frames));
	memcpy(s->stack, ex->stack, (size_t)top * 8);
	for (i = 0; i < m->nglobals; i++)
		s->globals[i] = in->globals[i]->val;
	for (i = 0; i < m->ntables; i++) {
		s->table_sizes[i] = in->tables[i]->size;
		s->tables[i] = svm_valloc((size_t)in->tables[i]->size * 8 + 8);
		if (!s->tables[i])
			goto out_nomem;
		memcpy(s->tables[i], in->tables[i]->elems,
		       (size_t)in->tables[i]->size * 8);
	}
	memcpy(s->elem_dropped, in->elem_dropped, m->nelems);
	memcpy(s->data_dropped, in->data_dropped, m->ndatas);
	return 0;
out_nomem:
	snap_free(s);
	return -SVM_ENOMEM;
}

/* Records checkpoint digest d and its fuel position (for bisecting). */
static int push_digest(struct svm_task *t, const uint8_t *d)
{
	if (t->ndigests == t->cdigests) {
		uint64_t c = t->cdigests ? t->cdigests * 2 : 64;
		uint8_t (*a)[SVM_SHA256_LEN] = svm_valloc((size_t)c * SVM_SHA256_LEN);
		uint64_t *f = svm_valloc((size_t)c * sizeof(*f));

		if (!a || !f) {
			svm_vfree(a);
			svm_vfree(f);
			return -SVM_ENOMEM;
		}
		if (t->digests) {
			memcpy(a, t->digests, (size_t)t->ndigests * SVM_SHA256_LEN);
			memcpy(f, t->cp_fuel, (size_t)t->ndigests * sizeof(*f));
		}
		svm_vfree(t->digests);
		svm_vfree(t->cp_fuel);
		t->digests = a;
		t->cp_fuel = f;
		t->cdigests = c;
	}
	t->cp_fuel[t->ndigests] = t->ex.fuel_used;
	memcpy(t->digests[t->ndigests++], d, SVM_SHA256_LEN);
	return 0;
}

/* Take checkpoint t->seq + 1 (or 0, the first); extend the trace chain. */
static int take_checkpoint(struct svm_task *t, bool host)
{
	struct svm_memory *mem = t->inst->mem;
	uint8_t root[SVM_SHA256_LEN] = {}, digest[SVM_SHA256_LEN];
	uint64_t seq = t->ndigests ? t->seq + 1 : 0;
	struct svm_hasher h;
	struct svm_snap *s;
	int err;

	if (mem) {
		err = svm_memtrack_checkpoint(&t->mt, mem->data, mem->pages << 4,
					      seq, root);
		if (err)
			return err;
	}
	if (state_digest(t, host, root, digest))
		return -SVM_EIO;
	t->seq = seq;
	if (push_digest(t, digest))
		return -SVM_ENOMEM;
	/* the link: previous link, k, digest, host calls since */
	svm_hash_begin(&h, "trace");
	svm_hash_raw(&h, t->trace, SVM_SHA256_LEN);
	svm_hash_u64(&h, seq);
	svm_hash_raw(&h, digest, SVM_SHA256_LEN);
	svm_hash_u32(&h, t->ncalls);
	svm_hash_raw(&h, t->calls, t->calls_len);
	if (svm_hash_end(&h, t->trace))
		return -SVM_EIO;
	t->calls_len = 0;
	t->ncalls = 0;
	if (t->err)
		return t->err;

	if (!t->p.lim.keep)
		return 0;
	if (t->nsnaps == t->p.lim.keep) {
		snap_free(&t->snaps[0]);
		memmove(&t->snaps[0], &t->snaps[1],
			(size_t)(t->nsnaps - 1) * sizeof(*t->snaps));
		memset(&t->snaps[t->nsnaps - 1], 0, sizeof(*t->snaps));
		t->nsnaps--;
	}
	s = &t->snaps[t->nsnaps];
	err = snap_save(t, s);
	if (err)
		return err;
	t->nsnaps++;
	return 0;
}

static void finish(struct svm_task *t)
{
	struct svm_exec *ex = &t->ex;
	struct svm_hasher h;

	if (t->done)
		return;
	t->done = true;
	if (!t->p.meter)
		return;
	svm_hash_begin(&h, "trace-final");
	svm_hash_raw(&h, t->trace, SVM_SHA256_LEN);
	svm_hash_u64(&h, t->seq);
	svm_hash_u32(&h, t->ncalls);
	svm_hash_raw(&h, t->calls, t->calls_len);
	svm_hash_u32(&h, (uint32_t)ex->status);
	svm_hash_u32(&h, (uint32_t)ex->code);
	svm_hash_u64(&h, ex->fuel_used);
	svm_hash_end(&h, t->trace_hash);

	svm_hash_begin(&h, "output");
	svm_hash_u32(&h, (uint32_t)ex->status);
	svm_hash_u32(&h, (uint32_t)ex->code);
	svm_hash_bytes(&h, t->out, t->out_len);
	svm_hash_end(&h, t->output_hash);
}

static void fail_internal(struct svm_task *t)
{
	/* an engine-side failure (memory): end as killed, never as a result */
	t->ex.status = SYNAPSE_STATUS_KILLED;
	t->ex.code = t->err ? t->err : -SVM_EIO;
	t->ex.active = false;
}

static int on_checkpoint(struct svm_exec *ex, bool host)
{
	struct svm_task *t = ex->owner;
	int err = take_checkpoint(t, host);

	if (err) {
		t->err = err;
		fail_internal(t);
		return err;
	}
	if (!cap_holds(t, SVM_CAP_CHECKPOINT, -1)) {
		ex->status = SYNAPSE_STATUS_REVOKED;
		ex->code = 0;
		ex->active = false;
	}
	return 0;
}

static int host_checkpoint(struct svm_exec *ex, bool host)
{
	struct svm_task *t = ex->owner;

	t->nresults_host = ex->last_host ? ex->last_host->type->nresults : 0;
	return on_checkpoint(ex, host);
}

/* Start the entry after instantiation (and the start function, if any). */
static int begin_entry(struct svm_task *t)
{
	const struct svm_task_params *p = &t->p;

	if (svm_exec_start(&t->ex, t->entry, p->args, p->nargs, 0))
		return -SVM_ENOMEM;
	if (p->meter) {
		t->ex.cp_every = p->lim.checkpoint_every;
		t->ex.next_cp = t->ex.fuel_used + p->lim.checkpoint_every;
		t->ex.checkpoint = host_checkpoint;
		/* checkpoint 0: the state right after instantiation */
		if (t->ex.active && take_checkpoint(t, false))
			return -SVM_ENOMEM;
	}
	if (t->ex.active && !cap_holds(t, SVM_CAP_START, -1)) {
		t->ex.status = SYNAPSE_STATUS_REVOKED;
		t->ex.active = false;
	}
	return 0;
}

/*
 * A slice of the start function. When it returns, the entry begins; its
 * first slice is the caller's next svm_task_run() (SVM_RUN_YIELD), unless
 * the caller runs without slices (budget 0) or the task already ended.
 */
static int run_start(struct svm_task *t, uint64_t budget)
{
	int err;

	if (svm_exec_run(&t->ex, budget) == SVM_RUN_YIELD)
		return SVM_RUN_YIELD;
	t->in_start = false;
	/* a trap, fuel exhaustion or revocation in it ends the task */
	if (t->ex.status != SYNAPSE_STATUS_OK)
		return SVM_RUN_DONE;
	err = begin_entry(t);
	if (err) {
		t->err = err;
		fail_internal(t);
	}
	return t->ex.active && budget ? SVM_RUN_YIELD : SVM_RUN_DONE;
}

struct svm_task *svm_task_create(const struct svm_module *m,
				 const struct svm_task_params *p,
				 const struct svm_task_host *host,
				 struct svm_error *err)
{
	struct svm_extern *exts = NULL;
	struct svm_task *t;
	struct svm_extern ext;
	bool trapped;
	uint32_t i;

	memset(err, 0, sizeof(*err));
	err->section = -1;
	err->func = -1;
	if (m->meter != p->meter || p->nargs > SVM_MAX_ARGS) {
		svm_set_error(err, 0, "bad task parameters");
		return NULL;
	}
	t = svm_alloc(sizeof(*t));
	if (!t)
		goto out_nomem;
	t->mod = m;
	t->p = *p;
	if (!t->p.entry)
		t->p.entry = "run";
	if (host)
		t->host = *host;
	t->input = svm_valloc(p->input_len + 1);
	t->snaps = svm_alloc(((size_t)p->lim.keep + 1) * sizeof(*t->snaps));
	exts = svm_alloc(((size_t)m->nimports + 1) * sizeof(*exts));
	if (!t->input || !t->snaps || !exts)
		goto out_free_task;
	if (p->input_len)
		memcpy(t->input, p->input, p->input_len);
	t->p.input = t->input;
	svm_store_init(&t->store, p->lim.max_pages, p->lim.max_table);
	if (svm_exec_init(&t->ex, p->lim.stack_slots, p->lim.max_frames))
		goto out_free_task;
	t->ex.meter = p->meter;
	t->ex.owner = t;
	t->ex.keep_fuel = true;
	t->ex.fuel_limit = p->meter ? p->lim.fuel : UINT64_MAX / 4;
	if (p->meter && svm_task_input_hash(m->id, &t->p, t->input_hash))
		goto out_free_task;
	if (link_abi(t, exts, err))
		goto out_fail;

	if (p->meter) {
		if (svm_memtrack_init(&t->mt, p->lim.max_pages << 4, p->lim.keep))
			goto out_free_task;
		t->have_mt = true;
	}
	if (p->meter) {
		struct svm_hasher h;

		/* t0 = H(tag, task input hash) */
		svm_hash_begin(&h, "trace");
		svm_hash_raw(&h, t->input_hash, SVM_SHA256_LEN);
		if (svm_hash_end(&h, t->trace))
			goto out_free_task;
	}
	t->inst = svm_instantiate(&t->store, m, exts, NULL, err, &trapped);
	if (!t->inst) {
		if (!trapped)
			goto out_fail;
		/* a trap in segment initialisation ends the task */
		t->ex.status = SYNAPSE_STATUS_TRAP;
		t->ex.code = err->trap;
		t->ex.active = false;
		goto out_done;
	}
	if (svm_instance_export(t->inst, t->p.entry, &ext) ||
	    ext.kind != SVM_EXT_FUNC) {
		svm_set_error(err, 0, "no exported function \"%s\"", t->p.entry);
		goto out_fail;
	}
	t->entry = ext.ptr;
	if (!t->entry->code) {
		/* a re-exported import: a task runs the module's own code */
		svm_set_error(err, 0, "entry \"%s\" is an imported function",
			      t->p.entry);
		goto out_fail;
	}
	if (t->entry->type->nparams != p->nargs ||
	    t->entry->type->nresults > SVM_MAX_ARGS) {
		svm_set_error(err, 0, "entry \"%s\" takes %u arguments, %u given",
			      t->p.entry, t->entry->type->nparams, p->nargs);
		goto out_fail;
	}
	for (i = 0; i < p->nargs; i++) {
		if (t->entry->type->types[i] != p->arg_types[i]) {
			svm_set_error(err, 0, "entry \"%s\": argument %u has the wrong type",
				      t->p.entry, i);
			goto out_fail;
		}
	}
	if (t->inst->mem && p->meter) {
		t->inst->mem->mt = &t->mt;
		if (svm_memtrack_grow(&t->mt, t->inst->mem->pages << 4))
			goto out_free_task;
	}
	/*
	 * The start function: fuel and host calls count, before checkpoint 0.
	 * It runs in svm_task_run()'s slices like the entry, so a start
	 * function that loops is bounded by the caller's slices, not only by
	 * fuel; the entry begins when it returns.
	 */
	if (m->has_start) {
		if (svm_exec_start(&t->ex, t->inst->funcs[m->start], NULL, 0, 0))
			goto out_free_task;
		t->in_start = true;
	} else if (begin_entry(t)) {
		goto out_free_task;
	}
out_done:
	if (!t->ex.active)
		finish(t);
	svm_free(exts);
	return t;

out_nomem:
	svm_set_error(err, 0, "out of memory");
	return NULL;
out_free_task:
	if (!err->msg[0])
		svm_set_error(err, 0, "out of memory");
out_fail:
	svm_free(exts);
	svm_task_free(t);
	return NULL;
}

int svm_task_run(struct svm_task *t, uint64_t budget)
{
	int r;

	if (t->done)
		return SVM_RUN_DONE;
	if (t->in_start) {
		r = run_start(t, budget);
		if (r == SVM_RUN_YIELD)
			return r;
		if (!t->ex.active) {
			finish(t);
			return SVM_RUN_DONE;
		}
	}
	r = svm_exec_run(&t->ex, budget);
	if (r == SVM_RUN_YIELD)
		return r;
	if (t->ex.status == SYNAPSE_STATUS_OK) {
		uint32_t i, n = t->entry->type->nresults;

		t->nresults = n;
		for (i = 0; i < n; i++)
			t->results[i] = t->ex.results[i];
	}
	finish(t);
	return SVM_RUN_DONE;
}

void svm_task_stop(struct svm_task *t, int status)
{
	if (t->done)
		return;
	t->ex.status = status;
	t->ex.code = 0;
	t->ex.active = false;
	finish(t);
}

uint32_t svm_task_kept(const struct svm_task *t, uint64_t *seqs, uint32_t max)
{
	uint32_t i;

	for (i = 0; i < t->nsnaps && i < max; i++)
		seqs[i] = t->snaps[i].seq;
	return t->nsnaps;
}

static int restore_tables(struct svm_task *t, const struct svm_snap *s)
{
	const struct svm_module *m = t->inst->mod;
	uint32_t i;

	for (i = 0; i < m->ntables; i++) {
		struct svm_table *tb = t->inst->tables[i];

		/* tables only grow: the kept size fits the current array */
		if (s->table_sizes[i] > tb->size)
			return -SVM_EINVAL;
		memcpy(tb->elems, s->tables[i], (size_t)s->table_sizes[i] * 8);
		tb->size = s->table_sizes[i];
	}
	return 0;
}

int svm_task_restore(struct svm_task *t, uint64_t seq)
{
	struct svm_exec *ex = &t->ex;
	struct svm_memory *mem;
	const struct svm_module *m;
	struct svm_snap *s = NULL;
	uint32_t i, k, pages4k;
	int err;

	if (!t->inst || !t->p.meter)
		return -SVM_EINVAL;
	for (k = 0; k < t->nsnaps; k++) {
		if (t->snaps[k].seq == seq) {
			s = &t->snaps[k];
			break;
		}
	}
	if (!s)
		return -SVM_ENOENT;
	m = t->inst->mod;
	mem = t->inst->mem;
	if (mem) {
		err = svm_memtrack_restore(&t->mt, seq, mem->data, &pages4k);
		if (err)
			return err;
		mem->pages = pages4k >> 4;
		mem->bytes = (uint64_t)mem->pages << 16;
	}
	err = restore_tables(t, s);
	if (err)
		return err;
	memcpy(ex->stack, s->stack, (size_t)s->nstack * 8);
	memcpy(ex->frames, s->frames, (size_t)s->nframes * sizeof(*s->frames));
	ex->nframes = s->nframes;
	ex->ip = s->ip;
	ex->fn = s->fn;
	ex->fp = ex->stack + s->fp_off;
	ex->fuel_used = s->fuel_used;
	ex->next_cp = s->next_cp;
	ex->status = SYNAPSE_STATUS_RUNNING;
	ex->code = 0;
	ex->active = true;
	ex->host_fi = NULL;
	for (i = 0; i < m->nglobals; i++)
		t->inst->globals[i]->val = s->globals[i];
	memcpy(t->inst->elem_dropped, s->elem_dropped, m->nelems);
	memcpy(t->inst->data_dropped, s->data_dropped, m->ndatas);
	t->out_len = s->out_len;
	t->seq = seq;
	t->ndigests = seq + 1;
	memcpy(t->trace, s->trace, SVM_SHA256_LEN);
	t->calls_len = 0;
	t->ncalls = 0;
	t->done = false;
	t->nresults = 0;
	memset(t->trace_hash, 0, sizeof(t->trace_hash));
	memset(t->output_hash, 0, sizeof(t->output_hash));
	/* later checkpoints are gone: the replay takes them again */
	while (t->nsnaps > k + 1)
		snap_free(&t->snaps[--t->nsnaps]);
	return 0;
}

void svm_task_free(struct svm_task *t)
{
	uint32_t i;

	if (!t)
		return;
	for (i = 0; t->snaps && i < t->nsnaps; i++)
		snap_free(&t->snaps[i]);
	svm_free(t->snaps);
	if (t->have_mt)
		svm_memtrack_destroy(&t->mt);
	svm_exec_destroy(&t->ex);
	svm_store_destroy(&t->store);
	svm_vfree(t->input);
	svm_vfree(t->out);
	svm_free(t->calls);
	svm_vfree(t->digests);
	svm_vfree(t->cp_fuel);
	svm_free(t);
}
