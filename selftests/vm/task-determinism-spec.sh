#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Cross-engine determinism, spec-suite part (the examples and benchmark
# workloads are task-determinism.sh, split so each stays within the in-VM
# per-script time limit): integer spec-suite invocations run on the kernel engine
# (synctl task start --wait) and on the userspace engine (synvm run), here
# in the VM; the input, trace and output hashes, the end status, code and
# fuel used must be identical. A module one engine rejects must be rejected
# by the other too. Prints TAP.

cd "$(dirname "$0")/../.." || exit 2
. selftests/vm/lib/determinism.sh

# spec-suite invocations with integer arguments (most spec modules use
# floats somewhere and are rejected by both engines: these do not)
while read -r dir mod field args; do
	set -- "build/spec/$dir/$mod" --entry "$field"
	[ -f "$1" ] || continue
	for a in $args; do
		set -- "$@" --arg "$a"
	done
	check "spec/$dir/$field${args:+ $args}" "$@"
done <<'EOT'
fac fac.0.wasm fac-rec i64:25
fac fac.0.wasm fac-iter i64:25
fac fac.0.wasm fac-ssa i64:25
i32 i32.0.wasm add i32:4294967295 i32:1
i32 i32.0.wasm div_s i32:1 i32:0
i32 i32.0.wasm rem_u i32:4294967295 i32:2
i64 i64.0.wasm mul i64:18446744073709551615 i64:18446744073709551615
i64 i64.0.wasm div_s i64:9223372036854775808 i64:18446744073709551615
memory_grow memory_grow.0.wasm size
memory_grow memory_grow.0.wasm store_at_zero
bulk bulk.2.wasm load8_u i32:1
br_table br_table.0.wasm type-i32
EOT
wait
echo "1..$n"
exit $failed
