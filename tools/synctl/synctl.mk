# SPDX-License-Identifier: GPL-2.0
#
# synctl, the control tool: build/bin/synctl from every tools/synctl/*.c
# (one file per subcommand; synctl.c holds main). Fragments included
# before this one may append to SYNCTL_EXTRA_OBJS / SYNCTL_EXTRA_LIBS to
# link more code in (e.g. the agent's cluster subcommands).
#
#   make synctl          the program
#   make run-synctl      suite "synctl": unit tests, CLI tests, a short fuzz run
#   make fuzz-synctl     the libFuzzer target (clang, ASan+UBSan);
#                        run longer with: make fuzz-synctl-run FUZZ_RUNS=1000000

SYNCTL_DIR	:= tools/synctl
SYNCTL_OUT	:= $(BUILD)/synctl
SYNCTL_PKGS	:= libmnl jansson
SYNCTL_CFLAGS	:= $(shell pkg-config --cflags $(SYNCTL_PKGS))
SYNCTL_LIBS	:= $(shell pkg-config --libs $(SYNCTL_PKGS))

SYNCTL_SRCS	:= $(wildcard $(SYNCTL_DIR)/*.c)
SYNCTL_OBJS	:= $(patsubst $(SYNCTL_DIR)/%.c,$(SYNCTL_OUT)/%.o,$(SYNCTL_SRCS))
# Everything but main(), for the unit tests.
SYNCTL_LIB_OBJS	:= $(filter-out $(SYNCTL_OUT)/synctl.o,$(SYNCTL_OBJS))
SYNCTL_BIN	:= $(BUILD)/bin/synctl

SYNCTL_TEST_SRCS := $(wildcard $(SYNCTL_DIR)/tests/*.c)
# The harness's macros compare mixed signedness and define unprototyped
# functions, as in the kernel's own selftests.
SYNCTL_TEST_CFLAGS := -Wno-missing-prototypes -Wno-sign-compare
SYNCTL_TESTS	:= $(patsubst $(SYNCTL_DIR)/tests/%.c,$(SYNCTL_OUT)/tests/%,$(SYNCTL_TEST_SRCS))

# The fuzzer compiles the parsers itself, with clang and sanitizers.
SYNCTL_FUZZ	:= $(SYNCTL_OUT)/fuzz/fuzz-reply
SYNCTL_FUZZ_SRCS := $(SYNCTL_DIR)/fuzz/fuzz-reply.c $(SYNCTL_DIR)/common.c $(SYNNL_SRCS)
SYNCTL_SEEDS	:= $(SYNCTL_OUT)/fuzz/seeds
SYNCTL_CORPUS	:= $(SYNCTL_OUT)/fuzz/corpus
FUZZ_RUNS	?= 200000

# The netlink transport and the module/task parsers live in libsynnl.a
# (tools/lib/synnl/synnl.mk), shared with synapsed's kernel engine.
SYNCTL_EXTRA_OBJS	:= $(SYNNL_LIB) $(SYNCTL_EXTRA_OBJS)

$(SYNAPSED) $(ENGINES_TEST): $(SYNNL_LIB)

USER_PROGS	+= $(SYNCTL_BIN)
CHECK_SUITES	+= synctl

$(SYNCTL_OUT)/%.o: $(SYNCTL_DIR)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SYNCTL_CFLAGS) -MMD -MP -c -o $@ $<

$(SYNCTL_BIN): $(SYNCTL_OBJS) $(SYNCTL_EXTRA_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(SYNCTL_LIBS) $(SYNCTL_EXTRA_LIBS)

$(SYNCTL_OUT)/tests/%: $(SYNCTL_DIR)/tests/%.c $(SYNCTL_LIB_OBJS) $(SYNCTL_EXTRA_OBJS) $(HARNESS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SYNCTL_TEST_CFLAGS) $(SYNCTL_CFLAGS) -I$(SYNCTL_DIR) -MMD -MP $(LDFLAGS) -o $@ \
		$< $(SYNCTL_LIB_OBJS) $(SYNCTL_EXTRA_OBJS) $(SYNCTL_LIBS) $(SYNCTL_EXTRA_LIBS)

$(SYNCTL_FUZZ): $(SYNCTL_FUZZ_SRCS) $(wildcard $(SYNCTL_DIR)/*.h $(SYNNL_DIR)/*.h)
	@mkdir -p $(dir $@)
	clang -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter \
		-I$(TOP) -I$(SYNCTL_DIR) $(SYNCTL_CFLAGS) -o $@ $(SYNCTL_FUZZ_SRCS) \
		$(SYNCTL_LIBS)

$(SYNCTL_SEEDS): $(SYNCTL_DIR)/fuzz/seeds.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SYNCTL_CFLAGS) -o $@ $< $(SYNCTL_LIBS)

# The corpus starts from well-formed datagrams of every kind.
$(SYNCTL_CORPUS)/seed-info: $(SYNCTL_SEEDS)
	@mkdir -p $(dir $@)
	$(SYNCTL_SEEDS) $(dir $@)

synctl: $(SYNCTL_BIN)
fuzz-synctl: $(SYNCTL_FUZZ) $(SYNCTL_CORPUS)/seed-info

fuzz-synctl-run: fuzz-synctl
	$(SYNCTL_FUZZ) -artifact_prefix=$(SYNCTL_OUT)/fuzz/ -runs=$(FUZZ_RUNS) -max_len=4096 $(SYNCTL_CORPUS)

# TAP from every test binary, then one line for a bounded fuzz run.
run-synctl: $(SYNCTL_BIN) $(SYNCTL_TESTS) fuzz-synctl
	@rc=0; for t in $(SYNCTL_TESTS); do \
		SYNCTL_BIN=$(SYNCTL_BIN) $$t || rc=1; \
	done; \
	if $(SYNCTL_FUZZ) -runs=$(FUZZ_RUNS) -max_len=4096 -seed=1 \
		-artifact_prefix=$(SYNCTL_OUT)/fuzz/ \
		$(SYNCTL_CORPUS) >$(SYNCTL_OUT)/fuzz/last-run.log 2>&1; then \
		echo "ok 1 fuzz_reply_parser ($(FUZZ_RUNS) runs)"; \
	else \
		echo "not ok 1 fuzz_reply_parser (see $(SYNCTL_OUT)/fuzz/last-run.log)"; \
		tail -n 20 $(SYNCTL_OUT)/fuzz/last-run.log | sed 's/^/# /'; rc=1; \
	fi; \
	exit $$rc

-include $(SYNCTL_OBJS:.o=.d) $(SYNCTL_TESTS:=.d)

.PHONY: synctl fuzz-synctl fuzz-synctl-run run-synctl
