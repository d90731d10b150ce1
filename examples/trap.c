// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * trap: ends with a trap chosen by the first input byte:
 *   'u' or no input: unreachable          'd': integer divide by zero
 *   'm': out-of-bounds memory access     'o': integer overflow (INT_MIN / -1)
 */
#include <synapse.h>

static volatile int zero, minus_one = -1, int_min = (int)0x80000000u;

SYNAPSE_ENTRY
{
	u8 how = 'u';

	synapse_input_read(&how, 0, 1);
	synapse_puts("about to trap\n");
	switch (how) {
	case 'd':
		zero = 7 / zero;
		break;
	case 'o':
		zero = int_min / minus_one;
		break;
	case 'm':
		/* 4 GiB - 4: beyond any memory this task can have. */
		zero = *(volatile int *)0xfffffffcu;
		break;
	}
	__builtin_trap();
}
