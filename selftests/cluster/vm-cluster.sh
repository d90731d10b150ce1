#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Suite "vm-cluster": a real cluster inside the QEMU VM (tools/vm/run, make
# run-vm-cluster) with synapse.ko loaded and every agent on the kernel
# engine: etcd over mTLS and 3 synapsed, each node in its own network
# namespace when the guest allows it (lib.sh), lease TTL 10 s (TCG). One
# cluster, node n3 armed with a transient state fault that only tasks
# running past FAULT_FUEL hit:
#   happy       3 replicas of 3 small tasks: committed; the four hashes are
#               the same on every agent and equal those the embedded engine
#               gave for the same job (--ref, computed on the host first)
#   rollback    n3's state diverges on its first run: it finds the first
#               divergent checkpoint, rolls back to a kept kernel checkpoint
#               (TASK_REPLAY), replays, agrees; synctl job status reports it
#   revocation  the capability is revoked mid-job: the agents put it in the
#               pinned eBPF map the kernel reads, the running kernel task
#               ends revoked, the job ends revoked
#   crash       kill -9 of a replica mid-job: re-planned in a new epoch,
#               every task committed exactly once
#   totals      no kernel task left behind in any live node's netns
# Prints TAP.
#   selftests/cluster/vm-cluster.sh --ref FILE     (in the VM)
#   selftests/cluster/vm-cluster.sh --reference FILE (on the host: writes
#                   the embedded engine's hashes of the happy job to FILE)
set -u
export CL_LEASE_TTL=${CL_LEASE_TTL:-10}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/selftests/cluster/lib.sh"
EX=$TOP/build/examples
FAULT_FUEL=5200000
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
secs() { echo $(( $(date +%s) - T0 )); }

trap 'cl_cleanup' EXIT
trap 'exit 130' INT TERM

# Under TCG an agent's loop may stall past the control socket's 5 s
# timeout (synchronous etcd calls), and synctl then sees a closed socket.
# Waits for JOB on agent I until SECS have passed: a wait cut short that
# way is asked again; a job that ends refused or past the time fails.
wait_job() {
	local i=$1 job=$2 secs=$3 end err
	end=$(( $(date +%s) + secs ))
	while [ "$(date +%s)" -lt "$end" ]; do
		err=$(cl_synctl "$i" job wait --timeout $(( end - $(date +%s) + 1 )) "$job" 2>&1 >/dev/null) &&
			return 0
		case $err in
		*"control socket"*|*"no reply"*) echo "# n$i: $err (asking again)" >&2 ;;
		*) echo "# n$i: $err" >&2; return 1 ;;
		esac
		sleep 1
	done
	return 1
}

# synctl ARGS on agent I, asked again on a stalled loop for up to
# VMCL_CTL_SECS (a loaded host can stall the VM's agents for many seconds).
ctl_retry() {
	local i=$1 end=$(( $(date +%s) + ${VMCL_CTL_SECS:-90} )); shift
	while :; do
		cl_synctl "$i" "$@" 2>/dev/null && return 0
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 1
	done
}

# Every process start costs under TCG, python3's most: jq instead of
# lib.sh's python helpers, and etcd read with a longer time limit.

# True when jq prints exactly "true" for FILTER (jq -e passes on no input).
jq_true() {
	[ "$(jq "$@" 2>/dev/null)" = true ]
}

# One field of "synctl -j job status JOB" as agent I sees it.
field() {
	ctl_retry "$1" -j job status "$2" | jq -r --arg f "$3" '.[$f] // empty'
}

vm_etcd_range() {
	cl_at_hub curl -s --max-time 15 --cacert "$CL_DIR/ca/ca.crt" --cert "$CL_DIR/n1.crt" \
		--key "$CL_DIR/n1.key" "$CL_ETCD_URL/v3/kv/range" -d "$1"
}

# Number of keys under an etcd prefix ending in "/" (below /synapse/demo/).
cl_etcd_count() {
	local key end
	key=$(printf '/synapse/demo/%s' "$1" | base64 -w0)
	end=$(printf '/synapse/demo/%s0' "${1%/}" | base64 -w0)	# '/' + 1
	vm_etcd_range "{\"key\":\"$key\",\"range_end\":\"$end\",\"count_only\":true}" |
		jq -r '.count // 0'
}

