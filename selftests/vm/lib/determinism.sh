# SPDX-License-Identifier: GPL-2.0
#
# Shared by the cross-engine determinism scripts (task-determinism*.sh):
# check NAME WASM [OPTIONS...] runs a task on the kernel engine (synctl task
# start --wait) and on the userspace engine (synvm run) with the same options
# and prints one TAP line: input, trace and output hashes, status, code and
# fuel used must be identical, and a module one engine rejects must be
# rejected by the other. Sourced with the repository root as the cwd; the
# caller prints the plan from $n and exits with $failed.
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
