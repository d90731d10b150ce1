// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * interp.c - the dispatch loop over the slot IR (ops.h).
 *
 * Direct threading: every cell that starts an instruction holds the address
 * of its handler (labels as values), so dispatch is one indirect jump. The
 * loop keeps ip, fp, fuel and the memory base in locals; it leaves only at a
 * trap, at the end of the outermost call, for a host call (svm_exec_run()
 * performs it outside the hot loop) or when a block's fuel cannot be paid
 * from the current window (a checkpoint, a slice end or exhaustion: the
 * caller decides). Wasm calls push an explicit frame: the C stack never
 * grows with Wasm recursion.
 */
#include "svm.h"
#include "ops.h"
#include "memtrack.h"
#include <uapi/synapse_abi.h>

static const void *const *svm_ops_table;

const void *const *svm_interp_ops(void)
{
	if (!svm_ops_table)
		svm_interp(NULL);
	return svm_ops_table;
}

/* Pay a dynamic cost beyond the window from the task's remaining fuel. */
static bool charge_slow(struct svm_exec *ex, int64_t fuel, uint64_t n)
{
	uint64_t spent = ex->fuel_used + (uint64_t)(ex->window - fuel);

	if (ex->fuel_limit - spent < n)
		return false;
	ex->fuel_used += n - (uint64_t)fuel;
	return true;
}

static inline uint32_t rotl32(uint32_t x, uint32_t n)
{
	n &= 31;
	return n ? (x << n) | (x >> (32 - n)) : x;
}

static inline uint32_t rotr32(uint32_t x, uint32_t n)
{
	n &= 31;
	return n ? (x >> n) | (x << (32 - n)) : x;
}

static inline uint64_t rotl64(uint64_t x, uint64_t n)
{
	n &= 63;
	return n ? (x << n) | (x >> (64 - n)) : x;
}

static inline uint64_t rotr64(uint64_t x, uint64_t n)
{
	n &= 63;
	return n ? (x >> n) | (x << (64 - n)) : x;
}

static inline uint32_t clz32(uint32_t x) { return x ? __builtin_clz(x) : 32; }
static inline uint32_t ctz32(uint32_t x) { return x ? __builtin_ctz(x) : 32; }
static inline uint64_t clz64(uint64_t x) { return x ? __builtin_clzll(x) : 64; }
static inline uint64_t ctz64(uint64_t x) { return x ? __builtin_ctzll(x) : 64; }

/* Bulk memory and table helpers: return a trap code or 0. */
static int table_init(struct svm_instance *in, struct svm_table *t,
		      uint32_t seg, uint32_t d, uint32_t s, uint32_t n)
{
	const struct svm_elemseg *es = &in->mod->elems[seg];
	uint32_t len = in->elem_dropped[seg] ? 0 : es->n, i;

	if ((uint64_t)s + n > len || (uint64_t)d + n > t->size)
		return SYNAPSE_TRAP_TABLE_OOB;
	for (i = 0; i < n; i++) {
		const struct svm_cexpr *e = &es->items[s + i];
		uint64_t v = 0;

		if (e->op == 0xd2)
			v = (uint64_t)in->funcs[e->idx]->addr + 1;
		else if (e->op == 0x23)
			v = in->globals[e->idx]->val;
		t->elems[d + i] = v;
	}
	return 0;
}

