// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * instance.c - stores, linking, instantiation and the execution driver.
 *
 * A store owns every runtime object of a set of instances (one task, or
 * one spec-test script) and frees them together. svm_exec_run() drives the
 * interpreter: it sizes the fuel window so that the loop stops exactly at
 * the first basic block that would cross a checkpoint, a slice budget or
 * the fuel limit, and performs host calls outside the hot loop.
 */
#include "svm.h"
#include "memtrack.h"
#include <uapi/synapse_abi.h>

static int store_add_obj(struct svm_store *s, void *p)
{
	if (!p)
		return -1;
	if (s->nobjs == s->cobjs) {
		uint32_t n = s->cobjs ? s->cobjs * 2 : 32;
		void **a = svm_alloc((size_t)n * sizeof(*a));

		if (!a)
			return -1;
		if (s->objs)
			memcpy(a, s->objs, (size_t)s->nobjs * sizeof(*a));
		svm_free(s->objs);
		s->objs = a;
		s->cobjs = n;
	}
	s->objs[s->nobjs++] = p;
	return 0;
}

/* Objects are freed by kind: the first word of each tells which. */
#define OBJ_TABLE	1
#define OBJ_MEMORY	2
#define OBJ_GLOBAL	3
#define OBJ_INSTANCE	4
#define OBJ_FUNC	5

struct obj_hdr {
	uint32_t kind;
	uint32_t pad;
};

static void *obj_alloc(struct svm_store *s, uint32_t kind, size_t size)
{
	struct obj_hdr *h = svm_alloc(sizeof(*h) + size);

	if (!h)
		return NULL;
	h->kind = kind;
	if (store_add_obj(s, h)) {
		svm_free(h);
		return NULL;
	}
	return h + 1;
}

int svm_store_init(struct svm_store *s, uint32_t max_pages, uint32_t max_table)
{
	memset(s, 0, sizeof(*s));
	s->max_pages = max_pages ? max_pages : SVM_MAX_PAGES;
	s->max_table = max_table ? max_table : SVM_MAX_TABLE_SIZE;
	return 0;
}

void svm_store_destroy(struct svm_store *s)
{
	uint32_t i;

	for (i = 0; i < s->nobjs; i++) {
		struct obj_hdr *h = s->objs[i];
		void *o = h + 1;

		switch (h->kind) {
		case OBJ_TABLE:
			svm_vfree(((struct svm_table *)o)->elems);
			break;
		case OBJ_MEMORY:
			svm_vfree(((struct svm_memory *)o)->data);
			break;
		case OBJ_INSTANCE: {
			struct svm_instance *in = o;

			svm_free(in->funcs);
			svm_free(in->tables);
			svm_free(in->globals);
			svm_free(in->type_ids);
			svm_free(in->elem_dropped);
			svm_free(in->data_dropped);
			break;
		}
		}
		svm_free(h);
	}
	svm_free(s->objs);
	svm_free(s->funcs);
	for (i = 0; i < s->ntypes; i++)
		svm_free(s->types[i].types);
	svm_free(s->types);
	memset(s, 0, sizeof(*s));
}

static bool type_eq(const struct svm_functype *a, const struct svm_functype *b)
{
	return a->nparams == b->nparams && a->nresults == b->nresults &&
	       !memcmp(a->types, b->types, a->nparams + a->nresults);
}

/* Structural type identity for call_indirect: intern into the store. */
static int intern_type(struct svm_store *s, const struct svm_functype *t,
		       uint32_t *id)
{
	struct svm_functype *nt;
	uint32_t i, n = t->nparams + t->nresults;

	for (i = 0; i < s->ntypes; i++) {
		if (type_eq(&s->types[i], t)) {
			*id = i;
			return 0;
		}
	}
	if (s->ntypes == s->ctypes) {
		uint32_t c = s->ctypes ? s->ctypes * 2 : 16;
		struct svm_functype *a = svm_alloc((size_t)c * sizeof(*a));

		if (!a)
			return -1;
		if (s->types)
			memcpy(a, s->types, (size_t)s->ntypes * sizeof(*a));
		svm_free(s->types);
		s->types = a;
		s->ctypes = c;
	}
	nt = &s->types[s->ntypes];
	nt->types = svm_alloc(n + 1);
	if (!nt->types)
		return -1;
	memcpy(nt->types, t->types, n);
	nt->nparams = t->nparams;
	nt->nresults = t->nresults;
	*id = s->ntypes++;
	return 0;
}

