// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * compile.c - validate one function body and translate it to the slot IR.
 *
 * A single pass, the validation algorithm of the Wasm spec's appendix
 * driving code generation. The compile-time operand stack tracks where each
 * value lives: in its canonical stack slot, or still in a local or in the
 * constant pool ("lazy"), so local.get and constants cost no instruction.
 * Lazy values are written to their canonical slots ("materialised") before
 * anything that could change the local, and at every basic block boundary,
 * so at every fuel op, call and checkpoint the frame holds exactly the
 * Wasm value stack.
 *
 * Fuel: each basic block starts with a fuel op whose cost is the sum of the
 * costs of the Wasm instructions in the block (Documentation/determinism.md).
 * Blocks end at labels and after every branch; calls do not end a block.
 *
 * Nothing here recurses: control frames and operand stack are heap arrays.
 */
#include "svm.h"
#include "reader.h"
#include "ops.h"

#define VK_SLOT		0
#define VK_LOCAL	1
#define VK_CONST	2

struct vsl {
	uint8_t type;
	uint8_t kind;
	uint32_t idx;
};

#define CT_BLOCK	0
#define CT_LOOP		1
#define CT_IF		2
#define CT_ELSE		3
#define CT_FUNC		4

struct ctl {
	uint8_t kind;
	bool unreachable;	/* validation: stack is polymorphic */
	bool dead_entry;	/* no code emitted for this frame */
	uint32_t height;
	uint32_t nparams, nresults;
	const uint8_t *params, *results;
	uint8_t single;		/* storage for a one-valtype block type */
	int64_t patch;		/* forward branches to the end: cell list */
	int64_t else_patch;	/* if: br_unless offset cell */
	uint32_t loop_pc;	/* loop: target cell */
};

struct comp {
	struct svm_reader r;
	struct svm_module *m;
	struct svm_func *f;
	const struct svm_functype *ft;
	const void *const *ops;
	uint8_t *ltypes;
	uint32_t nlocals;

	struct vsl *vs;
	uint32_t nvs, cvs, max_height;
	struct ctl *cs;
	uint32_t ncs, ccs;

	union svm_cell *code;
	uint32_t ncode, ccode;
	uint32_t *reloc;		/* cells holding stack-slot offsets */
	uint32_t nreloc, creloc;
	uint64_t *consts;
	uint32_t nconsts, cconsts;

	bool dead;			/* current code unreachable: emit nothing */
	int64_t fuel_cell;		/* cost cell of the current block */
	uint32_t ins_off;		/* offset of the instruction at hand */
	int64_t last_dst;		/* peephole: dst cell of the last op */
	int64_t last_op;		/* its op cell */
	int64_t prev_op;		/* the op cell before that one */
	uint32_t block_start;		/* first cell after the block's label */
	int last_cmp;			/* its SVM_OP_ if a compare, else -1 */
	bool last_add;			/* it is an i32.add */
	bool last_k;			/* it is an _k op (immediate b) */
	int64_t last_copy;		/* op cell of a copy that may become copy2 */
	uint32_t last_end;
	uint32_t last_h;
	uint32_t nlazy_locals;
};

#define cfail(c, ...)							\
	do {								\
		if (!(c)->r.failed)					\
			svm_set_error((c)->r.err, (c)->ins_off, __VA_ARGS__); \
		(c)->r.failed = true;					\
	} while (0)

static bool grow(struct comp *c, void **arr, uint32_t *cap, uint32_t need,
		 size_t size)
{
	uint32_t ncap;
	void *p;

	if (need <= *cap)
		return true;
	ncap = *cap ? *cap * 2 : 64;
	while (ncap < need)
		ncap *= 2;
	p = svm_valloc((size_t)ncap * size);
	if (!p) {
		cfail(c, "out of memory");
		return false;
	}
	if (*arr)
		memcpy(p, *arr, (size_t)*cap * size);
	svm_vfree(*arr);
	*arr = p;
	*cap = ncap;
	return true;
}

/* ---- emission ---- */

static void emit_cell(struct comp *c, uint64_t v)
{
	if (c->dead || c->r.failed)
		return;
	if (!grow(c, (void **)&c->code, &c->ccode, c->ncode + 1, sizeof(*c->code)))
		return;
	c->code[c->ncode++].u = v;
}

/* With metering, branches take their _m twin (ops.h). */
static enum svm_op metered(struct comp *c, enum svm_op op)
{
	if (!c->m->meter)
		return op;
	switch (op) {
	case SVM_OP_br:
		return SVM_OP_br_m;
	case SVM_OP_br_if:
		return SVM_OP_br_if_m;
	case SVM_OP_br_unless:
		return SVM_OP_br_unless_m;
	default:
		if (op >= SVM_OP_br_i32_eq && op <= SVM_OP_br_i64_ge_u)
			return SVM_OP_br_i32_eq_m + (op - SVM_OP_br_i32_eq);
		if (op >= SVM_OP_br_i32_eq_k && op <= SVM_OP_br_i64_ge_u_k)
			return SVM_OP_br_i32_eq_k_m + (op - SVM_OP_br_i32_eq_k);
		return op;
	}
}

static void emit_op_raw(struct comp *c, enum svm_op op)
{
	if (c->dead || c->r.failed)
		return;
	if (!grow(c, (void **)&c->code, &c->ccode, c->ncode + 1, sizeof(*c->code)))
		return;
	c->prev_op = c->last_op;
	c->last_op = c->ncode;
	c->last_cmp = -1;
	c->last_add = false;
	c->last_k = false;
	c->last_copy = -1;
	c->code[c->ncode++].op = c->ops[op];
}

static void emit_op(struct comp *c, enum svm_op op)
{
	op = metered(c, op);
	if (c->dead || c->r.failed)
		return;
	if (!grow(c, (void **)&c->code, &c->ccode, c->ncode + 1, sizeof(*c->code)))
		return;
	c->prev_op = c->last_op;
	c->last_op = c->ncode;
	c->last_cmp = -1;
	c->last_add = op == SVM_OP_i32_add;
	c->last_k = false;
	c->last_copy = -1;
	c->code[c->ncode++].op = c->ops[op];
}

/*
 * A copy: two in a row become one copy2 (ops.h). Never across a label:
 * begin_block() (every branch target) ends the pair, so a branch can only
 * land on the first copy's op cell.
 */
static void emit_copy(struct comp *c)
{
	if (c->dead || c->r.failed)
		return;
	if (c->last_copy >= 0 && c->last_copy + 3 == c->ncode) {
		c->code[c->last_copy].op = c->ops[SVM_OP_copy2];
		c->last_copy = -1;
		return;
	}
	emit_op(c, SVM_OP_copy);
	c->last_copy = c->last_op;
}

static uint32_t stack_slot_off(struct comp *c, uint32_t h)
{
	return (c->nlocals + h) * 8;
}

/* A stack-slot operand: the constant pool size is added at the end. */
static void emit_slot(struct comp *c, uint32_t h)
{
	if (c->dead || c->r.failed)
		return;
	if (!grow(c, (void **)&c->reloc, &c->creloc, c->nreloc + 1, sizeof(uint32_t)))
		return;
	c->reloc[c->nreloc++] = c->ncode;
	emit_cell(c, stack_slot_off(c, h));
}

/* The operand naming where stack entry h lives now. */
static void emit_src(struct comp *c, uint32_t h)
{
	struct vsl *e;

	if (c->dead || c->r.failed)
		return;
	e = &c->vs[h];
	if (e->kind == VK_LOCAL)
		emit_cell(c, (uint64_t)e->idx * 8);
	else if (e->kind == VK_CONST)
		emit_cell(c, (uint64_t)(c->nlocals + e->idx) * 8);
	else
		emit_slot(c, h);
}

/* The destination operand (always last): remembered for the peephole. */
static void emit_dst(struct comp *c, uint32_t h)
{
	if (c->dead || c->r.failed)
		return;
	c->last_dst = c->ncode;
	emit_slot(c, h);
	c->last_end = c->ncode;
	c->last_h = h;
}

static void charge(struct comp *c, uint32_t cost)
{
	if (!c->dead && c->fuel_cell >= 0)
		c->code[c->fuel_cell].i += cost;
}

/* Start a basic block: a fuel op charging the block's cost on entry. */
static void begin_block(struct comp *c)
{
	c->last_dst = -1;
	c->last_copy = -1;
	c->block_start = c->ncode;
	if (c->dead || !c->m->meter) {
		c->fuel_cell = -1;
		return;
	}
	emit_op(c, SVM_OP_fuel);
	c->fuel_cell = c->ncode;
	emit_cell(c, 0);
	emit_cell(c, SVM_PACK_PC(rd_off(&c->r) - c->m->code_offset, c->nvs));
	c->block_start = c->ncode;
}

static void materialize(struct comp *c, uint32_t h)
{
	struct vsl *e = &c->vs[h];

	if (e->kind == VK_SLOT)
		return;
	emit_copy(c);
	emit_src(c, h);
	emit_slot(c, h);
	if (e->kind == VK_LOCAL)
		c->nlazy_locals--;
	e->kind = VK_SLOT;
	c->last_dst = -1;
}

static void materialize_all(struct comp *c)
{
	uint32_t h;

	for (h = 0; h < c->nvs; h++)
		materialize(c, h);
}