int svm_interp(struct svm_exec *ex)
{
	static const void *const ops[] = {
#define X(n) &&L_##n,
#define XK(n) &&L_##n##_k,
#define XKM(n) &&L_##n##_k_m,
		SVM_ALL_OPS(X)
		SVM_ALL_KOPS(XK, XKM)
		SVM_FUSED_OPS(X)
#define XA(c) SVM_ADDBR_NAMES(X, c)
		SVM_ADDBR_CMPS(XA)
#undef XA
#undef XKM
#undef XK
#undef X
	};
	union svm_cell *ip;
	uint64_t *fp;
	struct svm_funcinst *fn, *callee;
	struct svm_instance *inst;
	struct svm_memory *memory;
	struct svm_memtrack *mt;
	uint8_t *dirty;
	uint8_t *mem;
	uint64_t msize;
	int64_t fuel;
	uint64_t *stack_end;
	struct svm_frame *frames;
	uint32_t nframes, max_frames;
	int code = 0, ret;

	if (!ex) {
		svm_ops_table = ops;
		return 0;
	}
	ip = ex->ip;
	fp = ex->fp;
	fn = ex->fn;
	fuel = ex->window;
	frames = ex->frames;
	nframes = ex->nframes;
	max_frames = ex->max_frames;
	stack_end = ex->stack + ex->stack_slots;
	inst = fn->inst;

#define RELOAD_MEM()							\
	do {								\
		memory = inst->mem;					\
		mem = memory ? memory->data : NULL;			\
		msize = memory ? memory->bytes : 0;			\
		mt = memory ? memory->mt : NULL;			\
		dirty = mt ? mt->dirty : NULL;				\
	} while (0)

	RELOAD_MEM();

#define R(k)	(*(uint64_t *)((char *)fp + ip[k].i))
/* operand k of an _k op: an immediate value, not a frame offset */
#define K(k)	(ip[k].u)
#define RS32(k)	((int32_t)(uint32_t)R(k))
#define RU32(k)	((uint32_t)R(k))
#define RS64(k)	((int64_t)R(k))
#define NEXT(n)	do { ip += (n); goto *ip->op; } while (0)
#define TRAP(c)	do { code = (c); goto trap; } while (0)
#define CHARGE(n)							\
	do {								\
		uint64_t __n = (n);					\
		if (svm_likely((uint64_t)fuel >= __n)) {		\
			fuel -= (int64_t)__n;				\
		} else if (charge_slow(ex, fuel, __n)) {		\
			fuel = 0;					\
		} else {						\
			goto exhausted;					\
		}							\
	} while (0)

	NEXT(0);

L_fuel:
	if (svm_unlikely(fuel < ip[1].i))
		goto bound;
	fuel -= ip[1].i;
	NEXT(3);
L_copy:
	R(2) = R(1);
	NEXT(3);
L_copy2:
	R(2) = R(1);
	R(4) = R(3);
	NEXT(5);
L_br:
	ip += 1 + ip[1].i;
	goto *ip->op;
L_br_if:
	if (RU32(1)) {
		ip += 2 + ip[2].i;
		goto *ip->op;
	}
	NEXT(3);
L_br_unless:
	if (!RU32(1)) {
		ip += 2 + ip[2].i;
		goto *ip->op;
	}
	NEXT(3);
L_br_table: {
	uint32_t i = RU32(1);
	uint64_t n = ip[2].u;

	if (i > n)
		i = (uint32_t)n;
	ip += 3 + i;
	ip += ip->i;
	goto *ip->op;
}
L_ret:
	if (!nframes) {
		ex->results = fp;
		ex->status = SYNAPSE_STATUS_OK;
		ex->code = 0;
		ex->active = false;
		ret = SVM_RUN_DONE;
		goto out;
	}
	nframes--;
	ip = frames[nframes].ip;
	fp = frames[nframes].fp;
	fn = frames[nframes].fn;
	/* mem/msize are loop-wide: a grow in the callee already updated them */
	if (fn->inst != inst) {
		inst = fn->inst;
		RELOAD_MEM();
	}
	NEXT(0);
L_unreachable:
	TRAP(SYNAPSE_TRAP_UNREACHABLE);
L_float_stub:
	TRAP(SVM_TRAP_FLOAT_STUB);
L_call: {
	uint64_t *nfp;
	const struct svm_func *f;
	uint32_t clen;

	callee = inst->funcs[ip[1].u];
	nfp = (uint64_t *)((char *)fp + ip[2].i);
	clen = 4;
do_call:
	if (callee->host) {
		ex->host_fi = callee;
		ex->host_args = nfp;
		ip += clen;
		ret = SVM_RUN_HOST;
		goto out;
	}
	f = callee->code;
	if (svm_unlikely(nframes >= max_frames ||
			 nfp + f->frame_slots > stack_end))
		TRAP(SYNAPSE_TRAP_STACK_EXHAUSTED);
	frames[nframes].ip = ip + clen;
	frames[nframes].fp = fp;
	frames[nframes].fn = fn;
	nframes++;
	fp = nfp;
	fn = callee;
	{
		/* short loops: most functions have a handful of each */
		uint64_t *p = fp + f->nparams, *e = fp + f->nlocals;
		const uint64_t *k = f->consts;

		while (p < e)
			*p++ = 0;
		for (e = p + f->nconsts; p < e;)
			*p++ = *k++;
	}
	if (callee->inst != inst) {
		inst = callee->inst;
		RELOAD_MEM();
	}
	ip = f->code;
	/* metered code starts with the entry block's fuel op: pay it here */
	if (ip->op == &&L_fuel) {
		if (svm_unlikely(fuel < ip[1].i))
			goto bound;
		fuel -= ip[1].i;
		ip += 3;
	}
	NEXT(0);
L_call_indirect: {
	struct svm_table *t = inst->tables[ip[2].u];
	uint32_t i = RU32(3);

	if (i >= t->size)
		TRAP(SYNAPSE_TRAP_TABLE_OOB);
	if (!t->elems[i])
		TRAP(SYNAPSE_TRAP_NULL_FUNC);
	callee = inst->store->funcs[t->elems[i] - 1];
	if (callee->type_id != inst->type_ids[ip[1].u])
		TRAP(SYNAPSE_TRAP_SIG_MISMATCH);
	nfp = (uint64_t *)((char *)fp + ip[4].i);
	clen = 6;
	goto do_call;
}
}
L_select:
	R(4) = RU32(3) ? R(1) : R(2);
	NEXT(5);
L_global_get:
	R(2) = inst->globals[ip[1].u]->val;
	NEXT(3);
L_global_set:
	inst->globals[ip[1].u]->val = R(2);
	NEXT(3);
L_table_get: {
	struct svm_table *t = inst->tables[ip[1].u];
	uint32_t i = RU32(2);

	if (i >= t->size)
		TRAP(SYNAPSE_TRAP_TABLE_OOB);
	R(3) = t->elems[i];
	NEXT(4);
}
L_table_set: {
	struct svm_table *t = inst->tables[ip[1].u];
	uint32_t i = RU32(2);

	if (i >= t->size)
		TRAP(SYNAPSE_TRAP_TABLE_OOB);
	t->elems[i] = R(3);
	NEXT(4);
}
L_table_size:
	R(2) = inst->tables[ip[1].u]->size;
	NEXT(3);
L_table_grow: {
	struct svm_table *t = inst->tables[ip[1].u];
	uint32_t n = RU32(3), old;

	CHARGE(n / 8);
	if (svm_table_grow(t, n, R(2), inst->store->max_table, &old))
		R(4) = old;
	else
		R(4) = (uint32_t)-1;
	NEXT(5);
}
L_table_fill: {
	struct svm_table *t = inst->tables[ip[1].u];
	uint32_t i = RU32(2), n = RU32(4), k;
	uint64_t v = R(3);

	CHARGE(n / 8);
	if ((uint64_t)i + n > t->size)
		TRAP(SYNAPSE_TRAP_TABLE_OOB);
	for (k = 0; k < n; k++)
		t->elems[i + k] = v;
	NEXT(5);
}
L_table_copy: {
	struct svm_table *td = inst->tables[ip[1].u];
	struct svm_table *ts = inst->tables[ip[2].u];
	uint32_t d = RU32(3), s = RU32(4), n = RU32(5);

	CHARGE(n / 8);
	if ((uint64_t)s + n > ts->size || (uint64_t)d + n > td->size)
		TRAP(SYNAPSE_TRAP_TABLE_OOB);
	memmove(td->elems + d, ts->elems + s, (size_t)n * 8);
	NEXT(6);
}
L_table_init: {
	uint32_t n = RU32(5);

	CHARGE(n / 8);
	code = table_init(inst, inst->tables[ip[1].u], (uint32_t)ip[2].u,
			  RU32(3), RU32(4), n);
	if (code)
		goto trap;
	NEXT(6);
}
L_elem_drop:
	inst->elem_dropped[ip[1].u] = 1;
	NEXT(2);
L_ref_func:
	R(2) = (uint64_t)inst->funcs[ip[1].u]->addr + 1;
	NEXT(3);
L_memory_size:
	R(1) = memory->pages;
	NEXT(2);
L_memory_grow: {
	uint32_t n = RU32(1), old;

	CHARGE((uint64_t)n * 1024);
	if (svm_memory_grow(memory, n, &old))
		R(2) = old;
	else
		R(2) = (uint32_t)-1;
	RELOAD_MEM();
	NEXT(3);
}
L_memory_fill: {
	uint32_t d = RU32(1), n = RU32(3);

	CHARGE(n / 64);
	if ((uint64_t)d + n > msize)
		TRAP(SYNAPSE_TRAP_MEMORY_OOB);
	memset(mem + d, (int)(uint8_t)R(2), n);
	if (mt && n)
		svm_memtrack_dirty(mt, d, n);
	NEXT(4);
}
L_memory_copy: {
	uint32_t d = RU32(1), s = RU32(2), n = RU32(3);

	CHARGE(n / 64);
	if ((uint64_t)d + n > msize || (uint64_t)s + n > msize)
		TRAP(SYNAPSE_TRAP_MEMORY_OOB);
	memmove(mem + d, mem + s, n);
	if (mt && n)
		svm_memtrack_dirty(mt, d, n);
	NEXT(4);
}
L_memory_init: {
	uint32_t seg = (uint32_t)ip[1].u;
	uint32_t d = RU32(2), s = RU32(3), n = RU32(4);
	const struct svm_dataseg *ds = &inst->mod->datas[seg];
	uint32_t len = inst->data_dropped[seg] ? 0 : ds->len;

	CHARGE(n / 64);
	if ((uint64_t)s + n > len || (uint64_t)d + n > msize)
		TRAP(SYNAPSE_TRAP_MEMORY_OOB);
	memcpy(mem + d, ds->bytes + s, n);
	if (mt && n)
		svm_memtrack_dirty(mt, d, n);
	NEXT(5);
}
L_data_drop:
	inst->data_dropped[ip[1].u] = 1;
	NEXT(2);

	/* ---- numeric ---- */
#define BIN32(name, expr)						\
L_##name: {								\
	uint32_t a = RU32(1), b = RU32(2);				\
	R(3) = (uint32_t)(expr);					\
	NEXT(4);							\
}									\
L_##name##_k: {								\
	uint32_t a = RU32(1), b = (uint32_t)K(2);			\
	R(3) = (uint32_t)(expr);					\
	NEXT(4);							\
}
#define BIN64(name, expr)						\
L_##name: {								\
	uint64_t a = R(1), b = R(2);					\
	R(3) = (uint64_t)(expr);					\
	NEXT(4);							\
}									\
L_##name##_k: {								\
	uint64_t a = R(1), b = K(2);					\
	R(3) = (uint64_t)(expr);					\
	NEXT(4);							\
}
	BIN32(i32_add, a + b)
	BIN32(i32_sub, a - b)
	BIN32(i32_mul, a * b)
	BIN32(i32_and, a & b)
	BIN32(i32_or, a | b)
	BIN32(i32_xor, a ^ b)
	BIN32(i32_shl, a << (b & 31))
	BIN32(i32_shr_s, (int32_t)a >> (b & 31))
	BIN32(i32_shr_u, a >> (b & 31))
	BIN32(i32_rotl, rotl32(a, b))
	BIN32(i32_rotr, rotr32(a, b))
	BIN32(i32_eq, a == b)
	BIN32(i32_ne, a != b)
	BIN32(i32_lt_s, (int32_t)a < (int32_t)b)
	BIN32(i32_lt_u, a < b)
	BIN32(i32_gt_s, (int32_t)a > (int32_t)b)
	BIN32(i32_gt_u, a > b)
	BIN32(i32_le_s, (int32_t)a <= (int32_t)b)
	BIN32(i32_le_u, a <= b)
	BIN32(i32_ge_s, (int32_t)a >= (int32_t)b)
	BIN32(i32_ge_u, a >= b)
	BIN64(i64_add, a + b)
	BIN64(i64_sub, a - b)
	BIN64(i64_mul, a * b)
	BIN64(i64_and, a & b)
	BIN64(i64_or, a | b)
	BIN64(i64_xor, a ^ b)
	BIN64(i64_shl, a << (b & 63))
	BIN64(i64_shr_s, (int64_t)a >> (b & 63))
	BIN64(i64_shr_u, a >> (b & 63))
	BIN64(i64_rotl, rotl64(a, b))
	BIN64(i64_rotr, rotr64(a, b))
	BIN64(i64_eq, a == b)
	BIN64(i64_ne, a != b)
	BIN64(i64_lt_s, (int64_t)a < (int64_t)b)
	BIN64(i64_lt_u, a < b)
	BIN64(i64_gt_s, (int64_t)a > (int64_t)b)
	BIN64(i64_gt_u, a > b)
	BIN64(i64_le_s, (int64_t)a <= (int64_t)b)
	BIN64(i64_le_u, a <= b)
	BIN64(i64_ge_s, (int64_t)a >= (int64_t)b)
	BIN64(i64_ge_u, a >= b)

