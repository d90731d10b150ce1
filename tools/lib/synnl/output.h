/* SPDX-License-Identifier: GPL-2.0 */
/* Printers: the in-memory model → a human table, sha256sum lines or JSON. */
#ifndef SYNCTL_OUTPUT_H
#define SYNCTL_OUTPUT_H

#include <stdio.h>
#include <jansson.h>

#include "tools/lib/synnl/model.h"

#define HASH_HEX_LEN	(2 * SYNAPSE_HASH_LEN)

void hex_digest(const uint8_t digest[SYNAPSE_HASH_LEN],
		char hex[HASH_HEX_LEN + 1]);

void info_print(FILE *f, const struct synctl_info *info);
json_t *info_to_json(const struct synctl_info *info);

/* "<hex>  <name>" exactly as sha256sum prints it, escapes included. */
void hash_print_line(FILE *f, const struct synctl_hash_result *res);
json_t *hash_result_to_json(const struct synctl_hash_result *res);

/* Print a JSON document followed by a newline, then drop it. */
int json_print(FILE *f, json_t *root);

#endif /* SYNCTL_OUTPUT_H */