/* ---- validation stack ---- */

static void push(struct comp *c, uint8_t type)
{
	if (c->nvs >= SVM_MAX_HEIGHT) {
		cfail(c, "operand stack deeper than %u", SVM_MAX_HEIGHT);
		return;
	}
	if (!grow(c, (void **)&c->vs, &c->cvs, c->nvs + 1, sizeof(*c->vs)))
		return;
	c->vs[c->nvs].type = type;
	c->vs[c->nvs].kind = VK_SLOT;
	c->vs[c->nvs].idx = 0;
	c->nvs++;
	if (c->nvs > c->max_height)
		c->max_height = c->nvs;
}

static const char *tname(uint8_t t)
{
	switch (t) {
	case SVM_T_I32: return "i32";
	case SVM_T_I64: return "i64";
	case SVM_T_FUNCREF: return "funcref";
	case SVM_T_EXTERNREF: return "externref";
	default: return "any";
	}
}

/* Pop one value of type want (0: any); returns its type. */
static uint8_t pop(struct comp *c, uint8_t want)
{
	struct ctl *fr = &c->cs[c->ncs - 1];
	struct vsl *e;

	if (c->r.failed)
		return want;
	if (c->nvs == fr->height) {
		if (fr->unreachable)
			return want ? want : SVM_T_ANY;
		cfail(c, "type mismatch: expected %s but the stack is empty",
		      want ? tname(want) : "a value");
		return want;
	}
	e = &c->vs[c->nvs - 1];
	if (want && e->type != SVM_T_ANY && e->type != want) {
		cfail(c, "type mismatch: expected %s, got %s", tname(want),
		      tname(e->type));
		return want;
	}
	if (e->kind == VK_LOCAL)
		c->nlazy_locals--;
	c->nvs--;
	return e->type == SVM_T_ANY ? want : e->type;
}

/* Check the top n values against types without popping. */
static void check_top(struct comp *c, const uint8_t *types, uint32_t n)
{
	struct ctl *fr = &c->cs[c->ncs - 1];
	uint32_t i;

	for (i = 0; i < n && !c->r.failed; i++) {
		uint8_t want = types[n - 1 - i];
		uint32_t avail = c->nvs - fr->height;
		struct vsl *e;

		if (i >= avail) {
			if (fr->unreachable)
				return;
			cfail(c, "type mismatch: expected %u values", n);
			return;
		}
		e = &c->vs[c->nvs - 1 - i];
		if (e->type != SVM_T_ANY && e->type != want) {
			cfail(c, "type mismatch: expected %s, got %s",
			      tname(want), tname(e->type));
			return;
		}
	}
}

static void pop_types(struct comp *c, const uint8_t *types, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		pop(c, types[n - 1 - i]);
}

static void push_types(struct comp *c, const uint8_t *types, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		push(c, types[i]);
}

/* Value at stack height h is (number of values above the frame) valid? */
static bool unknown_top(struct comp *c, uint32_t n)
{
	struct ctl *fr = &c->cs[c->ncs - 1];

	return c->nvs - fr->height < n;
}

/* ---- constants ---- */

static uint32_t add_const(struct comp *c, uint64_t v)
{
	uint32_t i, from = c->nconsts > 256 ? c->nconsts - 256 : 0;

	for (i = from; i < c->nconsts; i++)
		if (c->consts[i] == v)
			return i;
	if (c->nconsts >= SVM_MAX_HEIGHT) {
		cfail(c, "too many constants");
		return 0;
	}
	if (!grow(c, (void **)&c->consts, &c->cconsts, c->nconsts + 1, sizeof(uint64_t)))
		return 0;
	c->consts[c->nconsts] = v;
	return c->nconsts++;
}

static void push_const(struct comp *c, uint8_t type, uint64_t v)
{
	uint32_t k = c->dead ? 0 : add_const(c, v);

	push(c, type);
	if (c->r.failed || c->dead)
		return;
	c->vs[c->nvs - 1].kind = VK_CONST;
	c->vs[c->nvs - 1].idx = k;
}

/* ---- control frames ---- */

static struct ctl *push_ctl(struct comp *c, uint8_t kind)
{
	struct ctl *fr;

	if (c->ncs >= SVM_MAX_NESTING) {
		cfail(c, "blocks nested deeper than %u", SVM_MAX_NESTING);
		return NULL;
	}
	if (!grow(c, (void **)&c->cs, &c->ccs, c->ncs + 1, sizeof(*c->cs)))
		return NULL;
	fr = &c->cs[c->ncs++];
	memset(fr, 0, sizeof(*fr));
	fr->kind = kind;
	fr->patch = -1;
	fr->else_patch = -1;
	fr->dead_entry = c->dead;
	return fr;
}

static const uint8_t *label_types(struct ctl *fr, uint32_t *n)
{
	if (fr->kind == CT_LOOP) {
		*n = fr->nparams;
		return fr->params;
	}
	*n = fr->nresults;
	return fr->results;
}

/* Link a forward-branch offset cell into fr's patch list. */
static void add_patch(struct comp *c, struct ctl *fr)
{
	if (c->dead || c->r.failed)
		return;
	emit_cell(c, (uint64_t)fr->patch);
	fr->patch = c->ncode - 1;
}

static void patch_list(struct comp *c, int64_t head, uint32_t target)
{
	while (head >= 0) {
		int64_t next = c->code[head].i;

		c->code[head].i = (int64_t)target - head;
		head = next;
	}
}

/* Emit the offset operand of a branch to frame fr. */
static void emit_target(struct comp *c, struct ctl *fr)
{
	if (fr->kind == CT_LOOP)
		emit_cell(c, (uint64_t)((int64_t)fr->loop_pc - c->ncode));
	else
		add_patch(c, fr);
}

/*
 * Move the n branch values on top of the stack to fr's label slots.
 * Returns true if any copy was needed.
 */
static bool branch_moves_needed(struct comp *c, struct ctl *fr, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		uint32_t h = c->nvs - n + i;

		if (c->vs[h].kind != VK_SLOT || h != fr->height + i)
			return true;
	}
	return false;
}

static void branch_moves(struct comp *c, struct ctl *fr, uint32_t n)
{
	uint32_t i;

	/* ascending: destination heights never exceed source heights */
	for (i = 0; i < n; i++) {
		uint32_t h = c->nvs - n + i;

		if (c->vs[h].kind == VK_SLOT && h == fr->height + i)
			continue;
		emit_copy(c);
		emit_src(c, h);
		emit_slot(c, fr->height + i);
	}
}

static void set_dead(struct comp *c)
{
	struct ctl *fr = &c->cs[c->ncs - 1];

	c->nlazy_locals = 0;
	c->nvs = fr->height;
	fr->unreachable = true;
	c->dead = true;
	c->fuel_cell = -1;
}

static void read_blocktype(struct comp *c, struct ctl *fr)
{
	uint8_t b;
	int64_t idx;

	if (c->r.p >= c->r.end) {
		rd_fail(&c->r, "unexpected end");
		return;
	}
	b = *c->r.p;
	if (b == 0x40) {
		c->r.p++;
		return;
	}
	if (b == SVM_T_I32 || b == SVM_T_I64 || svm_is_ref(b) ||
	    b == SVM_T_F32 || b == SVM_T_F64 || b == SVM_T_V128) {
		fr->single = rd_valtype(&c->r);
		fr->nresults = 1;
		fr->results = &fr->single;
		return;
	}
	idx = rd_sleb(&c->r, 33);
	if (c->r.failed)
		return;
	if (idx < 0 || (uint64_t)idx >= c->m->ntypes) {
		cfail(c, "unknown type %lld", (long long)idx);
		return;
	}
	fr->nparams = c->m->types[idx].nparams;
	fr->params = c->m->types[idx].types;
	fr->nresults = c->m->types[idx].nresults;
	fr->results = c->m->types[idx].types + fr->nparams;
}

/* block/loop/if: the params stay on the stack, now owned by the frame. */
static void enter_frame(struct comp *c, uint8_t kind)
{
	struct ctl tmp = {};
	struct ctl *fr;
	uint32_t cond_h = 0;
	bool has_cond = kind == CT_IF;

	read_blocktype(c, &tmp);
	if (c->r.failed)
		return;
	if (has_cond) {
		pop(c, SVM_T_I32);
		cond_h = c->nvs;
	}
	check_top(c, tmp.params, tmp.nparams);
	if (c->r.failed)
		return;
	/* the params, whatever unreachable code left, become real entries */
	if (unknown_top(c, tmp.nparams)) {
		pop_types(c, tmp.params, tmp.nparams);
		push_types(c, tmp.params, tmp.nparams);
	}
	/* the condition (above the params) is read where it lives */
	(void)cond_h;
	materialize_all(c);
	fr = push_ctl(c, kind);
	if (!fr)
		return;
	tmp.kind = fr->kind;
	tmp.dead_entry = fr->dead_entry;
	tmp.patch = -1;
	tmp.else_patch = -1;
	*fr = tmp;
	fr->height = c->nvs - tmp.nparams;
	if (fr->results == &tmp.single)
		fr->results = &fr->single;
}

/* ---- instructions ---- */