L_i32_div_s: {
	int32_t a = RS32(1), b = RS32(2);

	if (!b)
		TRAP(SYNAPSE_TRAP_DIV_ZERO);
	if (a == INT32_MIN && b == -1)
		TRAP(SYNAPSE_TRAP_INT_OVERFLOW);
	R(3) = (uint32_t)(a / b);
	NEXT(4);
}
L_i32_div_u: {
	uint32_t a = RU32(1), b = RU32(2);

	if (!b)
		TRAP(SYNAPSE_TRAP_DIV_ZERO);
	R(3) = a / b;
	NEXT(4);
}
L_i32_rem_s: {
	int32_t a = RS32(1), b = RS32(2);

	if (!b)
		TRAP(SYNAPSE_TRAP_DIV_ZERO);
	R(3) = (b == -1) ? 0 : (uint32_t)(a % b);
	NEXT(4);
}
L_i32_rem_u: {
	uint32_t a = RU32(1), b = RU32(2);

	if (!b)
		TRAP(SYNAPSE_TRAP_DIV_ZERO);
	R(3) = a % b;
	NEXT(4);
}
L_i64_div_s: {
	int64_t a = RS64(1), b = RS64(2);

	if (!b)
		TRAP(SYNAPSE_TRAP_DIV_ZERO);
	if (a == INT64_MIN && b == -1)
		TRAP(SYNAPSE_TRAP_INT_OVERFLOW);
	R(3) = (uint64_t)(a / b);
	NEXT(4);
}
L_i64_div_u: {
	uint64_t a = R(1), b = R(2);

	if (!b)
		TRAP(SYNAPSE_TRAP_DIV_ZERO);
	R(3) = a / b;
	NEXT(4);
}
L_i64_rem_s: {
	int64_t a = RS64(1), b = RS64(2);

	if (!b)
		TRAP(SYNAPSE_TRAP_DIV_ZERO);
	R(3) = (b == -1) ? 0 : (uint64_t)(a % b);
	NEXT(4);
}
L_i64_rem_u: {
	uint64_t a = R(1), b = R(2);

	if (!b)
		TRAP(SYNAPSE_TRAP_DIV_ZERO);
	R(3) = a % b;
	NEXT(4);
}

