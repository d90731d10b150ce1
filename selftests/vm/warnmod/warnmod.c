// SPDX-License-Identifier: GPL-2.0
/*
 * warnmod - WARNs on load. Never shipped: it exists so the runner self-test
 * (suite vm-selftest) can prove that tools/vm/run fails when the kernel
 * prints a WARNING, even though the command itself succeeds.
 */
#include <linux/module.h>
#include <linux/bug.h>

static int __init warnmod_init(void)
{
	WARN_ON(1);
	return 0;
}

static void __exit warnmod_exit(void)
{
}

module_init(warnmod_init);
module_exit(warnmod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Synapse VM runner self-test: WARN on load");