/* The immediate twin of a binary op (ops.h), 0 (fuel) when it has none. */
static const uint16_t binop_k[SVM_NOPS] = {
#define K(n) [SVM_OP_##n] = SVM_OP_##n##_k,
	SVM_KBINOPS(K)
#undef K
};

/* Superinstructions (ops.h): an op, then a commutative op of its result. */
static const struct {
	uint16_t first, second, fused;
} fusions[] = {
	{ SVM_OP_i32_load_k, SVM_OP_i32_add, SVM_OP_i32_load_add_k },
	{ SVM_OP_i32_load_k, SVM_OP_i32_mul, SVM_OP_i32_load_mul_k },
	{ SVM_OP_i32_load_mul_k, SVM_OP_i32_add, SVM_OP_i32_load_mul_add_k },
	{ SVM_OP_i32_add, SVM_OP_i32_add, SVM_OP_i32_add3 },
#define F(t, sh) { SVM_OP_##t##_##sh##_k, SVM_OP_##t##_xor, SVM_OP_##t##_##sh##_xor_k },
	SVM_SHIFT_XORS(F)
#undef F
};

/*
 * op (commutative) of the value the op just emitted wrote into the slot
 * of ha or hb, and another: when the pair is in fusions[], the first op
 * becomes the fused one, its dst cell replaced by the other operand.
 * Returns true if fused; the caller emits the dst.
 */
static bool fuse_pair(struct comp *c, enum svm_op op, uint32_t ha, uint32_t hb)
{
	uint32_t other, i;
	const void *first;

	if (c->dead || c->r.failed || c->last_dst < 0 ||
	    c->last_end != c->ncode || !c->nreloc ||
	    c->reloc[c->nreloc - 1] != (uint32_t)c->last_dst)
		return false;
	if (c->last_h == hb && c->vs[hb].kind == VK_SLOT)
		other = ha;
	else if (c->last_h == ha && c->vs[ha].kind == VK_SLOT)
		other = hb;
	else
		return false;
	first = c->code[c->last_op].op;
	for (i = 0; i < ARRAY_SIZE(fusions); i++)
		if (fusions[i].second == op && c->ops[fusions[i].first] == first)
			break;
	if (i == ARRAY_SIZE(fusions))
		return false;
	/* x + y + constant: better an add_k, which a load or store can take in */
	if (fusions[i].fused == SVM_OP_i32_add3 && c->vs[other].kind == VK_CONST)
		return false;
	c->ncode--;
	c->nreloc--;
	c->code[c->last_op].op = c->ops[fusions[i].fused];
	c->last_dst = -1;
	c->last_add = false;
	c->last_k = false;
	c->last_cmp = -1;
	emit_src(c, other);
	return true;
}

static void op_binary(struct comp *c, enum svm_op op, uint8_t in, uint8_t out)
{
	uint32_t ha, hb;

	charge(c, 1);
	pop(c, in);
	pop(c, in);
	ha = c->nvs;
	hb = c->nvs + 1;
	if (fuse_pair(c, op, ha, hb)) {
		/* the first op took this one in: dst below */
	} else if (!c->dead && !c->r.failed && binop_k[op] &&
	    c->vs[hb].kind == VK_CONST) {
		emit_op(c, binop_k[op]);
		emit_src(c, ha);
		emit_cell(c, c->consts[c->vs[hb].idx]);
		c->last_add = op == SVM_OP_i32_add;
		c->last_k = true;
	} else if (!c->dead && !c->r.failed) {
		emit_op(c, op);
		emit_src(c, ha);
		emit_src(c, hb);
	}
	push(c, out);
	emit_dst(c, ha);
	if ((op >= SVM_OP_i32_eq && op <= SVM_OP_i32_ge_u) ||
	    (op >= SVM_OP_i64_eq && op <= SVM_OP_i64_ge_u))
		c->last_cmp = op;
}

static void op_unary(struct comp *c, enum svm_op op, uint8_t in, uint8_t out)
{
	uint32_t ha;

	charge(c, 1);
	pop(c, in);
	ha = c->nvs;
	if (!c->dead && !c->r.failed) {
		emit_op(c, op);
		emit_src(c, ha);
	}
	push(c, out);
	emit_dst(c, ha);
	if (op == SVM_OP_i32_eqz)
		c->last_cmp = op;
}

static bool need_memory(struct comp *c)
{
	if (!c->m->nmems) {
		cfail(c, "unknown memory 0");
		return false;
	}
	return true;
}

static void read_memarg(struct comp *c, uint32_t natural, uint32_t *offset)
{
	uint32_t align = rd_u32(&c->r);

	*offset = rd_u32(&c->r);
	if (c->r.failed)
		return;
	if (align >= 32) {
		cfail(c, "malformed memop flags (alignment 2^%u)", align);
		return;
	}
	if (align > natural)
		cfail(c, "alignment must not be larger than natural");
}

/* The immediate twin of a load or store (ops.h). */
static enum svm_op mem_k(enum svm_op op)
{
	if (op >= SVM_OP_i32_load && op <= SVM_OP_i64_load32_u)
		return SVM_OP_i32_load_k + (op - SVM_OP_i32_load);
	return SVM_OP_i32_store_k + (op - SVM_OP_i32_store);
}

/*
 * The address operands of a load/store: when the address is the i32.add
 * just emitted, that add becomes the memory op ([a][b] reused in place,
 * the wrap of the add kept by the handler); otherwise [addr][immediate 0].
 */
static void emit_address(struct comp *c, enum svm_op op, uint32_t h)
{
	if (!c->dead && !c->r.failed && c->last_add && c->last_dst >= 0 &&
	    c->last_end == c->ncode && c->last_h == h &&
	    c->vs[h].kind == VK_SLOT && c->nreloc &&
	    c->reloc[c->nreloc - 1] == (uint32_t)c->last_dst) {
		c->ncode--;
		c->nreloc--;
		c->code[c->last_op].op = c->ops[c->last_k ? mem_k(op) : op];
		c->last_dst = -1;
		c->last_add = false;
		c->last_k = false;
		return;
	}
	if (c->dead || c->r.failed)
		return;
	/* the pool keeps its 0 as before: frame layouts stay the same */
	add_const(c, 0);
	emit_op(c, mem_k(op));
	emit_src(c, h);
	emit_cell(c, 0);
}

static void op_load(struct comp *c, enum svm_op op, uint32_t natural,
		    uint8_t type)
{
	uint32_t off, h;

	read_memarg(c, natural, &off);
	if (!need_memory(c))
		return;
	charge(c, 1);
	pop(c, SVM_T_I32);
	h = c->nvs;
	emit_address(c, op, h);
	emit_cell(c, off);
	push(c, type);
	emit_dst(c, h);
}

static void op_store(struct comp *c, enum svm_op op, uint32_t natural,
		     uint8_t type)
{
	uint32_t off, h;

	read_memarg(c, natural, &off);
	if (!need_memory(c))
		return;
	charge(c, 1);
	pop(c, type);
	pop(c, SVM_T_I32);
	h = c->nvs;
	emit_address(c, op, h);
	emit_src(c, h + 1);
	emit_cell(c, off);
	c->last_dst = -1;
}

/* local.set/tee: write the top value into local x. */
static void op_local_set(struct comp *c, uint32_t x, bool tee)
{
	uint32_t h, i;
	bool pending = false;

	if (x >= c->nlocals) {
		cfail(c, "unknown local %u", x);
		return;
	}
	charge(c, 1);
	h = c->nvs - 1;
	pop(c, c->ltypes[x]);
	if (c->dead || c->r.failed) {
		if (tee)
			push(c, c->ltypes[x]);
		return;
	}
	/* lazy readers of the old value get it in their own slots first */
	if (c->nlazy_locals) {
		for (i = 0; i < c->nvs; i++) {
			if (c->vs[i].kind == VK_LOCAL && c->vs[i].idx == x) {
				pending = true;
				break;
			}
		}
	}
	if (!pending && c->vs[h].kind == VK_SLOT && c->last_dst >= 0 &&
	    c->last_end == c->ncode && c->last_h == h &&
	    c->nreloc && c->reloc[c->nreloc - 1] == (uint32_t)c->last_dst) {
		/* retarget the producer: its result goes straight to x */
		c->nreloc--;
		c->code[c->last_dst].u = (uint64_t)x * 8;
	} else {
		if (pending) {
			for (i = 0; i < c->nvs; i++)
				if (c->vs[i].kind == VK_LOCAL && c->vs[i].idx == x)
					materialize(c, i);
		}
		if (!(c->vs[h].kind == VK_LOCAL && c->vs[h].idx == x)) {
			emit_copy(c);
			emit_src(c, h);
			emit_cell(c, (uint64_t)x * 8);
		}
	}
	c->last_dst = -1;
	if (tee) {
		push(c, c->ltypes[x]);
		c->vs[c->nvs - 1].kind = VK_LOCAL;
		c->vs[c->nvs - 1].idx = x;
		c->nlazy_locals++;
	}
}

