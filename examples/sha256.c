// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * sha256: prints the SHA-256 of the task input in hex, computed inside the
 * task (pure C, no host help), like `sha256sum` without the file name.
 */
#include <synapse.h>
#include <synapse_sha256.h>

static u8 buf[4096];

SYNAPSE_ENTRY
{
	int len = synapse_input_len(), off = 0;
	struct sha256_ctx c;
	u8 d[32];

	sha256_init(&c);
	while (off < len) {
		int n = synapse_input_read(buf, off, sizeof(buf));

		if (n <= 0)
			break;
		sha256_update(&c, buf, (unsigned long)n);
		off += n;
	}
	sha256_final(&c, d);
	synapse_put_hex(d, 32);
	synapse_puts("\n");
}
