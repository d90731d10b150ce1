# SPDX-License-Identifier: GPL-2.0
# Agent test suites (included from agent/agent.mk):
#   agent-unit   unit tests (kselftest harness) + a bounded fuzz run
#   agent-mesh   5 synapsed on 127.0.0.1, CA/certs via synctl, bad peers
# and make fuzz-agent (long fuzz run), make bench-agent (figures).

AGENT_T		:= $(BUILD)/agent/tests
AGENT_UNIT	:= $(AGENT_T)/unit
AGENT_PROBE	:= $(AGENT_T)/probe
AGENT_BENCH	:= $(AGENT_T)/bench
AGENT_FUZZ	:= $(AGENT_T)/fuzz-message
AGENT_SEEDS	:= $(AGENT_T)/fuzz-seeds
AGENT_CORPUS	:= $(AGENT_T)/corpus
AGENT_FUZZ_RUNS	?= 100000
AGENT_TEST_CFLAGS := -Wno-missing-prototypes -Wno-sign-compare

$(AGENT_T)/%: selftests/agent/%.c $(AGENT_LIB) $(AGENT_HDRS) $(HARNESS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(AGENT_TEST_CFLAGS) $(AGENT_CFLAGS) $(LDFLAGS) -o $@ \
		$< $(AGENT_LIB) $(AGENT_LIBS)

AGENT_FUZZ_SRCS	:= selftests/agent/fuzz-message.c $(addprefix agent/,identity/canon.c \
		   mesh/message.c config.c identity/pki.c log.c mesh/replay.c)

$(AGENT_FUZZ): $(AGENT_FUZZ_SRCS) $(AGENT_HDRS)
	@mkdir -p $(dir $@)
	clang -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter \
		-I$(TOP) $(AGENT_CFLAGS) -o $@ $(AGENT_FUZZ_SRCS) $(AGENT_LIBS)

$(AGENT_CORPUS)/.seeded: $(AGENT_SEEDS)
	@mkdir -p $(dir $@)
	$(AGENT_SEEDS) $(dir $@)
	@touch $@

fuzz-agent: $(AGENT_FUZZ) $(AGENT_CORPUS)/.seeded
	$(AGENT_FUZZ) -artifact_prefix=$(AGENT_T)/ -max_total_time=$${FUZZ_SECONDS:-600} \
		-max_len=8192 $(AGENT_CORPUS)

run-agent-unit: $(AGENT_UNIT) $(AGENT_FUZZ) $(AGENT_CORPUS)/.seeded
	@rc=0; $(AGENT_UNIT) || rc=1; \
	if $(AGENT_FUZZ) -runs=$(AGENT_FUZZ_RUNS) -max_len=8192 -seed=1 \
		-artifact_prefix=$(AGENT_T)/ $(AGENT_CORPUS) \
		>$(AGENT_T)/fuzz-last-run.log 2>&1; then \
		echo "ok 1 fuzz_nodemessage_decoder ($(AGENT_FUZZ_RUNS) runs)"; \
	else \
		echo "not ok 1 fuzz_nodemessage_decoder (see $(AGENT_T)/fuzz-last-run.log)"; \
		tail -n 20 $(AGENT_T)/fuzz-last-run.log | sed 's/^/# /'; rc=1; \
	fi; exit $$rc

# synctl.mk is included after this file: name its program literally.
run-agent-mesh: $(SYNAPSED) $(BUILD)/bin/synctl $(AGENT_PROBE)
	@selftests/agent/mesh.sh $(BUILD)

# OpenSSL's own Ed25519 figures in the same run, for the ratio.
bench-agent: $(AGENT_BENCH) $(SYNAPSED) $(BUILD)/bin/synctl $(AGENT_PROBE)
	$(AGENT_BENCH)
	@openssl speed -seconds 1 ed25519 2>/dev/null | \
		awk '/Ed25519/ { printf "# openssl speed ed25519: %.0f sign/s, %.0f verify/s\n", $$(NF-1), $$NF }'
	@MESH_BENCH=1 selftests/agent/mesh.sh $(BUILD) | grep -E '^# (rtt|mesh)'

CHECK_SUITES	+= agent-unit agent-mesh

.PHONY: fuzz-agent run-agent-unit run-agent-mesh bench-agent
