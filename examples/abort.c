// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * abort: writes a line, then ends with status ABORTED. The code is the input
 * parsed as a decimal number, or 42 without input.
 */
#include <synapse.h>

SYNAPSE_ENTRY
{
	int i, len = synapse_input_len(), code = 42;
	char c;

	if (len > 0)
		code = 0;
	for (i = 0; i < len && i < 9; i++) {
		synapse_input_read(&c, i, 1);
		if (c < '0' || c > '9')
			break;
		code = code * 10 + (c - '0');
	}
	synapse_puts("giving up\n");
	synapse_abort(code);
}
