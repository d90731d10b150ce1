# SPDX-License-Identifier: GPL-2.0
# Engine fuzzing with libFuzzer (clang -fsanitize=fuzzer,address,undefined):
# decode + validate + run, with replay/slicing/unmetered oracles
# (selftests/fuzz/fuzz_engine.c). The corpus is seeded from the engine's
# test modules and the spec suite's binary modules.
#
#   make fuzz-engine FUZZ_SECS=600     a long run (default 60 s)
#   suite fuzz-engine                  a short bounded run (FUZZ_SHORT_SECS)

FUZZ_DIR	:= $(BUILD)/fuzz
FUZZ_ENGINE	:= $(FUZZ_DIR)/fuzz_engine
FUZZ_CORPUS	:= $(FUZZ_DIR)/corpus-engine
FUZZ_SECS	?= 60
FUZZ_SHORT_SECS	?= 20
FUZZ_CC		?= clang
FUZZ_CFLAGS	:= -g -O1 -fsanitize=fuzzer,address,undefined \
		   -fno-sanitize-recover=undefined -std=gnu11 -D_GNU_SOURCE \
		   -I$(TOP) -Wall -Werror -Wno-unused-parameter
FUZZ_SRCS	:= $(addprefix $(TOP)/kmod/vm/,$(filter-out interp.c,$(SVM_OBJS:.o=.c)))

# The interpreter loop alone at FUZZ_INTERP_O (default -O0): clang 14 needs
# over 250 s of CPU for its ~300 computed-goto handlers at -O1 with these
# sanitizers, 4 s at -O0. The instrumentation is the same; only executions
# per second drop (about 3x), which suits the short run in make check. For
# long runs: make fuzz-engine FUZZ_SECS=600 FUZZ_INTERP_O=-O1 (after
# rm build/fuzz/interp.o).
FUZZ_INTERP_O	?= -O0
$(FUZZ_DIR)/interp.o: $(TOP)/kmod/vm/interp.c $(SVM_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(filter-out -fsanitize=fuzzer%,$(FUZZ_CFLAGS)) \
		-fsanitize=fuzzer-no-link,address,undefined $(FUZZ_INTERP_O) -c -o $@ $<

$(FUZZ_ENGINE): $(TOP)/selftests/fuzz/fuzz_engine.c $(FUZZ_SRCS) $(FUZZ_DIR)/interp.o $(SVM_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRCS) $(FUZZ_DIR)/interp.o -lcrypto

# Seeds: every small binary module we have (idempotent copy).
$(FUZZ_CORPUS)/.seeded: $(ENGINE_WASMS) | $(SPEC_JSONS)
	@mkdir -p $(@D)
	@cp $(ENGINE_WASMS) $(@D)/
	@find $(SPEC_DIR) $(BUILD)/examples -name '*.wasm' -size -16k \
		-printf '%s %p\n' 2>/dev/null | sort -n | awk 'NR % 8 == 0 {print $$2}' | \
		head -400 | xargs -r cp -t $(@D); true
	@touch $@

fuzz-engine-build: $(FUZZ_ENGINE)

fuzz-engine: $(FUZZ_ENGINE) $(FUZZ_CORPUS)/.seeded
	$(FUZZ_ENGINE) -artifact_prefix=$(FUZZ_DIR)/ -max_total_time=$(FUZZ_SECS) -timeout=20 -rss_limit_mb=2048 \
		-max_len=65536 $(FUZZ_CORPUS)

run-fuzz-engine: $(FUZZ_ENGINE) $(FUZZ_CORPUS)/.seeded
	@echo "1..1"
	@log=$(FUZZ_DIR)/fuzz-engine.log; \
	if $(FUZZ_ENGINE) -artifact_prefix=$(FUZZ_DIR)/ -max_total_time=$(FUZZ_SHORT_SECS) -timeout=20 \
		-rss_limit_mb=2048 -max_len=65536 $(FUZZ_CORPUS) >$$log 2>&1; then \
		echo "# $$(grep -E '^Done [0-9]+ runs' $$log | tail -1)"; \
		echo "ok 1 fuzz_engine $(FUZZ_SHORT_SECS)s clean"; \
	else \
		tail -30 $$log | sed 's/^/# /'; echo "not ok 1 fuzz_engine"; exit 1; \
	fi

CHECK_SUITES	+= fuzz-engine

.PHONY: fuzz-engine fuzz-engine-build run-fuzz-engine
