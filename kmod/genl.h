/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SYNAPSE_KMOD_GENL_H
#define SYNAPSE_KMOD_GENL_H

int synapse_genl_init(void);
void synapse_genl_exit(void);

#endif /* SYNAPSE_KMOD_GENL_H */
