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

#define BENCH_DEFAULT \
	i64 bench_default(void) { return bench(BENCH_N); }

#endif /* SYNAPSE_BENCH_H */
