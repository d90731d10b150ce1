// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * decode.c - the Wasm 2.0 binary decoder and module-level validator.
 *
 * One pass over the sections in their mandated order. Function bodies are
 * handed to compile.c, which validates and translates each in one go.
 * Everything outside the deterministic profile (f32/f64/v128 types and
 * instructions, shared memories) is refused with err->profile set.
 */
#include "svm.h"
#include "reader.h"
#include "hashenc.h"

void svm_set_error(struct svm_error *err, uint32_t off, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	err->offset = off;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

struct decoder {
	struct svm_reader r;
	struct svm_module *m;
	struct svm_error *err;
	uint32_t nfunc_decls;		/* function section count */
	bool seen_code;
};

#define dfail(d, ...)	rd_fail(&(d)->r, __VA_ARGS__)

static void *alloc_array(struct decoder *d, uint32_t n, size_t size)
{
	void *p;

	if (n > SVM_MAX_ITEMS) {
		dfail(d, "too many items (%u, limit %u)", n, SVM_MAX_ITEMS);
		return NULL;
	}
	p = svm_alloc((size_t)(n ? n : 1) * size);
	if (!p)
		dfail(d, "out of memory");
	return p;
}

/* A count that cannot exceed the bytes left (each item takes >= 1 byte). */
static uint32_t rd_count(struct decoder *d)
{
	uint32_t n = rd_u32(&d->r);

	if (!d->r.failed && n > (uint32_t)(d->r.end - d->r.p))
		dfail(d, "length out of bounds (%u items)", n);
	return n;
}

static const char *rd_name(struct decoder *d, uint32_t *len)
{
	uint32_t n = rd_u32(&d->r);
	const uint8_t *p = d->r.p;

	*len = 0;
	if (d->r.failed)
		return NULL;
	if (n > (uint32_t)(d->r.end - d->r.p)) {
		dfail(d, "unexpected end (name length %u)", n);
		return NULL;
	}
	if (!svm_utf8_valid(p, n)) {
		dfail(d, "malformed UTF-8 encoding");
		return NULL;
	}
	d->r.p += n;
	*len = n;
	return (const char *)p;
}

static void rd_limits(struct decoder *d, struct svm_limits *l, uint32_t bound,
		      const char *what)
{
	uint32_t off = rd_off(&d->r);
	uint8_t flags = rd_u8(&d->r);

	if (d->r.failed)
		return;
	if (flags == 2 || flags == 3) {
		svm_set_error(d->err, off,
			      "shared memory (threads) at offset %u is outside the deterministic profile",
			      off);
		d->err->profile = true;
		d->r.failed = true;
		return;
	}
	if (flags > 1) {
		dfail(d, "integer too large (limits flags 0x%02x)", flags);
		return;
	}
	l->has_max = flags;
	l->min = rd_u32(&d->r);
	if (flags)
		l->max = rd_u32(&d->r);
	if (d->r.failed)
		return;
	if (l->min > bound || (flags && l->max > bound)) {
		svm_set_error(d->err, off, "%s size must be at most %u", what,
			      bound);
		d->r.failed = true;
		return;
	}
	if (flags && l->min > l->max) {
		svm_set_error(d->err, off,
			      "size minimum must not be greater than maximum");
		d->r.failed = true;
	}
}

static uint8_t rd_reftype(struct decoder *d)
{
	uint8_t t = rd_u8(&d->r);

	if (!d->r.failed && !svm_is_ref(t)) {
		d->r.p--;
		dfail(d, "malformed reference type 0x%02x", t);
	}
	return t;
}

/* Globals visible to constant expressions: imported ones only (Wasm 2.0). */
static uint8_t global_type(struct svm_module *m, uint32_t idx, bool *mut)
{
	struct svm_globaldef *g = &m->globals[idx];

	*mut = g->mut;
	return g->type;
}

static void rd_cexpr(struct decoder *d, struct svm_cexpr *e, uint8_t want)
{
	struct svm_module *m = d->m;
	uint32_t off = rd_off(&d->r);
	uint8_t op = rd_u8(&d->r);
	bool mut;

	e->op = op;
	switch (op) {
	case 0x41:
		e->type = SVM_T_I32;
		e->val = (uint32_t)rd_sleb(&d->r, 32);
		break;
	case 0x42:
		e->type = SVM_T_I64;
		e->val = (uint64_t)rd_sleb(&d->r, 64);
		break;
	case 0xd0:
		e->type = rd_reftype(d);
		break;
	case 0xd2:
		e->type = SVM_T_FUNCREF;
		e->idx = rd_u32(&d->r);
		if (!d->r.failed && e->idx >= m->nfuncs) {
			svm_set_error(d->err, off, "unknown function %u", e->idx);
			d->r.failed = true;
			return;
		}
		if (!d->r.failed)
			m->func_declared[e->idx] = 1;
		break;
	case 0x23:
		e->idx = rd_u32(&d->r);
		if (d->r.failed)
			return;
		if (e->idx >= m->nglobal_imports) {
			svm_set_error(d->err, off, "unknown global %u", e->idx);
			d->r.failed = true;
			return;
		}
		e->type = global_type(m, e->idx, &mut);
		if (mut) {
			svm_set_error(d->err, off, "constant expression required");
			d->r.failed = true;
			return;
		}
		break;
	case 0x43:
	case 0x44:
		if (d->r.float_stubs) {
			/* the bits are never used: any float use traps */
			uint32_t k, n = op == 0x43 ? 4 : 8;

			e->type = op == 0x43 ? SVM_T_F32 : SVM_T_F64;
			for (k = 0; k < n; k++)
				rd_u8(&d->r);
			break;
		}
		svm_set_error(d->err, off,
			      "opcode 0x%02x (%s.const) at offset %u is outside the deterministic profile",
			      op, op == 0x43 ? "f32" : "f64", off);
		d->err->profile = true;
		d->r.failed = true;
		return;
	default:
		if (!d->r.failed) {
			svm_set_error(d->err, off,
				      "constant expression required (opcode 0x%02x)",
				      op);
			d->r.failed = true;
		}
		return;
	}
	off = rd_off(&d->r);
	if (rd_u8(&d->r) != 0x0b && !d->r.failed) {
		svm_set_error(d->err, off,
			      "constant expression required (END opcode expected)");
		d->r.failed = true;
		return;
	}
	if (!d->r.failed && want && e->type != want) {
		svm_set_error(d->err, off, "type mismatch in constant expression");
		d->r.failed = true;
	}
}

static void sec_type(struct decoder *d)
{
	struct svm_module *m = d->m;
	uint32_t i, j, np, nr;

	m->ntypes = rd_count(d);
	m->types = alloc_array(d, m->ntypes, sizeof(*m->types));
	for (i = 0; i < m->ntypes && !d->r.failed; i++) {
		struct svm_functype *t = &m->types[i];
		uint8_t form = rd_u8(&d->r);

		if (!d->r.failed && form != 0x60) {
			dfail(d, "integer representation too long (type form 0x%02x)", form);
			return;
		}
		np = rd_count(d);
		if (np > SVM_MAX_PARAMS)
			dfail(d, "too many params (%u)", np);
		if (d->r.failed)
			return;
		t->types = svm_alloc(np + SVM_MAX_PARAMS + 1);
		if (!t->types) {
			dfail(d, "out of memory");
			return;
		}
		for (j = 0; j < np; j++)
			t->types[j] = rd_valtype(&d->r);
		nr = rd_count(d);
		if (nr > SVM_MAX_PARAMS)
			dfail(d, "too many results (%u)", nr);
		for (j = 0; j < nr && !d->r.failed; j++)
			t->types[np + j] = rd_valtype(&d->r);
		t->nparams = np;
		t->nresults = nr;
	}
}

static void sec_import(struct decoder *d)
{
	struct svm_module *m = d->m;
	uint32_t i, n;

	n = rd_count(d);
	m->imports = alloc_array(d, n, sizeof(*m->imports));
	if (d->r.failed)
		return;
	/* upper bounds for the per-kind arrays are the import count */
	m->func_types = alloc_array(d, n, sizeof(uint32_t));
	m->tables = alloc_array(d, n, sizeof(*m->tables));
	m->globals = alloc_array(d, n, sizeof(*m->globals));
	for (i = 0; i < n && !d->r.failed; i++) {
		struct svm_import *im = &m->imports[i];
		uint32_t off;

		im->module = rd_name(d, &im->mlen);
		im->name = rd_name(d, &im->nlen);
		off = rd_off(&d->r);
		im->kind = rd_u8(&d->r);
		if (d->r.failed)
			return;
		m->nimports = i + 1;
		switch (im->kind) {
		case SVM_EXT_FUNC:
			im->type = rd_u32(&d->r);
			if (!d->r.failed && im->type >= m->ntypes) {
				dfail(d, "unknown type %u", im->type);
				return;
			}
			m->func_types[m->nfunc_imports++] = im->type;
			break;
		case SVM_EXT_TABLE:
			im->vtype = rd_reftype(d);
			rd_limits(d, &im->lim, UINT32_MAX, "table");
			m->tables[m->ntable_imports].type = im->vtype;
			m->tables[m->ntable_imports++].lim = im->lim;
			break;
		case SVM_EXT_MEMORY:
			rd_limits(d, &im->lim, SVM_MAX_PAGES, "memory");
			if (m->nmem_imports++) {
				dfail(d, "multiple memories");
				return;
			}
			m->mem = im->lim;
			break;
		case SVM_EXT_GLOBAL: {
			uint8_t mut;

			im->vtype = rd_valtype(&d->r);
			mut = rd_u8(&d->r);
			if (!d->r.failed && mut > 1) {
				dfail(d, "malformed mutability");
				return;
			}
			im->mut = mut;
			m->globals[m->nglobal_imports].type = im->vtype;
			m->globals[m->nglobal_imports++].mut = mut;
			break;
		}
		default:
			svm_set_error(d->err, off, "malformed import kind %u",
				      im->kind);
			d->r.failed = true;
			return;
		}
	}
	m->nfuncs = m->nfunc_imports;
	m->ntables = m->ntable_imports;
	m->nmems = m->nmem_imports;
	m->nglobals = m->nglobal_imports;
}

/* Grow a per-kind array from its imports to imports + n entries. */
static void *extend(struct decoder *d, void *old, uint32_t have, uint32_t n,
		    size_t size)
{
	void *p;

	if (n > SVM_MAX_ITEMS || have > SVM_MAX_ITEMS) {
		dfail(d, "too many items (%u, limit %u)", n, SVM_MAX_ITEMS);
		return old;
	}
	p = svm_alloc((size_t)(have + n + 1) * size);
	if (!p) {
		dfail(d, "out of memory");
		return old;
	}
	if (old && have)
		memcpy(p, old, (size_t)have * size);
	svm_free(old);
	return p;
}

static void sec_function(struct decoder *d)
{
	struct svm_module *m = d->m;
	uint32_t i, n;

	n = rd_count(d);
	m->func_types = extend(d, m->func_types, m->nfunc_imports, n,
			       sizeof(uint32_t));
	if (d->r.failed)
		return;
	for (i = 0; i < n && !d->r.failed; i++) {
		uint32_t t = rd_u32(&d->r);

		if (!d->r.failed && t >= m->ntypes) {
			dfail(d, "unknown type %u", t);
			return;
		}
		m->func_types[m->nfunc_imports + i] = t;
	}
	d->nfunc_decls = n;
	m->nfuncs = m->nfunc_imports + n;
}

static void sec_table(struct decoder *d)
{
	struct svm_module *m = d->m;
	uint32_t i, n;

	n = rd_count(d);
	m->tables = extend(d, m->tables, m->ntable_imports, n, sizeof(*m->tables));
	for (i = 0; i < n && !d->r.failed; i++) {
		struct svm_tabledef *t = &m->tables[m->ntables];

		t->type = rd_reftype(d);
		rd_limits(d, &t->lim, UINT32_MAX, "table");
		m->ntables++;
	}
}

static void sec_memory(struct decoder *d)
{
	struct svm_module *m = d->m;
	uint32_t i, n;

	n = rd_count(d);
	for (i = 0; i < n && !d->r.failed; i++) {
		if (m->nmems) {
			dfail(d, "multiple memories");
			return;
		}
		rd_limits(d, &m->mem, SVM_MAX_PAGES, "memory");
		m->nmems++;
	}
}

static void sec_global(struct decoder *d)
{
	struct svm_module *m = d->m;
	uint32_t i, n;

	n = rd_count(d);
	m->globals = extend(d, m->globals, m->nglobal_imports, n,
			    sizeof(*m->globals));
	for (i = 0; i < n && !d->r.failed; i++) {
		struct svm_globaldef *g = &m->globals[m->nglobals];
		uint8_t mut;

		g->type = rd_valtype(&d->r);
		mut = rd_u8(&d->r);
		if (!d->r.failed && mut > 1) {
			dfail(d, "malformed mutability");
			return;
		}
		g->mut = mut;
		rd_cexpr(d, &g->init, g->type);
		m->nglobals++;
	}
}

static void sec_export(struct decoder *d)
{
	struct svm_module *m = d->m;
	uint32_t i, j, n, bound;

	n = rd_count(d);
	m->exports = alloc_array(d, n, sizeof(*m->exports));
	for (i = 0; i < n && !d->r.failed; i++) {
		struct svm_export *e = &m->exports[i];
		uint32_t off = rd_off(&d->r);

		e->name = rd_name(d, &e->nlen);
		e->kind = rd_u8(&d->r);
		e->idx = rd_u32(&d->r);
		if (d->r.failed)
			return;
		switch (e->kind) {
		case SVM_EXT_FUNC:
			bound = m->nfuncs;
			if (e->idx < bound)
				m->func_declared[e->idx] = 1;
			break;
		case SVM_EXT_TABLE:
			bound = m->ntables;
			break;
		case SVM_EXT_MEMORY:
			bound = m->nmems;
			break;
		case SVM_EXT_GLOBAL:
			bound = m->nglobals;
			break;
		default:
			dfail(d, "malformed export kind %u", e->kind);
			return;
		}
		if (e->idx >= bound) {
			svm_set_error(d->err, off, "unknown %s %u",
				      e->kind == SVM_EXT_FUNC ? "function" :
				      e->kind == SVM_EXT_TABLE ? "table" :
				      e->kind == SVM_EXT_MEMORY ? "memory" : "global",
				      e->idx);
			d->r.failed = true;
			return;
		}
		for (j = 0; j < i; j++) {
			if (m->exports[j].nlen == e->nlen &&
			    !memcmp(m->exports[j].name, e->name, e->nlen)) {
				svm_set_error(d->err, off, "duplicate export name");
				d->r.failed = true;
				return;
			}
		}
		m->nexports = i + 1;
	}
}

static void sec_start(struct decoder *d)
{
	struct svm_module *m = d->m;
	uint32_t off = rd_off(&d->r);
	struct svm_functype *t;

	m->start = rd_u32(&d->r);
	if (d->r.failed)
		return;
	if (m->start >= m->nfuncs) {
		svm_set_error(d->err, off, "unknown function %u", m->start);
		d->r.failed = true;
		return;
	}
	t = &m->types[m->func_types[m->start]];
	if (t->nparams || t->nresults) {
		svm_set_error(d->err, off, "start function must have type [] -> []");
		d->r.failed = true;
		return;
	}
	m->has_start = true;
}

static void check_table(struct decoder *d, uint32_t idx, uint32_t off)
{
	if (!d->r.failed && idx >= d->m->ntables) {
		svm_set_error(d->err, off, "unknown table %u", idx);
		d->r.failed = true;
	}
}

static void sec_element(struct decoder *d)
{
	struct svm_module *m = d->m;
	uint32_t i, j, n;

	n = rd_count(d);
	m->elems = alloc_array(d, n, sizeof(*m->elems));
	for (i = 0; i < n && !d->r.failed; i++) {
		struct svm_elemseg *s = &m->elems[i];
		uint32_t off = rd_off(&d->r);
		uint32_t flags = rd_u32(&d->r);
		bool exprs = flags & 4;

		if (d->r.failed)
			return;
		if (flags > 7) {
			svm_set_error(d->err, off, "malformed elements segment kind %u",
				      flags);
			d->r.failed = true;
			return;
		}
		m->nelems = i + 1;
		s->type = SVM_T_FUNCREF;
		if (flags & 1)
			s->mode = (flags & 2) ? SVM_SEG_DECLARATIVE : SVM_SEG_PASSIVE;
		else
			s->mode = SVM_SEG_ACTIVE;
		if (s->mode == SVM_SEG_ACTIVE) {
			if (flags & 2) {
				off = rd_off(&d->r);
				s->table = rd_u32(&d->r);
			}
			check_table(d, s->table, off);
			rd_cexpr(d, &s->offset, SVM_T_I32);
		}
		if (flags & 3) {
			/* elemkind (0x00 = funcref) or reftype */
			if (exprs) {
				s->type = rd_reftype(d);
			} else if (rd_u8(&d->r) != 0x00 && !d->r.failed) {
				dfail(d, "malformed element kind");
				return;
			}
		}
		s->n = rd_count(d);
		s->items = alloc_array(d, s->n, sizeof(*s->items));
		for (j = 0; j < s->n && !d->r.failed; j++) {
			if (exprs) {
				rd_cexpr(d, &s->items[j], s->type);
				continue;
			}
			off = rd_off(&d->r);
			s->items[j].op = 0xd2;
			s->items[j].type = SVM_T_FUNCREF;
			s->items[j].idx = rd_u32(&d->r);
			if (!d->r.failed && s->items[j].idx >= m->nfuncs) {
				svm_set_error(d->err, off, "unknown function %u",
					      s->items[j].idx);
				d->r.failed = true;
				return;
			}
			if (!d->r.failed)
				m->func_declared[s->items[j].idx] = 1;
		}
		if (!d->r.failed && s->mode == SVM_SEG_ACTIVE &&
		    m->tables[s->table].type != s->type) {
			svm_set_error(d->err, off, "type mismatch (element segment %u)", i);
			d->r.failed = true;
		}
	}
}

static void sec_datacount(struct decoder *d)
{
	d->m->ndatas = rd_u32(&d->r);
	d->m->has_datacount = true;
}

static void sec_code(struct decoder *d)
{
	struct svm_module *m = d->m;
	uint32_t i, n, off = rd_off(&d->r);

	n = rd_count(d);
	if (d->r.failed)
		return;
	if (n != d->nfunc_decls) {
		svm_set_error(d->err, off,
			      "function and code section have inconsistent lengths");
		d->r.failed = true;
		return;
	}
	d->seen_code = true;
	m->funcs = alloc_array(d, n, sizeof(*m->funcs));
	for (i = 0; i < n && !d->r.failed; i++) {
		uint32_t size = rd_u32(&d->r);
		const uint8_t *end;

		if (d->r.failed)
			return;
		if (size > (uint32_t)(d->r.end - d->r.p)) {
			dfail(d, "unexpected end (function body size %u)", size);
			return;
		}
		end = d->r.p + size;
		d->err->func = (int)(m->nfunc_imports + i);
		if (svm_compile_func(m, m->nfunc_imports + i, d->r.p, end,
				     d->err)) {
			d->r.failed = true;
			return;
		}
		d->r.p = end;
	}
	d->err->func = -1;
}

static void sec_data(struct decoder *d)
{
	struct svm_module *m = d->m;
	uint32_t i, n, off = rd_off(&d->r);

	n = rd_count(d);
	if (d->r.failed)
		return;
	if (m->has_datacount && n != m->ndatas) {
		svm_set_error(d->err, off, "data count and data section have inconsistent lengths");
		d->r.failed = true;
		return;
	}
	m->datas = alloc_array(d, n, sizeof(*m->datas));
	for (i = 0; i < n && !d->r.failed; i++) {
		struct svm_dataseg *s = &m->datas[i];
		uint32_t flags, len, mem = 0;

		off = rd_off(&d->r);
		flags = rd_u32(&d->r);
		if (d->r.failed)
			return;
		if (flags > 2) {
			svm_set_error(d->err, off, "malformed data segment kind %u", flags);
			d->r.failed = true;
			return;
		}
		s->mode = flags == 1 ? SVM_SEG_PASSIVE : SVM_SEG_ACTIVE;
		if (flags == 2)
			mem = rd_u32(&d->r);
		if (s->mode == SVM_SEG_ACTIVE) {
			if (!d->r.failed && (mem || !m->nmems)) {
				svm_set_error(d->err, off, "unknown memory %u", mem);
				d->r.failed = true;
				return;
			}
			rd_cexpr(d, &s->offset, SVM_T_I32);
		}
		len = rd_u32(&d->r);
		if (d->r.failed)
			return;
		if (len > (uint32_t)(d->r.end - d->r.p)) {
			dfail(d, "unexpected end of section or function (data length %u)", len);
			return;
		}
		s->bytes = d->r.p;
		s->len = len;
		d->r.p += len;
	}
	m->ndatas = n;
}

/* Section ids in their mandated order (datacount sits before code). */
static int section_rank(uint8_t id)
{
	static const uint8_t rank[13] = {
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10,
	};

	return id <= 12 ? rank[id] : -1;
}

static void decode_sections(struct decoder *d)
{
	struct svm_module *m = d->m;
	int last = 0;

	while (!d->r.failed && d->r.p < d->r.end) {
		uint32_t off = rd_off(&d->r);
		uint8_t id = rd_u8(&d->r);
		uint32_t size = rd_u32(&d->r);
		const uint8_t *end;
		int rank = section_rank(id);

		if (d->r.failed)
			return;
		d->err->section = id;
		if (rank < 0) {
			svm_set_error(d->err, off, "malformed section id %u", id);
			d->r.failed = true;
			return;
		}
		if (size > (uint32_t)(d->r.end - d->r.p)) {
			dfail(d, "section size mismatch: unexpected end (section %u)", id);
			return;
		}
		end = d->r.p + size;
		if (id != 0) {
			if (rank <= last) {
				svm_set_error(d->err, off, "unexpected content after last section (section %u out of order)", id);
				d->r.failed = true;
				return;
			}
			last = rank;
		}
		/* bound the section's reader to its declared size */
		d->r.end = end;
		switch (id) {
		case 0: {
			uint32_t nlen;

			rd_name(d, &nlen);
			d->r.p = end;	/* custom payload is opaque */
			break;
		}
		case 1:
			sec_type(d);
			break;
		case 2:
			sec_import(d);
			break;
		case 3:
			sec_function(d);
			break;
		case 4:
			sec_table(d);
			break;
		case 5:
			sec_memory(d);
			break;
		case 6:
			sec_global(d);
			break;
		case 7:
			sec_export(d);
			break;
		case 8:
			sec_start(d);
			break;
		case 9:
			sec_element(d);
			break;
		case 12:
			sec_datacount(d);
			break;
		case 10:
			m->code_offset = rd_off(&d->r);
			sec_code(d);
			break;
		case 11:
			sec_data(d);
			break;
		}
		if (d->r.failed)
			return;
		if (d->r.p != end) {
			dfail(d, "section size mismatch (section %u)", id);
			return;
		}
		d->r.end = m->bytes + m->len;
		/* func_declared is needed from the global section on */
		if (id == 2 || id == 3) {
			svm_free(m->func_declared);
			m->func_declared = svm_alloc(m->nfuncs + 1);
			if (!m->func_declared) {
				dfail(d, "out of memory");
				return;
			}
		}
	}
	d->err->section = -1;
	if (d->r.failed)
		return;
	if (!d->seen_code && d->nfunc_decls) {
		dfail(d, "function and code section have inconsistent lengths");
		return;
	}
	if (m->has_datacount && !m->datas && m->ndatas) {
		dfail(d, "data count and data section have inconsistent lengths");
		return;
	}
}

static void free_types(struct svm_module *m)
{
	uint32_t i;

	for (i = 0; m->types && i < m->ntypes; i++)
		svm_free(m->types[i].types);
	svm_free(m->types);
}

void svm_module_free(struct svm_module *m)
{
	uint32_t i;

	if (!m)
		return;
	free_types(m);
	svm_free(m->imports);
	svm_free(m->func_types);
	if (m->funcs) {
		for (i = 0; i < m->nfuncs - m->nfunc_imports; i++) {
			svm_vfree(m->funcs[i].code);
			svm_free(m->funcs[i].consts);
		}
	}
	svm_free(m->funcs);
	svm_free(m->tables);
	svm_free(m->globals);
	svm_free(m->exports);
	if (m->elems) {
		for (i = 0; i < m->nelems; i++)
			svm_free(m->elems[i].items);
	}
	svm_free(m->elems);
	svm_free(m->datas);
	svm_free(m->func_declared);
	svm_vfree(m->bytes);
	svm_free(m);
}

struct svm_module *svm_module_load(const uint8_t *bytes, size_t len,
				   const struct svm_config *cfg,
				   struct svm_error *err)
{
	struct svm_error dummy;
	struct decoder d = {};
	struct svm_module *m;

	if (!err)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	err->section = -1;
	err->func = -1;
	if (len > SVM_MAX_MODULE_BYTES) {
		svm_set_error(err, 0, "module too large (%zu bytes, limit %u)",
			      len, SVM_MAX_MODULE_BYTES);
		return NULL;
	}
	m = svm_alloc(sizeof(*m));
	if (!m)
		goto out_nomem;
	m->bytes = svm_valloc(len ? len : 1);
	if (!m->bytes)
		goto out_free_module;
	memcpy(m->bytes, bytes, len);
	m->len = len;
	m->meter = cfg ? cfg->meter : true;
	m->float_stubs = cfg ? cfg->float_stubs : false;
	m->func_declared = svm_alloc(1);
	if (!m->func_declared)
		goto out_free_module;
	if (svm_sha256(bytes, len, m->id))
		goto out_free_module;

	d.m = m;
	d.err = err;
	d.r.base = m->bytes;
	d.r.p = m->bytes;
	d.r.end = m->bytes + len;
	d.r.err = err;
	d.r.float_stubs = m->float_stubs;
	if (len < 4 || memcmp(m->bytes, "\0asm", 4)) {
		svm_set_error(err, 0, "magic header not detected");
		goto out_free_module;
	}
	if (len < 8) {
		svm_set_error(err, 4, "unexpected end (version)");
		goto out_free_module;
	}
	if (svm_get_le32(m->bytes + 4) != 1) {
		svm_set_error(err, 4, "unknown binary version");
		goto out_free_module;
	}
	d.r.p += 8;
	decode_sections(&d);
	if (d.r.failed)
		goto out_free_module;
	return m;

out_nomem:
	svm_set_error(err, 0, "out of memory");
	return NULL;
out_free_module:
	if (!err->msg[0])
		svm_set_error(err, 0, "out of memory");
	svm_module_free(m);
	return NULL;
}

int svm_module_export(const struct svm_module *m, const char *name,
		      uint8_t kind, uint32_t *idx)
{
	size_t n = strlen(name);
	uint32_t i;

	for (i = 0; i < m->nexports; i++) {
		const struct svm_export *e = &m->exports[i];

		if (e->kind == kind && e->nlen == n && !memcmp(e->name, name, n)) {
			*idx = e->idx;
			return 0;
		}
	}
	return -1;
}
