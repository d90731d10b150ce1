#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Suite "cluster": real local clusters (etcd over mTLS + synapsed agents,
# embedded engine; each node in its own network namespace when root, else
# on 127.0.0.1 ports: lib.sh), real faults (kill -9, partitions made by
# taking veth links down, injected corruptions), offline verification of
# every committed result. Prints TAP.
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
	# every agent wrote job state and told the others (nudges over the mesh)
	check "happy_${n}_nodes_every_agent_sent_and_received_nudges" bash -c "
		for i in \$(seq 1 $n); do
			SYNAPSE_SOCKET='$CL_DIR'/n\$i.sock '$BIN/synctl' -j job cluster |
				python3 -c 'import json,sys; c=json.load(sys.stdin)[\"counters\"]; sys.exit(0 if c[\"nudges_sent\"] > 0 and c[\"nudges_received\"] > 0 else 1)' || exit 1
		done"
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
	SYNAPSE_ENABLE_FAULTS= cl_on 1 timeout 10 "$BIN/synapsed" --config "$CL_DIR/n1.conf" --foreground \
		--etcd https://127.0.0.1:1 --enable-faults --fault corrupt-output >"$CL_DIR/f.log" 2>&1
	local rc=$?
	check "fault_injection_refused_without_both_switches" \
		bash -c "[ $rc != 0 ] && grep -q 'fault injection refused' '$CL_DIR/f.log'"
	SYNAPSE_ENABLE_FAULTS=1 cl_on 1 timeout 10 "$BIN/synapsed" --config "$CL_DIR/n1.conf" --foreground \
		--etcd https://127.0.0.1:1 --enable-faults --fault slow,bogus >"$CL_DIR/f.log" 2>&1
	rc=$?
	check "fault_list_with_unknown_fault_refused_by_name" \
		bash -c "[ $rc != 0 ] && grep -q 'unknown fault bogus' '$CL_DIR/f.log'"
	SYNAPSE_ENABLE_FAULTS=1 cl_on 1 timeout 10 "$BIN/synapsed" --config "$CL_DIR/n1.conf" --foreground \
		--etcd https://127.0.0.1:1 --enable-faults --fault corrupt-state:5,corrupt-state-once:6 >"$CL_DIR/f.log" 2>&1
	rc=$?
	check "fault_list_conflicting_state_faults_refused" \
		bash -c "[ $rc != 0 ] && grep -q 'exclude each other' '$CL_DIR/f.log'"
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

# Starts an N-node cluster whose node F runs with fault FAULT armed.
faulty_cluster() {
	local n=$1 f=$2 fault=$3 rc
	cl_init "$n" || return 1
	CL_EXTRA[$f]="--enable-faults --fault $fault"
	export SYNAPSE_ENABLE_FAULTS=1
	cl_start
	rc=$?
	unset SYNAPSE_ENABLE_FAULTS
	CL_EXTRA[$f]=
	return $rc
}

# Waits (bounded) until etcd holds KEY.
wait_key() {
	local t
	for t in $(seq 1 150); do
		[ -n "$(cl_etcd_get "$1")" ] && return 0
		sleep 0.1
	done
	return 1
}

# Checks a mismatch report against the fault's own log line and the
# majority's published checkpoint list: the first divergent checkpoint is
# the first one the majority took at or after the fuel where the state was
# corrupted; the replay started from the one before it (kept), not from the
# input; the fuel positions are the majority's.
check_divergence() {
	local rep=$1 cps=$2 log=$3
	python3 - "$rep" "$cps" "$log" <<'PY'
import base64, json, re, struct, sys
rep = json.loads(open(sys.argv[1]).read())
cps = json.loads(open(sys.argv[2]).read())
m = re.search(r"corrupted engine state at fuel (\d+)", open(sys.argv[3]).read())
x = int(m.group(1))
raw = base64.b64decode(cps["cps"])
fuel = [struct.unpack_from("<Q", raw, i + 32)[0] for i in range(0, len(raw), 40)]
k = next(i for i, f in enumerate(fuel) if f >= x)
print("# fault at fuel %d; majority checkpoints %d; expected first divergent %d at fuel %d" % (x, len(fuel), k, fuel[k]))
print("# report:", json.dumps(rep, sort_keys=True))
ok = (k > 0 and rep["known"] and rep["first_divergent"] == k and
      rep["first_divergent_fuel"] == fuel[k] and rep["last_agreed"] == k - 1 and
      rep["last_agreed_fuel"] == fuel[k - 1])
sys.exit(0 if ok else 1)
PY
}