static void op_call(struct comp *c, uint32_t fidx, bool indirect,
		    uint32_t tidx, uint32_t table)
{
	const struct svm_functype *t;
	uint32_t base, idx_h = 0;

	if (indirect) {
		t = &c->m->types[tidx];
		pop(c, SVM_T_I32);
		idx_h = c->nvs;
	} else {
		t = &c->m->types[c->m->func_types[fidx]];
	}
	charge(c, 1);
	check_top(c, t->types, t->nparams);
	if (c->r.failed)
		return;
	if (unknown_top(c, t->nparams)) {
		pop_types(c, t->types, t->nparams);
		push_types(c, t->types, t->nparams);
	}
	/*
	 * The args become the callee's params in place; the rest goes
	 * canonical too, so a checkpoint in the callee sees real values.
	 */
	materialize_all(c);
	pop_types(c, t->types, t->nparams);
	base = c->nvs;
	if (indirect) {
		emit_op(c, SVM_OP_call_indirect);
		emit_cell(c, tidx);
		emit_cell(c, table);
		emit_src(c, idx_h);
	} else {
		emit_op(c, SVM_OP_call);
		emit_cell(c, fidx);
	}
	emit_slot(c, base);
	emit_cell(c, SVM_PACK_PC(c->ins_off - c->m->code_offset, base));
	c->last_dst = -1;
	push_types(c, t->types + t->nparams, t->nresults);
}

/* Results to fp[0..n), then return. */
static void emit_return(struct comp *c, uint32_t n)
{
	uint32_t i;

	/* a single result produced just now is written straight to fp[0] */
	if (n == 1 && c->vs[c->nvs - 1].kind == VK_SLOT && c->last_dst >= 0 &&
	    c->last_end == c->ncode && c->last_h == c->nvs - 1 && c->nreloc &&
	    c->reloc[c->nreloc - 1] == (uint32_t)c->last_dst) {
		c->nreloc--;
		c->code[c->last_dst].u = 0;
		c->last_dst = -1;
		emit_op(c, SVM_OP_ret);
		return;
	}
	/* canonical first: then ascending copies never clobber a source */
	if (n > 1)
		materialize_all(c);
	for (i = 0; i < n; i++) {
		uint32_t h = c->nvs - n + i;

		if (c->vs[h].kind == VK_LOCAL && c->vs[h].idx == i)
			continue;
		emit_copy(c);
		emit_src(c, h);
		emit_cell(c, (uint64_t)i * 8);
	}
	emit_op(c, SVM_OP_ret);
}

static void op_return(struct comp *c)
{
	uint32_t n = c->ft->nresults;

	charge(c, 1);
	check_top(c, c->ft->types + c->ft->nparams, n);
	if (c->r.failed)
		return;
	if (!c->dead)
		emit_return(c, n);
	set_dead(c);
}

static const uint8_t cmp_negate[10] = { 1, 0, 8, 9, 6, 7, 4, 5, 2, 3 };
/* a CMP b == b CMP' a */
static const uint8_t cmp_swap[10] = { 0, 1, 4, 5, 2, 3, 8, 9, 6, 7 };

/*
 * The i32 compare-and-branch fused (unmetered op, its dst already
 * dropped: [br][a][b] at last_op) reads the local the i32.add just before
 * it wrote: both become one add_br (ops.h). Only in the same block, so no
 * branch lands between them.
 */
static bool fuse_add_branch(struct comp *c, enum svm_op fused)
{
	int64_t p = c->prev_op, l = c->last_op;
	uint32_t op, cmp, form = 0;
	int64_t d, b;
	bool breloc;

	if (p < (int64_t)c->block_start || l - p != 4 || c->ncode != l + 3)
		return false;
	if (c->code[p].op == c->ops[SVM_OP_i32_add_k])
		form = 2;
	else if (c->code[p].op != c->ops[SVM_OP_i32_add])
		return false;
	if (fused >= SVM_OP_br_i32_eq && fused <= SVM_OP_br_i32_ge_u) {
		cmp = fused - SVM_OP_br_i32_eq;
	} else if (fused >= SVM_OP_br_i32_eq_k && fused <= SVM_OP_br_i32_ge_u_k) {
		cmp = fused - SVM_OP_br_i32_eq_k;
		form |= 1;
	} else {
		return false;
	}
	/* the add's dst: a local (stack slots are relocated later) */
	d = c->code[p + 3].i;
	if (d >= (int64_t)c->nlocals * 8)
		return false;
	breloc = c->nreloc && c->reloc[c->nreloc - 1] == (uint32_t)l + 2;
	if (c->code[l + 1].i == d) {
		b = c->code[l + 2].i;
	} else if (!(form & 1) && c->code[l + 2].i == d) {
		/* d is the compare's b: swap the operands */
		breloc = c->nreloc && c->reloc[c->nreloc - 1] == (uint32_t)l + 1;
		b = c->code[l + 1].i;
		cmp = cmp_swap[cmp];
	} else {
		return false;
	}
	op = SVM_OP_add_br_eq + cmp * 8 + (c->m->meter ? 4 : 0) + form;
	c->code[p].op = c->ops[op];
	c->code[p + 4].i = b;
	if (breloc)
		c->reloc[c->nreloc - 1] = (uint32_t)p + 4;
	c->ncode = (uint32_t)p + 5;
	c->last_op = p;
	return true;
}

/*
 * A conditional branch on the compare just emitted: rewrite the compare
 * [op][a][b][d] into a fused [br_cmp][a][b] (eqz: [op][a] into br_unless)
 * and return true; the caller then emits the offset cell.
 */
static bool fuse_compare(struct comp *c, uint32_t cond_h, bool negate)
{
	enum svm_op fused;
	int k;

	if (c->dead || c->r.failed || c->last_cmp < 0 || c->last_dst < 0 ||
	    c->last_end != c->ncode || c->last_h != cond_h ||
	    c->vs[cond_h].kind != VK_SLOT ||
	    !c->nreloc || c->reloc[c->nreloc - 1] != (uint32_t)c->last_dst)
		return false;
	if (c->last_cmp == SVM_OP_i32_eqz) {
		fused = negate ? SVM_OP_br_if : SVM_OP_br_unless;
	} else if (c->last_cmp >= SVM_OP_i64_eq) {
		k = c->last_cmp - SVM_OP_i64_eq;
		fused = SVM_OP_br_i64_eq + (negate ? cmp_negate[k] : k);
	} else {
		k = c->last_cmp - SVM_OP_i32_eq;
		fused = SVM_OP_br_i32_eq + (negate ? cmp_negate[k] : k);
	}
	if (c->last_k)
		fused = SVM_OP_br_i32_eq_k + (fused - SVM_OP_br_i32_eq);
	/* drop the dst cell: the offset cell takes its place */
	c->ncode--;
	c->nreloc--;
	if (!fuse_add_branch(c, fused))
		c->code[c->last_op].op = c->ops[metered(c, fused)];
	c->last_cmp = -1;
	c->last_dst = -1;
	return true;
}

static void op_br(struct comp *c, uint32_t depth, bool cond)
{
	struct ctl *fr;
	const uint8_t *types;
	uint32_t n, cond_h;
	int64_t skip;

	if (depth >= c->ncs) {
		cfail(c, "unknown label %u", depth);
		return;
	}
	charge(c, 1);
	fr = &c->cs[c->ncs - 1 - depth];
	types = label_types(fr, &n);
	if (cond)
		pop(c, SVM_T_I32);
	cond_h = c->nvs;
	check_top(c, types, n);
	if (c->r.failed)
		return;
	if (!cond) {
		if (!c->dead) {
			branch_moves(c, fr, n);
			emit_op(c, SVM_OP_br);
			emit_target(c, fr);
		}
		set_dead(c);
		return;
	}
	if (unknown_top(c, n)) {
		pop_types(c, types, n);
		push_types(c, types, n);
	}
	if (c->dead)
		return;
	/* both successors start blocks: the whole stack goes canonical */
	materialize_all(c);
	if (!branch_moves_needed(c, fr, n)) {
		if (!fuse_compare(c, cond_h, false)) {
			emit_op(c, SVM_OP_br_if);
			emit_src(c, cond_h);
		}
		emit_target(c, fr);
	} else {
		/* plain: what follows is the value moves, not a fuel op */
		emit_op_raw(c, SVM_OP_br_unless);
		emit_src(c, cond_h);
		skip = c->ncode;
		emit_cell(c, 0);
		branch_moves(c, fr, n);
		emit_op(c, SVM_OP_br);
		emit_target(c, fr);
		if (!c->r.failed)
			c->code[skip].i = (int64_t)c->ncode - skip;
	}
	/* br_if leaves the values typed as the label's */
	pop_types(c, types, n);
	push_types(c, types, n);
	begin_block(c);
}

