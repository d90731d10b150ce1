#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Per-netns totals: GET_INFO's SYNAPSE_A_INFO_NETNS as `synctl -j info`
# shows it follows the modules and tasks of the caller's netns against the
# module's limits; a finished task holds its share until deleted, unless
# started with --auto-del; the ENOSPC error says what to do. Runs in a fresh
# netns of its own (re-executes itself under unshare -n). Prints TAP.

cd "$(dirname "$0")/../.." || exit 2
S=$PWD/build/bin/synctl
P=/sys/module/synapse/parameters

if [ ! -x "$S" ] || ! grep -q '^synapse ' /proc/modules; then
	echo "1..0 # SKIP synctl not built or synapse.ko not loaded"
	exit 0
fi
if [ -z "${SYNAPSE_TOTALS_NS:-}" ]; then
	SYNAPSE_TOTALS_NS=1 exec unshare -n "$0" "$@"
fi

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n $*"; failed=1; }
check() {
	name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name # $(echo "$ns" | tr -d '\n')"; fi
}
# ns: the netns object of `synctl -j info`, also as n_<field> variables
# (one jq per snapshot: every process start is slow under emulation)
totals() {
	ns=$($S -j info | jq -c .netns)
	eval "$(echo "$ns" | jq -r 'to_entries[] | "n_\(.key)=\(.value)"')"
}
wait_done() {
	i=0
	while [ $i -lt 100 ]; do
		st=$($S -j task get "$1" | jq -r .status)
		[ "$st" != running ] && [ "$st" != queued ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

echo "1..7"
tmp=$(mktemp -d)
tasks_max=$(cat $P/netns_tasks_max)
trap 'echo "$tasks_max" >$P/netns_tasks_max; rm -rf "$tmp"' EXIT
hello=build/examples/hello.wasm

# 1: a fresh netns holds nothing; the maxima are the module parameters
totals
check "fresh netns: nothing held, limits are the module parameters" \
	test "$n_modules $n_module_bytes $n_tasks $n_task_bytes $n_tasks_in_flight" = "0 0 0 0 0" -a \
	"$n_modules_max $n_module_bytes_max $n_tasks_max $n_task_bytes_max" = \
	"$(cat $P/netns_modules_max) $(cat $P/netns_module_bytes_max) $(cat $P/netns_tasks_max) $(cat $P/netns_task_mem_max)"

# 2: one module and one finished task
$S task start --wait "$hello" >/dev/null
totals
check "a module and a finished task are counted" \
	test "$n_modules $n_module_bytes $n_tasks $n_tasks_in_flight" = \
	"1 $(stat -c %s "$hello") 1 0" -a "$n_task_bytes" -gt 0
held=$n_task_bytes

# 3: a running task is in flight until killed, then only held
id=$($S -j task start --value-stack 4096 --max-pages 4 build/examples/loop.wasm | jq -r .id)
totals
check "a running task is in flight" \
	test "$n_modules $n_tasks $n_tasks_in_flight" = "2 2 1" -a "$n_task_bytes" -gt "$held"
$S task kill "$id"
wait_done "$id"
totals
check "killed, it still holds its share until deleted" \
	test "$n_tasks $n_tasks_in_flight" = "2 0" -a "$n_task_bytes" -gt "$held"

# 4: deleting the tasks gives everything back
for t in $($S -j task list | jq -r '.[].id'); do
	$S task del "$t"
done
totals
check "deleted tasks free their share" \
	test "$n_tasks $n_task_bytes $n_tasks_in_flight" = "0 0 0"

# 5: --auto-del: the completion event is all that is left
out=$($S -j task start --auto-del --wait "$hello")
totals
check "an auto-deleted task is gone once its event is out" \
	test "$(echo "$out" | jq -r .status)" = ok -a "$n_tasks $n_task_bytes" = "0 0" -a \
	"$($S -j task list | jq length)" = 0

# 6: the ENOSPC text says how to free room
echo 1 >$P/netns_tasks_max
$S task start --wait "$hello" >/dev/null
if $S task start "$hello" >/dev/null 2>"$tmp/err"; then
	not_ok "ENOSPC names the way out # a second task started"
elif grep -q 'synctl task del' "$tmp/err" && grep -q 'auto-delete' "$tmp/err"; then
	ok "ENOSPC names the way out"
else
	not_ok "ENOSPC names the way out # $(cat "$tmp/err")"
fi
echo "$tasks_max" >$P/netns_tasks_max
for t in $($S -j task list | jq -r '.[].id'); do
	$S task del "$t"
done
exit $failed