# A transient state fault: n3's engine state is corrupted at fuel X on the
# task's first run only. With r=2 the task L2 (planned on n2, n3) cannot
# commit without n3's attestation: the 1-1 tie gets n1 as a third replica
# and commits 2-1. n3 finds the first divergent checkpoint against the
# majority's list, rolls back to the last agreed one (kept, k > 0), replays
# from there, now agrees: its attestation is replaced, no quarantine.
mismatch_rollback() {
	local job x=17500000 k
	faulty_cluster 3 3 "corrupt-state-once:$x" ||
		{ not_ok "mismatch_rollback: cluster up"; cl_cleanup; return; }
	job=$(cl_synctl 1 job submit --name rollback -r 2 --fuel 20000000 \
		--checkpoint-every 1000000 "L1:$EX/loop.wasm" "L2:$EX/loop.wasm")
	check "rollback_job_committed_by_majority" cl_synctl 1 job wait --timeout 60 "$job"
	wait_key "jobs/$job/mismatch/L2/n3"
	cl_etcd_get "jobs/$job/mismatch/L2/n3" >"$CL_DIR/mm.json"
	cl_etcd_get "jobs/$job/cps/L2/n2" >"$CL_DIR/cps.json"
	check "rollback_first_divergent_checkpoint_reported_correctly" \
		check_divergence "$CL_DIR/mm.json" "$CL_DIR/cps.json" "$CL_DIR/n3.log"
	check "rollback_replayed_from_last_agreed_checkpoint_not_input" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if r["replayed_from"] > 0 and r["replayed_from"] == r["last_agreed"] and
         r["replayed_from_fuel"] == r["last_agreed_fuel"] else 1)' "$CL_DIR/mm.json"
	check "rollback_replay_agrees_and_replaces_attestation" python3 -c '
import json, sys
r = json.load(open(sys.argv[1])); a = json.loads(sys.argv[2]); c = json.loads(sys.argv[3])
t = c["attestations"][0]
sys.exit(0 if r["outcome"] == "agrees" and a["trace_hash"] == t["trace_hash"] and
         a["output_hash"] == t["output_hash"] else 1)' "$CL_DIR/mm.json" \
		"$(cl_etcd_get "jobs/$job/att/L2/n3")" "$(cl_etcd_get "jobs/$job/commit/L2")"
	k=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["first_divergent"])' "$CL_DIR/mm.json")
	check "rollback_status_shows_first_divergent_checkpoint" \
		bash -c "SYNAPSE_SOCKET='$CL_DIR/n2.sock' '$BIN/synctl' job status $job | grep -q 'L2 on n3 vs .*first divergent checkpoint $k at fuel .*replayed from checkpoint $((k - 1)) .*agrees' &&
			SYNAPSE_SOCKET='$CL_DIR/n2.sock' '$BIN/synctl' -j job status $job | grep -q '\"first_divergent\": $k'"
	check "rollback_transient_fault_not_quarantined" \
		bash -c "SYNAPSE_SOCKET='$CL_DIR/n1.sock' '$BIN/synctl' -j peers | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if not d[\"quarantine\"] and [p[\"cluster_state\"] for p in d[\"peers\"] if p[\"node_id\"]==\"n3\"]==[\"member\"] else 1)'"
	check "rollback_result_verifies_offline" verify 1 "$job"
	cl_cleanup
}

