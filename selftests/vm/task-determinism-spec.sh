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
S=build/bin/synctl
V=build/bin/synvm
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0

if [ ! -x "$S" ] || [ ! -x "$V" ] || ! grep -q '^synapse ' /proc/modules; then
	echo "1..0 # SKIP synctl/synvm not built or synapse.ko not loaded"
	exit 0
fi

# The fields compared, from synvm's or synctl's JSON, without jq (whose
# start-up costs most of a second under emulation): id first (synctl only).
extract() {
	tr -d '\n ' <"$1" | tr ',{}' '\n\n\n' | awk -F: '
		{ gsub(/"/, ""); v[$1] = $2 }
		END {
			if (v["trace_hash"] != "")
				print v["id"], v["input_hash"], v["trace_hash"], v["output_hash"],
				      v["status"], v["code"], v["fuel_used"]
			else if (v["id"] != "")
				print v["id"]
		}'
}

# check NAME WASM [OPTIONS...]: both engines at once, same options
check() {
	name=$1
	shift
	n=$((n + 1))
	[ -n "${SYNAPSE_TIMING:-}" ] && echo "# $(date +%s.%N) $name"
	$V run "$@" -j >"$tmp/u.json" 2>"$tmp/u.err" &
	timeout 90 $S -j task start --wait --timeout 60 "$@" >"$tmp/k.json" 2>"$tmp/k.err"
	wait $!
	u=$(extract "$tmp/u.json")
	u=${u#* }
	k=$(extract "$tmp/k.json")
	id=${k%% *}
	k=${k#* }
	[ -n "$id" ] && $S task del "$id" >/dev/null 2>&1 &
	if [ -z "$u" ]; then
		# userspace rejected it: the kernel must too
		if [ -z "$id" ]; then
			echo "ok $n $name # both engines reject: $(head -c 120 "$tmp/k.err")"
		else
			echo "not ok $n $name: only the userspace engine rejects it"
			failed=1
		fi
		return
	fi
	if [ "$u" = "$k" ]; then
		echo "ok $n $name"
	else
		echo "not ok $n $name"
		echo "# user:   $u"
		echo "# kernel: $k $(head -c 200 "$tmp/k.err")"
		failed=1
	fi
}

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
