# SPDX-License-Identifier: GPL-2.0
# The capability revocation program (revoke.bpf.c), its libbpf skeleton,
# the loader library (revoke.c) and the capability tokens (agent/identity/captoken.c),
# linked into synctl ("synctl cap") and available to synapsed as
# $(CAP_LIB_OBJS) + $(CAP_LIBS).

BPF_CLANG	?= clang
BPFTOOL		?= bpftool
CAP_BPF_OUT	:= $(BUILD)/agent/bpf
CAP_BPF_OBJ	:= $(CAP_BPF_OUT)/revoke.bpf.o
CAP_BPF_SKEL	:= $(CAP_BPF_OUT)/revoke.skel.h
CAP_LIB_OBJS	:= $(CAP_BPF_OUT)/revoke.o $(BUILD)/agent/identity/captoken.o
CAP_LIBS	:= $(shell pkg-config --libs libbpf)

$(CAP_BPF_OBJ): agent/bpf/revoke.bpf.c uapi/synapse_cap.h
	@mkdir -p $(dir $@)
	$(BPF_CLANG) -O2 -g -Wall -Werror -target bpf \
		-I/usr/include/x86_64-linux-gnu -I$(TOP) -c -o $@ $<

$(CAP_BPF_SKEL): $(CAP_BPF_OBJ)
	$(BPFTOOL) gen skeleton $< name revoke > $@.tmp && mv $@.tmp $@

$(CAP_BPF_OUT)/revoke.o: agent/bpf/revoke.c agent/bpf/revoke.h $(CAP_BPF_SKEL)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags libbpf) -I$(CAP_BPF_OUT) -c -o $@ $<

$(BUILD)/agent/identity/captoken.o: agent/identity/captoken.h

# synapsed mirrors the cluster's revocations into the pinned map and checks
# tokens: the same objects, before libsynagent.a on its link line (the
# recipe expands AGENT_D_OBJS and AGENT_D_LIBS when it runs).
$(SYNAPSED): $(CAP_LIB_OBJS)
AGENT_D_OBJS	+= $(CAP_LIB_OBJS)
AGENT_D_LIBS	+= $(CAP_LIBS)
$(BUILD)/agent/cluster/revocation.o: CFLAGS += $(shell pkg-config --cflags libbpf)

# After libsynagent.a on the link line: captoken.o uses its PKI and CBOR.
SYNCTL_EXTRA_OBJS	+= $(CAP_LIB_OBJS)
SYNCTL_EXTRA_LIBS	+= $(AGENT_LIB) $(AGENT_LIBS) $(CAP_LIBS)

cap-bpf: $(CAP_LIB_OBJS)
.PHONY: cap-bpf

# Suite cap-unit: the token code and the loader's clock conversion, and
# `synctl cap` on the host (tokens, errors with nothing pinned).
CAP_TEST	:= $(BUILD)/selftests/cap/captoken_test
$(CAP_TEST): selftests/cap/captoken_test.c $(CAP_LIB_OBJS) $(AGENT_LIB) $(HARNESS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Wno-missing-prototypes -Wno-sign-compare $(AGENT_CFLAGS) \
		$(LDFLAGS) -o $@ $< $(CAP_LIB_OBJS) $(AGENT_LIB) $(AGENT_LIBS) $(CAP_LIBS)

USER_PROGS	+= $(CAP_TEST)
CHECK_SUITES	+= cap-unit
# synctl's own variables come later (synctl.mk): name the binary.
run-cap-unit: $(CAP_TEST) $(BUILD)/bin/synctl
	@rc=0; $(CAP_TEST) || rc=1; \
	SYNCTL=$(BUILD)/bin/synctl selftests/cap/cli.sh || rc=1; \
	exit $$rc
.PHONY: run-cap-unit

# Suite cap-agent: synapsed's token checks (refusals with their reasons)
# and its mirror of etcd revocations into a pinned map (a private bpffs in
# a private mount namespace when run as root), on a one-node cluster.
CHECK_SUITES	+= cap-agent
run-cap-agent: $(SYNAPSED) $(BUILD)/bin/synctl examples
	@selftests/cap/agent.sh
.PHONY: run-cap-agent

# The in-VM kselftest selftests/kmod/cap.c also drives the pinned maps: an
# explicit rule (it wins over selftests.mk's pattern rule) adds the loader.
CAP_KSELFTEST	:= $(BUILD)/selftests/kmod/cap
$(CAP_KSELFTEST): selftests/kmod/cap.c $(BUILD)/selftests/kmod/synl.o $(CAP_BPF_OUT)/revoke.o \
		  selftests/kmod/synl.h uapi/synapse.h uapi/synapse_cap.h $(HARNESS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wno-shadow -Wno-missing-prototypes -Wno-sign-compare -o $@ $< \
		$(BUILD)/selftests/kmod/synl.o $(CAP_BPF_OUT)/revoke.o $(LDFLAGS) \
		-lmnl -lcrypto $(CAP_LIBS)

# selftests/kmod/cap_engine.c runs the embedded engine (libsynvm) too.
CAP_ENGINE_TEST	:= $(BUILD)/selftests/kmod/cap_engine
$(CAP_ENGINE_TEST): selftests/kmod/cap_engine.c $(CAP_BPF_OUT)/revoke.o $(BUILD)/libsynvm.a \
		    uapi/synapse_cap.h $(HARNESS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wno-shadow -Wno-missing-prototypes -Wno-sign-compare \
		-Iselftests/kmod -o $@ $< $(CAP_BPF_OUT)/revoke.o $(BUILD)/libsynvm.a \
		$(LDFLAGS) -lcrypto $(CAP_LIBS)

# make bench-cap: the checkpoint's cost attached vs detached, in the VM.
bench-cap: kmod user
	tools/vm/run --timeout 900 -- agent/bpf/cap-bench.sh
.PHONY: bench-cap
