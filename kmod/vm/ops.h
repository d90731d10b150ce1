/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * ops.h - the engine's internal instruction set (the "slot IR").
 *
 * Validated Wasm is translated once into a stream of 8-byte cells: a
 * handler address followed by its operands. Operands that name values are
 * byte offsets from the frame pointer: locals first, then the function's
 * constant pool, then the operand stack, each slot 8 bytes. Branch offsets
 * are in cells, relative to the cell holding the offset. Values produced
 * by an instruction are written to its last operand.
 *
 * Operand lists (a, b: value slots read; d: value slot written):
 */
#ifndef SYNAPSE_VM_OPS_H
#define SYNAPSE_VM_OPS_H

#define SVM_BINOPS(X)							\
	X(i32_add) X(i32_sub) X(i32_mul) X(i32_div_s) X(i32_div_u)	\
	X(i32_rem_s) X(i32_rem_u) X(i32_and) X(i32_or) X(i32_xor)	\
	X(i32_shl) X(i32_shr_s) X(i32_shr_u) X(i32_rotl) X(i32_rotr)	\
	X(i64_add) X(i64_sub) X(i64_mul) X(i64_div_s) X(i64_div_u)	\
	X(i64_rem_s) X(i64_rem_u) X(i64_and) X(i64_or) X(i64_xor)	\
	X(i64_shl) X(i64_shr_s) X(i64_shr_u) X(i64_rotl) X(i64_rotr)	\
	X(i32_eq) X(i32_ne) X(i32_lt_s) X(i32_lt_u) X(i32_gt_s)		\
	X(i32_gt_u) X(i32_le_s) X(i32_le_u) X(i32_ge_s) X(i32_ge_u)	\
	X(i64_eq) X(i64_ne) X(i64_lt_s) X(i64_lt_u) X(i64_gt_s)		\
	X(i64_gt_u) X(i64_le_s) X(i64_le_u) X(i64_ge_s) X(i64_ge_u)

#define SVM_UNOPS(X)							\
	X(i32_eqz) X(i32_clz) X(i32_ctz) X(i32_popcnt)			\
	X(i64_eqz) X(i64_clz) X(i64_ctz) X(i64_popcnt)			\
	X(i32_wrap_i64) X(i64_extend_i32_s) X(i64_extend_i32_u)		\
	X(i32_extend8_s) X(i32_extend16_s) X(i64_extend8_s)		\
	X(i64_extend16_s) X(i64_extend32_s) X(ref_is_null)

/* [a][b][offset][d]: address (u32)(a + b) + offset; b often immediate (_k) */
#define SVM_LOADS(X)							\
	X(i32_load) X(i64_load) X(i32_load8_s) X(i32_load8_u)		\
	X(i32_load16_s) X(i32_load16_u) X(i64_load8_s) X(i64_load8_u)	\
	X(i64_load16_s) X(i64_load16_u) X(i64_load32_s) X(i64_load32_u)

/* [a][b][value][offset] */
#define SVM_STORES(X)							\
	X(i32_store) X(i64_store) X(i32_store8) X(i32_store16)		\
	X(i64_store8) X(i64_store16) X(i64_store32)

#define SVM_OTHER_OPS(X)						\
	X(fuel)		/* [cost][off<<32|height] */			\
	X(copy)		/* [a][d] */					\
	X(br)		/* [rel] */					\
	X(br_if)	/* [a][rel] */					\
	X(br_unless)	/* [a][rel] */					\
	X(br_table)	/* [a][n][rel]*n [rel default] */		\
	X(ret)								\
	X(unreachable)							\
	X(float_stub)	/* testing only: svm_config.float_stubs */	\
	X(call)		/* [func][base][off<<32|height] */		\
	X(call_indirect) /* [type][table][a][base][off<<32|height] */	\
	X(select)	/* [a][b][cond][d] */				\
	X(global_get)	/* [global][d] */				\
	X(global_set)	/* [global][a] */				\
	X(table_get)	/* [table][a][d] */				\
	X(table_set)	/* [table][a][b] */				\
	X(table_size)	/* [table][d] */				\
	X(table_grow)	/* [table][init][n][d] */			\
	X(table_fill)	/* [table][i][val][n] */			\
	X(table_copy)	/* [dst table][src table][d][s][n] */		\
	X(table_init)	/* [table][elem][d][s][n] */			\
	X(elem_drop)	/* [elem] */					\
	X(ref_func)	/* [func][d] */					\
	X(memory_size)	/* [d] */					\
	X(memory_grow)	/* [a][d] */					\
	X(memory_fill)	/* [d][val][n] */				\
	X(memory_copy)	/* [d][s][n] */					\
	X(memory_init)	/* [data][d][s][n] */				\
	X(data_drop)	/* [data] */