# A persistent state fault on n4 (4 nodes, r=2, 4 tasks: Q3 and Q4 are
# planned on n4, so they need its attestation or a re-plan): its replay
# from the last agreed checkpoint still disagrees, so it quarantines
# itself; the quarantine shows in synctl peers and node; the next epoch
# leaves n4 out; the job commits; an operator lifts the quarantine with
# synctl peers unquarantine.
mismatch_quarantine() {
	local job i args=() t
	faulty_cluster 4 4 "corrupt-state:30000000" ||
		{ not_ok "mismatch_quarantine: cluster up"; cl_cleanup; return; }
	for i in $(seq 1 4); do args+=("Q$i:$EX/loop.wasm"); done
	job=$(cl_synctl 1 job submit --name quarantine -r 2 --fuel 40000000 \
		--checkpoint-every 3000000 "${args[@]}")
	check "quarantine_job_committed" cl_synctl 1 job wait --timeout 120 "$job"
	check "quarantine_result_verifies_offline" verify 1 "$job"
	check "quarantine_n4_replayed_from_checkpoint_then_quarantined" \
		bash -c "grep -q 'replaying from checkpoint [1-9]' '$CL_DIR/n4.log' && grep -q 'quarantined' '$CL_DIR/n4.log'"
	check "quarantine_n4_in_no_quorum" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["result"]
sys.exit(1 if any(a["node"] == "n4" for t in d["tasks"] for a in t["attestations"]) else 0)' "$CL_DIR/r-$job.json"
	# new epochs leave n4 out: a job submitted now is planned without it
	check "quarantine_next_epoch_leaves_n4_out" cl_wait_members 1 3
	t=$(cl_synctl 1 job submit --name while-quarantined -r 3 "w1:$EX/wordcount.wasm")
	check "quarantine_job_while_quarantined_planned_without_n4" \
		bash -c "SYNAPSE_SOCKET='$CL_DIR/n1.sock' '$BIN/synctl' job wait --timeout 60 $t >/dev/null &&
			SYNAPSE_SOCKET='$CL_DIR/n1.sock' '$BIN/synctl' job result $t | python3 -c 'import json,sys; d=json.load(sys.stdin)[\"result\"]; sys.exit(0 if all(\"n4\" not in e[\"members\"] for e in d[\"epochs\"].values()) else 1)'"
	check "quarantine_shown_in_synctl_peers" \
		bash -c "cl() { SYNAPSE_SOCKET='$CL_DIR/n1.sock' '$BIN/synctl' \"\$@\"; }
			cl peers | grep -q '^n4 .* quarantined ' &&
			cl peers | grep -q '^n4 quarantined since .*: still disagrees' &&
			cl -j peers | python3 -c 'import json,sys; d=json.load(sys.stdin); q=d[\"quarantine\"][\"n4\"]; sys.exit(0 if q[\"since\"] > 0 and q[\"reason\"] and q[\"job\"] == \"$job\" else 1)'"
	check "quarantine_shown_in_synctl_node" \
		bash -c "SYNAPSE_SOCKET='$CL_DIR/n4.sock' '$BIN/synctl' node | grep -q '^quarantine: *n4 quarantined since' &&
			SYNAPSE_SOCKET='$CL_DIR/n4.sock' '$BIN/synctl' -j node | grep -q '\"cluster_state\": \"quarantined\"'"
	check "quarantine_unquarantine_unknown_node_refused" \
		bash -c "! SYNAPSE_SOCKET='$CL_DIR/n1.sock' '$BIN/synctl' peers unquarantine n2 2>/dev/null"
	check "quarantine_lifted_by_operator" cl_synctl 1 peers unquarantine n4
	check "quarantine_lifted_node_back_in_epoch" cl_wait_members 1 4
	job=$(cl_synctl 1 job submit --name after-lift -r 3 "w1:$EX/wordcount.wasm")
	check "quarantine_job_after_lift_commits_with_n4_planned" \
		bash -c "SYNAPSE_SOCKET='$CL_DIR/n1.sock' '$BIN/synctl' job wait --timeout 60 $job >/dev/null &&
			SYNAPSE_SOCKET='$CL_DIR/n1.sock' '$BIN/synctl' job result $job | python3 -c 'import json,sys; d=json.load(sys.stdin)[\"result\"]; sys.exit(0 if \"n4\" in d[\"epochs\"][str(d[\"epoch\"])][\"members\"] else 1)'"
	cl_cleanup
}

