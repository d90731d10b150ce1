// SPDX-License-Identifier: GPL-2.0
/*
 * irdump.c - `synvm dump`: print the slot IR (kmod/vm/ops.h) the engine
 * compiled each function into. A debugging aid for the engine's compiler
 * (which ops a loop became, how many dispatches it costs); the format is
 * not stable.
 *
 * Operands print as the IR holds them: frame offsets as slot numbers
 * (l: local, k: constant pool, s: operand stack), immediates as #value,
 * branch offsets as the target cell.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kmod/vm/svm.h"
#include "kmod/vm/ops.h"
#include "irdump.h"

static const char *const op_names[SVM_NOPS] = {
#define X(n) #n,
#define XK(n) #n "_k",
#define XKM(n) #n "_k_m",
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

/* Operand kinds: v value slot, i immediate, r branch offset, p packed pc. */
static const char *operands(int op, const char *name)
{
	static const struct { int op; const char *kinds; } other[] = {
		{ SVM_OP_fuel, "ip" }, { SVM_OP_copy, "vv" }, { SVM_OP_br, "r" },
		{ SVM_OP_br_if, "vr" }, { SVM_OP_br_unless, "vr" },
		{ SVM_OP_br_m, "r" }, { SVM_OP_br_if_m, "vr" },
		{ SVM_OP_br_unless_m, "vr" },
		{ SVM_OP_ret, "" }, { SVM_OP_unreachable, "" },
		{ SVM_OP_float_stub, "" }, { SVM_OP_call, "ivp" },
		{ SVM_OP_call_indirect, "iivvp" }, { SVM_OP_select, "vvvv" },
		{ SVM_OP_global_get, "iv" }, { SVM_OP_global_set, "iv" },
		{ SVM_OP_table_get, "ivv" }, { SVM_OP_table_set, "ivv" },
		{ SVM_OP_table_size, "iv" }, { SVM_OP_table_grow, "ivvv" },
		{ SVM_OP_table_fill, "ivvv" }, { SVM_OP_table_copy, "iivvv" },
		{ SVM_OP_table_init, "iivvv" }, { SVM_OP_elem_drop, "i" },
		{ SVM_OP_ref_func, "iv" }, { SVM_OP_memory_size, "v" },
		{ SVM_OP_memory_grow, "vv" }, { SVM_OP_memory_fill, "vvv" },
		{ SVM_OP_memory_copy, "vvv" }, { SVM_OP_memory_init, "ivvv" },
		{ SVM_OP_data_drop, "i" }, { SVM_OP_copy2, "vvvv" },
		{ SVM_OP_i32_load_add_k, "viivv" },
		{ SVM_OP_i32_load_mul_k, "viivv" },
		{ SVM_OP_i32_load_mul_add_k, "viivvv" },
		{ SVM_OP_i32_add3, "vvvv" },
#define F(t, sh) { SVM_OP_##t##_##sh##_xor_k, "vivv" },
		SVM_SHIFT_XORS(F)
#undef F
	};
	bool k = strstr(name, "_k") != NULL;
	size_t i;

	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		if (other[i].op == op)
			return other[i].kinds;
#define IN(lo, hi) (op >= SVM_OP_##lo && op <= SVM_OP_##hi)
	if (IN(i32_eqz, ref_is_null))
		return "vv";
	if (IN(i32_load, i64_load32_u) || IN(i32_load_k, i64_load32_u_k))
		return k ? "vi" "i" "v" : "vv" "i" "v";
	if (IN(i32_store, i64_store32) || IN(i32_store_k, i64_store32_k))
		return k ? "vivi" : "vvvi";
	if (IN(br_i32_eq, br_i64_ge_u) || IN(br_i32_eq_m, br_i64_ge_u_m))
		return "vvr";
	if (IN(br_i32_eq_k, br_i64_ge_u_k) || IN(br_i32_eq_k_m, br_i64_ge_u_k_m))
		return "vir";
	if (op >= SVM_OP_add_br_eq)
		return strncmp(name, "add_k", 5) ?
			(strstr(name + 6, "_k") ? "vvvir" : "vvvvr") :
			(strstr(name + 6, "_k") ? "vivir" : "vivvr");
	if (k)
		return "viv";
#undef IN
	return "vvv";
}

static void print_slot(const struct svm_func *f, int64_t off)
{
	int64_t s = off / 8;

	if (s < f->nlocals)
		printf(" l%" PRId64, s);
	else if (s < f->nlocals + f->nconsts)
		printf(" k%" PRId64 "=%" PRId64, s - f->nlocals,
		       (int64_t)f->consts[s - f->nlocals]);
	else
		printf(" s%" PRId64, s - f->nlocals - f->nconsts);
}

static int op_index(const void *const *ops, const void *h)
{
	int i;

	for (i = 0; i < SVM_NOPS; i++)
		if (ops[i] == h)
			return i;
	return -1;
}

static void dump_func(const struct svm_func *f, uint32_t idx)
{
	const void *const *ops = svm_interp_ops();
	uint32_t pc = 0;

	printf("func %u: %u params, %u locals, %u consts, %u frame slots, %u cells\n",
	       idx, f->nparams, f->nlocals, f->nconsts, f->frame_slots, f->ncode);
	while (pc < f->ncode) {
		const union svm_cell *c = &f->code[pc];
		int op = op_index(ops, c->op);
		const char *kinds;
		uint32_t k;

		if (op < 0) {
			printf("  %5u  ?? %#" PRIx64 "\n", pc, c->u);
			pc++;
			continue;
		}
		printf("  %5u  %s", pc, op_names[op]);
		if (op == SVM_OP_br_table) {
			uint64_t n = c[2].u;

			print_slot(f, c[1].i);
			printf(" [%" PRIu64 "]", n);
			for (k = 0; k <= n; k++)
				printf(" ->%" PRId64, (int64_t)(pc + 3 + k) + c[3 + k].i);
			printf("\n");
			pc += 3 + (uint32_t)n + 1;
			continue;
		}
		kinds = operands(op, op_names[op]);
		for (k = 0; kinds[k]; k++) {
			const union svm_cell *a = &c[1 + k];

			switch (kinds[k]) {
			case 'v':
				print_slot(f, a->i);
				break;
			case 'i':
				printf(" #%" PRId64, a->i);
				break;
			case 'r':
				printf(" ->%" PRId64, (int64_t)(pc + 1 + k) + a->i);
				break;
			case 'p':
				printf(" @%u/h%u", SVM_PC_OFF(a->u), SVM_PC_HEIGHT(a->u));
				break;
			}
		}
		printf("\n");
		pc += 1 + k;
	}
}

void synvm_ir_dump(const struct svm_module *m, int only)
{
	uint32_t i;

	for (i = 0; i < m->nfuncs - m->nfunc_imports; i++) {
		uint32_t idx = i + m->nfunc_imports;

		if (only >= 0 && (uint32_t)only != idx)
			continue;
		dump_func(&m->funcs[i], idx);
	}
}
