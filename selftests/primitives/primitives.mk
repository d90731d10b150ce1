# SPDX-License-Identifier: GPL-2.0
# Suite "primitives": unit tests for the engine's hashing primitives
# (kmod/vm/hashenc.c) and memory tracking (kmod/vm/memtrack.c), compiled from
# the very same sources as synapse.ko, against OpenSSL (platform.h's
# userspace side). Included from bench/bench.mk.

PRIM_DIR	:= $(BUILD)/selftests/primitives
PRIM_SRCS	:= $(TOP)/kmod/vm/hashenc.c $(TOP)/kmod/vm/memtrack.c
PRIM_HDRS	:= $(wildcard $(TOP)/kmod/vm/*.h)
PRIM_TESTS	:= hashenc_test memtrack_test
PRIM_BINS	:= $(addprefix $(PRIM_DIR)/,$(PRIM_TESTS))
# The harness defines global functions without prototypes, and its
# EXPECT_*() compare literal ints with unsigned fields.
PRIM_CFLAGS	:= $(CFLAGS) -Wno-missing-prototypes -Wno-sign-compare

$(PRIM_DIR)/%: $(TOP)/selftests/primitives/%.c $(PRIM_SRCS) $(PRIM_HDRS) $(HARNESS)
	@mkdir -p $(@D)
	$(CC) $(PRIM_CFLAGS) -o $@ $< $(PRIM_SRCS) $(LDFLAGS) -lcrypto

primitives: $(PRIM_BINS)

run-primitives: $(PRIM_BINS)
	@rc=0; for t in $(PRIM_BINS); do echo "# $$(basename $$t)"; $$t || rc=1; done; exit $$rc

CHECK_SUITES	+= primitives

.PHONY: primitives run-primitives
