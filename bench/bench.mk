# SPDX-License-Identifier: GPL-2.0
# Engine support: the primitives' unit tests (suite primitives), the example
# tasks (examples/ -> build/examples/*.wasm, part of `make user`) and the
# benchmarks (`make bench`, Documentation/benchmarks.md).

include $(TOP)/selftests/primitives/primitives.mk

# --- WebAssembly with Debian's clang + lld ----------------------------------
# -mbulk-memory: memcpy/memset become memory.copy/memory.fill (no libcall);
# compiler-rt's builtins resolve the integer helpers clang may call (__multi3
# for 128-bit products, ...). Float-free is checked on every output.
WASM_CC		?= clang
WASM_RT		:= $(shell $(WASM_CC) --target=wasm32-wasi -rtlib=compiler-rt -print-libgcc-file-name 2>/dev/null)
WASM_CFLAGS	:= --target=wasm32 -O2 -nostdlib -ffreestanding -mbulk-memory \
		   -Wall -Wextra -Werror -I$(TOP)/examples/include
WASM_LDFLAGS	:= -Wl,--no-entry -Wl,--strip-all $(wildcard $(WASM_RT))

# Fails the build on any float/SIMD instruction, or an import outside $(1).
define wasm_check
	@if wasm-objdump -d $@ | grep -qE '\b(f32|f64|v128)\.'; then \
		echo "$@: floating point or SIMD instruction" >&2; rm -f $@; exit 1; fi
	@if wasm-objdump -x -j Import $@ 2>/dev/null | grep -- '<-' | grep -vq ' <- $(1)\.'; then \
		echo "$@: import outside module '$(1)'" >&2; rm -f $@; exit 1; fi
endef