#define UN(name, expr)							\
L_##name: {								\
	uint64_t a = R(1);						\
	R(2) = (expr);							\
	NEXT(3);							\
}
	UN(i32_eqz, (uint32_t)a == 0)
	UN(i32_clz, clz32((uint32_t)a))
	UN(i32_ctz, ctz32((uint32_t)a))
	UN(i32_popcnt, svm_popcount32((uint32_t)a))
	UN(i64_eqz, a == 0)
	UN(i64_clz, clz64(a))
	UN(i64_ctz, ctz64(a))
	UN(i64_popcnt, svm_popcount64(a))
	UN(i32_wrap_i64, (uint32_t)a)
	UN(i64_extend_i32_s, (uint64_t)(int64_t)(int32_t)(uint32_t)a)
	UN(i64_extend_i32_u, (uint32_t)a)
	UN(i32_extend8_s, (uint32_t)(int32_t)(int8_t)(uint8_t)a)
	UN(i32_extend16_s, (uint32_t)(int32_t)(int16_t)(uint16_t)a)
	UN(i64_extend8_s, (uint64_t)(int64_t)(int8_t)(uint8_t)a)
	UN(i64_extend16_s, (uint64_t)(int64_t)(int16_t)(uint16_t)a)
	UN(i64_extend32_s, (uint64_t)(int64_t)(int32_t)(uint32_t)a)
	UN(ref_is_null, a == 0)

	/* ---- memory: effective address is 33 bits, never wraps ---- */
