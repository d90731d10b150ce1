# SPDX-License-Identifier: GPL-2.0
# The QEMU test VM (tools/vm/run) and the suites that use it:
#
#   vm           boot once, load synapse.ko, run selftests/vm/run-all (every
#                kselftest in build/selftests/kmod/ and every executable
#                selftests/vm/*.sh), plus one TAP line for a clean console
#   vm-selftest  the runner itself: a module that WARNs on load must fail
#                the run, and a command's exit status must come through
#
# Logs: build/vm/vm-suite.log, build/vm/selftest-*.log (the whole console).

VM_RUN		:= $(TOP)/tools/vm/run
WARNMOD_DIR	:= $(TOP)/selftests/vm/warnmod
WARNMOD		:= $(WARNMOD_DIR)/warnmod.ko

CHECK_SUITES	+= vm vm-selftest

# user: the in-VM scripts use every program (synctl, ...), not only ours.
run-vm: kmod user
	@mkdir -p $(BUILD)/vm
	@rm -f $(BUILD)/vm/vm-suite.result
	@$(VM_RUN) --log $(BUILD)/vm/vm-suite.log --result $(BUILD)/vm/vm-suite.result \
		--timeout 1200 -- selftests/vm/run-all; rc=$$?; \
	console=unknown; [ -r $(BUILD)/vm/vm-suite.result ] && . $(BUILD)/vm/vm-suite.result; \
	if [ "$$console" = clean ]; then echo "ok - vm console clean"; \
	else echo "not ok - vm console clean (see $(BUILD)/vm/vm-suite.log)"; fi; \
	exit $$rc

# Built only for the self-test, with Kbuild's outputs next to its source.
$(WARNMOD): $(WARNMOD_DIR)/warnmod.c $(WARNMOD_DIR)/Kbuild
	@test -e $(KDIR)/Makefile || { echo "warnmod: no kernel build tree at $(KDIR)" >&2; exit 1; }
	@mkdir -p $(BUILD)/vm
	@$(MAKE) -s -C $(KDIR) M=$(WARNMOD_DIR) modules >$(BUILD)/vm/warnmod-build.log 2>&1 || \
		{ cat $(BUILD)/vm/warnmod-build.log >&2; exit 1; }

run-vm-selftest: $(WARNMOD)
	@mkdir -p $(BUILD)/vm
	@$(VM_RUN) --no-module --log $(BUILD)/vm/selftest-warn.log \
		--result $(BUILD)/vm/selftest-warn.result -- insmod $(WARNMOD) \
		>/dev/null 2>$(BUILD)/vm/selftest-warn.err; rc=$$?; \
	console=unknown; . $(BUILD)/vm/selftest-warn.result 2>/dev/null; \
	if [ $$rc -ne 0 ] && [ "$$console" = dirty ] && grep -q 'WARNING:' $(BUILD)/vm/selftest-warn.err; then \
		echo "ok - vm runner fails on a WARN"; \
	else echo "not ok - vm runner fails on a WARN (status $$rc, console $$console)"; \
		sed 's/^/# /' $(BUILD)/vm/selftest-warn.err; exit 1; fi
	@$(VM_RUN) --no-module --log $(BUILD)/vm/selftest-status.log -- sh -c 'echo hi; exit 7' \
		>$(BUILD)/vm/selftest-status.out 2>&1; rc=$$?; \
	if [ $$rc -eq 7 ] && grep -qx hi $(BUILD)/vm/selftest-status.out; then \
		echo "ok - vm runner passes the command's output and exit status"; \
	else echo "not ok - vm runner passes the command's output and exit status (got $$rc)"; \
		sed 's/^/# /' $(BUILD)/vm/selftest-status.out; exit 1; fi

warnmod-clean:
	-test -e $(KDIR)/Makefile && $(MAKE) -s -C $(KDIR) M=$(WARNMOD_DIR) clean

# Kbuild leaves warnmod's objects next to its source: make clean removes them.
clean: warnmod-clean

.PHONY: run-vm run-vm-selftest warnmod-clean
