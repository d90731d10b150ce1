# SPDX-License-Identifier: GPL-2.0
# Suite "sanitize": synapsed, synctl and synvm built a second time with
# AddressSanitizer, LeakSanitizer and UBSan (build/asan/, same sources and
# warnings), then driven through a real 3-node cluster and every synctl
# job/cluster command (selftests/sanitize/sanitize.sh). Any sanitizer report
# fails the suite: the agent, its client and the engine's userspace build
# must not touch freed memory, overflow or leak on any path the tests take.

ASAN_BUILD	:= $(BUILD)/asan
ASAN_CFLAGS	:= -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
		   -fno-sanitize-recover=undefined
ASAN_BINS	:= $(addprefix $(ASAN_BUILD)/bin/,synapsed synctl synvm)

# A sub-make with its own BUILD: the objects never mix with the normal ones.
# CFLAGS/LDFLAGS go through the environment so the Makefile's own flags
# (warnings, include paths) still append to them.
$(ASAN_BINS): FORCE
	+@CFLAGS="$(ASAN_CFLAGS)" LDFLAGS="-fsanitize=address,undefined" \
		$(MAKE) --no-print-directory -s BUILD=$(ASAN_BUILD) $@

asan-build: $(ASAN_BINS)

run-sanitize: asan-build examples
	@BIN=$(ASAN_BUILD)/bin selftests/sanitize/sanitize.sh
CHECK_SUITES	+= sanitize

.PHONY: asan-build run-sanitize FORCE
FORCE:
