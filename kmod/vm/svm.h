/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * svm.h - the Synapse WebAssembly engine: modules, instances, execution.
 *
 * One source for synapse.ko and build/libsynvm.a. The pipeline is
 *
 *   svm_module_load()   decode + validate (Wasm 2.0, deterministic profile)
 *                       and translate every body once into the slot IR
 *   svm_instantiate()   link imports, allocate memory/tables/globals,
 *                       run segment initialisation and the start function
 *   svm_exec_*()        run an exported function on an explicit frame
 *                       stack, fuel-metered per basic block, resumable
 *
 * Task-level hashing, checkpoints and the host ABI live in task.h.
 */
#ifndef SYNAPSE_VM_SVM_H
#define SYNAPSE_VM_SVM_H

#include "platform.h"

struct svm_memtrack;

/* Value types (binary encodings). */
#define SVM_T_I32	0x7f
#define SVM_T_I64	0x7e
#define SVM_T_F32	0x7d
#define SVM_T_F64	0x7c
#define SVM_T_V128	0x7b
#define SVM_T_FUNCREF	0x70
#define SVM_T_EXTERNREF	0x6f
#define SVM_T_ANY	0x00	/* validator: unknown type in unreachable code */

/* External kinds. */
#define SVM_EXT_FUNC	0
#define SVM_EXT_TABLE	1
#define SVM_EXT_MEMORY	2
#define SVM_EXT_GLOBAL	3

/* Documented limits (Documentation/engine.md). */
#define SVM_MAX_MODULE_BYTES	(64u << 20)
#define SVM_MAX_ITEMS		100000u	/* types, funcs, imports, ... */
#define SVM_MAX_PARAMS		1000u	/* params or results of a type */
#define SVM_MAX_LOCALS		50000u	/* per function, params included */
#define SVM_MAX_NESTING		10000u	/* control frames per function */
#define SVM_MAX_HEIGHT		60000u	/* operand stack height per function */
#define SVM_MAX_BR_TABLE	1000000u
#define SVM_MAX_TABLE_SIZE	10000000u
#define SVM_MAX_PAGES		65536u	/* 64 KiB pages, Wasm's own bound */

struct svm_error {
	uint32_t offset;	/* byte offset in the module */
	int section;		/* section id, -1 if none */
	int func;		/* function index, -1 if none */
	bool profile;		/* valid Wasm, but outside the profile */
	bool link;		/* instantiation: import/link failure */
	int trap;		/* instantiation: trap code of a segment */
	char msg[200];
};

struct svm_functype {
	uint32_t nparams, nresults;
	uint8_t *types;		/* params, then results */
};

struct svm_limits {
	uint32_t min, max;
	bool has_max;
};

/* A constant expression (Wasm 2.0: exactly one instruction). */
struct svm_cexpr {
	uint8_t op;		/* 0x41 i32, 0x42 i64, 0xd0 null, 0xd2 func, 0x23 global */
	uint8_t type;
	uint32_t idx;
	uint64_t val;
};

struct svm_import {
	const char *module, *name;
	uint32_t mlen, nlen;
	uint8_t kind;
	uint32_t type;			/* func: type index */
	struct svm_limits lim;		/* table / memory */
	uint8_t vtype;			/* table elem type, global type */
	bool mut;			/* global */
};

struct svm_export {
	const char *name;
	uint32_t nlen;
	uint8_t kind;
	uint32_t idx;
};

struct svm_globaldef {
	uint8_t type;
	bool mut;
	struct svm_cexpr init;
};

struct svm_tabledef {
	uint8_t type;
	struct svm_limits lim;
};

#define SVM_SEG_ACTIVE		0
#define SVM_SEG_PASSIVE		1
#define SVM_SEG_DECLARATIVE	2

struct svm_elemseg {
	uint8_t mode, type;
	uint32_t table;
	struct svm_cexpr offset;
	uint32_t n;
	struct svm_cexpr *items;
};

struct svm_dataseg {
	uint8_t mode;
	struct svm_cexpr offset;
	const uint8_t *bytes;
	uint32_t len;
};

/* One IR cell: a handler address, or an operand. */
union svm_cell {
	const void *op;
	int64_t i;
	uint64_t u;
};

struct svm_func {
	uint32_t type;
	uint32_t nparams;
	uint32_t nlocals;		/* params included */
	uint32_t nconsts;
	uint32_t frame_slots;		/* locals + consts + max height */
	uint32_t body_offset;		/* byte offset of the body in the module */
	uint64_t *consts;
	union svm_cell *code;
	uint32_t ncode;
};

