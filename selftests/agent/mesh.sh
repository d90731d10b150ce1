#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Suite agent-mesh: five synapsed on 127.0.0.1 (distinct ports, a temp
# dir, CA and certificates made with `synctl ca`). Checks that the mesh
# forms within seconds and heartbeats flow, then throws bad peers at it
# (another CA's certificate, an expired one, a revoked one, an unknown
# node, a wrong node id, a forged signature, garbage bytes, an oversized
# frame, an unsupported version, replays) and checks each is refused and
# counted while the mesh stays up. Then SIGHUP CRL reload, kill -9 and
# rejoin, SIGTERM shutdown. Prints TAP.
#
# usage: mesh.sh BUILD_DIR

set -u
BUILD=${1:-build}
SYNCTL=$BUILD/bin/synctl
SYNAPSED=$BUILD/bin/synapsed
PROBE=$BUILD/agent/tests/probe
NODES=5
T=$(mktemp -d /tmp/synapse-mesh.XXXXXX)

# A base port whose 11 ports nobody listens on (other suites run servers too).
ports_free() {
	local o
	for o in 1 2 3 4 5 6 101 102 103 104 105; do
		(exec 3<>"/dev/tcp/127.0.0.1/$(($1 + o))") 2>/dev/null && return 1
	done
	return 0
}
for ((try = 0; try < 20; try++)); do
	BASE=$((20000 + RANDOM % 30000))
	ports_free "$BASE" && break
done
declare -A pid

cleanup() {
	local p
	for p in "${pid[@]}"; do
		{ kill -9 "$p" && wait "$p"; } 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT

n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
nok() { n=$((n + 1)); echo "not ok $n $1"; fails=$((fails + 1)); }
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else nok "$name"; fi
}
diag() { echo "# $*"; }

port() { echo $((BASE + $1)); }
sock() { echo "$T/n$1.sock"; }
q() { "$SYNCTL" -j "$2" -s "$(sock "$1")" 2>/dev/null; }	# q NODE node|peers
rejected() { q "$1" node | jq -r ".counters.rejected.$2"; }
up_count() { q "$1" node | jq -r '.peers.up // 0'; }