static struct svm_funcinst *store_func(struct svm_store *s,
				       const struct svm_functype *ft)
{
	struct svm_funcinst *fi;
	uint32_t id;

	if (intern_type(s, ft, &id))
		return NULL;
	if (s->nfuncs == s->cfuncs) {
		uint32_t c = s->cfuncs ? s->cfuncs * 2 : 64;
		struct svm_funcinst **a = svm_alloc((size_t)c * sizeof(*a));

		if (!a)
			return NULL;
		if (s->funcs)
			memcpy(a, s->funcs, (size_t)s->nfuncs * sizeof(*a));
		svm_free(s->funcs);
		s->funcs = a;
		s->cfuncs = c;
	}
	fi = obj_alloc(s, OBJ_FUNC, sizeof(*fi));
	if (!fi)
		return NULL;
	fi->addr = s->nfuncs;
	fi->type_id = id;
	fi->type = &s->types[id];
	s->funcs[s->nfuncs++] = fi;
	return fi;
}

struct svm_funcinst *svm_store_host_func(struct svm_store *s,
					 const struct svm_functype *ft,
					 svm_host_fn fn, void *ctx,
					 uint32_t host_index)
{
	struct svm_funcinst *fi = store_func(s, ft);

	if (!fi)
		return NULL;
	fi->host = fn;
	fi->host_ctx = ctx;
	fi->host_index = host_index;
	return fi;
}

struct svm_table *svm_store_table(struct svm_store *s, uint8_t type,
				  uint32_t min, uint32_t max, bool has_max)
{
	struct svm_table *t;

	if (min > s->max_table)
		return NULL;
	t = obj_alloc(s, OBJ_TABLE, sizeof(*t));
	if (!t)
		return NULL;
	t->type = type;
	t->size = min;
	t->max = max;
	t->has_max = has_max;
	t->elems = svm_valloc(((size_t)min + 1) * 8);
	return t->elems ? t : NULL;
}

struct svm_memory *svm_store_memory(struct svm_store *s, uint32_t min,
				    uint32_t max, bool has_max)
{
	struct svm_memory *m;

	if (min > s->max_pages)
		return NULL;
	m = obj_alloc(s, OBJ_MEMORY, sizeof(*m));
	if (!m)
		return NULL;
	m->pages = min;
	m->bytes = (uint64_t)min << 16;
	m->max_pages = has_max ? max : SVM_MAX_PAGES;
	if (m->max_pages > s->max_pages)
		m->max_pages = s->max_pages;
	m->has_max = has_max;
	m->cap = m->bytes;
	m->data = svm_valloc(m->cap ? m->cap : 1);
	return m->data ? m : NULL;
}

struct svm_global *svm_store_global(struct svm_store *s, uint8_t type,
				    bool mut, uint64_t val)
{
	struct svm_global *g = obj_alloc(s, OBJ_GLOBAL, sizeof(*g));

	if (!g)
		return NULL;
	g->type = type;
	g->mut = mut;
	g->val = val;
	return g;
}

/* FNV-1a over every memory, table and global of the store (tests). */
uint64_t svm_store_fingerprint(const struct svm_store *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	uint32_t i;
	uint64_t k;

#define FNV(byte) (h = (h ^ (uint8_t)(byte)) * 0x100000001b3ull)
	for (i = 0; i < s->nobjs; i++) {
		const struct obj_hdr *hd = s->objs[i];
		const void *o = hd + 1;

		FNV(hd->kind);
		switch (hd->kind) {
		case OBJ_MEMORY: {
			const struct svm_memory *m = o;

			for (k = 0; k < m->bytes; k++)
				FNV(m->data[k]);
			FNV(m->pages);
			break;
		}
		case OBJ_TABLE: {
			const struct svm_table *t = o;

			for (k = 0; k < t->size; k++)
				FNV(t->elems[k] * 31 + (t->elems[k] >> 32));
			FNV(t->size);
			break;
		}
		case OBJ_GLOBAL: {
			const struct svm_global *g = o;

			for (k = 0; k < 8; k++)
				FNV(g->val >> (8 * k));
			break;
		}
		}
	}
#undef FNV
	return h;
}