#define LOAD_AT(label, b, size, expr)					\
label: {								\
	uint64_t ea = (uint64_t)(uint32_t)(RU32(1) + (b)) + ip[3].u;	\
	const uint8_t *p;						\
	if (svm_unlikely(ea + (size) > msize))				\
		TRAP(SYNAPSE_TRAP_MEMORY_OOB);				\
	p = mem + ea;							\
	R(4) = (expr);							\
	NEXT(5);							\
}
#define LOAD(name, size, expr)						\
	LOAD_AT(L_##name, RU32(2), size, expr)				\
	LOAD_AT(L_##name##_k, (uint32_t)K(2), size, expr)
	LOAD(i32_load, 4, svm_get_le32(p))
	LOAD(i64_load, 8, svm_get_le64(p))
	LOAD(i32_load8_s, 1, (uint32_t)(int32_t)(int8_t)*p)
	LOAD(i32_load8_u, 1, *p)
	LOAD(i32_load16_s, 2, (uint32_t)(int32_t)(int16_t)svm_get_le16(p))
	LOAD(i32_load16_u, 2, svm_get_le16(p))
	LOAD(i64_load8_s, 1, (uint64_t)(int64_t)(int8_t)*p)
	LOAD(i64_load8_u, 1, *p)
	LOAD(i64_load16_s, 2, (uint64_t)(int64_t)(int16_t)svm_get_le16(p))
	LOAD(i64_load16_u, 2, svm_get_le16(p))
	LOAD(i64_load32_s, 4, (uint64_t)(int64_t)(int32_t)svm_get_le32(p))
	LOAD(i64_load32_u, 4, svm_get_le32(p))

/* a load whose value is at once an operand of a commutative i32 op */
#define LOAD_OP32(name, op)						\
L_##name: {								\
	uint64_t ea = (uint64_t)(uint32_t)(RU32(1) + (uint32_t)K(2)) + ip[3].u; \
	if (svm_unlikely(ea + 4 > msize))				\
		TRAP(SYNAPSE_TRAP_MEMORY_OOB);				\
	R(5) = (uint32_t)(RU32(4) op svm_get_le32(mem + ea));		\
	NEXT(6);							\
}
	LOAD_OP32(i32_load_add_k, +)
	LOAD_OP32(i32_load_mul_k, *)
L_i32_load_mul_add_k: {
	uint64_t ea = (uint64_t)(uint32_t)(RU32(1) + (uint32_t)K(2)) + ip[3].u;

	if (svm_unlikely(ea + 4 > msize))
		TRAP(SYNAPSE_TRAP_MEMORY_OOB);
	R(6) = (uint32_t)(RU32(5) + RU32(4) * svm_get_le32(mem + ea));
	NEXT(7);
}
L_i32_add3:
	R(4) = (uint32_t)(RU32(1) + RU32(2) + RU32(3));
	NEXT(5);

/* a shift or rotate by an immediate whose result is at once xor-ed */
#define SHIFT_XOR(name, type, expr)					\
L_##name: {								\
	type a = (type)R(1), b = (type)K(2);				\
	R(4) = (type)((type)R(3) ^ (type)(expr));			\
	NEXT(5);							\
}
	SHIFT_XOR(i32_shl_xor_k, uint32_t, a << (b & 31))
	SHIFT_XOR(i32_shr_u_xor_k, uint32_t, a >> (b & 31))
	SHIFT_XOR(i32_rotl_xor_k, uint32_t, rotl32(a, b))
	SHIFT_XOR(i32_rotr_xor_k, uint32_t, rotr32(a, b))
	SHIFT_XOR(i64_shl_xor_k, uint64_t, a << (b & 63))
	SHIFT_XOR(i64_shr_u_xor_k, uint64_t, a >> (b & 63))
	SHIFT_XOR(i64_rotl_xor_k, uint64_t, rotl64(a, b))
	SHIFT_XOR(i64_rotr_xor_k, uint64_t, rotr64(a, b))