static void op_br_table(struct comp *c)
{
	uint32_t n = rd_u32(&c->r), i, arity = 0, dflt, idx_h, tab;
	uint32_t *labels;
	const uint8_t *types;

	if (c->r.failed)
		return;
	if (n > SVM_MAX_BR_TABLE || n > (uint32_t)(c->r.end - c->r.p)) {
		cfail(c, "br_table too large (%u)", n);
		return;
	}
	labels = svm_valloc(((size_t)n + 1) * sizeof(*labels));
	if (!labels) {
		cfail(c, "out of memory");
		return;
	}
	for (i = 0; i <= n && !c->r.failed; i++) {
		labels[i] = rd_u32(&c->r);
		if (!c->r.failed && labels[i] >= c->ncs)
			cfail(c, "unknown label %u", labels[i]);
	}
	if (c->r.failed)
		goto out_free_labels;
	charge(c, 1);
	pop(c, SVM_T_I32);
	idx_h = c->nvs;
	dflt = labels[n];
	types = label_types(&c->cs[c->ncs - 1 - dflt], &arity);
	for (i = 0; i <= n && !c->r.failed; i++) {
		uint32_t k;
		const uint8_t *t = label_types(&c->cs[c->ncs - 1 - labels[i]], &k);

		if (k != arity) {
			cfail(c, "type mismatch: br_table targets differ in arity");
			break;
		}
		check_top(c, t, k);
	}
	if (c->r.failed || c->dead)
		goto out_dead;
	materialize_all(c);
	emit_op(c, SVM_OP_br_table);
	emit_src(c, idx_h);
	emit_cell(c, n);
	tab = c->ncode;
	for (i = 0; i <= n; i++)
		emit_cell(c, 0);
	for (i = 0; i <= n && !c->r.failed; i++) {
		struct ctl *fr = &c->cs[c->ncs - 1 - labels[i]];

		if (!branch_moves_needed(c, fr, arity)) {
			/* the entry itself is the branch */
			uint32_t cell = tab + i;

			if (fr->kind == CT_LOOP) {
				c->code[cell].i = (int64_t)fr->loop_pc - cell;
			} else {
				c->code[cell].i = fr->patch;
				fr->patch = cell;
			}
			continue;
		}
		/* a stub after the table moves the values, then branches */
		c->code[tab + i].i = (int64_t)c->ncode - (tab + i);
		branch_moves(c, fr, arity);
		emit_op(c, SVM_OP_br);
		emit_target(c, fr);
	}
out_dead:
	(void)types;
	set_dead(c);
out_free_labels:
	svm_vfree(labels);
}

static void op_end(struct comp *c)
{
	struct ctl *fr = &c->cs[c->ncs - 1];
	bool branched, reuse;
	uint32_t target;

	check_top(c, fr->results, fr->nresults);
	if (c->r.failed)
		return;
	if (c->nvs - fr->height > fr->nresults && !c->r.failed) {
		cfail(c, "type mismatch: %u values left at the end of a block",
		      c->nvs - fr->height);
		return;
	}
	if (fr->kind == CT_IF && fr->nresults != fr->nparams) {
		cfail(c, "type mismatch: if without else must not change the stack");
		return;
	}
	if (fr->kind == CT_IF) {
		uint32_t i;

		for (i = 0; i < fr->nparams; i++) {
			if (fr->params[i] != fr->results[i]) {
				cfail(c, "type mismatch: if without else");
				return;
			}
		}
	}
	if (fr->kind == CT_FUNC) {
		uint32_t n = fr->nresults, i;

		if (!c->dead)
			emit_return(c, n);
		patch_list(c, fr->patch, c->ncode);
		/* branches to the function label land on a return sequence */
		if (fr->patch >= 0) {
			bool was_dead = c->dead;

			c->dead = false;
			c->nvs = fr->height;
			push_types(c, fr->results, n);
			/* every branch target starts with a fuel op (ops.h) */
			if (c->m->meter) {
				emit_op(c, SVM_OP_fuel);
				emit_cell(c, 0);
				emit_cell(c, SVM_PACK_PC(rd_off(&c->r) - 1 - c->m->code_offset,
							 c->nvs));
			}
			for (i = 0; i < n; i++) {
				emit_copy(c);
				emit_slot(c, c->nvs - n + i);
				emit_cell(c, (uint64_t)i * 8);
			}
			emit_op(c, SVM_OP_ret);
			c->dead = was_dead;
		}
		c->ncs--;
		return;
	}
	if (!c->dead)
		materialize_all(c);
	branched = fr->patch >= 0 || fr->else_patch >= 0;
	/*
	 * A block that just began and is still empty (say, after the br_if
	 * closing a loop) absorbs this label instead of a second fuel op.
	 */
	reuse = branched && !c->dead && c->fuel_cell >= 0 &&
		c->fuel_cell == (int64_t)c->ncode - 2 && c->code[c->fuel_cell].i == 0;
	target = reuse ? (uint32_t)c->fuel_cell - 1 : c->ncode;
	patch_list(c, fr->patch, target);
	patch_list(c, fr->else_patch, target);
	c->nvs = fr->height;
	c->dead = fr->dead_entry || (c->dead && !branched);
	c->ncs--;
	push_types(c, fr->results, fr->nresults);
	if (reuse) {
		c->code[c->fuel_cell + 1].u =
			SVM_PACK_PC(rd_off(&c->r) - c->m->code_offset, c->nvs);
		c->last_dst = -1;
	} else if (branched) {
		begin_block(c);
	} else {
		c->last_dst = -1;
		if (c->dead)
			c->fuel_cell = -1;
	}
}

static void op_else(struct comp *c)
{
	struct ctl *fr = &c->cs[c->ncs - 1];

	if (fr->kind != CT_IF) {
		cfail(c, "else without if");
		return;
	}
	check_top(c, fr->results, fr->nresults);
	if (c->r.failed)
		return;
	if (c->nvs - fr->height > fr->nresults) {
		cfail(c, "type mismatch: values left at else");
		return;
	}
	if (!c->dead) {
		materialize_all(c);
		emit_op(c, SVM_OP_br);
		add_patch(c, fr);
	}
	fr->kind = CT_ELSE;
	c->dead = fr->dead_entry;
	patch_list(c, fr->else_patch, c->ncode);
	fr->else_patch = -1;
	fr->unreachable = false;
	c->nvs = fr->height;
	c->nlazy_locals = 0;
	push_types(c, fr->params, fr->nparams);
	begin_block(c);
}

static void op_select(struct comp *c, bool typed)
{
	uint8_t t = 0, t1, t2;
	uint32_t h;

	if (typed) {
		uint32_t n = rd_u32(&c->r);

		if (!c->r.failed && n != 1) {
			cfail(c, "invalid result arity for select");
			return;
		}
		t = rd_valtype(&c->r);
		if (c->r.failed)
			return;
	}
	charge(c, 1);
	pop(c, SVM_T_I32);
	t1 = pop(c, t);
	t2 = pop(c, t ? t : (t1 == SVM_T_ANY ? 0 : t1));
	if (c->r.failed)
		return;
	if (!typed) {
		if (t1 == SVM_T_ANY)
			t1 = t2;
		if (t1 != SVM_T_ANY && !svm_is_num(t1)) {
			cfail(c, "type mismatch: select needs numeric operands");
			return;
		}
		if (t2 != SVM_T_ANY && t1 != SVM_T_ANY && t1 != t2) {
			cfail(c, "type mismatch in select");
			return;
		}
		t = t1;
	}
	h = c->nvs;
	if (!c->dead) {
		emit_op(c, SVM_OP_select);
		emit_src(c, h);
		emit_src(c, h + 1);
		emit_src(c, h + 2);
	}
	push(c, t);
	emit_dst(c, h);
}

static bool check_table_idx(struct comp *c, uint32_t t)
{
	if (t >= c->m->ntables) {
		cfail(c, "unknown table %u", t);
		return false;
	}
	return true;
}

static bool check_elem_idx(struct comp *c, uint32_t e)
{
	if (e >= c->m->nelems) {
		cfail(c, "unknown elem segment %u", e);
		return false;
	}
	return true;
}

static bool check_data_idx(struct comp *c, uint32_t d)
{
	if (!c->m->has_datacount) {
		cfail(c, "data count section required");
		return false;
	}
	if (d >= c->m->ndatas) {
		cfail(c, "unknown data segment %u", d);
		return false;
	}
	return true;
}

static void rd_zero(struct comp *c)
{
	if (rd_u8(&c->r) != 0 && !c->r.failed)
		cfail(c, "zero byte expected");
}

/* Emit an op taking n popped values as operands (no result). */
static void emit_popped(struct comp *c, uint32_t h, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		emit_src(c, h + i);
}