bool svm_memory_grow(struct svm_memory *mem, uint32_t delta, uint32_t *old)
{
	uint64_t npages = (uint64_t)mem->pages + delta;
	uint64_t nbytes = npages << 16;

	*old = mem->pages;
	if (npages > mem->max_pages)
		return false;
	if (nbytes > mem->cap) {
		uint64_t cap = mem->cap ? mem->cap : 65536;
		uint8_t *p;

		while (cap < nbytes)
			cap *= 2;
		if (cap > (uint64_t)mem->max_pages << 16)
			cap = (uint64_t)mem->max_pages << 16;
		p = svm_valloc(cap);
		if (!p)
			return false;
		memcpy(p, mem->data, mem->bytes);
		svm_vfree(mem->data);
		mem->data = p;
		mem->cap = cap;
	}
	if (mem->mt && svm_memtrack_grow(mem->mt, (uint32_t)(npages << 4)))
		return false;
	mem->pages = (uint32_t)npages;
	mem->bytes = nbytes;
	return true;
}

bool svm_table_grow(struct svm_table *t, uint32_t delta, uint64_t init,
		    uint32_t limit, uint32_t *old)
{
	uint64_t n = (uint64_t)t->size + delta;
	uint64_t *e;
	uint32_t i;

	*old = t->size;
	if (n > (t->has_max ? t->max : UINT32_MAX) || n > limit)
		return false;
	if (delta) {
		e = svm_valloc((size_t)(n + 1) * 8);
		if (!e)
			return false;
		memcpy(e, t->elems, (size_t)t->size * 8);
		svm_vfree(t->elems);
		t->elems = e;
	}
	for (i = t->size; i < n; i++)
		t->elems[i] = init;
	t->size = (uint32_t)n;
	return true;
}

/* ---- instantiation ---- */

static bool limits_match(uint32_t min, uint32_t max, bool has_max,
			 const struct svm_limits *want)
{
	if (min < want->min)
		return false;
	if (want->has_max && (!has_max || max > want->max))
		return false;
	return true;
}

static int link_import(struct svm_instance *in, const struct svm_import *im,
		       const struct svm_extern *ext, struct svm_error *err)
{
	const struct svm_module *m = in->mod;

	if (!ext || !ext->ptr || ext->kind != im->kind) {
		svm_set_error(err, 0, "incompatible import type for %.*s.%.*s",
			      (int)im->mlen, im->module, (int)im->nlen, im->name);
		return -1;
	}
	switch (im->kind) {
	case SVM_EXT_FUNC: {
		struct svm_funcinst *fi = ext->ptr;

		if (!type_eq(fi->type, &m->types[im->type]))
			goto out_mismatch;
		return 0;
	}
	case SVM_EXT_TABLE: {
		struct svm_table *t = ext->ptr;

		if (t->type != im->vtype ||
		    !limits_match(t->size, t->max, t->has_max, &im->lim))
			goto out_mismatch;
		return 0;
	}
	case SVM_EXT_MEMORY: {
		struct svm_memory *mm = ext->ptr;

		if (!limits_match(mm->pages, mm->max_pages, mm->has_max, &im->lim))
			goto out_mismatch;
		return 0;
	}
	case SVM_EXT_GLOBAL: {
		struct svm_global *g = ext->ptr;

		if (g->type != im->vtype || g->mut != im->mut)
			goto out_mismatch;
		return 0;
	}
	}
out_mismatch:
	svm_set_error(err, 0, "incompatible import type for %.*s.%.*s",
		      (int)im->mlen, im->module, (int)im->nlen, im->name);
	return -1;
}

static uint64_t eval_cexpr(struct svm_instance *in, const struct svm_cexpr *e)
{
	switch (e->op) {
	case 0x41:
	case 0x42:
		return e->val;
	case 0xd2:
		return (uint64_t)in->funcs[e->idx]->addr + 1;
	case 0x23:
		return in->globals[e->idx]->val;
	default:
		return 0;
	}
}

static int alloc_instance_arrays(struct svm_instance *in,
				 const struct svm_module *m)
{
	in->funcs = svm_alloc(((size_t)m->nfuncs + 1) * sizeof(*in->funcs));
	in->tables = svm_alloc(((size_t)m->ntables + 1) * sizeof(*in->tables));
	in->globals = svm_alloc(((size_t)m->nglobals + 1) * sizeof(*in->globals));
	in->type_ids = svm_alloc(((size_t)m->ntypes + 1) * sizeof(uint32_t));
	in->elem_dropped = svm_alloc((size_t)m->nelems + 1);
	in->data_dropped = svm_alloc((size_t)m->ndatas + 1);
	if (!in->funcs || !in->tables || !in->globals || !in->type_ids ||
	    !in->elem_dropped || !in->data_dropped)
		return -1;
	return 0;
}

