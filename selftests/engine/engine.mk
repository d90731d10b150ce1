# SPDX-License-Identifier: GPL-2.0
# Suite "engine": unit tests of the engine (kselftest harness) over small
# modules written in the text format and assembled by wabt's wat2wasm.

ENGINE_TDIR	:= $(BUILD)/selftests/engine
ENGINE_WATS	:= $(wildcard $(TOP)/selftests/engine/*.wat)
ENGINE_WASMS	:= $(patsubst $(TOP)/selftests/engine/%.wat,$(ENGINE_TDIR)/%.wasm,$(ENGINE_WATS))
ENGINE_TEST	:= $(ENGINE_TDIR)/engine_test
# The harness defines functions without prototypes and compares ints
# with unsigned fields.
ENGINE_CFLAGS	:= $(CFLAGS) -Wno-missing-prototypes -Wno-sign-compare \
		   -DWASM_DIR='"$(ENGINE_TDIR)"'

$(ENGINE_TDIR)/%.wasm: $(TOP)/selftests/engine/%.wat
	@mkdir -p $(@D)
	wat2wasm -o $@ $<

$(ENGINE_TEST): $(TOP)/selftests/engine/engine_test.c $(SVM_LIB) $(SVM_HDRS) $(HARNESS)
	@mkdir -p $(@D)
	$(CC) $(ENGINE_CFLAGS) -o $@ $< $(SVM_LIB) $(LDFLAGS) $(SVM_LIBS)

engine-tests: $(ENGINE_TEST) $(ENGINE_WASMS)

run-engine: engine-tests
	@$(ENGINE_TEST)

USER_PROGS	+= $(ENGINE_TEST) $(ENGINE_WASMS)
CHECK_SUITES	+= engine

.PHONY: engine-tests run-engine