/* Compare fused with br_if: [a][b][rel], taken when the compare holds. */
#define SVM_BRCMPS(X)							\
	X(br_i32_eq) X(br_i32_ne) X(br_i32_lt_s) X(br_i32_lt_u)		\
	X(br_i32_gt_s) X(br_i32_gt_u) X(br_i32_le_s) X(br_i32_le_u)	\
	X(br_i32_ge_s) X(br_i32_ge_u)					\
	X(br_i64_eq) X(br_i64_ne) X(br_i64_lt_s) X(br_i64_lt_u)		\
	X(br_i64_gt_s) X(br_i64_gt_u) X(br_i64_le_s) X(br_i64_le_u)	\
	X(br_i64_ge_s) X(br_i64_ge_u)

/*
 * Metered twins of the branches (suffix _m): with metering on, every branch
 * target is a block's fuel op, and a taken branch pays that block itself
 * (same check, same exit on an unpaid block) instead of dispatching to it.
 * A conditional _m branch is always followed by a fuel op too (the block
 * after it), which its not-taken path pays the same way.
 */

#define SVM_ALL_OPS(X)							\
	SVM_OTHER_OPS(X) SVM_BINOPS(X) SVM_UNOPS(X) SVM_LOADS(X)	\
	SVM_STORES(X) SVM_BRCMPS(X) SVM_BRANCHES_M(X)

#define SVM_BRANCHES_M(X)						\
	X(br_m) X(br_if_m) X(br_unless_m)				\
	X(br_i32_eq_m) X(br_i32_ne_m) X(br_i32_lt_s_m) X(br_i32_lt_u_m)	\
	X(br_i32_gt_s_m) X(br_i32_gt_u_m) X(br_i32_le_s_m)		\
	X(br_i32_le_u_m) X(br_i32_ge_s_m) X(br_i32_ge_u_m)		\
	X(br_i64_eq_m) X(br_i64_ne_m) X(br_i64_lt_s_m) X(br_i64_lt_u_m)	\
	X(br_i64_gt_s_m) X(br_i64_gt_u_m) X(br_i64_le_s_m)		\
	X(br_i64_le_u_m) X(br_i64_ge_s_m) X(br_i64_ge_u_m)

/*
 * Immediate twins (suffix _k) of the binary ops without traps, of the loads
 * and stores fused with an i32.add, and of the compare-and-branches: when
 * the second operand is a constant, its cell holds the value itself instead
 * of a frame offset (one dependent load less). Same semantics, same cost.
 */
#define SVM_KBINOPS(X)							\
	X(i32_add) X(i32_sub) X(i32_mul) X(i32_and) X(i32_or)		\
	X(i32_xor) X(i32_shl) X(i32_shr_s) X(i32_shr_u) X(i32_rotl)	\
	X(i32_rotr)							\
	X(i64_add) X(i64_sub) X(i64_mul) X(i64_and) X(i64_or)		\
	X(i64_xor) X(i64_shl) X(i64_shr_s) X(i64_shr_u) X(i64_rotl)	\
	X(i64_rotr)							\
	X(i32_eq) X(i32_ne) X(i32_lt_s) X(i32_lt_u) X(i32_gt_s)		\
	X(i32_gt_u) X(i32_le_s) X(i32_le_u) X(i32_ge_s) X(i32_ge_u)	\
	X(i64_eq) X(i64_ne) X(i64_lt_s) X(i64_lt_u) X(i64_gt_s)		\
	X(i64_gt_u) X(i64_le_s) X(i64_le_u) X(i64_ge_s) X(i64_ge_u)

