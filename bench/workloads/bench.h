/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * bench.h - the contract of a benchmark workload.
 *
 * A workload is one C file defining `i64 bench(int n)`: deterministic,
 * integer-only, no imports, no libc, same result on every engine and natively
 * (fixed-width types only: `long` and pointers differ between wasm32 and
 * x86-64). It is compiled once to .wasm (exports bench and bench_default)
 * and once natively with bench/native.c.
 *
 * bench_default() runs bench(BENCH_N) (set per workload in bench/bench.mk)
 * because wabt's wasm-interp can only call functions without parameters.
 */
#ifndef SYNAPSE_BENCH_H
#define SYNAPSE_BENCH_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef int i32;
typedef unsigned long long u64;
typedef long long i64;

i64 bench(int n);
i64 bench_default(void);

#ifndef BENCH_N
#define BENCH_N 1
#endif

#ifndef BENCH_TASK
#define BENCH_DEFAULT \
	i64 bench_default(void) { return bench(BENCH_N); }
#else
/*
 * The task variant (build/bench/task/): a Synapse task whose run() writes
 * bench(BENCH_N) in decimal to the output, for engines that start tasks
 * rather than call functions with arguments (the kernel engine).
 */
__attribute__((import_module("synapse"), import_name("output_write")))
int synapse_output_write(const void *src, int len);
void run(void);

#define BENCH_DEFAULT							\
	__attribute__((export_name("run"))) void run(void)		\
	{								\
		u64 v = (u64)bench(BENCH_N);				\
		char buf[21];						\
		int i = sizeof(buf);					\
		do {							\
			buf[--i] = (char)('0' + v % 10);		\
			v /= 10;					\
		} while (v);						\
		synapse_output_write(buf + i, (int)sizeof(buf) - i);	\
	}
#endif

#endif /* SYNAPSE_BENCH_H */