static void op_prefixed(struct comp *c)
{
	uint32_t sub = rd_u32(&c->r), a, b, h;
	uint8_t t;

	if (c->r.failed)
		return;
	if (sub <= 7 && c->r.float_stubs) {
		charge(c, 1);
		pop(c, (sub & 2) ? SVM_T_F64 : SVM_T_F32);
		emit_op(c, SVM_OP_float_stub);
		push(c, sub < 4 ? SVM_T_I32 : SVM_T_I64);
		c->last_dst = -1;
		return;
	}
	if (sub <= 7) {
		c->r.err->profile = true;
		cfail(c, "opcode 0xfc %u (%s.trunc_sat_f%u_%c) at offset %u is outside the deterministic profile",
		      sub, sub < 4 ? "i32" : "i64", (sub & 2) ? 64 : 32,
		      (sub & 1) ? 'u' : 's', c->ins_off);
		return;
	}
	charge(c, 1);
	switch (sub) {
	case 8:		/* memory.init */
		a = rd_u32(&c->r);
		rd_zero(c);
		if (c->r.failed || !need_memory(c) || !check_data_idx(c, a))
			return;
		pop(c, SVM_T_I32);
		pop(c, SVM_T_I32);
		pop(c, SVM_T_I32);
		emit_op(c, SVM_OP_memory_init);
		emit_cell(c, a);
		emit_popped(c, c->nvs, 3);
		break;
	case 9:		/* data.drop */
		a = rd_u32(&c->r);
		if (c->r.failed || !check_data_idx(c, a))
			return;
		emit_op(c, SVM_OP_data_drop);
		emit_cell(c, a);
		break;
	case 10:	/* memory.copy */
		rd_zero(c);
		rd_zero(c);
		if (c->r.failed || !need_memory(c))
			return;
		pop(c, SVM_T_I32);
		pop(c, SVM_T_I32);
		pop(c, SVM_T_I32);
		emit_op(c, SVM_OP_memory_copy);
		emit_popped(c, c->nvs, 3);
		break;
	case 11:	/* memory.fill */
		rd_zero(c);
		if (c->r.failed || !need_memory(c))
			return;
		pop(c, SVM_T_I32);
		pop(c, SVM_T_I32);
		pop(c, SVM_T_I32);
		emit_op(c, SVM_OP_memory_fill);
		emit_popped(c, c->nvs, 3);
		break;
	case 12:	/* table.init elem table */
		a = rd_u32(&c->r);
		b = rd_u32(&c->r);
		if (c->r.failed || !check_elem_idx(c, a) || !check_table_idx(c, b))
			return;
		if (c->m->elems[a].type != c->m->tables[b].type) {
			cfail(c, "type mismatch: table.init");
			return;
		}
		pop(c, SVM_T_I32);
		pop(c, SVM_T_I32);
		pop(c, SVM_T_I32);
		emit_op(c, SVM_OP_table_init);
		emit_cell(c, b);
		emit_cell(c, a);
		emit_popped(c, c->nvs, 3);
		break;
	case 13:	/* elem.drop */
		a = rd_u32(&c->r);
		if (c->r.failed || !check_elem_idx(c, a))
			return;
		emit_op(c, SVM_OP_elem_drop);
		emit_cell(c, a);
		break;
	case 14:	/* table.copy dst src */
		a = rd_u32(&c->r);
		b = rd_u32(&c->r);
		if (c->r.failed || !check_table_idx(c, a) || !check_table_idx(c, b))
			return;
		if (c->m->tables[a].type != c->m->tables[b].type) {
			cfail(c, "type mismatch: table.copy");
			return;
		}
		pop(c, SVM_T_I32);
		pop(c, SVM_T_I32);
		pop(c, SVM_T_I32);
		emit_op(c, SVM_OP_table_copy);
		emit_cell(c, a);
		emit_cell(c, b);
		emit_popped(c, c->nvs, 3);
		break;
	case 15:	/* table.grow */
		a = rd_u32(&c->r);
		if (c->r.failed || !check_table_idx(c, a))
			return;
		t = c->m->tables[a].type;
		pop(c, SVM_T_I32);
		pop(c, t);
		h = c->nvs;
		if (!c->dead && !c->r.failed) {
			emit_op(c, SVM_OP_table_grow);
			emit_cell(c, a);
			emit_popped(c, h, 2);
		}
		push(c, SVM_T_I32);
		emit_dst(c, h);
		break;
	case 16:	/* table.size */
		a = rd_u32(&c->r);
		if (c->r.failed || !check_table_idx(c, a))
			return;
		h = c->nvs;
		emit_op(c, SVM_OP_table_size);
		emit_cell(c, a);
		push(c, SVM_T_I32);
		emit_dst(c, h);
		break;
	case 17:	/* table.fill */
		a = rd_u32(&c->r);
		if (c->r.failed || !check_table_idx(c, a))
			return;
		t = c->m->tables[a].type;
		pop(c, SVM_T_I32);
		pop(c, t);
		pop(c, SVM_T_I32);
		emit_op(c, SVM_OP_table_fill);
		emit_cell(c, a);
		emit_popped(c, c->nvs, 3);
		break;
	default:
		cfail(c, "illegal opcode 0xfc %u", sub);
	}
}

static const char *const farith[] = {
	"abs", "neg", "ceil", "floor", "trunc", "nearest", "sqrt", "add",
	"sub", "mul", "div", "min", "max", "copysign",
};
static const char *const fcmp[] = { "eq", "ne", "lt", "gt", "le", "ge" };
static const char *const fconv[] = {
	"i32.trunc_f32_s", "i32.trunc_f32_u", "i32.trunc_f64_s",
	"i32.trunc_f64_u", NULL, NULL, "i64.trunc_f32_s", "i64.trunc_f32_u",
	"i64.trunc_f64_s", "i64.trunc_f64_u", "f32.convert_i32_s",
	"f32.convert_i32_u", "f32.convert_i64_s", "f32.convert_i64_u",
	"f32.demote_f64", "f64.convert_i32_s", "f64.convert_i32_u",
	"f64.convert_i64_s", "f64.convert_i64_u", "f64.promote_f32",
	"i32.reinterpret_f32", "i64.reinterpret_f64", "f32.reinterpret_i32",
	"f64.reinterpret_i64",
};

/*
 * Testing only (float_stubs): type-check a float instruction like any
 * other and compile it to a trap. Returns false for non-float opcodes.
 */
static bool float_stub(struct comp *c, uint8_t op)
{
	static const uint8_t conv_in[24] = {
		SVM_T_F32, SVM_T_F32, SVM_T_F64, SVM_T_F64, 0, 0,
		SVM_T_F32, SVM_T_F32, SVM_T_F64, SVM_T_F64,
		SVM_T_I32, SVM_T_I32, SVM_T_I64, SVM_T_I64, SVM_T_F64,
		SVM_T_I32, SVM_T_I32, SVM_T_I64, SVM_T_I64, SVM_T_F32,
		SVM_T_F32, SVM_T_F64, SVM_T_I32, SVM_T_I64,
	};
	static const uint8_t conv_out[24] = {
		SVM_T_I32, SVM_T_I32, SVM_T_I32, SVM_T_I32, 0, 0,
		SVM_T_I64, SVM_T_I64, SVM_T_I64, SVM_T_I64,
		SVM_T_F32, SVM_T_F32, SVM_T_F32, SVM_T_F32, SVM_T_F32,
		SVM_T_F64, SVM_T_F64, SVM_T_F64, SVM_T_F64, SVM_T_F64,
		SVM_T_I32, SVM_T_I64, SVM_T_F32, SVM_T_F64,
	};
	uint8_t in1 = 0, in2 = 0, out = 0, t;
	uint32_t off;

	if (op == 0x43 || op == 0x44) {
		uint32_t k, n = op == 0x43 ? 4 : 8;

		for (k = 0; k < n; k++)
			rd_u8(&c->r);
		out = op == 0x43 ? SVM_T_F32 : SVM_T_F64;
	} else if (op == 0x2a || op == 0x2b) {
		read_memarg(c, op == 0x2a ? 2 : 3, &off);
		if (!need_memory(c))
			return true;
		in1 = SVM_T_I32;
		out = op == 0x2a ? SVM_T_F32 : SVM_T_F64;
	} else if (op == 0x38 || op == 0x39) {
		read_memarg(c, op == 0x38 ? 2 : 3, &off);
		if (!need_memory(c))
			return true;
		in1 = SVM_T_I32;
		in2 = op == 0x38 ? SVM_T_F32 : SVM_T_F64;
	} else if (op >= 0x5b && op <= 0x66) {
		in1 = in2 = op <= 0x60 ? SVM_T_F32 : SVM_T_F64;
		out = SVM_T_I32;
	} else if (op >= 0x8b && op <= 0xa6) {
		t = op <= 0x98 ? SVM_T_F32 : SVM_T_F64;
		in1 = t;
		out = t;
		if ((op >= 0x92 && op <= 0x98) || op >= 0xa0)
			in2 = t;
	} else if (op >= 0xa8 && op <= 0xbf && conv_in[op - 0xa8]) {
		in1 = conv_in[op - 0xa8];
		out = conv_out[op - 0xa8];
	} else {
		return false;
	}
	charge(c, 1);
	if (in2)
		pop(c, in2);
	if (in1)
		pop(c, in1);
	emit_op(c, SVM_OP_float_stub);
	if (out)
		push(c, out);
	c->last_dst = -1;
	return true;
}

/* Float opcodes of the core set: refused, named, with their offset. */
static bool float_op(struct comp *c, uint8_t op)
{
	char name[32];

	if (c->r.float_stubs)
		return float_stub(c, op);

	if (op >= 0x5b && op <= 0x66)
		snprintf(name, sizeof(name), "%s.%s", op <= 0x60 ? "f32" : "f64",
			 fcmp[(op - 0x5b) % 6]);
	else if (op >= 0x8b && op <= 0xa6)
		snprintf(name, sizeof(name), "%s.%s", op <= 0x98 ? "f32" : "f64",
			 farith[(op - 0x8b) % 14]);
	else if (op >= 0xa8 && op <= 0xbf && fconv[op - 0xa8])
		snprintf(name, sizeof(name), "%s", fconv[op - 0xa8]);
	else if (op == 0x2a || op == 0x2b || op == 0x38 || op == 0x39)
		snprintf(name, sizeof(name), "%s.%s", (op & 1) ? "f64" : "f32",
			 op < 0x38 ? "load" : "store");
	else if (op == 0x43 || op == 0x44)
		snprintf(name, sizeof(name), "%s.const", op == 0x43 ? "f32" : "f64");
	else
		return false;
	c->r.err->profile = true;
	cfail(c, "opcode 0x%02x (%s) at offset %u is outside the deterministic profile",
	      op, name, c->ins_off);
	return true;
}