/* X(n) is applied to base names: the ops are n##_k (and n##_k_m) */
#define SVM_ALL_KOPS(X, XM)						\
	SVM_KBINOPS(X) SVM_LOADS(X) SVM_STORES(X) SVM_BRCMPS(X)	\
	SVM_BRCMPS(XM)

/*
 * Superinstructions: pairs of ops that follow each other in hot loops,
 * fused by the compiler into one dispatch (Documentation/benchmarks.md).
 * They are made only inside a basic block, so fuel, checkpoints and trap
 * positions stay those of the ops they replace; the fused op traps where
 * its first half did (the second half cannot trap).
 */
#define SVM_FUSED_OPS(X)						\
	X(copy2)	/* [a][d][b][e]: copy a->d, then b->e */	\
	X(i32_load_add_k) /* [a][k][offset][c][d]: d = c + load */	\
	X(i32_load_mul_k) /* [a][k][offset][c][d]: d = c * load */	\
	X(i32_load_mul_add_k) /* [a][k][offset][c][e][d]: e + c * load */ \
	X(i32_add3)	/* [a][b][c][d]: d = a + b + c */		\
	X(i32_shl_xor_k) X(i32_shr_u_xor_k) X(i32_rotl_xor_k)		\
	X(i32_rotr_xor_k) X(i64_shl_xor_k) X(i64_shr_u_xor_k)		\
	X(i64_rotl_xor_k) X(i64_rotr_xor_k)

/* t_sh_xor_k [a][k][c][d]: d = c ^ (a shifted or rotated by immediate k) */
#define SVM_SHIFT_XORS(X)						\
	X(i32, shl) X(i32, shr_u) X(i32, rotl) X(i32, rotr)		\
	X(i64, shl) X(i64, shr_u) X(i64, rotl) X(i64, rotr)

/*
 * An i32.add into a local, then a compare-and-branch on that local (a loop
 * counter): add[_k]_br_CMP[_k][_m] [x][y][d][b][rel]: d = x + y, branch
 * if d CMP b; add_k: y immediate; _k: b immediate; _m: metered (above).
 * Per compare, 8 ops in the order of SVM_ADDBR_NAMES (the compiler counts
 * on it).
 */
#define SVM_ADDBR_CMPS(X)						\
	X(eq) X(ne) X(lt_s) X(lt_u) X(gt_s) X(gt_u) X(le_s) X(le_u)	\
	X(ge_s) X(ge_u)
#define SVM_ADDBR_NAMES(X, c)						\
	X(add_br_##c) X(add_br_##c##_k) X(add_k_br_##c)		\
	X(add_k_br_##c##_k) X(add_br_##c##_m) X(add_br_##c##_k_m)	\
	X(add_k_br_##c##_m) X(add_k_br_##c##_k_m)

enum svm_op {
#define X(n) SVM_OP_##n,
#define XK(n) SVM_OP_##n##_k,
#define XKM(n) SVM_OP_##n##_k_m,
	SVM_ALL_OPS(X)
	SVM_ALL_KOPS(XK, XKM)
	SVM_FUSED_OPS(X)
#define XA(c) SVM_ADDBR_NAMES(X, c)
	SVM_ADDBR_CMPS(XA)
#undef XA
#undef XKM
#undef XK
#undef X
	SVM_NOPS
};

#define SVM_PACK_PC(off, h)	(((uint64_t)(off) << 32) | (uint32_t)(h))
#define SVM_PC_OFF(v)		((uint32_t)((uint64_t)(v) >> 32))
#define SVM_PC_HEIGHT(v)	((uint32_t)(v))

#endif /* SYNAPSE_VM_OPS_H */
