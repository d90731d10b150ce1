#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Cross-engine determinism: every example task, every benchmark workload (at
# a small n) and a set of spec-suite invocations run on the kernel engine
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
FIELDS='[.input_hash, .trace_hash, .output_hash, .status, (.code|tostring), (.fuel_used|tostring)] | join(" ")'

if [ ! -x "$S" ] || [ ! -x "$V" ] || ! grep -q '^synapse ' /proc/modules; then
	echo "1..0 # SKIP synctl/synvm not built or synapse.ko not loaded"
	exit 0
fi

# check NAME WASM [OPTIONS...]: both engines, same options
check() {
	name=$1
	shift
	n=$((n + 1))
	$V run "$@" -j >"$tmp/u.json" 2>"$tmp/u.err"
	timeout 90 $S -j task start --wait --timeout 60 "$@" >"$tmp/k.json" 2>"$tmp/k.err"
	u=$(jq -r 'if .trace_hash then '"$FIELDS"' else empty end' "$tmp/u.json" 2>/dev/null)
	k=$(jq -r '"\(.id) " + ('"$FIELDS"')' "$tmp/k.json" 2>/dev/null)
	id=${k%% *}
	k=${k#* }
	[ -n "$id" ] && $S task del "$id" >/dev/null 2>&1
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

printf 'hello, synapse\n' >"$tmp/in.txt"
printf 'the quick brown fox\njumps over\nthe lazy dog\n' >"$tmp/words.txt"
head -c 100000 /dev/zero | tr '\0' 'x' >"$tmp/big.txt"
head -c 8000 "$tmp/big.txt" >"$tmp/mid.txt"

# examples (Documentation/examples.md)
check example/hello build/examples/hello.wasm
check example/echo build/examples/echo.wasm --input "$tmp/in.txt"
check example/echo-big build/examples/echo.wasm --input "$tmp/big.txt"
check example/wordcount build/examples/wordcount.wasm --input "$tmp/words.txt"
check example/sha256 build/examples/sha256.wasm --input "$tmp/mid.txt"
check example/loop-fuel build/examples/loop.wasm --fuel 3000000
check example/trap build/examples/trap.wasm
check example/abort build/examples/abort.wasm
check example/capcheck build/examples/capcheck.wasm
check example/sha256-cp build/examples/sha256.wasm --input "$tmp/mid.txt" --checkpoint-every 5000 --keep 4

# benchmark workloads at a small n
for w in fib:18 sieve:1 sha256:2 mix64:50 matmul:4 coremark:20; do
	name=${w%%:*}
	f=build/bench/$name.wasm
	[ -f "$f" ] || continue
	check "bench/$name" "$f" --entry bench --arg "i32:${w#*:}" --checkpoint-every 100000
done

# spec-suite invocations: the first few with integer arguments per file
# (most spec modules use floats somewhere and are rejected by both: these
# do not)
for s in fac:4 i32:3 i64:3 memory_grow:2 bulk:2 br_table:1; do
	k=${s#*:}
	s=${s%:*}
	j=build/spec/$s/$s.json
	[ -f "$j" ] || continue
	jq -r '.commands as $c | reduce $c[] as $x ({m: null, out: []};
		if $x.type == "module" then .m = $x.filename
		elif ($x.type == "assert_return" or $x.type == "assert_trap") and
		     $x.action.type == "invoke" and ($x.action.module == null) and
		     .m != null and
		     ([$x.action.args[] | select(.type != "i32" and .type != "i64")] | length) == 0
		then .out += [[.m, $x.action.field] + [$x.action.args[] | "\(.type):\(.value)"]]
		else . end) | .out[:'"$k"'][] | @tsv' "$j" 2>/dev/null |
	while IFS="$(printf '\t')" read -r mod field rest; do
		set -- "build/spec/$s/$mod" --entry "$field"
		for a in $rest; do
			set -- "$@" --arg "$a"
		done
		check "spec/$s/$field" "$@"
	done >>"$tmp/spec.tap"
done
# the loop above ran in a subshell: renumber its lines here
if [ -f "$tmp/spec.tap" ]; then
	while read -r line; do
		case "$line" in
		"ok "*|"not ok "*)
			n=$((n + 1))
			st=${line%% [0-9]*}
			rest=${line#"$st" }
			rest=${rest#* }
			echo "$st $n $rest"
			[ "$st" = "not ok" ] && failed=1
			;;
		*) echo "$line" ;;
		esac
	done <"$tmp/spec.tap"
fi
echo "1..$n"
exit $failed
