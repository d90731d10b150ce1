/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * reader.h - bounds-checked reading of the Wasm binary format (LEB128,
 * names, value types), shared by the decoder and the body compiler.
 * Every failure records the byte offset and leaves r->failed set; callers
 * check once per item.
 */
#ifndef SYNAPSE_VM_READER_H
#define SYNAPSE_VM_READER_H

#include "svm.h"

#ifndef fallthrough
#define fallthrough	__attribute__((__fallthrough__))
#endif

struct svm_reader {
	const uint8_t *p, *end, *base;
	struct svm_error *err;
	bool failed;
	bool float_stubs;	/* svm_config.float_stubs */
};

static inline uint32_t rd_off(const struct svm_reader *r)
{
	return (uint32_t)(r->p - r->base);
}

#define rd_fail(r, ...)							\
	do {								\
		if (!(r)->failed)					\
			svm_set_error((r)->err, rd_off(r), __VA_ARGS__);\
		(r)->failed = true;					\
	} while (0)

static inline uint8_t rd_u8(struct svm_reader *r)
{
	if (r->failed)
		return 0;
	if (r->p >= r->end) {
		rd_fail(r, "unexpected end");
		return 0;
	}
	return *r->p++;
}

/* Unsigned LEB128 of at most `bits` bits (32 or 64). */
static inline uint64_t rd_uleb(struct svm_reader *r, unsigned int bits)
{
	uint64_t v = 0;
	unsigned int shift = 0;
	uint8_t b;

	for (;;) {
		if (r->failed)
			return 0;
		if (r->p >= r->end) {
			rd_fail(r, "unexpected end (LEB128)");
			return 0;
		}
		b = *r->p++;
		if (shift + 7 >= bits && shift < bits) {
			/* last permitted byte: no continuation, no extra bits */
			if (b & 0x80) {
				rd_fail(r, "integer representation too long");
				return 0;
			}
			if (bits - shift < 7 && (b >> (bits - shift))) {
				rd_fail(r, "integer too large");
				return 0;
			}
		}
		v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			return v;
	}
}

static inline int64_t rd_sleb(struct svm_reader *r, unsigned int bits)
{
	uint64_t v = 0;
	unsigned int shift = 0;
	uint8_t b;

	for (;;) {
		if (r->failed)
			return 0;
		if (r->p >= r->end) {
			rd_fail(r, "unexpected end (LEB128)");
			return 0;
		}
		b = *r->p++;
		if (shift + 7 >= bits) {
			/* last permitted byte: unused bits repeat the sign */
			unsigned int used = bits - shift;
			uint8_t rest = (uint8_t)(b & 0x7f) >> (used - 1);

			if (b & 0x80) {
				rd_fail(r, "integer representation too long");
				return 0;
			}
			if (rest != 0 && rest != (0x7f >> (used - 1))) {
				rd_fail(r, "integer too large");
				return 0;
			}
		}
		v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			break;
	}
	if (shift < 64 && (b & 0x40))
		v |= ~0ull << shift;
	if (bits == 32)
		return (int32_t)(uint32_t)v;
	return (int64_t)v;
}

static inline uint32_t rd_u32(struct svm_reader *r)
{
	return (uint32_t)rd_uleb(r, 32);
}

static inline bool svm_utf8_valid(const uint8_t *s, uint32_t n)
{
	uint32_t i = 0;

	while (i < n) {
		uint8_t c = s[i];
		uint32_t len, cp, k;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			len = 2;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

static inline bool svm_is_num(uint8_t t)
{
	return t == SVM_T_I32 || t == SVM_T_I64 || t == SVM_T_F32 ||
	       t == SVM_T_F64;
}

static inline bool svm_is_ref(uint8_t t)
{
	return t == SVM_T_FUNCREF || t == SVM_T_EXTERNREF;
}

/* A value type inside the profile; floats and v128 fail as "profile". */
static inline uint8_t rd_valtype(struct svm_reader *r)
{
	uint32_t off = rd_off(r);
	uint8_t t = rd_u8(r);

	if (r->failed)
		return 0;
	switch (t) {
	case SVM_T_I32:
	case SVM_T_I64:
	case SVM_T_FUNCREF:
	case SVM_T_EXTERNREF:
		return t;
	case SVM_T_F32:
	case SVM_T_F64:
		if (r->float_stubs)
			return t;
		fallthrough;
	case SVM_T_V128:
		svm_set_error(r->err, off,
			      "type %s (0x%02x) at offset %u is outside the deterministic profile",
			      t == SVM_T_F32 ? "f32" : t == SVM_T_F64 ? "f64" : "v128",
			      t, off);
		r->err->profile = true;
		r->failed = true;
		return 0;
	default:
		svm_set_error(r->err, off, "malformed value type 0x%02x", t);
		r->failed = true;
		return 0;
	}
}

#endif /* SYNAPSE_VM_READER_H */
