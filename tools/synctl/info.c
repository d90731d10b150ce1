// SPDX-License-Identifier: GPL-2.0
/* synctl info: what the loaded synapse.ko reports about itself. */
#include <stdio.h>

#include "common.h"
#include "tools/lib/synnl/output.h"
#include "subcommands.h"

static const char usage[] =
	"Usage: synctl info [-j|--json]\n"
	"\n"
	"Show the loaded synapse.ko: ABI version, module version, the kernel\n"
	"crypto driver serving SHA-256, the HASH request limits, the engine\n"
	"limits (a task's defaults) and what this network namespace's modules\n"
	"and tasks hold against its limits (finished tasks count until\n"
	"`synctl task del`). Needs no privilege.\n";

int info_main(int argc, char *argv[])
{
	struct synctl_info info = { 0 };
	const struct ipc_request req = {
		.cmd = SYNAPSE_CMD_GET_INFO,
		.parse = model_parse_info,
		.ctx = &info,
	};
	struct ipc *ipc;
	int status, idx, ret;

	idx = parse_common_opts(argc, argv, usage, &status);
	if (idx < 0)
		return status;
	if (idx != argc) {
		fprintf(stderr, "%s info: unexpected argument '%s'\n", PROG_NAME,
			argv[idx]);
		fputs(usage, stderr);
		return SYNCTL_EXIT_USAGE;
	}
	if (synctl_connect(&ipc) < 0)
		return SYNCTL_EXIT_FAIL;

	status = SYNCTL_EXIT_FAIL;
	ret = ipc_request(ipc, &req);
	if (ret < 0) {
		report_error("info", ret, ipc_last_extack(ipc));
		goto out_close;
	}
	if (!info.present) {
		fprintf(stderr, "%s: info: the module sent no information\n",
			PROG_NAME);
		goto out_close;
	}
	if (json_output) {
		if (json_print(stdout, info_to_json(&info)) < 0)
			goto out_close;
	} else {
		info_print(stdout, &info);
	}
	status = SYNCTL_EXIT_OK;
out_close:
	ipc_close(ipc);
	return status;
}