static const enum svm_op binop_i32[] = {
	SVM_OP_i32_add, SVM_OP_i32_sub, SVM_OP_i32_mul, SVM_OP_i32_div_s,
	SVM_OP_i32_div_u, SVM_OP_i32_rem_s, SVM_OP_i32_rem_u, SVM_OP_i32_and,
	SVM_OP_i32_or, SVM_OP_i32_xor, SVM_OP_i32_shl, SVM_OP_i32_shr_s,
	SVM_OP_i32_shr_u, SVM_OP_i32_rotl, SVM_OP_i32_rotr,
};

static const enum svm_op binop_i64[] = {
	SVM_OP_i64_add, SVM_OP_i64_sub, SVM_OP_i64_mul, SVM_OP_i64_div_s,
	SVM_OP_i64_div_u, SVM_OP_i64_rem_s, SVM_OP_i64_rem_u, SVM_OP_i64_and,
	SVM_OP_i64_or, SVM_OP_i64_xor, SVM_OP_i64_shl, SVM_OP_i64_shr_s,
	SVM_OP_i64_shr_u, SVM_OP_i64_rotl, SVM_OP_i64_rotr,
};

static const enum svm_op cmp_i32[] = {
	SVM_OP_i32_eq, SVM_OP_i32_ne, SVM_OP_i32_lt_s, SVM_OP_i32_lt_u,
	SVM_OP_i32_gt_s, SVM_OP_i32_gt_u, SVM_OP_i32_le_s, SVM_OP_i32_le_u,
	SVM_OP_i32_ge_s, SVM_OP_i32_ge_u,
};

static const enum svm_op cmp_i64[] = {
	SVM_OP_i64_eq, SVM_OP_i64_ne, SVM_OP_i64_lt_s, SVM_OP_i64_lt_u,
	SVM_OP_i64_gt_s, SVM_OP_i64_gt_u, SVM_OP_i64_le_s, SVM_OP_i64_le_u,
	SVM_OP_i64_ge_s, SVM_OP_i64_ge_u,
};

static const enum svm_op load_ops[] = {
	SVM_OP_i32_load, SVM_OP_i64_load, 0, 0, SVM_OP_i32_load8_s,
	SVM_OP_i32_load8_u, SVM_OP_i32_load16_s, SVM_OP_i32_load16_u,
	SVM_OP_i64_load8_s, SVM_OP_i64_load8_u, SVM_OP_i64_load16_s,
	SVM_OP_i64_load16_u, SVM_OP_i64_load32_s, SVM_OP_i64_load32_u,
};
static const uint8_t load_align[] = { 2, 3, 2, 3, 0, 0, 1, 1, 0, 0, 1, 1, 2, 2 };

static const enum svm_op store_ops[] = {
	SVM_OP_i32_store, SVM_OP_i64_store, 0, 0, SVM_OP_i32_store8,
	SVM_OP_i32_store16, SVM_OP_i64_store8, SVM_OP_i64_store16,
	SVM_OP_i64_store32,
};
static const uint8_t store_align[] = { 2, 3, 2, 3, 0, 1, 0, 1, 2 };

static void compile_one(struct comp *c, uint8_t op)
{
	uint32_t a, b, h;
	uint8_t t;

	switch (op) {
	case 0x00:	/* unreachable */
		charge(c, 1);
		emit_op(c, SVM_OP_unreachable);
		set_dead(c);
		return;
	case 0x01:	/* nop */
		return;
	case 0x02:
		enter_frame(c, CT_BLOCK);
		return;
	case 0x03: {
		struct ctl *fr;

		enter_frame(c, CT_LOOP);
		if (c->r.failed)
			return;
		fr = &c->cs[c->ncs - 1];
		fr->loop_pc = c->ncode;
		begin_block(c);
		return;
	}
	case 0x04: {
		struct ctl *fr;
		uint32_t cond_h;

		enter_frame(c, CT_IF);
		if (c->r.failed)
			return;
		charge(c, 1);
		fr = &c->cs[c->ncs - 1];
		cond_h = c->nvs;	/* the popped condition's slot */
		if (!c->dead) {
			if (!fuse_compare(c, cond_h, true)) {
				emit_op(c, SVM_OP_br_unless);
				emit_src(c, cond_h);
			}
			fr->else_patch = c->ncode;
			emit_cell(c, (uint64_t)-1);
		}
		begin_block(c);
		return;
	}
	case 0x05:
		op_else(c);
		return;
	case 0x0b:
		op_end(c);
		return;
	case 0x0c:
		op_br(c, rd_u32(&c->r), false);
		return;
	case 0x0d:
		op_br(c, rd_u32(&c->r), true);
		return;
	case 0x0e:
		op_br_table(c);
		return;
	case 0x0f:
		op_return(c);
		return;
	case 0x10:
		a = rd_u32(&c->r);
		if (c->r.failed)
			return;
		if (a >= c->m->nfuncs) {
			cfail(c, "unknown function %u", a);
			return;
		}
		op_call(c, a, false, 0, 0);
		return;
	case 0x11:
		a = rd_u32(&c->r);
		b = rd_u32(&c->r);
		if (c->r.failed)
			return;
		if (a >= c->m->ntypes) {
			cfail(c, "unknown type %u", a);
			return;
		}
		if (!check_table_idx(c, b))
			return;
		if (c->m->tables[b].type != SVM_T_FUNCREF) {
			cfail(c, "type mismatch: call_indirect on a non-funcref table");
			return;
		}
		op_call(c, 0, true, a, b);
		return;
	case 0x1a:	/* drop */
		charge(c, 1);
		pop(c, 0);
		return;
	case 0x1b:
		op_select(c, false);
		return;
	case 0x1c:
		op_select(c, true);
		return;
	case 0x20:	/* local.get */
		a = rd_u32(&c->r);
		if (c->r.failed)
			return;
		if (a >= c->nlocals) {
			cfail(c, "unknown local %u", a);
			return;
		}
		charge(c, 1);
		push(c, c->ltypes[a]);
		if (!c->dead && !c->r.failed) {
			c->vs[c->nvs - 1].kind = VK_LOCAL;
			c->vs[c->nvs - 1].idx = a;
			c->nlazy_locals++;
		}
		return;
	case 0x21:
	case 0x22:
		a = rd_u32(&c->r);
		if (!c->r.failed)
			op_local_set(c, a, op == 0x22);
		return;
	case 0x23:	/* global.get */
		a = rd_u32(&c->r);
		if (c->r.failed)
			return;
		if (a >= c->m->nglobals) {
			cfail(c, "unknown global %u", a);
			return;
		}
		charge(c, 1);
		h = c->nvs;
		emit_op(c, SVM_OP_global_get);
		emit_cell(c, a);
		push(c, c->m->globals[a].type);
		emit_dst(c, h);
		return;
	case 0x24:	/* global.set */
		a = rd_u32(&c->r);
		if (c->r.failed)
			return;
		if (a >= c->m->nglobals) {
			cfail(c, "unknown global %u", a);
			return;
		}
		if (!c->m->globals[a].mut) {
			cfail(c, "global is immutable");
			return;
		}
		charge(c, 1);
		pop(c, c->m->globals[a].type);
		emit_op(c, SVM_OP_global_set);
		emit_cell(c, a);
		emit_src(c, c->nvs);
		return;
	case 0x25:	/* table.get */
		a = rd_u32(&c->r);
		if (c->r.failed || !check_table_idx(c, a))
			return;
		charge(c, 1);
		pop(c, SVM_T_I32);
		h = c->nvs;
		if (!c->dead) {
			emit_op(c, SVM_OP_table_get);
			emit_cell(c, a);
			emit_src(c, h);
		}
		push(c, c->m->tables[a].type);
		emit_dst(c, h);
		return;
	case 0x26:	/* table.set */
		a = rd_u32(&c->r);
		if (c->r.failed || !check_table_idx(c, a))
			return;
		charge(c, 1);
		pop(c, c->m->tables[a].type);
		pop(c, SVM_T_I32);
		emit_op(c, SVM_OP_table_set);
		emit_cell(c, a);
		emit_popped(c, c->nvs, 2);
		return;
	case 0x3f:	/* memory.size */
		rd_zero(c);
		if (c->r.failed || !need_memory(c))
			return;
		charge(c, 1);
		h = c->nvs;
		emit_op(c, SVM_OP_memory_size);
		push(c, SVM_T_I32);
		emit_dst(c, h);
		return;
	case 0x40:	/* memory.grow */
		rd_zero(c);
		if (c->r.failed || !need_memory(c))
			return;
		op_unary(c, SVM_OP_memory_grow, SVM_T_I32, SVM_T_I32);
		return;
	case 0x41:
		charge(c, 1);
		push_const(c, SVM_T_I32, (uint32_t)rd_sleb(&c->r, 32));
		return;
	case 0x42:
		charge(c, 1);
		push_const(c, SVM_T_I64, (uint64_t)rd_sleb(&c->r, 64));
		return;
	case 0x45:
		op_unary(c, SVM_OP_i32_eqz, SVM_T_I32, SVM_T_I32);
		return;
	case 0x50:
		op_unary(c, SVM_OP_i64_eqz, SVM_T_I64, SVM_T_I32);
		return;
	case 0x67: case 0x68: case 0x69:
		op_unary(c, SVM_OP_i32_clz + (op - 0x67), SVM_T_I32, SVM_T_I32);
		return;
	case 0x79: case 0x7a: case 0x7b:
		op_unary(c, SVM_OP_i64_clz + (op - 0x79), SVM_T_I64, SVM_T_I64);
		return;
	case 0xa7:
		op_unary(c, SVM_OP_i32_wrap_i64, SVM_T_I64, SVM_T_I32);
		return;
	case 0xac:
		op_unary(c, SVM_OP_i64_extend_i32_s, SVM_T_I32, SVM_T_I64);
		return;
	case 0xad:
		op_unary(c, SVM_OP_i64_extend_i32_u, SVM_T_I32, SVM_T_I64);
		return;
	case 0xc0:
		op_unary(c, SVM_OP_i32_extend8_s, SVM_T_I32, SVM_T_I32);
		return;
	case 0xc1:
		op_unary(c, SVM_OP_i32_extend16_s, SVM_T_I32, SVM_T_I32);
		return;
	case 0xc2: case 0xc3: case 0xc4:
		op_unary(c, SVM_OP_i64_extend8_s + (op - 0xc2), SVM_T_I64, SVM_T_I64);
		return;
	case 0xd0:	/* ref.null */
		t = rd_u8(&c->r);
		if (c->r.failed)
			return;
		if (!svm_is_ref(t)) {
			cfail(c, "malformed reference type 0x%02x", t);
			return;
		}
		charge(c, 1);
		push_const(c, t, 0);
		return;
	case 0xd1: {	/* ref.is_null */
		struct ctl *fr = &c->cs[c->ncs - 1];

		if (c->nvs > fr->height) {
			t = c->vs[c->nvs - 1].type;
			if (t != SVM_T_ANY && !svm_is_ref(t)) {
				cfail(c, "type mismatch: ref.is_null needs a reference");
				return;
			}
		}
		charge(c, 1);
		h = c->nvs - 1;
		pop(c, 0);
		h = c->nvs;
		if (!c->dead && !c->r.failed) {
			emit_op(c, SVM_OP_ref_is_null);
			emit_src(c, h);
		}
		push(c, SVM_T_I32);
		emit_dst(c, h);
		return;
	}
	case 0xd2:	/* ref.func */
		a = rd_u32(&c->r);
		if (c->r.failed)
			return;
		if (a >= c->m->nfuncs) {
			cfail(c, "unknown function %u", a);
			return;
		}
		if (!c->m->func_declared[a]) {
			cfail(c, "undeclared function reference %u", a);
			return;
		}
		charge(c, 1);
		h = c->nvs;
		emit_op(c, SVM_OP_ref_func);
		emit_cell(c, a);
		push(c, SVM_T_FUNCREF);
		emit_dst(c, h);
		return;
	case 0xfc:
		op_prefixed(c);
		return;
	case 0xfd:
		c->r.err->profile = true;
		cfail(c, "opcode 0xfd (SIMD) at offset %u is outside the deterministic profile",
		      c->ins_off);
		return;
	case 0xfe:
		c->r.err->profile = true;
		cfail(c, "opcode 0xfe (atomics) at offset %u is outside the deterministic profile",
		      c->ins_off);
		return;
	}
	if (op >= 0x46 && op <= 0x4f) {
		op_binary(c, cmp_i32[op - 0x46], SVM_T_I32, SVM_T_I32);
		return;
	}
	if (op >= 0x51 && op <= 0x5a) {
		op_binary(c, cmp_i64[op - 0x51], SVM_T_I64, SVM_T_I32);
		return;
	}
	if (op >= 0x6a && op <= 0x78) {
		op_binary(c, binop_i32[op - 0x6a], SVM_T_I32, SVM_T_I32);
		return;
	}
	if (op >= 0x7c && op <= 0x8a) {
		op_binary(c, binop_i64[op - 0x7c], SVM_T_I64, SVM_T_I64);
		return;
	}
	if (float_op(c, op))
		return;
	if (op >= 0x28 && op <= 0x35) {
		t = (op == 0x28 || (op >= 0x2c && op <= 0x2f)) ? SVM_T_I32 : SVM_T_I64;
		op_load(c, load_ops[op - 0x28], load_align[op - 0x28], t);
		return;
	}
	if (op >= 0x36 && op <= 0x3e) {
		t = (op == 0x36 || op == 0x3a || op == 0x3b) ? SVM_T_I32 : SVM_T_I64;
		op_store(c, store_ops[op - 0x36], store_align[op - 0x36], t);
		return;
	}
	cfail(c, "illegal opcode 0x%02x", op);
}

