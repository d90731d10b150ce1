#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Capability revocation through the pinned eBPF program, inside the test VM
# (synapse.ko loaded, root, cwd = the repository). Prints TAP.
#
# Uses SYNAPSE_CMD_CAP_CHECK (`synctl cap status CAP`), which fires the same
# tracepoint as a task's checkpoint, so the whole path kernel -> BPF ->
# pinned map -> verdict is tested without tasks:
#  - nothing attached: every capability allowed, the check is a no-op
#  - attach pins prog, link and maps; a second attach reuses them
#  - revoke -> revoked, from a new process after the loader has exited;
#    other capabilities unaffected; by id or by token file
#  - unrevoke -> allowed; expiry in the past -> expired; in the future ->
#    allowed, then expired once it passes
#  - detach -> allowed again; reattach -> the revocation is still there
#  - the link holds the module: rmmod refused while attached, fine after
#  - an unprivileged CAP_CHECK is refused
#  - the cost of one check, detached vs attached (kernel-timed), as a ratio

set -u

SYNCTL=${SYNCTL:-build/bin/synctl}
KO=${SVM_MODULE:-kmod/synapse.ko}
PIN=/sys/fs/bpf/synapse
BENCH_N=${CAP_BENCH_N:-200000}
N=0
FAILED=0
TMP=$(mktemp -d /tmp/cap-test.XXXXXX) || exit 1