# Polls "cmd..." until it succeeds, at most $1 tenths of a second.
wait_for() {
	local tenths=$1 i
	shift
	for ((i = 0; i < tenths; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

all_up() {
	local i
	for ((i = 1; i <= NODES; i++)); do
		[ "$(up_count "$i")" = $((NODES - 1)) ] || return 1
	done
}

write_config() {
	local i=$1 j
	{
		echo "[node]"
		echo "id = n$i"
		echo "cluster = mesh"
		echo "listen = 127.0.0.1:$(port "$i")"
		echo "key = $T/certs/n$i.key"
		echo "cert = $T/certs/n$i.crt"
		echo "ca = $T/ca/ca.crt"
		echo "crl = $T/ca/ca.crl"
		echo "control = $(sock "$i")"
		echo "metrics = 127.0.0.1:$(port $((100 + i)))"
		echo "heartbeat_ms = 100"
		echo "suspect_ms = 1000"
		echo "down_ms = 5000"  # generous: CI machines are loaded
		echo "max_skew_ms = 5000"
		echo "backoff_min_ms = 50"
		echo "backoff_max_ms = 1000"
		# n6 is configured everywhere but never runs: the probe speaks as it
		for ((j = 1; j <= NODES + 1; j++)); do
			[ "$j" = "$i" ] && continue
			printf '\n[peer "n%d"]\naddress = 127.0.0.1:%d\n' "$j" "$(port "$j")"
		done
	} >"$T/n$i.conf"
}

start_agent() {
	"$SYNAPSED" --config "$T/n$1.conf" --foreground --log-level info \
		2>>"$T/n$1.log" &
	pid[$1]=$!
}

# probe NODE MODE CERTDIR/ID [extra args]: one bad (or good) peer session
probe() {
	local node=$1 mode=$2 who=$3
	shift 3
	"$PROBE" --connect "127.0.0.1:$(port "$node")" --to "n$node" \
		--cluster mesh --ca "$T/ca/ca.crt" --cert "$T/$who.crt" \
		--key "$T/$who.key" --mode "$mode" --timeout-ms 3000 "$@" 2>&1
}

# expect_refusal NAME NODE REASON "RESULT-REGEX" probe-args...
expect_refusal() {
	local name=$1 node=$2 reason=$3 want=$4 before out
	shift 4
	before=$(rejected "$node" "$reason")
	out=$(probe "$node" "$@")
	if ! grep -qE "$want" <<<"$out"; then
		diag "$name: probe said: $out"
		nok "$name"
		return
	fi
	if ! wait_for 30 counter_above "$node" "$reason" "$before"; then
		diag "$name: counter $reason stayed at $before"
		nok "$name"
		return
	fi
	ok "$name"
}

counter_above() { [ "$(rejected "$1" "$2")" -gt "$3" ]; }

# --- PKI ---------------------------------------------------------------
pki() {
	local i
	"$SYNCTL" ca init --dir "$T/ca" --cluster mesh >/dev/null || return 1
	for ((i = 1; i <= NODES + 1; i++)); do
		"$SYNCTL" ca issue --dir "$T/ca" --node-id "n$i" --out "$T/certs" \
			>/dev/null || return 1
	done
	"$SYNCTL" ca issue --dir "$T/ca" --node-id stranger --out "$T/certs" >/dev/null &&
	"$SYNCTL" ca init --dir "$T/other" --cluster mesh >/dev/null &&
	"$SYNCTL" ca issue --dir "$T/other" --node-id n6 --out "$T/other" >/dev/null &&
	"$SYNCTL" ca issue --dir "$T/ca" --node-id n6 --out "$T/expired" --expired >/dev/null &&
	"$SYNCTL" ca issue --dir "$T/ca" --node-id n6 --out "$T/revoked" >/dev/null &&
	"$SYNCTL" ca revoke --dir "$T/ca" --cert "$T/revoked/n6.crt" >/dev/null &&
	"$SYNCTL" ca issue --dir "$T/ca" --node-id n6 --out "$T/late" >/dev/null &&
	[ "$(stat -c %a "$T/certs/n1.key")" = 600 ] &&
	[ "$(stat -c %a "$T/ca/ca.key")" = 600 ] &&
	! "$SYNCTL" ca issue --dir "$T/ca" --node-id n1 --out "$T/certs" 2>/dev/null
}
check pki_ca_issue_revoke pki

for ((i = 1; i <= NODES; i++)); do
	write_config "$i"
done
config_check() {
	"$SYNAPSED" --config "$T/n1.conf" --check-config >/dev/null &&
		! "$SYNAPSED" --config "$T/ca/ca.crt" --check-config 2>/dev/null
}
check config_check config_check

# --- mesh --------------------------------------------------------------
t0=$(date +%s%N)
for ((i = 1; i <= NODES; i++)); do
	start_agent "$i"
done
if wait_for 100 all_up; then
	diag "mesh of $NODES formed in $((($(date +%s%N) - t0) / 1000000)) ms"
	ok mesh_forms
else
	for ((i = 1; i <= NODES; i++)); do diag "n$i: $(up_count "$i") up"; done
	nok mesh_forms
fi

check control_socket_mode_0600 test "$(stat -c %a "$(sock 1)")" = 600

ctl_raw() { "$PROBE" --control "$(sock 1)" --send "$1"; }
control_errors() {
	ctl_raw 'not json' | grep -q '"ok":false,"error":"request is not JSON"' &&
	ctl_raw '{"cmd":"reboot"}' | grep -q '"error":"unknown command"' &&
	ctl_raw '{"cmd":7}' | grep -q '"error":"request needs a string \\"cmd\\""' &&
	ctl_raw '{"cmd":"ping"}' | grep -q '"ok":true,"node_id":"n1"' &&
	! "$SYNCTL" node -s "$T/nonexistent.sock" 2>/dev/null
}
check control_socket_rejects_bad_requests control_errors

hb_before=$(q 1 node | jq -r .counters.heartbeats_rx)
sleep 1
hb_after=$(q 1 node | jq -r .counters.heartbeats_rx)
rtts=$(for ((i = 1; i <= NODES; i++)); do
	q "$i" peers | jq -r '.peers[] | select(.state == "up") | .rtt_avg_us'
done)
nrtt=$(grep -c . <<<"$rtts")
diag "heartbeats received by n1 in 1 s: $((hb_after - hb_before))"
diag "rtt (avg per peer, us): min $(sort -n <<<"$rtts" | head -1)" \
	"median $(sort -n <<<"$rtts" | sed -n "$(((nrtt + 1) / 2))p")" \
	"max $(sort -n <<<"$rtts" | tail -1) over $nrtt links"
check heartbeats_flow test $((hb_after - hb_before)) -ge 20 -a "$nrtt" = $((NODES * (NODES - 1)))
if [ -n "${MESH_BENCH:-}" ]; then
	# one link, 50 heartbeats one at a time, while the mesh runs
	probe 1 heartbeat certs/n6 --count 50 | sed -n 's/^result: acks 1 rtt_us //p' |
		sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "# rtt single link (probe<->n1, %d samples, us): min %.0f median %.0f max %.0f\n", NR, v[1], v[int((NR + 1) / 2)], v[NR] }'
	exit 0
fi

# --- bad peers (all against n1; the probe speaks as the offline n6) -----
expect_refusal cert_from_other_ca 1 cert_untrusted 'tls-failed|closed' hello other/n6
expect_refusal cert_expired 1 cert_expired 'tls-failed|closed' hello expired/n6
expect_refusal cert_revoked 1 cert_revoked 'tls-failed|closed' hello revoked/n6
expect_refusal unknown_node 1 unknown_peer 'refused node stranger is not a configured peer' hello certs/stranger
expect_refusal wrong_node_id 1 node_id_mismatch 'refused claims to be n2' hello certs/n6 --claim n2
expect_refusal forged_signature 1 bad_signature 'refused .*signature does not verify' forge certs/n6
expect_refusal garbage_bytes_raw 1 tls_handshake 'closed' raw-garbage certs/n6
expect_refusal garbage_frame 1 decode 'refused malformed NodeMessage' garbage certs/n6
expect_refusal oversized_frame 1 frame_too_large 'refused frame over' oversize certs/n6
expect_refusal unsupported_version 1 version 'refused no common protocol version' version certs/n6

replay() {
	local d0 s0 f0 out
	d0=$(rejected 1 duplicate)
	s0=$(rejected 1 stale)
	f0=$(rejected 1 future)
	out=$(probe 1 replay certs/n6)
	grep -q 'result: acks 1 ' <<<"$out" || { diag "replay: $out"; return 1; }
	[ "$(rejected 1 duplicate)" -gt "$d0" ] && [ "$(rejected 1 stale)" -gt "$s0" ] &&
		[ "$(rejected 1 future)" -gt "$f0" ]
}
check replay_duplicate_stale_future_dropped replay
expect_refusal unknown_type_dropped_session_kept 1 unknown_type 'result: acks 1 ' unknown-type certs/n6
check good_peer_accepted grep -q 'result: accepted' <<<"$(probe 2 hello certs/n6)"

# 140 idle TCP connections: past 128 pending handshakes the agent refuses
flood() {
	local r0 i fd fds=() rc=0
	r0=$(rejected 1 tls_handshake)
	for ((i = 0; i < 140; i++)); do
		exec {fd}<>"/dev/tcp/127.0.0.1/$(port 1)" || break
		fds+=("$fd")
	done
	wait_for 30 counter_above 1 tls_handshake $((r0 + 5)) || rc=1
	for fd in "${fds[@]}"; do
		exec {fd}>&-
	done
	return $rc
}
check handshake_flood_bounded flood

undisturbed() {
	local i bad
	all_up || return 1
	for ((i = 1; i <= NODES; i++)); do
		bad=$(q "$i" peers | jq -r '[.peers[] | select(.node_id != "n6" and .disconnects != 0)] | length')
		[ "$bad" = 0 ] || { diag "n$i: $bad peers reconnected"; return 1; }
	done
}
check mesh_undisturbed_by_bad_peers undisturbed

metrics() {
	local m
	m=$(curl -s --max-time 3 "http://127.0.0.1:$(port 103)/metrics") || return 1
	grep -q '^synapse_peer_up{peer="n1"} 1$' <<<"$m" &&
		grep -q '^synapse_rejected_total{reason="bad_signature"} ' <<<"$m"
}
check metrics_endpoint metrics

# --- SIGHUP: a newly revoked certificate is refused after reload ---------
sighup() {
	local r0 i
	grep -q 'result: accepted' <<<"$(probe 1 hello late/n6)" || return 1
	"$SYNCTL" ca revoke --dir "$T/ca" --cert "$T/late/n6.crt" >/dev/null || return 1
	for ((i = 1; i <= NODES; i++)); do kill -HUP "${pid[$i]}"; done
	wait_for 30 reloaded || return 1
	r0=$(rejected 1 cert_revoked)
	probe 1 hello late/n6 >/dev/null
	wait_for 30 counter_above 1 cert_revoked "$r0" && all_up
}
reloaded() { [ "$(q 1 node | jq -r .counters.reloads)" = 1 ]; }
check sighup_reloads_crl sighup

# --- kill -9 a node: the others see it down; it rejoins -----------------
n5_state() { q 1 peers | jq -r '.peers[] | select(.node_id == "n5") | .state'; }
n5_down() { [ "$(n5_state)" = down ]; }
kill -9 "${pid[5]}"
wait "${pid[5]}" 2>/dev/null
unset 'pid[5]'
check killed_node_seen_down wait_for 30 n5_down
t0=$(date +%s%N)
start_agent 5
if wait_for 100 all_up; then
	diag "n5 rejoined in $((($(date +%s%N) - t0) / 1000000)) ms"
	ok restarted_node_rejoins
else
	nok restarted_node_rejoins
fi

# --- SIGTERM: clean exit, control socket removed -------------------------
shutdown() {
	local i rc=0
	for ((i = 1; i <= NODES; i++)); do kill -TERM "${pid[$i]}"; done
	for ((i = 1; i <= NODES; i++)); do
		wait_for 50 eval '! kill -0 '"${pid[$i]}"' 2>/dev/null' || rc=1
		wait "${pid[$i]}" || rc=1
		unset "pid[$i]"
		[ -e "$(sock "$i")" ] && rc=1
	done
	return $rc
}
check sigterm_clean_shutdown shutdown

if [ "$fails" -ne 0 ]; then
	for ((i = 1; i <= NODES; i++)); do
		diag "--- n$i.log (tail)"
		tail -n 15 "$T/n$i.log" | sed 's/^/# /'
	done
fi
echo "# $n tests, $fails failed"
[ "$fails" -eq 0 ]