# The value of one etcd key (below /synapse/demo/); empty if absent.
cl_etcd_get() {
	local key
	key=$(printf '/synapse/demo/%s' "$1" | base64 -w0)
	vm_etcd_range "{\"key\":\"$key\"}" | jq -r '.kvs[0].value // empty' | base64 -d
}

# Waits until agent I reports an epoch with exactly N members (bounded).
cl_wait_members() {
	local i=$1 n=$2 t
	for t in $(seq 1 300); do
		[ "$(cl_synctl "$i" job cluster 2>/dev/null | jq '.members | length' 2>/dev/null)" = "$n" ] &&
			return 0
		sleep 0.2
	done
	cl_log "agent n$i never saw $n members"
	return 1
}

verify() {
	ctl_retry "$1" job result "$2" >"$CL_DIR/r-$2.json" &&
		"$BIN/synctl" job verify --ca "$CL_DIR/ca/ca.crt" "$CL_DIR/r-$2.json" >/dev/null
}

# The four hashes agent I reports for JOB, on one line.
hashes() {
	ctl_retry "$1" -j job status "$2" |
		jq -r '[.input_hash, .plan_hash, .execution_hash, .output_hash] | join(" ")'
}

same_hashes_everywhere() {
	local job=$1 i ref h
	ref=$(hashes 1 "$job")
	[ ${#ref} = 259 ] || { echo "# n1: '$ref'" >&2; return 1; }
	for i in 2 3; do
		h=$(hashes "$i" "$job")
		[ "$h" = "$ref" ] || { echo "# n$i: $h vs $ref" >&2; return 1; }
	done
}

# The happy job, the same on the host and in the VM (content-addressed:
# the same spec is the same job id and input hash).
happy_job() {
	printf 'the quick brown fox\njumps over the lazy dog\n' >"$CL_DIR/in1.txt"
	printf 'deterministic\nexecution\nin\nthe\nkernel\n' >"$CL_DIR/in2.txt"
	head -c 16384 /dev/zero | tr '\0' 'a' >"$CL_DIR/in3.txt"
	ctl_retry 1 job submit --name vm-happy -r 3 \
		"wc-1:$EX/wordcount.wasm:$CL_DIR/in1.txt" \
		"wc-2:$EX/wordcount.wasm:$CL_DIR/in2.txt" \
		"sha-3:$EX/sha256.wasm:$CL_DIR/in3.txt"
}

# The job's committed result as "job input plan execution output epoch members".
result_line() {
	ctl_retry "$1" job result "$2" | jq -r '.result | [.job, .input_hash,
		.plan_hash, .execution_hash, .output_hash, (.epoch | tostring),
		(.epochs[.epoch | tostring].members | sort | join(","))] | join(" ")'
}

# etcd, then the agents one by one, each seen as a member before the
# next starts: epoch 3 with n1..n3 on the host and in the VM alike, so the
# plan hashes of the happy job compare too.
start_cluster() {
	local i
	cl_etcd_start || return 1
	for i in 1 2 3; do
		cl_agent_start $i
		cl_wait_members 1 $i || return 1
	done
}

# --reference: the embedded engine's result for the happy job (host).
reference() {
	local out=$1 job
	CL_AGENT_ARGS="--engine=user"
	cl_init 3 && start_cluster || { echo "# reference: cluster up failed" >&2; return 1; }
	job=$(happy_job) &&
		cl_synctl 1 job wait --timeout 60 "$job" >/dev/null &&
		result_line 1 "$job" >"$out.tmp" || return 1
	mv "$out.tmp" "$out"
	cl_cleanup
}

# Checks the happy job's result against the reference: job id, input,
# execution and output hashes always; the plan hash is H(epoch, members,
# replica lists), so it must be equal when the epoch number is, and in any
# case it is recomputed and checked by synctl job verify.
same_as_reference() {
	local mine=$1 ref=$2
	python3 - "$mine" "$ref" <<'PY'
import sys
m = open(sys.argv[1]).read().split()
r = open(sys.argv[2]).read().split()
print("# kernel:   ", " ".join(m))
print("# embedded: ", " ".join(r))
ok = m[0:2] == r[0:2] and m[3:5] == r[3:5] and m[6] == r[6]
if m[5] == r[5]:
    ok = ok and m[2] == r[2]
else:
    print("# epochs differ (%s vs %s): plan hashes differ by design" % (m[5], r[5]))
sys.exit(0 if ok else 1)
PY
}

happy() {
	local job i e bad=0
	for i in 1 2 3; do
		e=$(ctl_retry $i -j node | jq -r '.engine // empty')
		[ "$e" = kernel ] || { echo "# n$i: engine '$e'"; bad=1; }
	done
	if [ $bad = 0 ]; then ok "happy_every_agent_on_the_kernel_engine"
	else not_ok "happy_every_agent_on_the_kernel_engine"; fi
	job=$(happy_job) || { not_ok "happy_job_submitted"; return; }
	check "happy_job_committed_on_kernel_engine" wait_job 2 "$job" 90
	check "happy_same_four_hashes_on_every_agent" same_hashes_everywhere "$job"
	check "happy_each_task_committed_once" test "$(cl_etcd_count "jobs/$job/commit/")" = 3
	check "happy_result_verifies_offline" verify 3 "$job"
	result_line 1 "$job" >"$CL_DIR/happy.ref" 2>/dev/null
	if [ -r "$REF" ]; then
		check "happy_hashes_equal_embedded_engine_reference" \
			same_as_reference "$CL_DIR/happy.ref" "$REF"
	else
		not_ok "happy_hashes_equal_embedded_engine_reference (no reference file '$REF')"
	fi
	echo "# happy path done at $(secs) s"
}

# Waits (bounded) until etcd holds KEY.
wait_key() {
	local t
	for t in $(seq 1 300); do
		[ -n "$(cl_etcd_get "$1")" ] && return 0
		sleep 0.2
	done
	return 1
}

# The first divergent checkpoint is the first the majority took at or after
# the fault's fuel position; the replay started from the one before it.
check_divergence() {
	python3 - "$1" "$2" "$FAULT_FUEL" <<'PY'
import base64, json, struct, sys
rep = json.loads(open(sys.argv[1]).read())
cps = json.loads(open(sys.argv[2]).read())
x = int(sys.argv[3])
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

# n3's first run of L2 diverges past FAULT_FUEL; r=2 ties 1-1 and n1
# breaks the tie: committed 2-1, then n3 rolls back in synapse.ko.
rollback() {
	local job k ms
	job=$(ctl_retry 1 job submit --name vm-rollback -r 2 --fuel 6000000 \
		--checkpoint-every 500000 "L1:$EX/loop.wasm" "L2:$EX/loop.wasm") ||
		{ not_ok "rollback_job_submitted"; return; }
	check "rollback_job_committed_by_majority" wait_job 1 "$job" 120
	wait_key "jobs/$job/mismatch/L2/n3"
	cl_etcd_get "jobs/$job/mismatch/L2/n3" >"$CL_DIR/mm.json"
	cl_etcd_get "jobs/$job/cps/L2/n2" >"$CL_DIR/cps.json"
	check "rollback_first_divergent_checkpoint_reported_correctly" \
		check_divergence "$CL_DIR/mm.json" "$CL_DIR/cps.json"
	check "rollback_replayed_from_last_agreed_kernel_checkpoint_not_input" \
		jq_true '.replayed_from > 0 and .replayed_from == .last_agreed and
			.replayed_from_fuel == .last_agreed_fuel' "$CL_DIR/mm.json"
	k=$(jq -r '.first_divergent // empty' "$CL_DIR/mm.json")
	check "rollback_restored_in_synapse_ko_by_task_replay" \
		grep -q "kernel engine: task [0-9]* rolled back to checkpoint $((k - 1)) " "$CL_DIR/n3.log"
	ms=$(sed -n 's/.*rolled back to checkpoint .*replaying as task [0-9]* (\([0-9.]*\) ms).*/\1/p' "$CL_DIR/n3.log" | head -1)
	echo "# rollback (TASK_CHECKPOINTS done, TASK_REPLAY + TASK_DEL): ${ms:-?} ms"
	check "rollback_replay_agrees_and_replaces_attestation" \
		jq_true --argjson a "$(cl_etcd_get "jobs/$job/att/L2/n3")" \
			--argjson c "$(cl_etcd_get "jobs/$job/commit/L2")" \
			'.outcome == "agrees" and $a.trace_hash == $c.attestations[0].trace_hash and
			 $a.output_hash == $c.attestations[0].output_hash' "$CL_DIR/mm.json"
	check "rollback_status_shows_first_divergent_checkpoint" \
		bash -c "SYNAPSE_SOCKET='$CL_DIR/n2.sock' '$BIN/synctl' job status $job | grep -q 'L2 on n3 vs .*first divergent checkpoint $k at fuel .*replayed from checkpoint $((k - 1)) .*agrees'"
	check "rollback_transient_fault_not_quarantined" \
		jq_true '(.quarantine | length) == 0' <<<"$(ctl_retry 1 -j peers)"
	check "rollback_result_verifies_offline" verify 1 "$job"
	echo "# rollback done at $(secs) s"
}

revocation() {
	local job i args=() st
	"$BIN/synctl" cap issue --ca "$CL_DIR/ca" --subject tests --job vm-revoke \
		--expires +3600 -o "$CL_DIR/revoke.cap" >/dev/null ||
		{ not_ok "revocation_token_issued"; return; }
	for i in $(seq 1 3); do args+=("R$i:$EX/loop.wasm"); done
	job=$(ctl_retry 1 job submit --name vm-revoke -r 2 --cap "$CL_DIR/revoke.cap" \
		--fuel 4000000000 "${args[@]}") || { not_ok "revocation_job_submitted"; return; }
	# revoke once a kernel task really runs (bounded: 60 s)
	for i in $(seq 1 300); do
		grep -q "job $job task R.*: started" "$CL_DIR"/n[123].log && break
		sleep 0.2
	done
	check "revocation_command_accepted" ctl_retry 2 job revoke "$CL_DIR/revoke.cap"
	check "revocation_job_ends_revoked" wait_job 1 "$job" 90
	st=$(field 3 "$job" state)
	check "revocation_state_is_revoked_on_every_agent" \
		test "$st" = revoked -a "$(field 1 "$job" state)" = revoked
	check "revocation_running_kernel_task_ended_revoked" \
		grep -q "job $job task R.*ended revoked" "$CL_DIR"/n1.log "$CL_DIR"/n2.log "$CL_DIR"/n3.log
	# the agents mirrored it into the pinned map synapse.ko's program reads
	check "revocation_every_agent_attached_the_pinned_ebpf_program" \
		test "$(grep -l "revocation: BPF program .* under $CL_BPF_DIR" "$CL_DIR"/n[123].log | wc -l)" = 3
	check "revocation_kernel_verdict_revoked_from_ebpf_map" \
		jq_true '.verdict == "revoked" and .link and .maps' \
		<<<"$("$BIN/synctl" -j cap status --pin-dir "$CL_BPF_DIR" "$CL_DIR/revoke.cap" 2>/dev/null)"
	echo "# revocation done at $(secs) s"
}

# Kernel tasks held in node I's netns (synctl info).
kernel_tasks() {
	cl_on "$1" "$BIN/synctl" -j info 2>/dev/null | jq -r '"\(.netns.tasks) \(.netns.tasks_in_flight)"'
}

# Every ended run is deleted from synapse.ko once its task is agreed:
# nodes in NODES hold no task (bounded wait: runs go at the next audit).
no_tasks_left() {
	local i t left
	for t in $(seq 1 100); do
		left=
		for i in "$@"; do
			[ "$(kernel_tasks "$i")" = "0 0" ] || left="$left n$i:$(kernel_tasks "$i" | tr ' ' /)"
		done
		[ -z "$left" ] && return 0
		sleep 0.3
	done
	echo "# kernel tasks left:$left" >&2
	return 1
}

crash() {
	local job i args=()
	for i in $(seq 1 6); do args+=("K$i:$EX/loop.wasm"); done
	# below FAULT_FUEL: n3's armed fault must not split this job 1-1
	job=$(ctl_retry 1 job submit --name vm-crash -r 2 --fuel 5000000 "${args[@]}") ||
		{ not_ok "crash_job_submitted"; return; }
	for i in $(seq 1 300); do
		grep -q "job $job task K.*: started" "$CL_DIR/n2.log" && break
		sleep 0.2
	done
	cl_agent_kill 2 KILL
	check "crash_job_committed_after_kill_9" wait_job 1 "$job" 150
	check "crash_replanned_in_new_epoch" \
		test "$(field 1 "$job" epoch)" -gt "$(field 1 "$HAPPY_EPOCH_JOB" epoch)"
	check "crash_no_task_lost_none_committed_twice" \
		test "$(cl_etcd_count "jobs/$job/commit/")" = 6
	check "crash_result_verifies_offline" verify 1 "$job"
	echo "# crash done at $(secs) s"
}

REF=
case ${1:-} in
--reference)
	[ $# = 2 ] || { echo "usage: $0 --reference FILE" >&2; exit 2; }
	reference "$2"
	exit $? ;;
--ref) REF=${2:-} ;;
esac

for f in "$BIN/synapsed" "$BIN/synctl" "$EX/loop.wasm" "$EX/wordcount.wasm"; do
	[ -e "$f" ] || { echo "not ok 1 vm-cluster: $f missing (make first)"; exit 1; }
done
command -v etcd >/dev/null || { echo "not ok 1 vm-cluster: etcd not installed"; exit 1; }
grep -q '^synapse ' /proc/modules || { echo "not ok 1 vm-cluster: synapse.ko not loaded"; exit 1; }

CL_AGENT_ARGS="--engine=kernel"
# A bpffs of our own under /tmp: ip netns exec remounts /sys, so the
# agents in their namespaces would not see /sys/fs/bpf.
VMCL_BPFFS=$(mktemp -d /tmp/vmcl-bpf.XXXXXX)
mount -t bpf bpf "$VMCL_BPFFS" || { echo "not ok 1 vm-cluster: cannot mount a bpffs"; exit 1; }
CL_BPF_DIR=$VMCL_BPFFS/synapse
bpf_cleanup() {
	"$BIN/synctl" cap detach --purge --pin-dir "$CL_BPF_DIR" >/dev/null 2>&1
	umount "$VMCL_BPFFS" 2>/dev/null && rmdir "$VMCL_BPFFS"
}
trap 'cl_cleanup; bpf_cleanup' EXIT
cl_init 3 || { echo "not ok 1 vm-cluster: cluster set up"; exit 1; }
CL_EXTRA[3]="--enable-faults --fault corrupt-state-once:$FAULT_FUEL"
export SYNAPSE_ENABLE_FAULTS=1
start_cluster
rc=$?
unset SYNAPSE_ENABLE_FAULTS
CL_EXTRA[3]=
if [ $rc != 0 ]; then
	not_ok "cluster_up_on_kernel_engine"
	echo "1..$N_TEST"
	exit 1
fi
ok "cluster_up_on_kernel_engine (network mode $CL_MODE, lease TTL $CL_LEASE_TTL s, $(secs) s)"
for t in ${VMCL_TESTS:-happy rollback revocation totals crash}; do
	case $t in
	happy) happy
		HAPPY_EPOCH_JOB=$(cut -d' ' -f1 "$CL_DIR/happy.ref" 2>/dev/null) ;;
	totals) check "no_kernel_task_left_on_any_node" no_tasks_left 1 2 3 ;;
	crash) crash
		check "no_kernel_task_left_on_surviving_nodes" no_tasks_left 1 3 ;;
	rollback|revocation) $t ;;
	*) not_ok "unknown test $t" ;;
	esac
done
if [ -n "${VMCL_LOGS:-}" ]; then
	for f in "$CL_DIR"/n*.log; do sed "s|^|# $(basename "$f"): |" "$f"; done
fi
cl_cleanup
bpf_cleanup
echo "# vm-cluster suite: $N_TEST tests in $(secs) s, network mode $CL_MODE"
echo "1..$N_TEST"
[ $FAILED = 0 ]
