// SPDX-License-Identifier: GPL-2.0
/* synctl module add|del|list: the kernel's content-addressed module store. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>

#include "common.h"
#include "tools/lib/synnl/output.h"
#include "subcommands.h"
#include "tools/lib/synnl/taskmodel.h"

static const char usage[] =
	"Usage: synctl module add FILE.wasm...\n"
	"       synctl module del ID\n"
	"       synctl module list\n"
	"Options: -j|--json\n"
	"\n"
	"add validates and compiles each module in synapse.ko and prints its id\n"
	"(the SHA-256 of its bytes); adding a module twice is free. del removes\n"
	"one no task uses; list shows every module of this network namespace.\n"
	"add and del need CAP_NET_ADMIN.\n";

struct module_bytes {
	const uint8_t *data;
	size_t len;
};

static int build_data(struct nlmsghdr *nlh, size_t buflen, void *ctx)
{
	const struct module_bytes *mb = ctx;
	size_t off = 0;

	do {
		size_t n = mb->len - off;

		if (n > SYNAPSE_MODULE_CHUNK_MAX)
			n = SYNAPSE_MODULE_CHUNK_MAX;
		if (!mnl_attr_put_check(nlh, buflen, SYNAPSE_A_MODULE_DATA, n,
					mb->data + off))
			return -EMSGSIZE;
		off += n;
	} while (off < mb->len);
	return 0;
}

static int build_id(struct nlmsghdr *nlh, size_t buflen, void *ctx)
{
	if (!mnl_attr_put_check(nlh, buflen, SYNAPSE_A_MODULE_ID,
				SYNAPSE_HASH_LEN, ctx))
		return -EMSGSIZE;
	return 0;
}

uint8_t *synctl_read_file(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	uint8_t *buf = NULL, *b;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	for (;;) {
		if (n == cap) {
			cap = cap ? 2 * cap : 65536;
			b = realloc(buf, cap);
			if (!b)
				goto out_fail;
			buf = b;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (!r)
			break;
	}
	if (ferror(f))
		goto out_fail;
	if (f != stdin)
		fclose(f);
	*len = n;
	return buf;

out_fail:
	free(buf);
	if (f != stdin)
		fclose(f);
	return NULL;
}

struct add_ctx {
	struct module_bytes mb;
	struct synctl_module m;
};

static int add_build(struct nlmsghdr *nlh, size_t buflen, void *ctx)
{
	return build_data(nlh, buflen, &((struct add_ctx *)ctx)->mb);
}

static int add_parse(const struct nlmsghdr *nlh, void *ctx)
{
	return model_parse_module(nlh, &((struct add_ctx *)ctx)->m);
}

int synctl_module_add(struct ipc *ipc, const char *path,
		      struct synctl_module *m)
{
	struct add_ctx ac = { 0 };
	const struct ipc_request req = {
		.cmd = SYNAPSE_CMD_MODULE_ADD,
		.build = add_build,
		.parse = add_parse,
		.ctx = &ac,
	};
	uint8_t *bytes;
	char what[300];
	int ret;

	bytes = synctl_read_file(path, &ac.mb.len);
	if (!bytes) {
		ret = -errno;
		fprintf(stderr, "%s: %s: %s\n", PROG_NAME, path, strerror(errno));
		return ret;
	}
	ac.mb.data = bytes;
	ret = ipc_request(ipc, &req);
	free(bytes);
	if (ret < 0) {
		snprintf(what, sizeof(what), "module add %s", path);
		report_error(what, ret, ipc_last_extack(ipc));
		return ret;
	}
	if (!ac.m.has_id) {
		fprintf(stderr, "%s: module add %s: no module id in the reply\n",
			PROG_NAME, path);
		return -EBADMSG;
	}
	*m = ac.m;
	return 0;
}

static int module_add_main(struct ipc *ipc, int argc, char *argv[])
{
	json_t *arr = json_output ? json_array() : NULL;
	struct synctl_module m;
	int i, status = SYNCTL_EXIT_OK;
	char hex[HASH_HEX_LEN + 1];

	if (argc < 1) {
		fputs(usage, stderr);
		return SYNCTL_EXIT_USAGE;
	}
	for (i = 0; i < argc; i++) {
		if (synctl_module_add(ipc, argv[i], &m) < 0) {
			status = SYNCTL_EXIT_FAIL;
			continue;
		}
		if (arr) {
			json_t *o = module_to_json(&m);

			json_object_set_new(o, "file", json_string(argv[i]));
			json_array_append_new(arr, o);
		} else {
			hex_digest(m.id, hex);
			printf("%s  %s%s\n", hex, argv[i], m.existed ? " (already loaded)" : "");
		}
	}
	if (arr && json_print(stdout, arr) < 0)
		status = SYNCTL_EXIT_FAIL;
	return status;
}

static int module_del_main(struct ipc *ipc, int argc, char *argv[])
{
	uint8_t id[SYNAPSE_HASH_LEN];
	const struct ipc_request req = {
		.cmd = SYNAPSE_CMD_MODULE_DEL,
		.build = build_id,
		.ctx = id,
	};
	int ret;

	if (argc != 1 || parse_hex_id(argv[0], id)) {
		fprintf(stderr, "%s module del: need one module id (64 hex digits)\n",
			PROG_NAME);
		return SYNCTL_EXIT_USAGE;
	}
	ret = ipc_request(ipc, &req);
	if (ret < 0) {
		report_error("module del", ret, ipc_last_extack(ipc));
		return SYNCTL_EXIT_FAIL;
	}
	return SYNCTL_EXIT_OK;
}

static int module_list_main(struct ipc *ipc, int argc, char *argv[])
{
	struct synctl_list l = { .size = sizeof(struct synctl_module) };
	const struct ipc_request req = {
		.cmd = SYNAPSE_CMD_MODULE_GET,
		.dump = true,
		.parse = model_parse_module_list,
		.reset = list_reset,
		.ctx = &l,
	};
	int ret, status = SYNCTL_EXIT_OK;
	size_t i;

	if (argc) {
		fputs(usage, stderr);
		return SYNCTL_EXIT_USAGE;
	}
	ret = ipc_request(ipc, &req);
	if (ret < 0) {
		report_error("module list", ret, ipc_last_extack(ipc));
		list_free(&l);
		return SYNCTL_EXIT_FAIL;
	}
	if (json_output) {
		json_t *arr = json_array();

		for (i = 0; i < l.n; i++)
			json_array_append_new(arr, module_to_json(
				(struct synctl_module *)l.items + i));
		if (json_print(stdout, arr) < 0)
			status = SYNCTL_EXIT_FAIL;
	} else {
		for (i = 0; i < l.n; i++)
			module_print(stdout, (struct synctl_module *)l.items + i, !i);
	}
	list_free(&l);
	return status;
}

int module_main(int argc, char *argv[])
{
	struct ipc *ipc;
	int status, idx;

	idx = parse_common_opts(argc, argv, usage, &status);
	if (idx < 0)
		return status;
	if (idx >= argc) {
		fputs(usage, stderr);
		return SYNCTL_EXIT_USAGE;
	}
	if (strcmp(argv[idx], "add") && strcmp(argv[idx], "del") &&
	    strcmp(argv[idx], "list")) {
		fprintf(stderr, "%s module: unknown command '%s'\n", PROG_NAME,
			argv[idx]);
		fputs(usage, stderr);
		return SYNCTL_EXIT_USAGE;
	}
	if (synctl_connect(&ipc) < 0)
		return SYNCTL_EXIT_FAIL;
	if (!strcmp(argv[idx], "add"))
		status = module_add_main(ipc, argc - idx - 1, argv + idx + 1);
	else if (!strcmp(argv[idx], "del"))
		status = module_del_main(ipc, argc - idx - 1, argv + idx + 1);
	else
		status = module_list_main(ipc, argc - idx - 1, argv + idx + 1);
	ipc_close(ipc);
	return status;
}