#define STORE(name, size, stmt)						\
	STORE_AT(L_##name, RU32(2), size, stmt)				\
	STORE_AT(L_##name##_k, (uint32_t)K(2), size, stmt)
#define STORE_AT(label, b, size, stmt)					\
label: {								\
	uint64_t ea = (uint64_t)(uint32_t)(RU32(1) + (b)) + ip[4].u;	\
	uint64_t v = R(3);						\
	uint8_t *p;							\
	if (svm_unlikely(ea + (size) > msize))				\
		TRAP(SYNAPSE_TRAP_MEMORY_OOB);				\
	p = mem + ea;							\
	stmt;								\
	/* memtrack's inline marking, with the map kept in a register */ \
	if (dirty) {							\
		dirty[ea >> SVM_PAGE_SHIFT] = SVM_MT_WRITTEN;		\
		dirty[(ea + (size) - 1) >> SVM_PAGE_SHIFT] = SVM_MT_WRITTEN; \
	}								\
	NEXT(5);							\
}
	STORE(i32_store, 4, svm_put_le32(p, (uint32_t)v))
	STORE(i64_store, 8, svm_put_le64(p, v))
	STORE(i32_store8, 1, *p = (uint8_t)v)
	STORE(i32_store16, 2, svm_put_le16(p, (uint16_t)v))
	STORE(i64_store8, 1, *p = (uint8_t)v)
	STORE(i64_store16, 2, svm_put_le16(p, (uint16_t)v))
	STORE(i64_store32, 4, svm_put_le32(p, (uint32_t)v))

/* A taken metered branch pays the target block (a fuel op) itself. */
#define TAKE_M(k)							\
	do {								\
		ip += (k) + ip[k].i;					\
		if (svm_unlikely(fuel < ip[1].i))			\
			goto bound;					\
		fuel -= ip[1].i;					\
		ip += 3;						\
		goto *ip->op;						\
	} while (0)

/* ... and so does falling through: the next block starts right after. */
#define SKIP_M(n)							\
	do {								\
		ip += (n);						\
		if (svm_unlikely(fuel < ip[1].i))			\
			goto bound;					\
		fuel -= ip[1].i;					\
		ip += 3;						\
		goto *ip->op;						\
	} while (0)

L_br_m:
	TAKE_M(1);
L_br_if_m:
	if (RU32(1))
		TAKE_M(2);
	SKIP_M(3);
L_br_unless_m:
	if (!RU32(1))
		TAKE_M(2);
	SKIP_M(3);

#define BRCMP_AT(label, label_m, type, bval, cond)			\
label: {								\
	type a = (type)R(1), b = (type)(bval);				\
	if (cond) {							\
		ip += 3 + ip[3].i;					\
		goto *ip->op;						\
	}								\
	NEXT(4);							\
}									\
label_m: {								\
	type a = (type)R(1), b = (type)(bval);				\
	if (cond)							\
		TAKE_M(3);						\
	SKIP_M(4);							\
}
#define BRCMP(name, type, cond)						\
	BRCMP_AT(L_br_##name, L_br_##name##_m, type, R(2), cond)	\
	BRCMP_AT(L_br_##name##_k, L_br_##name##_k_m, type, K(2), cond)
	BRCMP(i32_eq, uint32_t, a == b)
	BRCMP(i32_ne, uint32_t, a != b)
	BRCMP(i32_lt_s, uint32_t, (int32_t)a < (int32_t)b)
	BRCMP(i32_lt_u, uint32_t, a < b)
	BRCMP(i32_gt_s, uint32_t, (int32_t)a > (int32_t)b)
	BRCMP(i32_gt_u, uint32_t, a > b)
	BRCMP(i32_le_s, uint32_t, (int32_t)a <= (int32_t)b)
	BRCMP(i32_le_u, uint32_t, a <= b)
	BRCMP(i32_ge_s, uint32_t, (int32_t)a >= (int32_t)b)
	BRCMP(i32_ge_u, uint32_t, a >= b)
	BRCMP(i64_eq, uint64_t, a == b)
	BRCMP(i64_ne, uint64_t, a != b)
	BRCMP(i64_lt_s, uint64_t, (int64_t)a < (int64_t)b)
	BRCMP(i64_lt_u, uint64_t, a < b)
	BRCMP(i64_gt_s, uint64_t, (int64_t)a > (int64_t)b)
	BRCMP(i64_gt_u, uint64_t, a > b)
	BRCMP(i64_le_s, uint64_t, (int64_t)a <= (int64_t)b)
	BRCMP(i64_le_u, uint64_t, a <= b)
	BRCMP(i64_ge_s, uint64_t, (int64_t)a >= (int64_t)b)
	BRCMP(i64_ge_u, uint64_t, a >= b)

/* add + compare-and-branch (ops.h): the sum is written, then compared */
#define ADDBR_AT(label, label_m, yv, bv, cond)				\
label: {								\
	uint32_t a = (uint32_t)(RU32(1) + (uint32_t)(yv)), b;		\
	R(3) = a;							\
	b = (uint32_t)(bv);						\
	if (cond) {							\
		ip += 5 + ip[5].i;					\
		goto *ip->op;						\
	}								\
	NEXT(6);							\
}									\
label_m: {								\
	uint32_t a = (uint32_t)(RU32(1) + (uint32_t)(yv)), b;		\
	R(3) = a;							\
	b = (uint32_t)(bv);						\
	if (cond)							\
		TAKE_M(5);						\
	SKIP_M(6);							\
}
#define ADDBR(c, cond)							\
	ADDBR_AT(L_add_br_##c, L_add_br_##c##_m, R(2), R(4), cond)	\
	ADDBR_AT(L_add_br_##c##_k, L_add_br_##c##_k_m, R(2), K(4), cond) \
	ADDBR_AT(L_add_k_br_##c, L_add_k_br_##c##_m, K(2), R(4), cond)	\
	ADDBR_AT(L_add_k_br_##c##_k, L_add_k_br_##c##_k_m, K(2), K(4), cond)
	ADDBR(eq, a == b)
	ADDBR(ne, a != b)
	ADDBR(lt_s, (int32_t)a < (int32_t)b)
	ADDBR(lt_u, a < b)
	ADDBR(gt_s, (int32_t)a > (int32_t)b)
	ADDBR(gt_u, a > b)
	ADDBR(le_s, (int32_t)a <= (int32_t)b)
	ADDBR(le_u, a <= b)
	ADDBR(ge_s, (int32_t)a >= (int32_t)b)
	ADDBR(ge_u, a >= b)

exhausted:
	ex->status = SYNAPSE_STATUS_FUEL_EXHAUSTED;
	ex->code = 0;
	ex->active = false;
	ret = SVM_RUN_DONE;
	goto out;
trap:
	ex->status = SYNAPSE_STATUS_TRAP;
	ex->code = code;
	ex->active = false;
	ret = SVM_RUN_DONE;
	goto out;
bound:
	ret = SVM_RUN_BOUND;
out:
	ex->ip = ip;
	ex->fp = fp;
	ex->fn = fn;
	ex->window = fuel;
	ex->nframes = nframes;
	return ret;
}
