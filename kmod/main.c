// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - synapse.ko: module init and exit, nothing else.
 *
 * Order matters: the SHA-256 transform and the per-netns stream state must
 * exist before the netlink family can deliver a request, and the family
 * goes away first on exit so no request runs while state is torn down.
 */
#include <linux/module.h>
#include <net/genetlink.h>

#include "uapi/synapse.h"
#include "version.h"
#include "sha256.h"
#include "stream.h"
#include "tasks.h"
#include "genl.h"
#include "vm/memtrack.h"

static int __init synapse_init(void)
{
	int err;

	err = synapse_sha256_init();
	if (err)
		return err;
	/*
	 * Known-answer test of hash contract v1 through this kernel's sha256
	 * driver: a node whose hashes cannot match the other engines' must
	 * not load, rather than disagree with every replica later.
	 */
	err = svm_memtrack_selftest();
	if (err) {
		pr_err("hash contract self-test failed (%d)\n", err);
		goto out_free_sha256;
	}
	err = synapse_stream_init();
	if (err)
		goto out_free_sha256;
	err = synapse_tasks_init();
	if (err)
		goto out_exit_streams;
	err = synapse_genl_init();
	if (err)
		goto out_exit_tasks;

	pr_info("version " SYNAPSE_MODULE_VERSION " loaded, sha256 driver %s\n",
		synapse_sha256_driver());
	return 0;

out_exit_tasks:
	synapse_tasks_exit();
out_exit_streams:
	synapse_stream_exit();
out_free_sha256:
	synapse_sha256_exit();
	return err;
}

static void __exit synapse_exit(void)
{
	synapse_genl_exit();
	synapse_tasks_exit();
	synapse_stream_exit();
	synapse_sha256_exit();
}

module_init(synapse_init);
module_exit(synapse_exit);

MODULE_LICENSE("GPL");
MODULE_VERSION(SYNAPSE_MODULE_VERSION);
MODULE_DESCRIPTION("Synapse: deterministic, fuel-metered WebAssembly engine");
MODULE_AUTHOR("The Synapse authors");
MODULE_ALIAS_GENL_FAMILY(SYNAPSE_GENL_NAME);
