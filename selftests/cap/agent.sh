#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Suite "cap-agent": synapsed's capability handling on a one-node cluster
# (etcd over mTLS + one agent on 127.0.0.1, embedded engine, --require-cap).
#  - Token refusals: no token, a token of another CA, an expired one, fuel
#    or memory over the token's ceiling, a token for another job: the job
#    ends "refused" with the reason in `synctl job status`; a valid token
#    commits and its result verifies offline.
#  - The revocation mirror: the agent runs in a private mount namespace
#    with its own bpffs (unshare -m; the host's /sys/fs/bpf is untouched),
#    so `synctl job revoke` written to etcd must land in the pinned map the
#    agent opened, `synctl job unrevoke` must lift it, and a revocation made
#    only in the pinned map (`synctl cap revoke`) must stop a job on the
#    embedded engine, whose capability check reads the same map.
# Prints TAP.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)

# Re-run in a private mount namespace with a fresh bpffs when we can.
if [ -z "${CAP_AGENT_INNER:-}" ]; then
	if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
		exec env CAP_AGENT_INNER=1 unshare -m "$0" "$@"
	fi
	export CAP_AGENT_INNER=nobpf
fi

. "$TOP/selftests/cluster/lib.sh"
EX=$TOP/build/examples
N_TEST=0
FAILED=0

ok() { N_TEST=$((N_TEST + 1)); echo "ok $N_TEST $1"; }
not_ok() {
	N_TEST=$((N_TEST + 1)); FAILED=$((FAILED + 1)); echo "not ok $N_TEST $1"
	[ -n "$CL_DIR" ] && [ -e "$CL_DIR/n1.log" ] && tail -n 8 "$CL_DIR/n1.log" | sed 's|^|# n1.log: |'
}
skip() { N_TEST=$((N_TEST + 1)); echo "ok $N_TEST $1 # SKIP $2"; }
check() { local name=$1; shift; if "$@" >/dev/null 2>&1; then ok "$name"; else not_ok "$name"; fi; }

if [ ! -x "$BIN/synapsed" ] || [ ! -e "$EX/hello.wasm" ] || ! command -v etcd >/dev/null; then
	echo "ok 1 cap-agent # SKIP needs build/bin/synapsed, build/examples and etcd"
	echo "1..1"
	exit 0
fi

BPFFS=
cleanup() {
	cl_cleanup
	[ -n "$BPFFS" ] && { umount "$BPFFS" 2>/dev/null; rmdir "$BPFFS" 2>/dev/null; }
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$CAP_AGENT_INNER" = 1 ]; then
	BPFFS=$(mktemp -d /tmp/cap-agent-bpf.XXXXXX)
	if mount -t bpf bpf "$BPFFS" 2>/dev/null; then
		CL_BPF_DIR=$BPFFS/synapse
	else
		rmdir "$BPFFS"
		BPFFS=
	fi
fi
CL_AGENT_ARGS="--require-cap"

cl_init 1 && cl_start || { not_ok "cluster up"; echo "1..$N_TEST"; exit 1; }
ca=$CL_DIR/ca
issue() { "$BIN/synctl" cap issue --ca "$ca" --subject tests --expires +3600 "$@" >/dev/null; }

# field JOB NAME: one field of the job's status (jq starts faster than python)
field() { cl_synctl 1 -j job status "$1" 2>/dev/null | jq -r ".$2 // empty"; }
# final_state JOB: waits (bounded, 30 s) for the job's end, prints its state.
final_state() {
	local job=$1 i st
	for i in $(seq 1 300); do
		st=$(field "$job" state)
		case $st in committed|revoked|refused) echo "$st"; return 0 ;; esac
		sleep 0.1
	done
	echo "timeout($st)"
}
# submit NAME TOKEN|- [SUBMIT OPTIONS...]: hello.wasm, r=1, prints the job id.
submit() {
	local name=$1 tok=$2
	shift 2
	if [ "$tok" = - ]; then
		cl_synctl 1 job submit --name "$name" -r 1 "$@" "a:$EX/hello.wasm"
	else
		cl_synctl 1 job submit --name "$name" -r 1 --cap "$tok" "$@" "a:$EX/hello.wasm"
	fi
}
# refused NAME JOB PATTERN: the job ends refused and status gives the reason.
refused() {
	local st reason
	st=$(final_state "$2")
	reason=$(field "$2" reason)
	if [ "$st" = refused ] && echo "$reason" | grep -q -- "$3"; then
		ok "$1"
	else
		not_ok "$1 (state $st, reason '$reason')"
	fi
}

# ---- token refusals ----
"$BIN/synctl" ca init --dir "$CL_DIR/ca2" --cluster demo --days 2 >/dev/null
issue --job good -o "$CL_DIR/good.cap"
"$BIN/synctl" cap issue --ca "$CL_DIR/ca2" --subject tests --expires +3600 -o "$CL_DIR/otherca.cap" >/dev/null
"$BIN/synctl" cap issue --ca "$ca" --subject tests --not-before 1 --expires 2 -o "$CL_DIR/expired.cap" >/dev/null
issue --fuel 1000 -o "$CL_DIR/fuel.cap"
issue --memory 2 -o "$CL_DIR/mem.cap"
issue --job alpha -o "$CL_DIR/alpha.cap"

