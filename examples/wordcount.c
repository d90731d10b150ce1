// SPDX-License-Identifier: GPL-2.0 OR MIT
/* wordcount: like `wc`: prints "lines words bytes\n" of the input. */
#include <synapse.h>

static u8 buf[4096];

static int is_space(u8 c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' ||
	       c == '\v' || c == '\f';
}

SYNAPSE_ENTRY
{
	u64 lines = 0, words = 0, bytes = 0;
	int len = synapse_input_len(), off = 0, in_word = 0;

	while (off < len) {
		int i, n = synapse_input_read(buf, off, sizeof(buf));

		if (n <= 0)
			break;
		for (i = 0; i < n; i++) {
			lines += buf[i] == '\n';
			if (is_space(buf[i])) {
				in_word = 0;
			} else if (!in_word) {
				in_word = 1;
				words++;
			}
		}
		bytes += n;
		off += n;
	}
	synapse_put_u64(lines);
	synapse_puts(" ");
	synapse_put_u64(words);
	synapse_puts(" ");
	synapse_put_u64(bytes);
	synapse_puts("\n");
}
