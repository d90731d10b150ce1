/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * synapse.h - the Synapse host ABI for tasks written in C.
 *
 * Build a task with
 *   clang --target=wasm32 -O2 -nostdlib -mbulk-memory -I examples/include \
 *         -Wl,--no-entry -Wl,--export=run -o task.wasm task.c
 * and define `void run(void)` with SYNAPSE_ENTRY. The functions below are
 * the imports of module "synapse" described in uapi/synapse_abi.h; any
 * other import makes the engine refuse the module, so there is no libc:
 * the few helpers a task needs are here. -mbulk-memory makes clang emit
 * memory.copy / memory.fill for memcpy() / memset(), so no libcall is left
 * unresolved (both are in the deterministic profile). Floating point is
 * rejected at load: use integers only.
 */
#ifndef SYNAPSE_TASK_H
#define SYNAPSE_TASK_H

#define SYNAPSE_IMPORT(name) \
	__attribute__((import_module("synapse"), import_name(#name)))
#define SYNAPSE_ENTRY	__attribute__((export_name("run"))) void run(void)

typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef unsigned long size_t;

/* Length of the task input in bytes. */
SYNAPSE_IMPORT(input_len) int synapse_input_len(void);
/* Copy input[offset, offset+len) (clipped to its end) to dst; bytes copied. */
SYNAPSE_IMPORT(input_read) int synapse_input_read(void *dst, int offset,
						   int len);
/* Append src[0, len) to the task output; 0. Over the limit traps. */
SYNAPSE_IMPORT(output_write) int synapse_output_write(const void *src,
						       int len);
/* End the task now, status ABORTED with this code. */
SYNAPSE_IMPORT(abort) __attribute__((noreturn)) void synapse_abort(int code);
/* 1 while the task's capability holds; a revoked task never returns. */
SYNAPSE_IMPORT(cap_check) int synapse_cap_check(int op);

#define memcpy(d, s, n)	__builtin_memcpy(d, s, n)
#define memset(d, c, n)	__builtin_memset(d, c, n)

static inline size_t synapse_strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

static inline void synapse_puts(const char *s)
{
	synapse_output_write(s, (int)synapse_strlen(s));
}

/* Write v in decimal. */
static inline void synapse_put_u64(u64 v)
{
	char buf[20];
	int i = sizeof(buf);

	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	synapse_output_write(buf + i, (int)sizeof(buf) - i);
}

/* Write n bytes as lowercase hex. */
static inline void synapse_put_hex(const u8 *p, int n)
{
	static const char digits[] = "0123456789abcdef";
	char buf[64];
	int i, k = 0;

	for (i = 0; i < n; i++) {
		buf[k++] = digits[p[i] >> 4];
		buf[k++] = digits[p[i] & 15];
		if (k == sizeof(buf)) {
			synapse_output_write(buf, k);
			k = 0;
		}
	}
	if (k)
		synapse_output_write(buf, k);
}

#endif /* SYNAPSE_TASK_H */
