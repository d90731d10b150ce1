/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SYNVM_IRDUMP_H
#define SYNVM_IRDUMP_H

struct svm_module;

/* Print the slot IR of every defined function (only >= 0: that one). */
void synvm_ir_dump(const struct svm_module *m, int only);

#endif