struct svm_config {
	bool meter;		/* emit fuel ops (false: --no-meter) */
	/*
	 * Testing only (the spec runner): accept f32/f64 types and float
	 * instructions, validate them fully, and compile each float
	 * instruction to a trap (SVM_TRAP_FLOAT_STUB), so the integer parts
	 * of mixed modules can run. Never set for tasks.
	 */
	bool float_stubs;
};

/* Internal trap code of a float stub: never reachable in the profile. */
#define SVM_TRAP_FLOAT_STUB	100

struct svm_module {
	uint8_t id[SVM_SHA256_LEN];	/* module id: SHA-256 of the bytes */
	uint8_t *bytes;			/* private copy: names point into it */
	size_t len;
	bool meter;
	bool float_stubs;
	uint32_t code_offset;		/* start of the code section payload */

	uint32_t ntypes;
	struct svm_functype *types;
	uint32_t nimports;
	struct svm_import *imports;
	uint32_t nfuncs, nfunc_imports;	/* functions incl. imported */
	uint32_t *func_types;		/* type index of every function */
	struct svm_func *funcs;		/* defined ones: funcs[i - nfunc_imports] */
	uint32_t ntables, ntable_imports;
	struct svm_tabledef *tables;
	uint32_t nmems, nmem_imports;
	struct svm_limits mem;
	uint32_t nglobals, nglobal_imports;
	struct svm_globaldef *globals;
	uint32_t nexports;
	struct svm_export *exports;
	bool has_start;
	uint32_t start;
	uint32_t nelems;
	struct svm_elemseg *elems;
	uint32_t ndatas;
	bool has_datacount;
	struct svm_dataseg *datas;
	uint8_t *func_declared;		/* ref.func allowed (C.refs) */
};

struct svm_module *svm_module_load(const uint8_t *bytes, size_t len,
				   const struct svm_config *cfg,
				   struct svm_error *err);
void svm_module_free(struct svm_module *m);
int svm_module_export(const struct svm_module *m, const char *name,
		      uint8_t kind, uint32_t *idx);

/* ---- runtime objects ---- */

struct svm_memory {
	uint8_t *data;
	uint64_t bytes;		/* current size in bytes */
	uint64_t cap;		/* allocated bytes (beyond size: zero) */
	uint32_t pages, max_pages;
	bool has_max;
	struct svm_memtrack *mt;	/* dirty tracking (tasks), or NULL */
};

struct svm_table {
	uint8_t type;
	uint32_t size, max;
	bool has_max;
	uint64_t *elems;	/* refs: 0 null, else store address + 1 */
};

struct svm_global {
	uint8_t type;
	bool mut;
	uint64_t val;
};

struct svm_exec;
struct svm_funcinst;

/*
 * A host function. Returns 0, or a status (SYNAPSE_STATUS_*) to end the
 * run; *code is set for traps/aborts.
 */
typedef int (*svm_host_fn)(struct svm_exec *ex, struct svm_funcinst *fi,
			   uint64_t *args, uint64_t *results, int *code);

struct svm_funcinst {
	uint32_t addr;			/* index in the store: hashed for refs */
	uint32_t type_id;		/* interned type (call_indirect) */
	const struct svm_functype *type;
	struct svm_instance *inst;	/* NULL for host functions */
	const struct svm_func *code;
	svm_host_fn host;
	void *host_ctx;
	uint32_t host_index;		/* import index, hashed into the trace */
};

struct svm_instance {
	struct svm_store *store;
	const struct svm_module *mod;
	struct svm_funcinst **funcs;
	struct svm_table **tables;
	struct svm_memory *mem;
	struct svm_global **globals;
	uint32_t *type_ids;
	uint8_t *elem_dropped;
	uint8_t *data_dropped;
};

struct svm_extern {
	uint8_t kind;
	void *ptr;	/* svm_funcinst / svm_table / svm_memory / svm_global */
};

/* Every runtime object a set of instances shares, freed together. */
struct svm_store {
	struct svm_funcinst **funcs;
	uint32_t nfuncs, cfuncs;
	void **objs;			/* tables, memories, globals, instances */
	uint32_t nobjs, cobjs;
	struct svm_functype *types;	/* interned */
	uint32_t ntypes, ctypes;
	uint32_t max_pages;		/* limit on any memory (64K pages) */
	uint32_t max_table;		/* limit on any table size */
};

