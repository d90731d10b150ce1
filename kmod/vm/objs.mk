# SPDX-License-Identifier: GPL-2.0
# The engine's objects, one list for both builds: kmod/Kbuild links them into
# synapse.ko, kmod/vm/vm.mk compiles the same sources into build/libsynvm.a.
SVM_OBJS := hashenc.o memtrack.o decode.o compile.o interp.o instance.o task.o
# The interpreter dispatches with computed gotos: objtool cannot follow
# the indirect jumps (they look like sibling calls), so it skips that file.
OBJECT_FILES_NON_STANDARD_interp.o := y