# r=3 on 3 nodes, n3 a straggler ("slow": one slice per tick) with a
# transient state fault early in the task: n1 and n2 commit without it. Its
# run so far is still evidence: the checkpoints it took after the fault
# differ from the committed replica's, so instead of dropping the run it
# rolls back to the newest kept checkpoint before them (or, as here where
# the straggler is far past the fault and keeps only its latest snapshots,
# to the input), replays to the end and attests late, matching the commit:
# a straggler's fault is found, not silently dropped.
mismatch_straggler() {
	# the fault lies inside the straggler's first slice (2M fuel), so it has
	# a divergent checkpoint as soon as it has run at all; the others need
	# the whole 150M fuel, many slices, before they can commit
	local job x=1500000
	faulty_cluster 3 3 "slow,corrupt-state-once:$x" ||
		{ not_ok "mismatch_straggler: cluster up"; cl_cleanup; return; }
	job=$(cl_synctl 1 job submit --name straggler -r 3 --fuel 150000000 \
		--checkpoint-every 1000000 "S1:$EX/loop.wasm")
	check "straggler_job_committed" cl_synctl 1 job wait --timeout 60 "$job"
	check "straggler_committed_without_it" python3 -c '
import json, sys
d = json.load(sys.stdin)["result"]
t = d["tasks"][0]
sys.exit(0 if sorted(a["node"] for a in t["attestations"]) == ["n1", "n2"] else 1)' \
		< <(cl_synctl 1 job result "$job")
	wait_key "jobs/$job/mismatch/S1/n3"
	check "straggler_partial_run_found_divergent" \
		grep -q "job $job task S1: committed without us, and our run so far already differs at checkpoint" "$CL_DIR/n3.log"
	cl_etcd_get "jobs/$job/mismatch/S1/n3" >"$CL_DIR/mm.json"
	cl_etcd_get "jobs/$job/cps/S1/n1" >"$CL_DIR/cps.json"
	check "straggler_first_divergent_checkpoint_reported_correctly" \
		check_divergence "$CL_DIR/mm.json" "$CL_DIR/cps.json" "$CL_DIR/n3.log"
	check "straggler_replay_agrees_late_attestation_matches" python3 -c '
import json, sys
r = json.load(open(sys.argv[1])); a = json.loads(sys.argv[2]); c = json.loads(sys.argv[3])
t = c["attestations"][0]
sys.exit(0 if r["outcome"] == "agrees" and
         a["trace_hash"] == t["trace_hash"] and a["output_hash"] == t["output_hash"] else 1)' \
		"$CL_DIR/mm.json" "$(cl_etcd_get "jobs/$job/att/S1/n3")" "$(cl_etcd_get "jobs/$job/commit/S1")"
	check "straggler_result_verifies_offline" verify 1 "$job"
	cl_cleanup
}

# r=2 on 3 nodes, n3 with a persistent state fault: each task it shares
# ties 1-1, so the coordinator adds the next node in plan order as a third
# replica, which breaks the tie 2-1 (never a commit without a strict
# majority); n3 sees the commit, replays, still disagrees and is
# quarantined; the tasks it had not attested yet are re-planned without it.
mismatch_tie() {
	local job i args=() t
	faulty_cluster 3 3 "corrupt-state:20000000" ||
		{ not_ok "mismatch_tie: cluster up"; cl_cleanup; return; }
	for i in $(seq 1 9); do args+=("T$i:$EX/loop.wasm"); done
	job=$(cl_synctl 1 job submit --name tie -r 2 --fuel 30000000 \
		--checkpoint-every 2000000 "${args[@]}")
	check "tie_job_committed" cl_synctl 1 job wait --timeout 180 "$job"
	check "tie_result_verifies_offline" verify 1 "$job"
	check "tie_third_replica_broke_the_tie_2_to_1" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["result"]
ties = [t for t in d["tasks"] if t.get("replicas") == 3]
print("# tasks decided by a tie-breaker:", [t["id"] for t in ties])
ok = ties and all(len(t["attestations"]) == 2 and
                  all(a["node"] != "n3" for a in t["attestations"]) and
                  [a["node"] for a in t["dissent"]] == ["n3"] for t in ties)
sys.exit(0 if ok else 1)' "$CL_DIR/r-$job.json"
	# by the coordinator, whichever node won the election
	check "tie_logged_tie_breaker" bash -c "cat '$CL_DIR'/n*.log | grep -q 'adding n[12] as tie-breaker'"
	check "tie_n3_in_no_quorum" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["result"]
sys.exit(1 if any(a["node"] == "n3" for t in d["tasks"] for a in t["attestations"]) else 0)' "$CL_DIR/r-$job.json"
	check "tie_n3_quarantined_shown_in_peers" \
		bash -c "SYNAPSE_SOCKET='$CL_DIR/n1.sock' '$BIN/synctl' peers | grep -q '^n3 quarantined since'"
	# in the 3-member plan task i (0-based) runs on n1..n3 [i%3] and [(i+1)%3]:
	# n3 was planned on every task with i%3 != 0
	check "tie_n3_tasks_rerun_elsewhere_in_new_epoch" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["result"]
moved = [t["id"] for i, t in enumerate(d["tasks"]) if i % 3 != 0 and
         "n3" not in d["epochs"][str(t["epoch"])]["members"]]
print("# tasks of n3 committed in an epoch without it:", moved)
sys.exit(0 if moved else 1)' "$CL_DIR/r-$job.json"
	# a forged tie: the same result without the evidence of the tie
	python3 - "$CL_DIR/r-$job.json" "$CL_DIR/t.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for t in d["result"]["tasks"]:
    t.pop("dissent", None)
json.dump(d, open(sys.argv[2], "w"))
PY
	check "tie_verify_rejects_tie_breaker_without_tie" \
		bash -c "! '$BIN/synctl' job verify --ca '$CL_DIR/ca/ca.crt' '$CL_DIR/t.json' 2>/dev/null"
	cl_cleanup
}

