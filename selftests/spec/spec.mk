# SPDX-License-Identifier: GPL-2.0
# Suite "spec": the WebAssembly core test suite (../shared/wasm-testsuite),
# converted with Debian's wast2json into build/spec/ at test time and run by
# specrun against the engine. One TAP line per .wast file.

SPEC_SRC	?= $(abspath $(TOP)/../shared/wasm-testsuite)
SPEC_DIR	:= $(BUILD)/spec
SPECRUN		:= $(BUILD)/bin/specrun
SPEC_WASTS	:= $(sort $(wildcard $(SPEC_SRC)/*.wast))
SPEC_JSONS	:= $(foreach w,$(SPEC_WASTS),$(SPEC_DIR)/$(basename $(notdir $(w)))/$(basename $(notdir $(w))).json)

$(SPECRUN): $(TOP)/selftests/spec/specrun.c $(SVM_LIB) $(SVM_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(SVM_LIB) $(LDFLAGS) $(SVM_LIBS) -ljansson

# wast2json fails on a few proposal-only scripts; an empty command list
# then stands in, and the TAP line still reports the file.
$(SPEC_DIR)/%.json:
	@mkdir -p $(@D)
	@wast2json -o $@ $(SPEC_SRC)/$(notdir $(basename $@)).wast 2>/dev/null || \
		wast2json --enable-all -o $@ $(SPEC_SRC)/$(notdir $(basename $@)).wast

spec-json: $(SPEC_JSONS)

run-spec: $(SPECRUN) $(SPEC_JSONS)
	@test -n "$(SPEC_WASTS)" || { echo "1..0 # SKIP no test suite at $(SPEC_SRC)"; exit 0; }
	@$(SPECRUN) $(SPEC_VERBOSE) $(SPEC_JSONS)

CHECK_SUITES	+= spec

.PHONY: spec-json run-spec
