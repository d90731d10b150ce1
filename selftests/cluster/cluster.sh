#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Suite "cluster": real local clusters (etcd over mTLS + synapsed agents on
# 127.0.0.1 ports, embedded engine), real faults (kill -9, SIGSTOP of an
# agent past its lease, an injected output corruption), offline
# verification of every committed result. Prints TAP.
#   selftests/cluster/cluster.sh [TEST...]
set -u
export CL_LEASE_TTL=${CL_LEASE_TTL:-3}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/selftests/cluster/lib.sh"
EX=$TOP/build/examples
N_TEST=0
FAILED=0
T0=$(date +%s)

ok() { N_TEST=$((N_TEST + 1)); echo "ok $N_TEST $1"; }
not_ok() {
	N_TEST=$((N_TEST + 1)); FAILED=$((FAILED + 1)); echo "not ok $N_TEST $1"
	if [ -n "$CL_DIR" ]; then
		local f
		for f in "$CL_DIR"/n*.log; do
			[ -e "$f" ] && tail -n 8 "$f" | sed "s|^|# $(basename "$f"): |"
		done
	fi
}
check() { local name=$1; shift; if "$@" >/dev/null; then ok "$name"; else not_ok "$name"; fi; }

trap 'cl_cleanup' EXIT
trap 'exit 130' INT TERM

inputs() {
	local i
	for i in $(seq 1 "$1"); do
		printf 'line %d of the input\nand %d more words here\n' "$i" "$i" >"$CL_DIR/in$i.txt"
	done
}

verify() {
	cl_synctl "$1" job result "$2" >"$CL_DIR/r-$2.json" &&
		"$BIN/synctl" job verify --ca "$CL_DIR/ca/ca.crt" "$CL_DIR/r-$2.json" >/dev/null
}

# The four hashes agent I reports for JOB, on one line.
hashes() {
	local f out=""
	for f in input_hash plan_hash execution_hash output_hash; do
		out="$out $(cl_status_field "$1" "$2" $f)"
	done
	echo "$out"
}

same_hashes_everywhere() {
	local job=$1 n=$2 i ref h
	ref=$(hashes 1 "$job")
	[ -n "${ref// /}" ] || return 1
	for i in $(seq 2 "$n"); do
		h=$(hashes "$i" "$job")
		[ "$h" = "$ref" ] || { echo "# n$i: $h vs $ref"; return 1; }
	done
}

happy() {
	local n=$1 r=$2 job i args=()
	cl_init "$n" && cl_start || { not_ok "happy_$n: cluster up"; cl_cleanup; return; }
	inputs 4
	for i in 1 2 3 4; do args+=("t$i:$EX/wordcount.wasm:$CL_DIR/in$i.txt"); done
	job=$(cl_synctl 1 job submit --name happy$n -r "$r" "${args[@]}")
	check "happy_${n}_nodes_job_committed" cl_synctl 2 job wait --timeout 60 "$job"
	check "happy_${n}_nodes_same_four_hashes_on_every_agent" same_hashes_everywhere "$job" "$n"
	check "happy_${n}_nodes_result_verifies_offline" verify "$n" "$job"
	check "happy_${n}_nodes_each_task_committed_once" \
		test "$(cl_etcd_count "jobs/$job/commit/")" = 4
	# the same spec again is the same job (content-addressed), not a second run
	check "happy_${n}_nodes_resubmit_is_idempotent" \
		test "$(cl_synctl 1 job submit --name happy$n -r "$r" "${args[@]}")" = "$job"
	if [ "$n" = 3 ]; then
		tamper_tests "$job"
	fi
	cl_cleanup
}