# --- examples -----------------------------------------------------------------
EXAMPLES	:= hello echo wordcount sha256 loop trap abort capcheck
EXAMPLE_WASMS	:= $(patsubst %,$(BUILD)/examples/%.wasm,$(EXAMPLES))
EXAMPLE_HDRS	:= $(wildcard $(TOP)/examples/include/*.h)

$(BUILD)/examples/%.wasm: $(TOP)/examples/%.c $(EXAMPLE_HDRS)
	@mkdir -p $(@D)
	$(WASM_CC) $(WASM_CFLAGS) -o $@ $< $(WASM_LDFLAGS) -Wl,--export=run
	$(call wasm_check,synapse)

examples: $(EXAMPLE_WASMS)
USER_PROGS	+= $(EXAMPLE_WASMS)

# Suite "examples": each task on the userspace engine (skipped without synvm).
run-examples: $(EXAMPLE_WASMS)
	@BUILD=$(BUILD) $(TOP)/selftests/examples/run-examples
CHECK_SUITES	+= examples

# --- benchmarks ----------------------------------------------------------------
# name:n — n sized so native clang -O2 takes roughly 10-30 ms here.
BENCH_WORKLOADS	:= fib:33 sieve:8 sha256:96 mix64:3000 matmul:24 coremark:3000
BENCH_NAMES	:= $(foreach w,$(BENCH_WORKLOADS),$(firstword $(subst :, ,$(w))))
bench_n		= $(word 2,$(subst :, ,$(filter $(1):%,$(BENCH_WORKLOADS))))
BENCH_WASMS	:= $(patsubst %,$(BUILD)/bench/%.wasm,$(BENCH_NAMES))
BENCH_NATIVE	:= $(patsubst %,$(BUILD)/bench/native/%,$(BENCH_NAMES))
# bench.mk itself: the n of each workload is compiled in (bench_default).
BENCH_HDRS	:= $(TOP)/bench/workloads/bench.h $(EXAMPLE_HDRS) $(TOP)/bench/bench.mk
NATIVE_CC	?= clang

$(BUILD)/bench/%.wasm: $(TOP)/bench/workloads/%.c $(BENCH_HDRS)
	@mkdir -p $(@D)
	$(WASM_CC) $(WASM_CFLAGS) -DBENCH_N=$(call bench_n,$*) -o $@ $< \
		$(WASM_LDFLAGS) -Wl,--export=bench -Wl,--export=bench_default
	$(call wasm_check,none)

$(BUILD)/bench/native/%: $(TOP)/bench/workloads/%.c $(TOP)/bench/native.c $(BENCH_HDRS)
	@mkdir -p $(@D)
	$(NATIVE_CC) -O2 -Wall -Wextra -Werror -I$(TOP)/examples/include -I$(TOP)/bench \
		-DBENCH_N=$(call bench_n,$*) -o $@ $(TOP)/bench/native.c $<

MEMTRACK_BENCH	:= $(BUILD)/bench/memtrack-bench

$(MEMTRACK_BENCH): $(TOP)/bench/memtrack-bench.c $(PRIM_SRCS) $(PRIM_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(PRIM_SRCS) $(LDFLAGS) -lcrypto

bench-build: $(BENCH_WASMS) $(BENCH_NATIVE) $(MEMTRACK_BENCH)

# The cost of memory tracking and checkpoints, on their own.
bench-memtrack: $(MEMTRACK_BENCH)
	$(MEMTRACK_BENCH)

# BENCH_REPS runs per engine and workload (median reported); BENCH_ARGS are
# passed to bench/run-bench (e.g. --only fib,sieve --no-wabt --stat min).
BENCH_REPS	?= 5
# synvm too (kmod/vm/vm.mk), so the engine columns are never silently stale.
bench: bench-build $(SYNVM)
	$(TOP)/bench/run-bench --build $(BUILD) --reps $(BENCH_REPS) \
		--json $(BUILD)/bench/results.json \
		$(foreach w,$(BENCH_WORKLOADS),--workload $(w)) $(BENCH_ARGS)
	@echo "# memory tracking (bench/memtrack-bench.c)"
	@$(MEMTRACK_BENCH)

# Inside the QEMU VM: the kernel engine (synctl task start --wait) against
# the userspace engine (synvm) on the same modules; hashes must agree. Twice,
# with the same synapse.ko: (a) the guest kernel as it boots under TCG, with
# retpolines (QEMU TCG offers no eIBRS), and (b) booted with spectre_v2=off,
# the stand-in for CPUs with eIBRS, where the module loader patches the
# interpreter's thunk jumps into plain indirect jumps.
BENCH_VM_REPS	?= 3
BENCH_VM_OUT	:= $(BUILD)/bench/vm
bench-vm: $(BENCH_WASMS) kmod user
	@mkdir -p $(BENCH_VM_OUT)
	@echo "# (a) default VM: spectre_v2 mitigated with retpolines"
	@{ $(TOP)/tools/vm/run --timeout 1800 -- $(TOP)/bench/run-bench-vm \
		--build $(BUILD) --reps $(BENCH_VM_REPS) --dispatch retpoline \
		$(BENCH_NAMES); echo $$? >$(BENCH_VM_OUT)/retpoline.rc; } | \
		tee $(BENCH_VM_OUT)/retpoline.txt; exit $$(cat $(BENCH_VM_OUT)/retpoline.rc)
	@echo "# (b) VM booted with spectre_v2=off (as on eIBRS CPUs): thunks patched"
	@{ SVM_VM_APPEND=spectre_v2=off $(TOP)/tools/vm/run --timeout 1800 -- \
		$(TOP)/bench/run-bench-vm --build $(BUILD) --reps $(BENCH_VM_REPS) \
		--dispatch patched $(BENCH_NAMES); echo $$? >$(BENCH_VM_OUT)/patched.rc; } | \
		tee $(BENCH_VM_OUT)/patched.txt; exit $$(cat $(BENCH_VM_OUT)/patched.rc)
	@echo "# summary"
	@printf '(a) retpolines:      %s\n(b) spectre_v2=off:  %s\n' \
		"$$(grep geomean $(BENCH_VM_OUT)/retpoline.txt)" \
		"$$(grep geomean $(BENCH_VM_OUT)/patched.txt)"

.PHONY: examples run-examples bench bench-build bench-memtrack bench-vm
