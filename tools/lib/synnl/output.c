// SPDX-License-Identifier: GPL-2.0
/* Printers for the in-memory model (human table, sha256sum lines, JSON). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "tools/lib/synnl/output.h"

void hex_digest(const uint8_t digest[SYNAPSE_HASH_LEN],
		char hex[HASH_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < SYNAPSE_HASH_LEN; i++) {
		hex[2 * i] = digits[digest[i] >> 4];
		hex[2 * i + 1] = digits[digest[i] & 0xf];
	}
	hex[HASH_HEX_LEN] = '\0';
}

/* JSON integers are signed 64-bit in jansson; larger values become strings. */
static json_t *json_u64(uint64_t v)
{
	char buf[24];

	if (v <= INT64_MAX)
		return json_integer((json_int_t)v);
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return json_string(buf);
}

/* "used / max" lines for the netns's totals. */
static void netns_print(FILE *f, const struct synctl_info *info)
{
	static const unsigned int rows[][2] = {
		{ SYNAPSE_A_NETNS_MODULES, SYNAPSE_A_NETNS_MODULES_MAX },
		{ SYNAPSE_A_NETNS_MODULE_BYTES, SYNAPSE_A_NETNS_MODULE_BYTES_MAX },
		{ SYNAPSE_A_NETNS_TASKS, SYNAPSE_A_NETNS_TASKS_MAX },
		{ SYNAPSE_A_NETNS_TASKS_IN_FLIGHT, 0 },
		{ SYNAPSE_A_NETNS_TASK_BYTES, SYNAPSE_A_NETNS_TASK_BYTES_MAX },
	};
	unsigned int i, used, max;

	fprintf(f, "this netns:\n");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		used = rows[i][0];
		max = rows[i][1];
		if (!(info->netns_present & (1U << used)))
			continue;
		fprintf(f, "  %-15s %" PRIu64, model_netns_name(used),
			info->netns[used]);
		if (max && (info->netns_present & (1U << max)))
			fprintf(f, " / %" PRIu64, info->netns[max]);
		fputc('\n', f);
	}
}

void info_print(FILE *f, const struct synctl_info *info)
{
	unsigned int t;
	const char *name;

	if (info->present & INFO_HAS_ABI_VERSION)
		fprintf(f, "abi version:      %" PRIu32 "\n", info->abi_version);
	if (info->present & INFO_HAS_MODULE_VERSION)
		fprintf(f, "module version:   %s\n", info->module_version);
	if (info->present & INFO_HAS_HASH_DRIVER)
		fprintf(f, "hash driver:      %s\n", info->hash_driver);
	if (info->present & INFO_HAS_HASH_CHUNK_MAX)
		fprintf(f, "hash chunk max:   %" PRIu32 " bytes\n",
			info->hash_chunk_max);
	if (info->present & INFO_HAS_HASH_MAX)
		fprintf(f, "hash max:         %" PRIu64 " bytes\n",
			info->hash_max);
	if (info->present & INFO_HAS_HASH_STREAMS)
		fprintf(f, "hash streams:     %" PRIu32 " open\n",
			info->hash_streams);
	if (info->present & INFO_HAS_HASH_STREAMS_MAX)
		fprintf(f, "hash streams max: %" PRIu32 "\n",
			info->hash_streams_max);
	if (info->present & INFO_HAS_LIMITS) {
		fprintf(f, "limits:\n");
		for (t = 0; t <= SYNAPSE_A_LIMIT_MAX; t++) {
			name = model_limit_name(t);
			if (!name || !(info->limits_present & (1U << t)))
				continue;
			fprintf(f, "  %-15s %" PRIu64 "\n", name, info->limits[t]);
		}
	}
	if (info->present & INFO_HAS_NETNS)
		netns_print(f, info);
}

static json_t *limits_to_json(const struct synctl_info *info)
{
	json_t *obj = json_object();
	unsigned int t;
	const char *name;

	if (!obj)
		return NULL;
	for (t = 0; t <= SYNAPSE_A_LIMIT_MAX; t++) {
		name = model_limit_name(t);
		if (!name || !(info->limits_present & (1U << t)))
			continue;
		json_object_set_new(obj, name, json_u64(info->limits[t]));
	}
	return obj;
}

static json_t *netns_to_json(const struct synctl_info *info)
{
	json_t *obj = json_object();
	unsigned int t;
	const char *name;

	if (!obj)
		return NULL;
	for (t = 0; t <= SYNAPSE_A_NETNS_MAX; t++) {
		name = model_netns_name(t);
		if (!name || !(info->netns_present & (1U << t)))
			continue;
		json_object_set_new(obj, name, json_u64(info->netns[t]));
	}
	return obj;
}

json_t *info_to_json(const struct synctl_info *info)
{
	json_t *obj = json_object();

	if (!obj)
		return NULL;
	if (info->present & INFO_HAS_ABI_VERSION)
		json_object_set_new(obj, "abi_version",
				    json_integer(info->abi_version));
	if (info->present & INFO_HAS_MODULE_VERSION)
		json_object_set_new(obj, "module_version",
				    json_string(info->module_version));
	if (info->present & INFO_HAS_HASH_DRIVER)
		json_object_set_new(obj, "hash_driver",
				    json_string(info->hash_driver));
	if (info->present & INFO_HAS_HASH_CHUNK_MAX)
		json_object_set_new(obj, "hash_chunk_max",
				    json_integer(info->hash_chunk_max));
	if (info->present & INFO_HAS_HASH_MAX)
		json_object_set_new(obj, "hash_max", json_u64(info->hash_max));
	if (info->present & INFO_HAS_HASH_STREAMS)
		json_object_set_new(obj, "hash_streams",
				    json_integer(info->hash_streams));
	if (info->present & INFO_HAS_HASH_STREAMS_MAX)
		json_object_set_new(obj, "hash_streams_max",
				    json_integer(info->hash_streams_max));
	if (info->present & INFO_HAS_LIMITS)
		json_object_set_new(obj, "limits", limits_to_json(info));
	if (info->present & INFO_HAS_NETNS)
		json_object_set_new(obj, "netns", netns_to_json(info));
	return obj;
}

/* coreutils escapes '\\', '\n' and '\r' and then marks the line with '\\'. */
static bool needs_escape(const char *name)
{
	return strpbrk(name, "\\\n\r") != NULL;
}

void hash_print_line(FILE *f, const struct synctl_hash_result *res)
{
	char hex[HASH_HEX_LEN + 1];
	const char *p;
	bool esc = needs_escape(res->name);

	hex_digest(res->digest, hex);
	fprintf(f, "%s%s  ", esc ? "\\" : "", hex);
	for (p = res->name; *p; p++) {
		if (esc && *p == '\\')
			fputs("\\\\", f);
		else if (esc && *p == '\n')
			fputs("\\n", f);
		else if (esc && *p == '\r')
			fputs("\\r", f);
		else
			fputc(*p, f);
	}
	fputc('\n', f);
}

/* JSON strings are UTF-8; a file name need not be: mask what is not. */
static json_t *json_name(const char *name)
{
	json_t *s = json_string(name);
	char *copy, *p;

	if (s)
		return s;
	copy = strdup(name);
	if (!copy)
		return NULL;
	for (p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	s = json_string(copy);
	free(copy);
	return s;
}

json_t *hash_result_to_json(const struct synctl_hash_result *res)
{
	char hex[HASH_HEX_LEN + 1];
	json_t *obj = json_object();

	if (!obj)
		return NULL;
	json_object_set_new(obj, "file", json_name(res->name));
	if (res->err) {
		json_object_set_new(obj, "error", json_string(res->msg));
		json_object_set_new(obj, "errno", json_integer(res->err));
		return obj;
	}
	hex_digest(res->digest, hex);
	json_object_set_new(obj, "sha256", json_string(hex));
	json_object_set_new(obj, "bytes", json_u64(res->len));
	return obj;
}

int json_print(FILE *f, json_t *root)
{
	int ret;

	if (!root)
		return -ENOMEM;
	ret = json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (ret < 0)
		return -EIO;
	fputc('\n', f);
	return 0;
}
