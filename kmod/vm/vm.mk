# SPDX-License-Identifier: GPL-2.0
# The engine's userspace build: the very same kmod/vm/*.c that Kbuild links
# into synapse.ko, compiled against platform.h's libc/OpenSSL side into
# build/libsynvm.a (objects in build/vm/), plus the synvm runner and the
# engine's test suites (engine, spec, fuzz-engine).

include $(TOP)/kmod/vm/objs.mk

SVM_DIR		:= $(BUILD)/vm
SVM_LIB		:= $(BUILD)/libsynvm.a
SVM_HDRS	:= $(wildcard $(TOP)/kmod/vm/*.h) $(TOP)/uapi/synapse_abi.h
SVM_UOBJS	:= $(addprefix $(SVM_DIR)/,$(SVM_OBJS))
SVM_LIBS	:= -lcrypto
# The dispatch loop is a computed-goto interpreter: GCSE merges the
# indirect jumps back into one and costs a branch-predictor slot per op.
SVM_INTERP_CFLAGS := -fno-gcse -fomit-frame-pointer

$(SVM_DIR)/interp.o: CFLAGS += $(SVM_INTERP_CFLAGS)

$(SVM_DIR)/%.o: $(TOP)/kmod/vm/%.c $(SVM_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(SVM_LIB): $(SVM_UOBJS)
	@rm -f $@
	$(AR) rcs $@ $^

libsynvm: $(SVM_LIB)

SYNVM		:= $(BUILD)/bin/synvm

$(SYNVM): $(wildcard $(TOP)/tools/synvm/*.c) $(wildcard $(TOP)/tools/synvm/*.h) $(SVM_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $(filter %.c,$^) $(SVM_LIB) $(LDFLAGS) $(SVM_LIBS) -ljansson

USER_PROGS	+= $(SYNVM) $(SPECRUN)

include $(TOP)/selftests/spec/spec.mk
include $(TOP)/selftests/engine/engine.mk
include $(TOP)/selftests/fuzz/fuzz.mk

.PHONY: libsynvm
