// SPDX-License-Identifier: GPL-2.0 OR MIT
/* echo: copies the task input to the output, in 4 KiB chunks. */
#include <synapse.h>

static u8 buf[4096];

SYNAPSE_ENTRY
{
	int len = synapse_input_len(), off = 0;

	while (off < len) {
		int n = synapse_input_read(buf, off, sizeof(buf));

		if (n <= 0)
			break;
		synapse_output_write(buf, n);
		off += n;
	}
}