int svm_store_init(struct svm_store *s, uint32_t max_pages, uint32_t max_table);
uint64_t svm_store_fingerprint(const struct svm_store *s);
void svm_store_destroy(struct svm_store *s);
struct svm_funcinst *svm_store_host_func(struct svm_store *s,
					 const struct svm_functype *ft,
					 svm_host_fn fn, void *ctx,
					 uint32_t host_index);
struct svm_table *svm_store_table(struct svm_store *s, uint8_t type,
				  uint32_t min, uint32_t max, bool has_max);
struct svm_memory *svm_store_memory(struct svm_store *s, uint32_t min,
				    uint32_t max, bool has_max);
struct svm_global *svm_store_global(struct svm_store *s, uint8_t type,
				    bool mut, uint64_t val);

/*
 * Instantiate: imports[] resolved by the embedder, one per module import
 * in order (type-checked here). Runs segment init and the start function
 * with ex (not at all if ex is NULL). Returns NULL with err set; *trapped tells a trap during
 * initialisation (uninstantiable) from a link error.
 */
struct svm_instance *svm_instantiate(struct svm_store *s,
				     const struct svm_module *m,
				     const struct svm_extern *imports,
				     struct svm_exec *ex,
				     struct svm_error *err, bool *trapped);
int svm_instance_export(const struct svm_instance *in, const char *name,
			struct svm_extern *out);
int svm_instance_export_n(const struct svm_instance *in, const char *name,
			  size_t n, struct svm_extern *out);

/* ---- execution ---- */

/* Run results (svm_exec_run). */
#define SVM_RUN_DONE	0	/* status/code tell how it ended */
#define SVM_RUN_YIELD	1	/* slice budget used: call again */
#define SVM_RUN_HOST	2	/* internal: host call pending */
#define SVM_RUN_BOUND	3	/* internal: fuel window reached */

struct svm_frame {
	union svm_cell *ip;		/* return address */
	uint64_t *fp;
	struct svm_funcinst *fn;
};

/* Called at checkpoints (every N fuel, after host calls): task.c. */
typedef int (*svm_checkpoint_fn)(struct svm_exec *ex, bool host);

struct svm_exec {
	uint64_t *stack;
	uint32_t stack_slots;
	struct svm_frame *frames;
	uint32_t max_frames, nframes;

	/* where execution stands between slices */
	union svm_cell *ip;
	uint64_t *fp;
	struct svm_funcinst *fn;
	bool active;
	uint64_t *results;		/* bottom frame's results */

	/* fuel: used + left = limit; the interpreter sees a window */
	bool meter;
	uint64_t fuel_limit, fuel_used;
	int64_t window;			/* fuel the interpreter may spend */
	uint64_t cp_every, next_cp;	/* checkpoint every N fuel (0: never) */
	svm_checkpoint_fn checkpoint;
	void *owner;			/* task.c */
	bool keep_fuel;			/* svm_exec_start() keeps the account */

	/* end state */
	int status, code;

	/* pending host call (SVM_RUN_HOST) */
	struct svm_funcinst *host_fi;
	uint64_t *host_args;
	struct svm_funcinst *last_host;	/* the host call just made */
};

int svm_exec_init(struct svm_exec *ex, uint32_t stack_slots,
		  uint32_t max_frames);
void svm_exec_destroy(struct svm_exec *ex);
/* Prepare a call of fi with args (one slot each); fuel is a limit. */
int svm_exec_start(struct svm_exec *ex, struct svm_funcinst *fi,
		   const uint64_t *args, uint32_t nargs, uint64_t fuel);
/* Run at most ~budget fuel (0: no slice limit); SVM_RUN_DONE or _YIELD. */
int svm_exec_run(struct svm_exec *ex, uint64_t budget);
/* Host functions: pay n fuel for work done; false when exhausted. */
bool svm_exec_charge(struct svm_exec *ex, uint64_t n);
/* Results of a finished OK run (nresults of the started function). */
const uint64_t *svm_exec_results(const struct svm_exec *ex);

/* internal */
int svm_interp(struct svm_exec *ex);
const void *const *svm_interp_ops(void);
int svm_compile_func(struct svm_module *m, uint32_t fidx, const uint8_t *p,
		     const uint8_t *end, struct svm_error *err);
void svm_set_error(struct svm_error *err, uint32_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool svm_memory_grow(struct svm_memory *mem, uint32_t delta, uint32_t *old);
bool svm_table_grow(struct svm_table *t, uint32_t delta, uint64_t init,
		    uint32_t limit, uint32_t *old);

#endif /* SYNAPSE_VM_SVM_H */