cleanup() {
	"$SYNCTL" cap detach --purge >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT

ok() { N=$((N + 1)); echo "ok $N - $1"; }
not_ok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $1"; }
check() {
	local name=$1

	shift
	if "$@" >"$TMP/out" 2>&1; then
		ok "$name"
	else
		not_ok "$name"
		sed 's/^/# /' "$TMP/out"
	fi
}

# verdict CAP: the kernel's verdict word, from JSON.
verdict() {
	"$SYNCTL" -j cap status "$1" | jq -r '.verdict + " " + (.enforced|tostring)'
}
expect_verdict() {
	local got

	got=$(verdict "$1") || return 1
	[ "$got" = "$2" ] || { echo "verdict of $1: '$got', want '$2'"; return 1; }
}

A=$(printf 'a%.0s' $(seq 64))
B=$(printf 'b%.0s' $(seq 64))
C=$(printf 'c%.0s' $(seq 64))

mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
grep -q '^synapse ' /proc/modules || insmod "$KO" ||
	{ echo "Bail out! insmod $KO failed"; exit 1; }
"$SYNCTL" cap detach --purge >/dev/null 2>&1

echo "1..23"
check "no program: allowed, nothing enforced" expect_verdict "$A" "allowed false"

check "attach" "$SYNCTL" cap attach
pinned_all() {
	local f

	for f in prog link revoked stats; do
		[ -e "$PIN/$f" ] || { echo "$PIN/$f missing"; return 1; }
	done
}
check "prog, link and maps pinned under $PIN" pinned_all

link_id() { "$SYNCTL" -j cap status | jq -r .link_id; }
L1=$(link_id)
second_attach() {
	"$SYNCTL" -j cap attach | jq -e '.reused == true' >/dev/null &&
		[ "$(link_id)" = "$L1" ] &&
		[ "$(bpftool -j link show | jq '[.[] | select(.tp_name == "synapse_cap_check")] | length')" = 1 ]
}
check "second attach reuses the pinned link (one link, same id)" second_attach
check "attached, not revoked: allowed, enforced" expect_verdict "$A" "allowed true"

check "revoke A" "$SYNCTL" cap revoke "$A"
check "loader gone, A revoked (new process)" expect_verdict "$A" "revoked true"
same_verdicts() {
	local id

	for id in "$@"; do
		"$SYNCTL" -j cap status "$id" |
			jq -e '.verdict == .map_verdict' >/dev/null ||
			{ echo "kernel and userspace differ on $id"; return 1; }
	done
}
check "B unaffected" expect_verdict "$B" "allowed true"
check "list shows A revoked" sh -c "'$SYNCTL' -j cap list | jq -e '.[] | select(.id == \"$A\") | .revoked' >/dev/null"

check "unrevoke A" "$SYNCTL" cap unrevoke "$A"
check "A allowed again" expect_verdict "$A" "allowed true"
unrevoke_twice() { ! "$SYNCTL" cap unrevoke "$A"; }
check "unrevoke of a capability not revoked fails" unrevoke_twice

check "expiry in the past -> expired" sh -c \
	"'$SYNCTL' cap expire '$B' 1 && [ \"\$('$SYNCTL' -j cap status '$B' | jq -r .verdict)\" = expired ]"
check "userspace verdict (embedded engine) equals the kernel's" same_verdicts "$A" "$B"
# 6 s of slack: an emulated VM on a loaded host can take seconds per command.
expires_later() {
	local i

	"$SYNCTL" cap expire "$C" +6 || return 1
	expect_verdict "$C" "allowed true" || return 1
	for i in $(seq 1 30); do
		sleep 1
		expect_verdict "$C" "expired true" >/dev/null 2>&1 && break
	done
	expect_verdict "$C" "expired true" && same_verdicts "$C"
}
check "expiry 6 s ahead: allowed, then expired" expires_later

token_revoke() {
	"$SYNCTL" ca init --dir "$TMP/ca" --cluster vmtest >/dev/null || return 1
	"$SYNCTL" cap issue --ca "$TMP/ca" --subject tester --expires +600 \
		-o "$TMP/t.cap" >"$TMP/issued" || return 1
	id=$(cut -d' ' -f1 "$TMP/issued")
	"$SYNCTL" cap revoke "$TMP/t.cap" || return 1
	expect_verdict "$id" "revoked true" && same_verdicts "$id"
}
check "revoke by token file: its id is revoked" token_revoke

check "counters: checks and verdicts counted" sh -c \
	"'$SYNCTL' -j cap status | jq -e '.stats.checks > 5 and .stats.revoked >= 2 and .stats.expired >= 2' >/dev/null"

rmmod_refused() { ! rmmod synapse 2>/dev/null && grep -q '^synapse ' /proc/modules; }
check "rmmod refused while the program is attached" rmmod_refused

"$SYNCTL" cap revoke "$A" >/dev/null
check "detach: allowed, nothing enforced" sh -c \
	"'$SYNCTL' cap detach && [ \"\$('$SYNCTL' -j cap status '$A' | jq -r '.verdict + \" \" + (.enforced|tostring)')\" = 'allowed false' ]"
check "reattach: the revocation survived in the pinned map" sh -c \
	"'$SYNCTL' cap attach && [ \"\$('$SYNCTL' -j cap status '$A' | jq -r .verdict)\" = revoked ]"

unpriv_refused() {
	! setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$SYNCTL" cap status "$A" 2>"$TMP/err" && grep -qi 'not permitted' "$TMP/err"
}
check "CAP_CHECK needs CAP_NET_ADMIN" unpriv_refused

# The cost of one checkpoint, timed in the kernel: detached, then attached
# with a revoked and with an allowed capability (a map hit and a miss).
bench() { "$SYNCTL" -j cap bench "$1" "$BENCH_N" | jq -r .ns_per_check; }
run_bench() {
	local on_hit on_miss off

	on_miss=$(bench "$B") && on_hit=$(bench "$A") || return 1
	"$SYNCTL" cap detach || return 1
	off=$(bench "$A") || return 1
	echo "# per-checkpoint cost, $BENCH_N checks: detached $off ns, attached $on_miss ns (allowed) / $on_hit ns (revoked)"
	awk -v a="$on_miss" -v b="$on_hit" -v d="$off" 'BEGIN {
		printf "# ratio attached/detached: %.1fx (allowed), %.1fx (revoked)\n", a / d, b / d }'
	awk -v d="$off" -v a="$on_miss" 'BEGIN { exit !(d > 0 && a > d) }'
}
if run_bench >"$TMP/bench" 2>&1; then
	ok "checkpoint cost measured (attached > detached)"
else
	not_ok "checkpoint cost measured"
fi
cat "$TMP/bench" | grep '^#' || sed 's/^/# /' "$TMP/bench"

rmmod_after_purge() {
	"$SYNCTL" cap detach --purge && [ ! -e "$PIN" ] && rmmod synapse && insmod "$KO"
}
check "detach --purge removes the pins; rmmod and insmod work" rmmod_after_purge

[ "$FAILED" -eq 0 ]
