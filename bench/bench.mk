# SPDX-License-Identifier: GPL-2.0
# Engine support: unit tests for the hashing/memory-tracking primitives,
# the example tasks (examples/) and the benchmarks (bench/).

include $(TOP)/selftests/primitives/primitives.mk
