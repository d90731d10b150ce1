// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * coremark: a CoreMark-like mix (not CoreMark itself, and not comparable to
 * its scores): per iteration, linked-list find/reverse/sort over an array
 * pool, a small matrix multiply-add, a state machine scanning a text of
 * numbers, and CRC-16 over all their results — branches, pointer chasing,
 * short loops.
 */
#include "bench.h"

#define NODES	64
#define MAT	12
#define TEXT	256

struct node {
	struct node *next;
	i32 key;
	i32 val;
};

static struct node pool[NODES];
static i32 ma[MAT][MAT], mb[MAT][MAT], mc[MAT][MAT];
static u8 text[TEXT];

static u16 crc16(u16 crc, u32 v, int bytes)
{
	int i, b;

	for (b = 0; b < bytes; b++) {
		crc ^= (u16)((v >> (8 * b)) & 0xff);
		for (i = 0; i < 8; i++)
			crc = (crc & 1) ? (u16)((crc >> 1) ^ 0xa001) : (u16)(crc >> 1);
	}
	return crc;
}

static struct node *list_build(u32 seed)
{
	struct node *head = 0;
	int i;

	for (i = 0; i < NODES; i++) {
		seed = seed * 1664525u + 1013904223u;
		pool[i].key = (i32)(seed >> 20);
		pool[i].val = i;
		pool[i].next = head;
		head = &pool[i];
	}
	return head;
}

static struct node *list_reverse(struct node *l)
{
	struct node *prev = 0;

	while (l) {
		struct node *next = l->next;

		l->next = prev;
		prev = l;
		l = next;
	}
	return prev;
}

/* Insertion sort by key: quadratic pointer chasing, as CoreMark's merge. */
static struct node *list_sort(struct node *l)
{
	struct node *sorted = 0;

	while (l) {
		struct node *next = l->next, **pp = &sorted;

		while (*pp && (*pp)->key < l->key)
			pp = &(*pp)->next;
		l->next = *pp;
		*pp = l;
		l = next;
	}
	return sorted;
}

static i32 list_find(struct node *l, i32 key)
{
	for (; l; l = l->next)
		if (l->key == key)
			return l->val;
	return -1;
}

static u32 matrix(u32 round)
{
	u32 sum = 0;
	int i, j, k;

	for (i = 0; i < MAT; i++)
		for (j = 0; j < MAT; j++) {
			ma[i][j] = (i32)((i * 7 + j * 3 + round) & 15) - 8;
			mb[i][j] = (i32)((i * 5 + j * 11 + round) & 15) - 8;
		}
	for (i = 0; i < MAT; i++)
		for (j = 0; j < MAT; j++) {
			i32 s = 0;

			for (k = 0; k < MAT; k++)
				s += ma[i][k] * mb[k][j];
			mc[i][j] = s + (i32)round;
			sum += (u32)mc[i][j];
		}
	return sum;
}

enum state { S_START, S_INT, S_SIGN, S_HEX, S_INVALID };

/* Count integers, hex numbers and invalid tokens in the text. */
static u32 scan(u32 round)
{
	static const char alphabet[] = "0123456789+-x,ab,,17,0x1f,-3,zz";
	u32 counts[5] = { 0 }, i;
	enum state s = S_START;

	for (i = 0; i < TEXT; i++)
		text[i] = (u8)alphabet[(i * 7 + round) % (sizeof(alphabet) - 1)];
	for (i = 0; i < TEXT; i++) {
		u8 c = text[i];

		if (c == ',') {
			counts[s]++;
			s = S_START;
			continue;
		}
		switch (s) {
		case S_START:
			s = (c >= '0' && c <= '9') ? S_INT :
			    (c == '+' || c == '-') ? S_SIGN : S_INVALID;
			break;
		case S_SIGN:
			s = (c >= '0' && c <= '9') ? S_INT : S_INVALID;
			break;
		case S_INT:
			s = c == 'x' ? S_HEX : (c >= '0' && c <= '9') ? S_INT : S_INVALID;
			break;
		case S_HEX:
			s = ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) ?
			    S_HEX : S_INVALID;
			break;
		default:
			break;
		}
	}
	return counts[S_INT] | counts[S_HEX] << 8 | counts[S_INVALID] << 16;
}

i64 bench(int n)
{
	u16 crc = 0xffff;
	int r, k;

	for (r = 0; r < n; r++) {
		struct node *l = list_build((u32)r);

		for (k = 0; k < 8; k++)
			crc = crc16(crc, (u32)list_find(l, pool[(r + k * 7) % NODES].key), 4);
		l = list_sort(list_reverse(l));
		crc = crc16(crc, (u32)l->key, 4);
		crc = crc16(crc, matrix((u32)r), 4);
		crc = crc16(crc, scan((u32)r), 4);
	}
	return crc;
}

BENCH_DEFAULT
