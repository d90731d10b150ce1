#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The cost of the capability checkpoint, attached vs detached, inside the
# test VM (make bench-cap). Ratios measured side by side in one run:
#  1. one check, timed in the kernel (SYNAPSE_CMD_CAP_CHECK + REPEAT):
#     detached (static key), attached with a map miss, with a map hit
#  2. a task with 1000 checkpoints (loop.wasm, 2*10^7 fuel, interval 2*10^4),
#     ROUNDS runs each way alternating, median exec_ns. After every attach
#     or detach one run is thrown away: under TCG the kernel text patching
#     (static key) and the JIT's new code make QEMU retranslate, and the
#     first task after a change ran up to 2-3x slower in either state.
# Under TCG emulation absolute times are far above a real CPU's.

set -u

SYNCTL=${SYNCTL:-build/bin/synctl}
N=${CAP_BENCH_N:-1000000}
ROUNDS=${CAP_BENCH_ROUNDS:-3}
A=$(printf 'a%.0s' $(seq 64))
B=$(printf 'b%.0s' $(seq 64))

trap '"$SYNCTL" cap detach --purge >/dev/null 2>&1' EXIT
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
"$SYNCTL" cap detach --purge >/dev/null 2>&1

bench() { "$SYNCTL" -j cap bench "$1" "$N" | jq -r .ns_per_check; }
task_ns() {
	local out

	out=$("$SYNCTL" -j task start --cap "$B" --fuel 20000000 --checkpoint-every 20000 \
		--wait build/examples/loop.wasm)
	# Finished tasks hold netns budget until deleted.
	"$SYNCTL" task del "$(echo "$out" | jq -r .id)" >/dev/null
	echo "$out" | jq -r .exec_ns
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

off=$(bench "$A") || exit 1
"$SYNCTL" cap attach >/dev/null && "$SYNCTL" cap revoke "$A" || exit 1
miss=$(bench "$B") && hit=$(bench "$A") || exit 1

: >/tmp/cap-bench.off
: >/tmp/cap-bench.on
for r in $(seq "$ROUNDS"); do
	"$SYNCTL" cap detach >/dev/null && task_ns >/dev/null && task_ns >>/tmp/cap-bench.off
	"$SYNCTL" cap attach >/dev/null && task_ns >/dev/null && task_ns >>/tmp/cap-bench.on
done
toff=$(median </tmp/cap-bench.off)
ton=$(median </tmp/cap-bench.on)

awk -v n="$N" -v off="$off" -v miss="$miss" -v hit="$hit" -v toff="$toff" \
    -v ton="$ton" -v r="$ROUNDS" 'BEGIN {
	printf "capability checkpoint cost (QEMU TCG; ratios are the figures)\n"
	printf "  one check, %d in the kernel:\n", n
	printf "    detached (static key)        %10.1f ns\n", off
	printf "    attached, allowed (map miss) %10.1f ns  %6.1fx\n", miss, miss / off
	printf "    attached, revoked (map hit)  %10.1f ns  %6.1fx\n", hit, hit / off
	printf "  task with 1000 checkpoints, median of %d (after a warm-up run):\n", r
	printf "    detached                     %10.1f ms\n", toff / 1e6
	printf "    attached                     %10.1f ms  %6.3fx  (%+.1f us per checkpoint)\n",
		ton / 1e6, ton / toff, (ton - toff) / 1000 / 1000
}'
