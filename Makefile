# SPDX-License-Identifier: GPL-2.0
#
# Synapse top-level Makefile.
#
#   make            build synapse.ko (against Debian's kernel headers) and
#                   every userspace program, warnings as errors
#   make check      every test: userspace suites, then the QEMU VM selftests;
#                   ends with "N passed, N failed"
#   make bench      benchmarks (ratios measured side by side in one run)
#   make demo       the main job
#   make deps       install the Debian packages the project uses
#   make style      checkpatch-style checks (when available)
#
# Each component owns a fragment (*.mk) included below; a fragment adds its
# programs to USER_PROGS and its test suites to CHECK_SUITES (a suite "foo"
# is the phony target run-foo, which prints TAP and exits non-zero on failure).
# Userspace objects go to $(BUILD)/ so they never collide with Kbuild's.

TOP	:= $(CURDIR)
BUILD	:= $(TOP)/build

# Debian's kernel: the newest /lib/modules/<ver> with a build tree.
KVER	?= $(shell tools/kver)
KDIR	?= /lib/modules/$(KVER)/build

CC	?= cc
WARN	:= -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow \
	   -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
CFLAGS	?= -O2 -g
CFLAGS	+= $(WARN) -std=gnu11 -D_GNU_SOURCE -I$(TOP) -I$(BUILD)/include
LDFLAGS	?=

USER_PROGS	:=
CHECK_SUITES	:=

all: kmod user

include selftests/harness.mk
include kmod/kmod.mk
include kmod/vm/vm.mk
include agent/agent.mk
include tools/lib/synnl/synnl.mk
include tools/synctl/synctl.mk
include selftests/selftests.mk
include bench/bench.mk
include tools/vm/vm.mk
include selftests/sanitize/sanitize.mk

user: $(USER_PROGS)

# The build runs in parallel by itself, so the test command stays plain
# "make check"; the suites then run one after another.
check:
	+@$(MAKE) --no-print-directory -j$$(nproc) all
	+@tools/testing/run-suites --require vm $(CHECK_SUITES)

deps:
	@tools/install-deps

clean: kmod-clean
	rm -rf $(BUILD)

.PHONY: all user check deps clean
