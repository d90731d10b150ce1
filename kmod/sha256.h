/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SYNAPSE_KMOD_SHA256_H
#define SYNAPSE_KMOD_SHA256_H

int synapse_sha256_init(void);
void synapse_sha256_exit(void);
const char *synapse_sha256_driver(void);
size_t synapse_sha256_descsize(void);

#endif /* SYNAPSE_KMOD_SHA256_H */