# Offline verification must catch every kind of tampering.
tamper_tests() {
	local job=$1 f=$CL_DIR/r-$1.json t=$CL_DIR/t.json
	python3 - "$f" "$t" out <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["result"]["output_hash"] = "00" * 32
json.dump(d, open(sys.argv[2], "w"))
PY
	check "verify_rejects_changed_output_hash" \
		bash -c "! '$BIN/synctl' job verify --ca '$CL_DIR/ca/ca.crt' '$t' 2>/dev/null"
	python3 - "$f" "$t" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
t = d["result"]["tasks"][0]
a = t["attestations"][0]
a["output_hash"] = "11" * 32
t["output_hash"] = "11" * 32
json.dump(d, open(sys.argv[2], "w"))
PY
	check "verify_rejects_forged_task_attestation" \
		bash -c "! '$BIN/synctl' job verify --ca '$CL_DIR/ca/ca.crt' '$t' 2>/dev/null"
	python3 - "$f" "$t" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for t in d["result"]["tasks"]:
    t["attestations"] = t["attestations"][:1]
json.dump(d, open(sys.argv[2], "w"))
PY
	check "verify_rejects_result_without_replica_majority" \
		bash -c "! '$BIN/synctl' job verify --ca '$CL_DIR/ca/ca.crt' '$t' 2>/dev/null"
	"$BIN/synctl" ca init --dir "$CL_DIR/other" --cluster demo >/dev/null
	check "verify_rejects_other_ca" \
		bash -c "! '$BIN/synctl' job verify --ca '$CL_DIR/other/ca.crt' '$f' 2>/dev/null"
}

fault_refused() {
	cl_init 1
	SYNAPSE_ENABLE_FAULTS= timeout 10 "$BIN/synapsed" --config "$CL_DIR/n1.conf" --foreground \
		--etcd https://127.0.0.1:1 --enable-faults --fault corrupt-output >"$CL_DIR/f.log" 2>&1
	local rc=$?
	check "fault_injection_refused_without_both_switches" \
		bash -c "[ $rc != 0 ] && grep -q 'fault injection refused' '$CL_DIR/f.log'"
	cl_cleanup
}

mismatch() {
	local job i args=()
	cl_init 3
	CL_EXTRA[3]="--enable-faults --fault corrupt-output"
	export SYNAPSE_ENABLE_FAULTS=1
	cl_start || { not_ok "mismatch: cluster up"; unset SYNAPSE_ENABLE_FAULTS; CL_EXTRA[3]=; cl_cleanup; return; }
	unset SYNAPSE_ENABLE_FAULTS
	CL_EXTRA[3]=
	inputs 3
	for i in 1 2 3; do args+=("t$i:$EX/wordcount.wasm:$CL_DIR/in$i.txt"); done
	job=$(cl_synctl 1 job submit --name mismatch -r 3 "${args[@]}")
	check "mismatch_job_committed_by_honest_majority" cl_synctl 1 job wait --timeout 60 "$job"
	check "mismatch_result_verifies_offline" verify 1 "$job"
	check "mismatch_faulty_node_not_in_any_quorum" \
		bash -c "! grep -q '\"node\": \"n3\"' <(python3 -c 'import json,sys; [print(json.dumps(a)) for t in json.load(open(sys.argv[1]))[\"result\"][\"tasks\"] for a in t[\"attestations\"]]' '$CL_DIR/r-$job.json')"
	local t
	for t in $(seq 1 100); do
		grep -q quarantined "$CL_DIR/n3.log" && break
		sleep 0.1
	done
	check "mismatch_replayed_then_quarantined" \
		bash -c "grep -q 'replaying' '$CL_DIR/n3.log' && grep -q 'quarantined' '$CL_DIR/n3.log'"
	check "mismatch_quarantine_visible_in_synctl" \
		bash -c "SYNAPSE_SOCKET='$CL_DIR/n1.sock' '$BIN/synctl' job cluster | grep -q '\"n3\"' && SYNAPSE_SOCKET='$CL_DIR/n1.sock' '$BIN/synctl' job cluster | grep -q 'disagrees'"
	# later jobs are planned without the quarantined node
	for t in $(seq 1 100); do
		[ "$(cl_synctl 1 job cluster | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["members"]))')" = 2 ] && break
		sleep 0.1
	done
	job=$(cl_synctl 1 job submit --name after-quarantine -r 3 "t1:$EX/wordcount.wasm:$CL_DIR/in1.txt")
	check "mismatch_next_job_commits_without_quarantined_node" cl_synctl 1 job wait --timeout 60 "$job"
	cl_cleanup
}