static int create_defs(struct svm_store *s, struct svm_instance *in,
		       struct svm_error *err)
{
	const struct svm_module *m = in->mod;
	uint32_t i;

	for (i = 0; i < m->ntypes; i++)
		if (intern_type(s, &m->types[i], &in->type_ids[i]))
			goto out_nomem;
	for (i = m->nfunc_imports; i < m->nfuncs; i++) {
		struct svm_funcinst *fi;

		fi = store_func(s, &m->types[m->func_types[i]]);
		if (!fi)
			goto out_nomem;
		fi->inst = in;
		fi->code = &m->funcs[i - m->nfunc_imports];
		in->funcs[i] = fi;
	}
	for (i = m->ntable_imports; i < m->ntables; i++) {
		const struct svm_tabledef *t = &m->tables[i];

		in->tables[i] = svm_store_table(s, t->type, t->lim.min,
						t->lim.max, t->lim.has_max);
		if (!in->tables[i]) {
			svm_set_error(err, 0, "table %u too large (limit %u)", i,
				      s->max_table);
			return -1;
		}
	}
	if (m->nmems && !m->nmem_imports) {
		in->mem = svm_store_memory(s, m->mem.min, m->mem.max,
					   m->mem.has_max);
		if (!in->mem) {
			svm_set_error(err, 0, "memory too large (%u pages, limit %u)",
				      m->mem.min, s->max_pages);
			return -1;
		}
	}
	for (i = m->nglobal_imports; i < m->nglobals; i++) {
		const struct svm_globaldef *g = &m->globals[i];

		in->globals[i] = svm_store_global(s, g->type, g->mut,
						  eval_cexpr(in, &g->init));
		if (!in->globals[i])
			goto out_nomem;
	}
	return 0;
out_nomem:
	svm_set_error(err, 0, "out of memory");
	return -1;
}

/* Active segments in order, then drops: Wasm 2.0 instantiation. */
static int init_segments(struct svm_instance *in, struct svm_error *err)
{
	const struct svm_module *m = in->mod;
	uint32_t i, k;

	for (i = 0; i < m->nelems; i++) {
		const struct svm_elemseg *es = &m->elems[i];
		struct svm_table *t;
		uint32_t off;

		if (es->mode == SVM_SEG_PASSIVE)
			continue;
		in->elem_dropped[i] = 1;
		if (es->mode != SVM_SEG_ACTIVE)
			continue;
		t = in->tables[es->table];
		off = (uint32_t)eval_cexpr(in, &es->offset);
		if ((uint64_t)off + es->n > t->size) {
			svm_set_error(err, 0, "out of bounds table access (element segment %u)", i);
			return SYNAPSE_TRAP_TABLE_OOB;
		}
		for (k = 0; k < es->n; k++)
			t->elems[off + k] = eval_cexpr(in, &es->items[k]);
	}
	for (i = 0; i < m->ndatas; i++) {
		const struct svm_dataseg *ds = &m->datas[i];
		uint32_t off;

		if (ds->mode != SVM_SEG_ACTIVE)
			continue;
		in->data_dropped[i] = 1;
		off = (uint32_t)eval_cexpr(in, &ds->offset);
		if ((uint64_t)off + ds->len > in->mem->bytes) {
			svm_set_error(err, 0, "out of bounds memory access (data segment %u)", i);
			return SYNAPSE_TRAP_MEMORY_OOB;
		}
		memcpy(in->mem->data + off, ds->bytes, ds->len);
		if (in->mem->mt && ds->len)
			svm_memtrack_dirty(in->mem->mt, off, ds->len);
	}
	return 0;
}

struct svm_instance *svm_instantiate(struct svm_store *s,
				     const struct svm_module *m,
				     const struct svm_extern *imports,
				     struct svm_exec *ex,
				     struct svm_error *err, bool *trapped)
{
	struct svm_instance *in;
	uint32_t i, nf = 0, nt = 0, ng = 0;
	int code;

