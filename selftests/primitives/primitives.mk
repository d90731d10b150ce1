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

# libFuzzer + ASan/UBSan over memtrack; a short run is part of the suite.
PRIM_FUZZ	:= $(PRIM_DIR)/memtrack_fuzz
PRIM_FUZZ_FLAGS	:= -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_SECS	?= 600
PRIM_FUZZ_SHORT	?= 5

$(PRIM_FUZZ): $(TOP)/selftests/primitives/memtrack_fuzz.c $(PRIM_SRCS) $(PRIM_HDRS)
	@mkdir -p $(@D)
	clang $(PRIM_FUZZ_FLAGS) -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror \
		-Wno-unused-parameter -I$(TOP) -o $@ $< $(PRIM_SRCS) -lcrypto

primitives: $(PRIM_BINS) $(PRIM_FUZZ)

run-primitives: $(PRIM_BINS) $(PRIM_FUZZ)
	@rc=0; for t in $(PRIM_BINS); do echo "# $$(basename $$t)"; $$t || rc=1; done; \
	mkdir -p $(PRIM_DIR)/corpus; \
	if $(PRIM_FUZZ) -artifact_prefix=$(PRIM_DIR)/ -max_total_time=$(PRIM_FUZZ_SHORT) -seed=1 $(PRIM_DIR)/corpus \
		> $(PRIM_DIR)/fuzz.log 2>&1; then \
		echo "ok 1 memtrack_fuzz $(PRIM_FUZZ_SHORT)s # $$(grep -o 'Done [0-9]* runs' $(PRIM_DIR)/fuzz.log)"; \
	else \
		tail -20 $(PRIM_DIR)/fuzz.log | sed 's/^/# /'; echo "not ok 1 memtrack_fuzz"; rc=1; \
	fi; exit $$rc

# A long fuzzing run: make fuzz-memtrack FUZZ_SECS=600
fuzz-memtrack: $(PRIM_FUZZ)
	@mkdir -p $(PRIM_DIR)/corpus
	$(PRIM_FUZZ) -artifact_prefix=$(PRIM_DIR)/ -max_total_time=$(FUZZ_SECS) $(PRIM_DIR)/corpus

CHECK_SUITES	+= primitives

.PHONY: primitives run-primitives fuzz-memtrack
