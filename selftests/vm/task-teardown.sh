#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Teardown while tasks run: rmmod with endless tasks in flight (in the init
# netns and in another netns, two of them stuck in a start function) returns
# promptly and frees everything; a netns
# deleted with tasks running goes away cleanly; completion events reach
# `synctl monitor`. Leaves the module loaded, as it found it. Prints TAP.

cd "$(dirname "$0")/../.." || exit 2
S=$PWD/build/bin/synctl
ko=$PWD/kmod/synapse.ko
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n $*"; failed=1; }
loaded() { grep -q '^synapse ' /proc/modules; }
slab_kb() { awk '$1 == "SUnreclaim:" { print $2 }' /proc/meminfo; }

if [ ! -x "$S" ] || ! loaded; then
	echo "1..0 # SKIP synctl not built or synapse.ko not loaded"
	exit 0
fi
echo "1..5"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1: events: monitor sees the completions of three tasks
$S -j monitor --count 3 --timeout 60 >"$tmp/mon" 2>&1 &
mon=$!
sleep 0.5
for i in 1 2 3; do
	$S task start build/examples/hello.wasm >/dev/null || not_ok "start $i"
done
wait $mon
if [ "$(jq -s 'map(select(.event == "done" and .status == "ok")) | length' "$tmp/mon")" = 3 ]; then
	ok "monitor receives one completion event per task"
else
	not_ok "monitor receives one completion event per task # $(head -c 300 "$tmp/mon")"
fi
for id in $($S -j task list | jq -r '.[].id'); do
	$S task del "$id"
done

# 2: a netns that goes away (its last process exits) with tasks running;
# every task and module it held is freed (the module's live counters)
P=/sys/module/synapse/parameters
t_before=$(cat $P/tasks_live)
m_before=$(cat $P/modules_live)
unshare -n sh -c "
	for i in 1 2 3 4; do $S task start --value-stack 4096 --max-pages 4 build/examples/loop.wasm; done >/dev/null
	$S -j task list" >"$tmp/ns" 2>&1
running=$(jq '[.[] | select(.status == "running" or .status == "queued")] | length' "$tmp/ns")
i=0
while [ $i -lt 100 ] && [ "$(cat $P/tasks_live)" != "$t_before" ]; do
	sleep 0.1
	i=$((i + 1))
done
t_after=$(cat $P/tasks_live)
m_after=$(cat $P/modules_live)
if [ "$running" = 4 ] && [ "$t_after" = "$t_before" ] && [ "$m_after" = "$m_before" ] &&
   $S info >/dev/null; then
	ok "netns deleted with 4 running tasks, all freed"
else
	not_ok "netns deleted with 4 running tasks # running=$running tasks_live $t_before->$t_after modules_live $m_before->$m_after $(head -c 200 "$tmp/ns")"
fi

# 3: rmmod with endless tasks in flight, here and in another netns; two
# loop in their start function, (module (func $s (loop (br 0)))
# (func (export "run")) (start $s)), which runs in slices like the entry
printf '\0asm\1\0\0\0\1\4\1\140\0\0\3\3\2\0\0\7\7\1\3run\0\1\10\1\0\12\14\2\7\0\3\100\14\0\13\13\2\0\13' \
	>"$tmp/start-loop.wasm"
before=$(slab_kb)
for i in 1 2 3 4 5 6; do
	$S task start --value-stack 4096 --max-pages 4 build/examples/loop.wasm >/dev/null
done
for i in 1 2; do
	$S task start --value-stack 4096 "$tmp/start-loop.wasm" >/dev/null ||
		not_ok "start-loop task $i starts"
done
unshare -n sh -c "$S task start --value-stack 4096 --max-pages 4 build/examples/loop.wasm >/dev/null; sleep 20" &
holder=$!
sleep 1.5
t0=$(date +%s%N)
if rmmod synapse; then
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	ok "rmmod with 9 endless tasks running (2 in a start function) took $ms ms"
else
	not_ok "rmmod with 9 endless tasks running (2 in a start function)"
fi
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
if loaded; then
	not_ok "module gone after rmmod"
else
	ok "module gone after rmmod"
fi

# 5: back again, and working
if insmod "$ko" && $S task start --wait build/examples/hello.wasm >/dev/null; then
	after=$(slab_kb)
	ok "reloaded and runs tasks # SUnreclaim ${before} kB -> ${after} kB"
else
	not_ok "reloaded and runs tasks"
fi
for id in $($S -j task list 2>/dev/null | jq -r '.[].id'); do
	$S task del "$id"
done
exit $failed