# kill -9 of a replica while the job runs: its lease expires, the job is
# re-planned in a new epoch, nothing is lost and nothing committed twice.
crash() {
	local job i args=() victim=$1 name=$2
	cl_init 3 && cl_start || { not_ok "$name: cluster up"; cl_cleanup; return; }
	for i in $(seq 1 6); do args+=("L$i:$EX/loop.wasm"); done
	# 300M fuel: a replica takes at least half a second on a fast machine,
	# and the victim runs its 4 of the 12 replicas one after another, so
	# killing it at its first start always leaves work to re-plan.
	job=$(cl_synctl 1 job submit --name "$name" -r 2 --fuel 300000000 "${args[@]}")
	for i in $(seq 1 300); do
		grep -q "job $job task L[0-9]: started" "$CL_DIR/n$victim.log" && break
		sleep 0.1
	done
	grep -q "job $job task L[0-9]: started" "$CL_DIR/n$victim.log" ||
		cl_log "$name: n$victim started no task in 30 s; killing it anyway"
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

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# Node I's membership state as it sees it: member, fenced, joining, ...
node_state() {
	cl_synctl "$1" -j node 2>/dev/null |
		python3 -c 'import json,sys; print((json.load(sys.stdin).get("membership") or {}).get("state", ""))'
}

# One counter of "synctl job cluster" on node I.
cluster_counter() {
	cl_synctl "$1" job cluster 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"][sys.argv[1]])' "$2"
}

# Polls "CMD..." every 50 ms until it succeeds, at most SECS seconds.
wait_until() {
	local secs=$1 t; shift
	for t in $(seq 1 $((secs * 20))); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}

state_is() { [ "$(node_state "$1")" = "$2" ]; }
members_are() { cl_wait_members "$1" "$2" 2>/dev/null; }

# How node I's mesh sees peer P: up, suspect or down.
peer_state() {
	cl_synctl "$1" -j peers 2>/dev/null |
		python3 -c 'import json,sys; print([p["state"] for p in json.load(sys.stdin)["peers"] if p["node_id"] == sys.argv[1]][0])' "$2"
}
peer_not_up() { [ "$(peer_state "$1" "$2")" != up ]; }

# Milliseconds from SINCE (ms since the epoch) to the first line matching
# the regex PAT, at or after SINCE, in the agents' logs FILE... (their
# stamps are UTC HH:MM:SS.mmm); empty if none. Timings come from the
# agents' own clocks, not from how fast we poll.
log_after_ms() {
	local pat=$1 since=$2; shift 2
	python3 - "$pat" "$since" "$@" <<'PY'
import re, sys
pat, since = re.compile(sys.argv[1]), int(sys.argv[2])
day = since - since % 86400000
best = None
for f in sys.argv[3:]:
    for line in open(f, errors="replace"):
        m = re.match(r"(\d\d):(\d\d):(\d\d)\.(\d\d\d) ", line)
        if not m or not pat.search(line):
            continue
        h, mi, s, ms = map(int, m.groups())
        t = day + ((h * 60 + mi) * 60 + s) * 1000 + ms
        if t < since - 43200000:
            t += 86400000	# past midnight
        if t >= since and (best is None or t < best):
            best = t
print("" if best is None else best - since)
PY
}

# Every task of JOB committed exactly once, the same four hashes on the
# nodes listed, and the result verifies offline.
one_result() {
	local job=$1 ntasks=$2 ref h i; shift 2
	[ "$(cl_etcd_count "jobs/$job/commit/")" = "$ntasks" ] || return 1
	ref=$(hashes "$1" "$job")
	[ -n "${ref// /}" ] || return 1
	for i in "$@"; do
		h=$(hashes "$i" "$job")
		[ "$h" = "$ref" ] || { echo "# n$i: $h vs $ref" >&2; return 1; }
	done
	verify "$1" "$job"
}

# A real partition, made by taking links down (netns mode). The minority
# (MINORITY, a list of node numbers) loses etcd and its peers: it must
# notice, fence itself (no execution, no attestation), while the majority
# re-plans the running job without it and commits, also a new job; after
# healing, the minority registers again, rejoins the epoch and sees the
# same committed results. NAME prefixes the test names; CUT/HEAL cut and
# heal the minority's links.
partition_run() {
	local name=$1 n=$2 r=$3 cut=$4 heal=$5; shift 5
	local minority="$*" majority="" i m job job2 job3 args=() t0 tf tr tc th tj
	local runs0 atts0 runs1 atts1 ok_all=1 e0
	for i in $(seq 1 "$n"); do
		[[ " $minority " == *" $i "* ]] || majority="$majority $i"
	done
	m=${minority%% *}
	local a=${majority# }
	a=${a%% *}
	# r=2 of 3 (r=3 of 5): some tasks cannot commit without the minority
	# unless they are re-planned
	for i in $(seq 1 6); do args+=("P$i:$EX/loop.wasm"); done
	job=$(cl_synctl "$a" job submit --name "$name" -r "$r" --fuel 100000000 "${args[@]}")
	# cut while the minority is really running one of the job's tasks
	wait_until 30 grep -q "job $job task P.*: started" "$CL_DIR/n$m.log"
	check "${name}_minority_was_running_a_task" grep -q "job $job task P.*: started" "$CL_DIR/n$m.log"
	e0=$(cl_status_field "$a" "$job" epoch)
	t0=$(now_ms)
	$cut
	for i in $minority; do
		wait_until 30 state_is "$i" fenced || ok_all=0
	done
	tf=$(( $(now_ms) - t0 ))
	check "${name}_minority_fences_itself" test $ok_all = 1
	check "${name}_minority_mesh_sees_its_peers_down" wait_until 30 peer_not_up "$m" "n$a"
	runs0=$(cluster_counter "$m" tasks_run)
	atts0=$(cluster_counter "$m" attestations)
	check "${name}_majority_commits_epoch_without_minority" \
		wait_until 30 members_are "$a" $(( n - $(echo $minority | wc -w) ))
	tr=$(( $(now_ms) - t0 ))
	check "${name}_running_job_commits_on_majority" cl_synctl "$a" job wait --timeout 90 "$job"
	tc=$(( $(now_ms) - t0 ))
	check "${name}_running_job_was_replanned" test "$(cl_status_field "$a" "$job" epoch)" -gt "$e0"
	job2=$(cl_synctl "$a" job submit --name "$name-during" -r 3 "d:$EX/wordcount.wasm:/dev/null")
	check "${name}_new_job_commits_during_partition" cl_synctl "$a" job wait --timeout 60 "$job2"
	[ -n "${PART_DURING:-}" ] && $PART_DURING
	# fenced for the whole partition: it started and signed nothing
	runs1=$(cluster_counter "$m" tasks_run)
	atts1=$(cluster_counter "$m" attestations)
	check "${name}_fenced_minority_neither_ran_nor_attested" \
		test "$runs1" = "$runs0" -a "$atts1" = "$atts0" -a "$(node_state "$m")" = fenced
	th=$(now_ms)
	$heal
	ok_all=1
	for i in $minority; do
		wait_until 60 state_is "$i" member || ok_all=0
	done
	check "${name}_minority_rejoins_after_healing" test $ok_all = 1
	check "${name}_epoch_has_every_node_again" wait_until 30 members_are "$a" "$n"
	tj=$(( $(now_ms) - th ))
	# caught up: the minority reports the majority's results, one per task
	check "${name}_minority_caught_up_same_result_for_running_job" \
		one_result "$job" 6 "$a" $majority $minority
	check "${name}_minority_caught_up_same_result_for_new_job" \
		one_result "$job2" 1 "$a" $majority $minority
	job3=$(cl_synctl "$m" job submit --name "$name-after" -r "$n" "a:$EX/wordcount.wasm:/dev/null")
	check "${name}_healed_cluster_commits_job_from_minority_node" \
		cl_synctl "$m" job wait --timeout 60 "$job3"
	check "${name}_healed_cluster_result_has_every_node" one_result "$job3" 1 "$m" $majority
	# the same, from the agents' logs (ms): minority fenced, majority's
	# new epoch, the running job re-planned, committed; after healing, the
	# minority working again and the epoch with every node
	local logs_min=() logs_maj=() e1 e2 e3 e4 e5 e6
	for i in $minority; do logs_min+=("$CL_DIR/n$i.log"); done
	for i in $majority; do logs_maj+=("$CL_DIR/n$i.log"); done
	e1=$(log_after_ms 'cluster: fenced' "$t0" "${logs_min[@]}")
	e2=$(log_after_ms "cluster: epoch [0-9]+ with $(( n - $(echo $minority | wc -w) )) members" "$t0" "${logs_maj[@]}")
	e3=$(log_after_ms "job $job re-planned" "$t0" "${logs_maj[@]}")
	e4=$(log_after_ms "job $job committed\$" "$t0" "${logs_maj[@]}")
	e5=$(log_after_ms 'cluster: lease live' "$th" "${logs_min[@]}")
	e6=$(log_after_ms "cluster: epoch [0-9]+ with $n members" "$th" "${logs_maj[@]}" "${logs_min[@]}")
	echo "# $name (agents' logs): after the cut: fenced ${e1:-?} ms, epoch without the minority ${e2:-?} ms, job re-planned ${e3:-?} ms, committed ${e4:-?} ms; after healing: minority working ${e5:-?} ms, epoch with all ${e6:-?} ms"
	echo "# $name (test's polling): fenced seen after $tf ms, epoch without the minority $tr ms, job committed $tc ms; all members again $tj ms after healing"
}

# Member K (1..3) of the etcd cluster that leads now, as the members say.
etcd_leader() {
	local k
	for k in 1 2 3; do
		cl_etcd_curl --max-time 1 "$(cl_etcd_member_url $k)/v3/maintenance/status" -d '{}' 2>/dev/null |
			python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d["leader"] == d["header"]["member_id"] else 1)' 2>/dev/null &&
			{ echo "$k"; return 0; }
	done
	return 1
}

# etcd as a 3-member cluster, every agent given the three endpoints. The
# etcd leader is killed (-9) while a job runs: the members elect another,
# the agents carry on through members that answer, the job commits, each
# task once. Then the old leader comes back, and member 1 - first in every
# agent's endpoint list - dies: the agents fail over to the next endpoint
# and a new job commits with all three nodes still members.
etcd_failover() {
	local job leader l2 t i args=()
	cl_resolve_mode
	if [ "$CL_MODE" != netns ]; then
		ok "etcd_failover # SKIP needs network namespaces (root, ip netns, veth, bridge)"
		return
	fi
	CL_ETCD_N=3
	cl_init 3 && cl_start || { not_ok "etcd_failover: cluster up"; CL_ETCD_N=1; cl_cleanup; return; }
	leader=$(etcd_leader)
	check "etcd_failover_three_members_one_leader" test -n "$leader"
	for i in $(seq 1 6); do args+=("E$i:$EX/loop.wasm"); done
	job=$(cl_synctl 1 job submit --name etcd-failover -r 2 --fuel 30000000 "${args[@]}")
	for t in $(seq 1 100); do
		grep -q "job $job task .*: started" "$CL_DIR"/n*.log && break
		sleep 0.1
	done
	echo "# killing etcd leader e$leader"
	cl_etcd_member_kill "$leader"
	# the test's own etcd requests go to a member still up
	CL_ETCD_URL=$(cl_etcd_member_url $((leader % 3 + 1)))
	check "etcd_failover_job_commits_after_leader_killed" cl_synctl 2 job wait --timeout 120 "$job"
	l2=$(etcd_leader)
	check "etcd_failover_new_leader_elected" test -n "$l2" -a "$l2" != "$leader"
	check "etcd_failover_each_task_committed_once" test "$(cl_etcd_count "jobs/$job/commit/")" = 6
	check "etcd_failover_result_verifies_offline" verify 2 "$job"
	cl_etcd_member_start "$leader"
	cl_etcd_wait_healthy "$(cl_etcd_member_url "$leader")"
	cl_etcd_member_kill 1
	CL_ETCD_URL=$(cl_etcd_member_url 2)
	job=$(cl_synctl 2 job submit --name etcd-failover-2 -r 3 "w:$EX/wordcount.wasm")
	check "etcd_failover_first_endpoint_down_job_commits" cl_synctl 2 job wait --timeout 60 "$job"
	check "etcd_failover_agents_moved_to_next_endpoint" \
		grep -q "etcd $(cl_etcd_member_url 1): .*; trying $(cl_etcd_member_url 2)" "$CL_DIR/n1.log"
	check "etcd_failover_all_nodes_still_members" cl_wait_members 2 3
	CL_ETCD_N=1
	cl_cleanup
}

partition() {
	cl_resolve_mode
	if [ "$CL_MODE" != netns ]; then
		ok "partition # SKIP needs network namespaces (root, ip netns, veth, bridge)"
		return
	fi
	cl_init 3 && cl_start || { not_ok "partition: cluster up"; cl_cleanup; return; }
	partition_run partition 3 2 "cl_cut 3" "cl_heal 3" 3
	cl_cleanup
}

split_sides_check() {
	check "split_2_3_minority_nodes_still_see_each_other" test "$(peer_state 4 n5)" = up
	check "split_2_3_majority_sees_minority_down" peer_not_up 1 n4
}

# 2|3 split of 5 nodes: n4 and n5 on their own bridge, the trunk to the
# majority's bridge (where etcd is) cut; n4 and n5 still see each other.
partition_split() {
	cl_resolve_mode
	if [ "$CL_MODE" != netns ]; then
		ok "partition_split # SKIP needs network namespaces (root, ip netns, veth, bridge)"
		return
	fi
	CL_SIDE_B="4 5"
	cl_init 5 && cl_start || { not_ok "partition_split: cluster up"; CL_SIDE_B=; cl_cleanup; return; }
	CL_SIDE_B=
	PART_DURING=split_sides_check partition_run split_2_3 5 3 cl_cut_trunk cl_heal_trunk 4 5
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
	echo "# soak: agents' resident memory at the end (kB):$(for i in 1 2 3; do
		printf ' n%d %s' "$i" "$(awk '/VmRSS/{print $2}' "/proc/${CL_PIDS[$i]}/status" 2>/dev/null)"; done)"
	check "soak_${total}_jobs_zero_lost" test "$lost" = 0 -a "${#jobs[@]}" = "$total"
	check "soak_${total}_jobs_zero_conflicting" test "$conflicts" = 0
	cl_cleanup
}

if [ ! -x "$BIN/synapsed" ] || [ ! -e "$EX/wordcount.wasm" ] || ! command -v etcd >/dev/null; then
	echo "ok 1 cluster # SKIP needs build/bin/synapsed, build/examples and etcd"
	exit 0
fi
. "$TOP/selftests/cluster/blobs.sh"
TESTS=${*:-"fault_refused happy3 happy5 blobs_large blobs_corrupt blobs_submitter_killed blobs_cap mismatch mismatch_rollback mismatch_straggler mismatch_quarantine mismatch_tie crash crash_coordinator etcd_failover partition partition_split revocation soak"}
for t in $TESTS; do
	case $t in
	happy3) happy 3 3 ;;
	happy5) happy 5 3 ;;
	crash) crash 3 crash_replica ;;
	crash_coordinator) crash 1 crash_coordinator ;;
	*) $t ;;
	esac
done
echo "# cluster suite: $N_TEST tests in $(( $(date +%s) - T0 )) s, network mode $CL_MODE"
echo "1..$N_TEST"
[ $FAILED = 0 ]