# kill -9 of a replica while the job runs: its lease expires, the job is
# re-planned in a new epoch, nothing is lost and nothing committed twice.
crash() {
	local job i args=() victim=$1 name=$2
	cl_init 3 && cl_start || { not_ok "$name: cluster up"; cl_cleanup; return; }
	for i in $(seq 1 6); do args+=("L$i:$EX/loop.wasm"); done
	job=$(cl_synctl 1 job submit --name "$name" -r 2 --fuel 60000000 "${args[@]}")
	sleep 0.5	# accepted and running: every node has 4 of the 12 replicas
	cl_agent_kill "$victim" KILL
	local ask=1
	[ "$victim" = 1 ] && ask=2
	check "${name}_job_committed_after_kill_9" cl_synctl $ask job wait --timeout 90 "$job"
	check "${name}_replanned_in_new_epoch" test "$(cl_status_field $ask "$job" epoch)" -ge 2
	check "${name}_no_task_lost_none_committed_twice" \
		test "$(cl_etcd_count "jobs/$job/commit/")" = 6
	check "${name}_result_verifies_offline" verify $ask "$job"
	cl_cleanup
}

# An agent cut off from the control plane (SIGSTOP past its lease TTL) is
# dropped; the majority commits; the stopped agent fences itself when it
# resumes (lease gone) and rejoins in a later epoch.
partition() {
	local job i args=()
	cl_init 3 && cl_start || { not_ok "partition: cluster up"; cl_cleanup; return; }
	for i in $(seq 1 4); do args+=("P$i:$EX/loop.wasm"); done
	kill -STOP "${CL_PIDS[3]}"
	check "partition_cut_off_node_leaves_the_epoch" cl_wait_members 1 2
	job=$(cl_synctl 1 job submit --name partition -r 3 --fuel 5000000 "${args[@]}")
	check "partition_majority_commits_without_cut_off_node" cl_synctl 1 job wait --timeout 90 "$job"
	check "partition_result_verifies_offline" verify 1 "$job"
	kill -CONT "${CL_PIDS[3]}"
	for i in $(seq 1 100); do
		grep -q "lease expired" "$CL_DIR/n3.log" && break
		sleep 0.1
	done
	check "partition_cut_off_node_saw_its_lease_expire" grep -q "lease expired" "$CL_DIR/n3.log"
	local n3atts=0
	for i in 1 2 3 4; do
		n3atts=$((n3atts + $(cl_etcd_count "jobs/$job/att/P$i/n3")))
	done
	check "partition_cut_off_node_never_attested_for_the_job" test "$n3atts" = 0
	check "partition_cut_off_node_rejoins_after_healing" cl_wait_members 1 3
	job=$(cl_synctl 3 job submit --name partition-after -r 3 "P1:$EX/wordcount.wasm:/dev/null")
	check "partition_healed_cluster_commits_with_all_three" cl_synctl 3 job wait --timeout 60 "$job"
	cl_cleanup
}

