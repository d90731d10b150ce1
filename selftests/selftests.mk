# SPDX-License-Identifier: GPL-2.0
# In-VM kernel selftests (selftests/kmod/*.c, kselftest harness, libmnl),
# built to build/selftests/kmod/ and run inside QEMU by selftests/vm/run-all
# (suite "vm", tools/vm/vm.mk). Every .c here but the shared synl.c is one
# test program.

KSELFTEST_DIR	:= $(BUILD)/selftests/kmod
KSELFTEST_SRCS	:= $(filter-out selftests/kmod/synl.c,$(wildcard selftests/kmod/*.c))
KSELFTEST_BINS	:= $(patsubst selftests/kmod/%.c,$(KSELFTEST_DIR)/%,$(KSELFTEST_SRCS))
KSELFTEST_HDRS	:= $(wildcard selftests/kmod/*.h) uapi/synapse.h kmod/limits.h

$(KSELFTEST_DIR)/synl.o: selftests/kmod/synl.c $(KSELFTEST_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

# The harness's own macros trip -Wshadow and -Wmissing-prototypes.
$(KSELFTEST_DIR)/%: selftests/kmod/%.c $(KSELFTEST_DIR)/synl.o $(KSELFTEST_HDRS) $(HARNESS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wno-shadow -Wno-missing-prototypes -o $@ $< \
		$(KSELFTEST_DIR)/synl.o $(LDFLAGS) -lmnl -lcrypto

# info compares GET_INFO's limits with the engine's own defaults (libsynvm).
$(KSELFTEST_DIR)/info: selftests/kmod/info.c $(KSELFTEST_DIR)/synl.o $(KSELFTEST_HDRS) $(HARNESS) $(BUILD)/libsynvm.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wno-shadow -Wno-missing-prototypes -o $@ $< \
		$(KSELFTEST_DIR)/synl.o $(BUILD)/libsynvm.a $(LDFLAGS) -lmnl -lcrypto

selftests-kmod: $(KSELFTEST_BINS)
USER_PROGS += $(KSELFTEST_BINS)

.PHONY: selftests-kmod

# Helpers for the shell selftests in selftests/vm/ (run in the VM).
VMTEST_TOOLS	:= $(BUILD)/selftests/vm/synl-tool

$(BUILD)/selftests/vm/synl-tool: selftests/vm/synl-tool.c $(KSELFTEST_DIR)/synl.o $(KSELFTEST_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(KSELFTEST_DIR)/synl.o $(LDFLAGS) -lmnl

selftests-vm-tools: $(VMTEST_TOOLS)
USER_PROGS += $(VMTEST_TOOLS)

.PHONY: selftests-vm-tools
