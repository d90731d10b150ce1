// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * capcheck: a long task that asks for its capability before every unit of
 * work (op = the unit number), as a task touching outside state would. The
 * input is the number of units in decimal (default 1000). Each unit is a
 * little hashing work. If the capability is revoked, cap_check never returns
 * and the task ends REVOKED; otherwise it prints "units acc\n".
 */
#include <synapse.h>

SYNAPSE_ENTRY
{
	u64 acc = 0x9e3779b97f4a7c15ull;
	int i, len = synapse_input_len(), units = 0;
	char c;

	for (i = 0; i < len && i < 9; i++) {
		synapse_input_read(&c, i, 1);
		if (c < '0' || c > '9')
			break;
		units = units * 10 + (c - '0');
	}
	if (!i)
		units = 1000;
	for (i = 0; i < units; i++) {
		int k;

		synapse_cap_check(i);
		for (k = 0; k < 1000; k++) {
			acc ^= acc >> 31;
			acc *= 0xbf58476d1ce4e5b9ull;
			acc += (u64)k;
		}
	}
	synapse_put_u64((u64)units);
	synapse_puts(" ");
	synapse_put_u64(acc);
	synapse_puts("\n");
}
