// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for everything synctl reads off a netlink socket: the
 * datagram walker (ACKs, errors with extended ACK TLVs, DONE, dumps), the
 * CTRL_CMD_GETFAMILY parser and the synapse reply parsers, then the
 * printers over whatever the parsers accepted.
 *
 * Input: one selector byte, then one datagram as the kernel would send it.
 * Build and run: make fuzz-synctl-run FUZZ_RUNS=1000000
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/genetlink.h>

#include "common.h"
#include "tools/lib/synnl/ipc.h"
#include "tools/lib/synnl/model.h"
#include "tools/lib/synnl/output.h"
#include "tools/lib/synnl/taskmodel.h"

#define FUZZ_SEQ	1
#define FUZZ_FAMILY	0x20

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

static void print_info(const struct synctl_info *info)
{
	json_t *root = info_to_json(info);
	char *text = root ? json_dumps(root, 0) : NULL;

	free(text);
	json_decref(root);
	info_print(devnull, info);
}

/* One task reply or event, then both printers (taskmodel.c). */
static void fuzz_task(struct ipc_rx *rx, uint32_t seq, uint8_t sel,
		      char *buf, size_t size)
{
	struct synctl_task t = { 0 };

	ipc_rx_init(rx, seq, 0, FUZZ_FAMILY, sel & 0x80, model_parse_task, &t);
	if (ipc_rx_process(rx, buf, size) >= 0 && t.has_id) {
		json_decref(task_to_json(&t));
		task_print(devnull, &t);
		task_print_row(devnull, &t, true);
	}
}

/* A dump into a growing list (module, task and checkpoint lists). */
static void fuzz_list(struct ipc_rx *rx, uint32_t seq, char *buf, size_t size,
		      int (*parse)(const struct nlmsghdr *nlh, void *ctx),
		      size_t item)
{
	struct synctl_list l = { .size = item };

	ipc_rx_init(rx, seq, 0, FUZZ_FAMILY, true, parse, &l);
	ipc_rx_process(rx, buf, size);
	list_free(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct synctl_info info = { 0 };
	struct synctl_hash_reply reply = { 0 };
	struct ipc_family fam = { 0 };
	struct ipc_rx rx;
	char msg[512];
	uint32_t seq = FUZZ_SEQ;
	uint8_t sel;
	char *buf;

	if (size < 1)
		return 0;
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	sel = data[0];
	data++;
	size--;
	/* Kernel datagrams are aligned; an exact-size copy lets ASan see overreads. */
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);

	/* Take the sequence number from the input: it is not what we test. */
	if (size >= sizeof(struct nlmsghdr))
		memcpy(&seq, buf + offsetof(struct nlmsghdr, nlmsg_seq), sizeof(seq));

	switch (sel % 8) {
	case 0:
		ipc_rx_init(&rx, seq, 0, FUZZ_FAMILY, sel & 0x80,
			    model_parse_info, &info);
		ipc_rx_process(&rx, buf, size);
		print_info(&info);
		break;
	case 1:
		ipc_rx_init(&rx, seq, 0, FUZZ_FAMILY, sel & 0x80,
			    model_parse_hash, &reply);
		ipc_rx_process(&rx, buf, size);
		break;
	case 2:
		ipc_rx_init(&rx, seq, 0, GENL_ID_CTRL, sel & 0x80,
			    ipc_parse_family, &fam);
		ipc_rx_process(&rx, buf, size);
		break;
	case 3:
		fuzz_task(&rx, seq, sel, buf, size);
		break;
	case 4:
		fuzz_list(&rx, seq, buf, size, model_parse_task_list,
			  sizeof(struct synctl_task));
		break;
	case 5:
		fuzz_list(&rx, seq, buf, size, model_parse_module_list,
			  sizeof(struct synctl_module));
		break;
	case 6:
		fuzz_list(&rx, seq, buf, size, model_parse_checkpoint_list,
			  sizeof(struct synctl_checkpoint));
		break;
	default: {
		struct synctl_output_chunk out = { 0 };

		ipc_rx_init(&rx, seq, 0, FUZZ_FAMILY, sel & 0x80,
			    model_parse_output, &out);
		ipc_rx_process(&rx, buf, size);
		break;
	}
	}
	/* What synctl would print for the kernel's error, if any. */
	format_error(msg, sizeof(msg), rx.kernel_err, &rx.extack);
	free(buf);
	return 0;
}