refused "refused_without_token_when_required" "$(submit none -)" "no capability token"
refused "refused_token_of_another_ca" "$(submit otherca "$CL_DIR/otherca.cap")" "bad signature"
refused "refused_expired_token" "$(submit expired "$CL_DIR/expired.cap")" "expired"
refused "refused_fuel_over_ceiling" "$(submit fuel "$CL_DIR/fuel.cap" --fuel 5000)" "fuel 5000 per task exceeds the token's ceiling 1000"
refused "refused_default_fuel_over_ceiling" "$(submit fuel2 "$CL_DIR/fuel.cap")" "exceeds the token's ceiling 1000"
refused "refused_memory_over_ceiling" "$(submit mem "$CL_DIR/mem.cap")" "memory 1024 pages per task exceeds the token's ceiling 2"
refused "refused_token_for_another_job" "$(submit beta "$CL_DIR/alpha.cap")" "is for job 'alpha', not 'beta'"
job=$(submit refusedwait -)
check "job_wait_fails_on_a_refused_job" test "$(cl_synctl 1 job wait --timeout 30 "$job" >/dev/null 2>&1; echo $?)" = 1
out=$(cl_synctl 1 job status "$job")
check "job_status_prints_the_reason" grep -q "^reason .*no capability token" <<<"$out"
head -c 200 /dev/urandom >"$CL_DIR/junk.cap"
check "submit_with_junk_token_fails" test "$(submit junk "$CL_DIR/junk.cap" >/dev/null 2>&1; echo $?)" != 0
job=$(submit mem2 "$CL_DIR/mem.cap" --memory 2)
check "within_ceilings_commits" test "$(final_state "$job")" = committed
job=$(submit good "$CL_DIR/good.cap")
check "valid_token_commits" test "$(final_state "$job")" = committed
check "committed_result_verifies_offline_with_token" sh -c \
	"SYNAPSE_SOCKET=$CL_DIR/n1.sock '$BIN/synctl' job result $job >'$CL_DIR/r.json' &&
	 '$BIN/synctl' job verify --ca '$ca/ca.crt' '$CL_DIR/r.json'"
check "offline_verify_refuses_other_ca" test "$("$BIN/synctl" job verify --ca "$CL_DIR/ca2/ca.crt" "$CL_DIR/r.json" >/dev/null 2>&1; echo $?)" != 0
good_id=$("$BIN/synctl" -j cap verify --ca-cert "$ca/ca.crt" "$CL_DIR/good.cap" | jq -r .id)
check "result_names_the_token_id" test "$(field "$job" cap_id)" = "$good_id"

# ---- revocation mirrored into the pinned map ----
in_map() { "$BIN/synctl" cap list --pin-dir "$CL_BPF_DIR" 2>/dev/null | grep -q "^$1 revoked"; }
wait_map() {	# wait_map yes|no ID: bounded (10 s), event-driven by polling
	local i
	for i in $(seq 1 100); do
		if in_map "$2"; then [ "$1" = yes ] && return 0; else [ "$1" = no ] && return 0; fi
		sleep 0.1
	done
	return 1
}
if [ -z "$CL_BPF_DIR" ]; then
	for t in agent_uses_the_pinned_map etcd_revocation_lands_in_pinned_map \
		 cap_status_shows_the_pinned_map unrevoke_lifts_it_from_the_map \
		 map_only_revocation_stops_embedded_engine_job; do
		skip "$t" "no private bpffs (needs root and unshare -m)"
	done
else
	backend=$(cl_synctl 1 -j job cluster | jq -r .revocation.backend)
	case $backend in bpf|bpf-map) ok "agent_uses_the_pinned_map ($backend)" ;;
	*) not_ok "agent_uses_the_pinned_map ($backend)" ;; esac
	issue -o "$CL_DIR/r1.cap"
	id1=$("$BIN/synctl" -j cap verify --ca-cert "$ca/ca.crt" "$CL_DIR/r1.cap" | jq -r .id)
	cl_synctl 1 job revoke "$CL_DIR/r1.cap"
	t0=$(date +%s%N)
	check "etcd_revocation_lands_in_pinned_map" wait_map yes "$id1"
	echo "# etcd revocation -> pinned map: $(( ($(date +%s%N) - t0) / 1000000 )) ms (an upper bound: polled with synctl every 100 ms)"
	check "cap_status_shows_the_pinned_map" sh -c \
		"'$BIN/synctl' cap status --pin-dir '$CL_BPF_DIR' | grep -q '^maps: pinned'"
	cl_synctl 1 job unrevoke "$id1"
	check "unrevoke_lifts_it_from_the_map" wait_map no "$id1"
	issue -o "$CL_DIR/r2.cap"
	"$BIN/synctl" cap revoke --pin-dir "$CL_BPF_DIR" "$CL_DIR/r2.cap"
	job=$(submit r2 "$CL_DIR/r2.cap")
	check "map_only_revocation_stops_embedded_engine_job" test "$(final_state "$job")" = revoked
	# a restarted agent reuses the pinned map: the revocations stay, and
	# it never lifts one it did not see revoked in etcd itself
	cl_synctl 1 job revoke "$CL_DIR/r1.cap"
	wait_map yes "$id1"
	cl_agent_kill 1 KILL
	cl_agent_start 1
	cl_wait_members 1 1 >/dev/null 2>&1
	check "restarted_agent_reuses_the_pinned_map" \
		grep -q "mirroring into the pinned map under $CL_BPF_DIR" "$CL_DIR/n1.log"
	job=$(submit r2again "$CL_DIR/r2.cap")
	check "revocations_survive_the_agent_restart" test "$(final_state "$job")" = revoked
	check "etcd_revocation_still_in_map_after_restart" in_map "$id1"
fi

echo "1..$N_TEST"
[ $FAILED = 0 ]