# Revocation mid-job: the job runs under a signed capability token; the
# capability is revoked in etcd (by token file) while replicas run its
# tasks; the running task ends revoked at its next checkpoint, no further
# task runs under it, the job ends revoked; a job under another token is
# fine and its result (token included) verifies offline.
revocation() {
	local job i args=() st
	cl_init 3 && cl_start || { not_ok "revocation: cluster up"; cl_cleanup; return; }
	"$BIN/synctl" cap issue --ca "$CL_DIR/ca" --subject tests --job revoke \
		--expires +3600 -o "$CL_DIR/revoke.cap" >/dev/null &&
	"$BIN/synctl" cap issue --ca "$CL_DIR/ca" --subject tests --job after-revoke \
		--expires +3600 -o "$CL_DIR/other.cap" >/dev/null ||
		{ not_ok "revocation: tokens issued"; cl_cleanup; return; }
	for i in $(seq 1 6); do args+=("R$i:$EX/loop.wasm"); done
	job=$(cl_synctl 1 job submit --name revoke -r 2 --cap "$CL_DIR/revoke.cap" \
		--fuel 400000000 "${args[@]}")
	# revoke only once a replica is really running a task (bounded: 20 s)
	for i in $(seq 1 200); do
		grep -q "job $job task R.*: started" "$CL_DIR"/n1.log "$CL_DIR"/n2.log "$CL_DIR"/n3.log && break
		sleep 0.1
	done
	check "revocation_command_accepted" cl_synctl 2 job revoke "$CL_DIR/revoke.cap"
	check "revocation_job_ends_revoked" cl_synctl 1 job wait --timeout 60 "$job"
	st=$(cl_status_field 3 "$job" state)
	check "revocation_state_is_revoked_on_every_agent" test "$st" = revoked
	check "revocation_running_task_ended_revoked" grep -q "ended revoked" "$CL_DIR"/n1.log "$CL_DIR"/n2.log "$CL_DIR"/n3.log
	job=$(cl_synctl 1 job submit --name after-revoke -r 2 --cap "$CL_DIR/other.cap" "a:$EX/hello.wasm")
	check "revocation_other_capability_unaffected" cl_synctl 1 job wait --timeout 60 "$job"
	check "revocation_other_job_committed" test "$(cl_status_field 1 "$job" state)" = committed
	check "revocation_other_job_verifies_offline_with_its_token" verify 1 "$job"
	cl_cleanup
}

# Many small jobs in waves while agents are killed and restarted at random.
soak() {
	local total=${SOAK_JOBS:-200} wave=20 w i job jobs=() lost=0 conflicts=0 faults=0
	cl_init 3 && cl_start || { not_ok "soak: cluster up"; cl_cleanup; return; }
	inputs 4
	for w in $(seq 0 $((total / wave - 1))); do
		for i in $(seq 1 $wave); do
			job=$(cl_synctl 1 job submit --name "soak-$w-$i" -r 2 \
				"a:$EX/wordcount.wasm:$CL_DIR/in$((i % 4 + 1)).txt" \
				"b:$EX/hello.wasm") || { lost=$((lost + 1)); continue; }
			jobs+=("$job")
		done
		# a random fault while the wave runs: kill -9 of an agent, restart
		if [ $((RANDOM % 3)) = 0 ]; then
			local v=$((RANDOM % 2 + 2))
			sleep 0.$((RANDOM % 5))
			cl_agent_kill $v KILL
			faults=$((faults + 1))
			sleep 0.3
			cl_agent_start $v
		fi
		# the wave must finish before the next one (bounded backlog)
		for job in "${jobs[@]:$((w * wave))}"; do
			cl_synctl 1 job wait --timeout 120 "$job" >/dev/null 2>&1 || lost=$((lost + 1))
		done
	done
	for job in "${jobs[@]}"; do
		[ "$(cl_etcd_count "jobs/$job/commit/")" = 2 ] || conflicts=$((conflicts + 1))
		verify 1 "$job" || conflicts=$((conflicts + 1))
	done
	echo "# soak: ${#jobs[@]} jobs submitted, $faults kill -9 + restart faults, $lost lost, $conflicts conflicting or unverifiable"
	check "soak_${total}_jobs_zero_lost" test "$lost" = 0 -a "${#jobs[@]}" = "$total"
	check "soak_${total}_jobs_zero_conflicting" test "$conflicts" = 0
	cl_cleanup
}

if [ ! -x "$BIN/synapsed" ] || [ ! -e "$EX/wordcount.wasm" ] || ! command -v etcd >/dev/null; then
	echo "ok 1 cluster # SKIP needs build/bin/synapsed, build/examples and etcd"
	exit 0
fi
TESTS=${*:-"fault_refused happy3 happy5 mismatch crash crash_coordinator partition revocation soak"}
for t in $TESTS; do
	case $t in
	happy3) happy 3 3 ;;
	happy5) happy 5 3 ;;
	crash) crash 3 crash_replica ;;
	crash_coordinator) crash 1 crash_coordinator ;;
	*) $t ;;
	esac
done
echo "# cluster suite: $N_TEST tests in $(( $(date +%s) - T0 )) s"
echo "1..$N_TEST"
[ $FAILED = 0 ]
