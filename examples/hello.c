// SPDX-License-Identifier: GPL-2.0 OR MIT
/* hello: the smallest task; writes one line. */
#include <synapse.h>

SYNAPSE_ENTRY
{
	synapse_puts("hello from synapse\n");
}
