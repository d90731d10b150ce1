# SPDX-License-Identifier: GPL-2.0
# The kselftest harness headers, extracted at build time from Debian's
# linux-source-6.1 tarball (never committed). Every C test, userspace or
# in-VM, includes <kselftest_harness.h> and so depends on $(HARNESS).

KSRC_TARBALL	?= $(firstword $(wildcard /usr/src/linux-source-6.1.tar.xz /usr/src/linux-source-*.tar.xz))
HARNESS		:= $(BUILD)/include/kselftest_harness.h

$(HARNESS):
	@test -n "$(KSRC_TARBALL)" || { echo "harness: /usr/src/linux-source-*.tar.xz missing (run tools/install-deps)" >&2; exit 1; }
	@mkdir -p $(BUILD)/include
	tar -xJf $(KSRC_TARBALL) -C $(BUILD)/include --strip-components=4 --wildcards \
		'*/tools/testing/selftests/kselftest_harness.h' \
		'*/tools/testing/selftests/kselftest.h'
	@touch $@

harness: $(HARNESS)
.PHONY: harness