	*trapped = false;
	memset(err, 0, sizeof(*err));
	err->section = -1;
	err->func = -1;
	in = obj_alloc(s, OBJ_INSTANCE, sizeof(*in));
	if (!in || alloc_instance_arrays(in, m)) {
		svm_set_error(err, 0, "out of memory");
		return NULL;
	}
	in->store = s;
	in->mod = m;
	for (i = 0; i < m->nimports; i++) {
		const struct svm_import *im = &m->imports[i];

		if (link_import(in, im, &imports[i], err)) {
			err->link = true;
			return NULL;
		}
		switch (im->kind) {
		case SVM_EXT_FUNC:
			in->funcs[nf++] = imports[i].ptr;
			break;
		case SVM_EXT_TABLE:
			in->tables[nt++] = imports[i].ptr;
			break;
		case SVM_EXT_MEMORY:
			in->mem = imports[i].ptr;
			break;
		case SVM_EXT_GLOBAL:
			in->globals[ng++] = imports[i].ptr;
			break;
		}
	}
	if (create_defs(s, in, err))
		return NULL;
	code = init_segments(in, err);
	if (code) {
		err->trap = code;
		*trapped = true;
		return NULL;
	}
	if (m->has_start && ex) {
		if (svm_exec_start(ex, in->funcs[m->start], NULL, 0,
				   ex->fuel_limit ? ex->fuel_limit : UINT64_MAX / 4) ||
		    svm_exec_run(ex, 0) != SVM_RUN_DONE ||
		    ex->status != SYNAPSE_STATUS_OK) {
			svm_set_error(err, 0, "start function failed: status %d code %d",
				      ex->status, ex->code);
			*trapped = true;
			return NULL;
		}
	}
	return in;
}

int svm_instance_export(const struct svm_instance *in, const char *name,
			struct svm_extern *out)
{
	return svm_instance_export_n(in, name, strlen(name), out);
}

int svm_instance_export_n(const struct svm_instance *in, const char *name,
			  size_t n, struct svm_extern *out)
{
	const struct svm_module *m = in->mod;
	uint32_t i;

	for (i = 0; i < m->nexports; i++) {
		const struct svm_export *e = &m->exports[i];

		if (e->nlen != n || memcmp(e->name, name, n))
			continue;
		out->kind = e->kind;
		switch (e->kind) {
		case SVM_EXT_FUNC:
			out->ptr = in->funcs[e->idx];
			break;
		case SVM_EXT_TABLE:
			out->ptr = in->tables[e->idx];
			break;
		case SVM_EXT_MEMORY:
			out->ptr = in->mem;
			break;
		case SVM_EXT_GLOBAL:
			out->ptr = in->globals[e->idx];
			break;
		}
		return 0;
	}
	return -1;
}

/* ---- execution driver ---- */

int svm_exec_init(struct svm_exec *ex, uint32_t stack_slots,
		  uint32_t max_frames)
{
	memset(ex, 0, sizeof(*ex));
	ex->stack = svm_valloc((size_t)stack_slots * 8);
	ex->frames = svm_valloc(((size_t)max_frames + 1) * sizeof(*ex->frames));
	if (!ex->stack || !ex->frames) {
		svm_exec_destroy(ex);
		return -1;
	}
	ex->stack_slots = stack_slots;
	ex->max_frames = max_frames;
	ex->meter = true;
	return 0;
}

void svm_exec_destroy(struct svm_exec *ex)
{
	svm_vfree(ex->stack);
	svm_vfree(ex->frames);
	ex->stack = NULL;
	ex->frames = NULL;
}

int svm_exec_start(struct svm_exec *ex, struct svm_funcinst *fi,
		   const uint64_t *args, uint32_t nargs, uint64_t fuel)
{
	const struct svm_functype *t = fi->type;
	const struct svm_func *f = fi->code;

	if (nargs != t->nparams)
		return -1;
	if (!ex->keep_fuel) {
		ex->fuel_limit = fuel;
		ex->fuel_used = 0;
		ex->next_cp = ex->cp_every;
	}
	ex->status = SYNAPSE_STATUS_RUNNING;
	ex->code = 0;
	ex->nframes = 0;
	ex->fn = fi;
	ex->fp = ex->stack;
	ex->results = ex->stack;
	ex->host_fi = NULL;
	if (nargs)
		memcpy(ex->stack, args, (size_t)nargs * 8);
	if (fi->host) {
		/* a host function called directly: no frame of its own */
		if (t->nresults + nargs > ex->stack_slots)
			return -1;
		ex->host_fi = fi;
		ex->host_args = ex->stack;
		ex->ip = NULL;
		ex->active = true;
		return 0;
	}
	if (f->frame_slots > ex->stack_slots) {
		ex->status = SYNAPSE_STATUS_TRAP;
		ex->code = SYNAPSE_TRAP_STACK_EXHAUSTED;
		ex->active = false;
		return 0;
	}
	if (f->nlocals > t->nparams)
		memset(ex->stack + t->nparams, 0,
		       (size_t)(f->nlocals - t->nparams) * 8);
	if (f->nconsts)
		memcpy(ex->stack + f->nlocals, f->consts, (size_t)f->nconsts * 8);
	ex->ip = f->code;
	ex->active = true;
	return 0;
}

const uint64_t *svm_exec_results(const struct svm_exec *ex)
{
	return ex->results;
}

static void end_run(struct svm_exec *ex, int status, int code)
{
	ex->status = status;
	ex->code = code;
	ex->active = false;
}

/* Perform the pending host call; its results replace its arguments. */
static int do_host_call(struct svm_exec *ex)
{
	struct svm_funcinst *fi = ex->host_fi;
	uint64_t args[16], *ap = args, *heap = NULL;
	uint32_t np = fi->type->nparams;
	int st, code = 0;

	if (np > 16) {
		heap = svm_alloc((size_t)np * 8);
		if (!heap)
			return SYNAPSE_STATUS_TRAP;
		ap = heap;
	}
	memcpy(ap, ex->host_args, (size_t)np * 8);
	st = fi->host(ex, fi, ap, ex->host_args, &code);
	svm_free(heap);
	ex->host_fi = NULL;
	ex->last_host = fi;
	if (st) {
		end_run(ex, st, code);
		return st;
	}
	return 0;
}

/* Host functions may charge fuel for their work (bytes moved). */
bool svm_exec_charge(struct svm_exec *ex, uint64_t n)
{
	if (!ex->meter)
		return true;
	if (ex->fuel_limit - ex->fuel_used < n)
		return false;
	ex->fuel_used += n;
	return true;
}

static int64_t window_for(struct svm_exec *ex, uint64_t budget,
			  uint64_t slice, uint64_t at_least)
{
	uint64_t w = ex->fuel_limit - ex->fuel_used;

	if (ex->cp_every)
		w = ex->next_cp > ex->fuel_used ?
		    (ex->next_cp - ex->fuel_used < w ? ex->next_cp - ex->fuel_used : w) : 0;
	if (budget)
		w = slice < budget ? (budget - slice < w ? budget - slice : w) : 0;
	if (w < at_least)
		w = at_least;
	if (w > (uint64_t)INT64_MAX / 2)
		w = (uint64_t)INT64_MAX / 2;
	return (int64_t)w;
}

int svm_exec_run(struct svm_exec *ex, uint64_t budget)
{
	uint64_t slice = 0, force = 0;

	if (!ex->active)
		return SVM_RUN_DONE;
	if (!ex->ip) {
		/* a directly invoked host function */
		if (!do_host_call(ex))
			end_run(ex, SYNAPSE_STATUS_OK, 0);
		ex->results = ex->stack;
		return SVM_RUN_DONE;
	}
	for (;;) {
		int64_t start = ex->meter ? window_for(ex, budget, slice, force)
					  : INT64_MAX / 2;
		int r;
		uint64_t spent;

		ex->window = start;
		force = 0;
		r = svm_interp(ex);
		spent = (uint64_t)(start - ex->window);
		if (ex->meter) {
			ex->fuel_used += spent;
			slice += spent;
		}
		if (r == SVM_RUN_DONE)
			return SVM_RUN_DONE;
		if (r == SVM_RUN_HOST) {
			if (do_host_call(ex))
				return SVM_RUN_DONE;
			if (ex->checkpoint && ex->checkpoint(ex, true)) {
				if (ex->active)
					end_run(ex, SYNAPSE_STATUS_TRAP, 0);
				return SVM_RUN_DONE;
			}
			continue;
		}
		/* SVM_RUN_BOUND: ex->ip is a fuel op whose block is unpaid */
		{
			uint64_t cost = (uint64_t)ex->ip[1].i;

			if (ex->fuel_limit - ex->fuel_used < cost) {
				end_run(ex, SYNAPSE_STATUS_FUEL_EXHAUSTED, 0);
				return SVM_RUN_DONE;
			}
			/*
			 * Yield before a checkpoint, so a resumed slice takes
			 * it at the very same boundary.
			 */
			if (budget && slice && slice + cost > budget)
				return SVM_RUN_YIELD;
			if (ex->cp_every && ex->fuel_used + cost > ex->next_cp) {
				ex->next_cp = ex->fuel_used + ex->cp_every;
				if (ex->checkpoint && ex->checkpoint(ex, false)) {
					if (ex->active)
						end_run(ex, SYNAPSE_STATUS_TRAP, 0);
					return SVM_RUN_DONE;
				}
				if (!ex->active)
					return SVM_RUN_DONE;
			}
			force = cost;
		}
	}
}