static int read_locals(struct comp *c)
{
	const struct svm_functype *ft = c->ft;
	const uint8_t *save;
	uint32_t n, i, k, cnt;
	uint64_t total = ft->nparams;

	n = rd_u32(&c->r);
	save = c->r.p;
	/* first pass: count, so the types array is allocated once */
	for (i = 0; i < n && !c->r.failed; i++) {
		total += rd_u32(&c->r);
		rd_u8(&c->r);
		if (total > SVM_MAX_LOCALS) {
			cfail(c, "too many locals (limit %u)", SVM_MAX_LOCALS);
			return -1;
		}
	}
	if (c->r.failed)
		return -1;
	c->ltypes = svm_alloc(total + 1);
	if (!c->ltypes) {
		cfail(c, "out of memory");
		return -1;
	}
	memcpy(c->ltypes, ft->types, ft->nparams);
	c->nlocals = ft->nparams;
	c->r.p = save;
	for (i = 0; i < n && !c->r.failed; i++) {
		cnt = rd_u32(&c->r);
		c->ins_off = rd_off(&c->r);
		c->ltypes[c->nlocals] = rd_valtype(&c->r);
		for (k = 1; k < cnt; k++)
			c->ltypes[c->nlocals + k] = c->ltypes[c->nlocals];
		c->nlocals += cnt;
	}
	return c->r.failed ? -1 : 0;
}

static void finalize(struct comp *c)
{
	struct svm_func *f = c->f;
	uint32_t i;

	for (i = 0; i < c->nreloc; i++)
		c->code[c->reloc[i]].i += (int64_t)c->nconsts * 8;
	f->nparams = c->ft->nparams;
	f->nlocals = c->nlocals;
	f->nconsts = c->nconsts;
	f->frame_slots = c->nlocals + c->nconsts + c->max_height + 1;
	f->code = c->code;
	f->ncode = c->ncode;
	c->code = NULL;
	f->consts = svm_alloc(((size_t)c->nconsts + 1) * sizeof(uint64_t));
	if (!f->consts) {
		cfail(c, "out of memory");
		return;
	}
	if (c->nconsts)
		memcpy(f->consts, c->consts, (size_t)c->nconsts * sizeof(uint64_t));
}

int svm_compile_func(struct svm_module *m, uint32_t fidx, const uint8_t *p,
		     const uint8_t *end, struct svm_error *err)
{
	struct comp c = {};
	struct ctl *fr;

	c.m = m;
	c.f = &m->funcs[fidx - m->nfunc_imports];
	c.f->type = m->func_types[fidx];
	c.f->body_offset = (uint32_t)(p - m->bytes);
	c.ft = &m->types[c.f->type];
	c.ops = svm_interp_ops();
	c.r.base = m->bytes;
	c.r.p = p;
	c.r.end = end;
	c.r.err = err;
	c.r.float_stubs = m->float_stubs;
	c.fuel_cell = -1;
	c.last_dst = -1;
	c.last_cmp = -1;
	c.last_copy = -1;
	c.prev_op = -1;
	c.last_op = -1;
	c.ins_off = rd_off(&c.r);

	if (read_locals(&c))
		goto out_free;
	fr = push_ctl(&c, CT_FUNC);
	if (!fr)
		goto out_free;
	fr->nresults = c.ft->nresults;
	fr->results = c.ft->types + c.ft->nparams;
	c.ins_off = rd_off(&c.r);
	begin_block(&c);
	while (c.ncs && !c.r.failed) {
		uint8_t op;

		c.ins_off = rd_off(&c.r);
		if (c.r.p >= c.r.end) {
			cfail(&c, "unexpected end of section or function (END opcode expected)");
			break;
		}
		op = rd_u8(&c.r);
		compile_one(&c, op);
	}
	if (!c.r.failed && c.r.p != c.r.end) {
		c.ins_off = rd_off(&c.r);
		cfail(&c, "section size mismatch: code after the function's end");
	}
	if (!c.r.failed)
		finalize(&c);

out_free:
	svm_vfree(c.code);
	svm_free(c.ltypes);
	svm_vfree(c.vs);
	svm_vfree(c.cs);
	svm_vfree(c.reloc);
	svm_vfree(c.consts);
	return c.r.failed ? -1 : 0;
}
