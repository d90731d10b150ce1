#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Suite "sanitize": the ASan/LSan/UBSan builds of synvm, synctl and
# synapsed (BIN, from sanitize.mk) on the paths the other suites test for
# results, here tested for memory errors: every example and a garbled
# module through synvm (with replay checks), then a 3-node cluster that
# commits jobs, rolls a replica back after an injected state fault, loses
# a node to kill -9 and takes it back, answers every synctl job and
# cluster command, and finally stops on SIGTERM so LeakSanitizer runs in
# each agent. A check fails on a wrong exit status or on any sanitizer
# report. Prints TAP.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
export CL_LEASE_TTL=${CL_LEASE_TTL:-4}
. "$TOP/selftests/cluster/lib.sh"
EX=$TOP/build/examples
SAN='ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:'
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
N_TEST=0
FAILED=0
T0=$(date +%s)

ok() { N_TEST=$((N_TEST + 1)); echo "ok $N_TEST $1"; }
not_ok() { N_TEST=$((N_TEST + 1)); FAILED=$((FAILED + 1)); echo "not ok $N_TEST $1"; }

# run NAME WANT CMD...: CMD must exit with status WANT (0, or "fail" for
# any non-zero status other than the sanitizers' 99) and print no report.
run() {
	local name=$1 want=$2 rc out
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	if grep -qE "$SAN" <<<"$out"; then
		grep -E -A12 "$SAN" <<<"$out" | head -24 | sed 's/^/# /'
		not_ok "$name (sanitizer report)"
	elif [ "$want" = fail ] && [ $rc != 0 ] && [ $rc != 99 ]; then
		ok "$name"
	elif [ "$want" = 0 ] && [ $rc = 0 ]; then
		ok "$name"
	else
		echo "# exit status $rc, wanted $want"
		not_ok "$name"
	fi
}

trap 'cl_cleanup' EXIT
trap 'exit 130' INT TERM

for b in synvm synctl synapsed; do
	[ -x "$BIN/$b" ] || { echo "not ok 1 sanitize: no $BIN/$b"; echo "1..1"; exit 1; }
done
if ! command -v etcd >/dev/null || [ ! -e "$EX/wordcount.wasm" ]; then
	echo "not ok 1 sanitize: needs etcd and build/examples"; echo "1..1"; exit 1
fi

# ---- the engine's userspace build: synvm ----
WORK=$(mktemp -d /tmp/synapse-sanitize.XXXXXX)
printf 'one two three\nfour five\n' >"$WORK/in.txt"
for m in "$EX"/*.wasm; do
	n=$(basename "$m" .wasm)
	run "synvm_validate_$n" 0 "$BIN/synvm" validate "$m"
	# every status is fine (trap, abort, fuel out): only memory errors fail
	out=$("$BIN/synvm" run "$m" --input "$WORK/in.txt" --fuel 3000000 \
		--checkpoint-every 100000 --replay-check -j 2>&1)
	if grep -qE "$SAN" <<<"$out"; then
		grep -E -A12 "$SAN" <<<"$out" | head -24 | sed 's/^/# /'
		not_ok "synvm_run_replay_check_$n (sanitizer report)"
	elif grep -q '"status"' <<<"$out"; then
		ok "synvm_run_replay_check_$n"
	else
		sed 's/^/# /' <<<"$out" | head -5
		not_ok "synvm_run_replay_check_$n"
	fi
done
head -c 300 /dev/urandom >"$WORK/garbage.wasm"
printf '\0asm\1\0\0\0\1\377\377\377\377\17' >"$WORK/truncated.wasm"
run "synvm_garbled_module_refused" fail "$BIN/synvm" run "$WORK/garbage.wasm"
run "synvm_truncated_section_refused" fail "$BIN/synvm" validate "$WORK/truncated.wasm"
rm -rf "$WORK"

# ---- the agent and its client: a 3-node cluster ----
cl_init 3 || { not_ok "cluster init"; echo "1..$N_TEST"; exit 1; }
CL_EXTRA[3]="--enable-faults --fault corrupt-state-once:7500000"
export SYNAPSE_ENABLE_FAULTS=1
cl_start
up=$?
unset SYNAPSE_ENABLE_FAULTS
CL_EXTRA[3]=
if [ $up != 0 ]; then
	not_ok "cluster up"
	echo "1..$N_TEST"
	exit 1
fi
ok "cluster_of_3_sanitized_agents_up"
printf 'a b c\nd e\n' >"$CL_DIR/in1.txt"
cl() { local i=$1; shift; SYNAPSE_SOCKET=$CL_DIR/n$i.sock "$BIN/synctl" "$@"; }

job=$(cl 1 job submit --name san-happy -r 3 "w:$EX/wordcount.wasm:$CL_DIR/in1.txt" "h:$EX/hello.wasm")
run "job_submit_and_wait" 0 cl 1 job wait --timeout 120 "$job"
run "job_wait_json" 0 cl 2 -j job wait --timeout 60 "$job"
run "job_status_text" 0 cl 3 job status "$job"
run "job_status_json" 0 cl 1 -j job status "$job"
run "job_list" 0 cl 1 job list
run "job_cluster" 0 cl 2 job cluster
run "node_text_and_json" 0 bash -c "SYNAPSE_SOCKET=$CL_DIR/n1.sock $BIN/synctl node && SYNAPSE_SOCKET=$CL_DIR/n1.sock $BIN/synctl -j node"
run "peers_text_and_json" 0 bash -c "SYNAPSE_SOCKET=$CL_DIR/n2.sock $BIN/synctl peers && SYNAPSE_SOCKET=$CL_DIR/n2.sock $BIN/synctl -j peers"
cl 1 job result "$job" >"$CL_DIR/r.json"
run "job_result_verifies_offline" 0 "$BIN/synctl" job verify --ca "$CL_DIR/ca/ca.crt" "$CL_DIR/r.json"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
d["result"]["tasks"][0]["output_hash"] = "00" * 32
json.dump(d, open(sys.argv[2], "w"))' "$CL_DIR/r.json" "$CL_DIR/bad.json"
run "job_verify_rejects_tampered_result" fail "$BIN/synctl" job verify --ca "$CL_DIR/ca/ca.crt" "$CL_DIR/bad.json"
run "job_submit_missing_module_refused" fail cl 1 job submit --name san-bad "x:$CL_DIR/nope.wasm"
run "job_status_unknown_job_refused" fail cl 1 job status 0123456789abcdef0123456789abcdef

# A transient state fault on n3: the tie on the task it shares is broken by
# a third replica; n3 rolls back to a kept checkpoint and replays.
job=$(cl 1 job submit --name san-rollback -r 2 --fuel 12000000 \
	--checkpoint-every 1000000 "L1:$EX/loop.wasm" "L2:$EX/loop.wasm")
run "mismatch_job_committed" 0 cl 1 job wait --timeout 180 "$job"
for t in $(seq 1 300); do
	grep -q 'replay agrees' "$CL_DIR/n3.log" && break
	sleep 0.1
done
if grep -q 'replaying from checkpoint [1-9]' "$CL_DIR/n3.log" && grep -q 'replay agrees' "$CL_DIR/n3.log"; then
	ok "mismatch_rollback_from_checkpoint_and_replay"
else
	not_ok "mismatch_rollback_from_checkpoint_and_replay"
fi
run "mismatch_status_shows_report" 0 cl 3 job status "$job"

# kill -9 of n2 mid-job and a restart: re-plan, restart paths
job=$(cl 1 job submit --name san-crash -r 2 --fuel 8000000 \
	"c1:$EX/loop.wasm" "c2:$EX/loop.wasm" "c3:$EX/loop.wasm" "c4:$EX/loop.wasm")
sleep 0.5
cl_agent_kill 2 KILL
run "crash_job_committed_without_n2" 0 cl 1 job wait --timeout 180 "$job"
cl_agent_start 2
if cl_wait_members 1 3; then ok "crash_n2_back_in_epoch"; else not_ok "crash_n2_back_in_epoch"; fi

# SIGTERM: each agent frees everything and LeakSanitizer checks at exit
for i in 1 2 3; do
	cl_agent_kill "$i" TERM
done
for i in 1 2 3; do
	if grep -qE "$SAN" "$CL_DIR/n$i.log"; then
		grep -E -A16 "$SAN" "$CL_DIR/n$i.log" | head -32 | sed "s/^/# n$i: /"
		not_ok "agent_n${i}_no_sanitizer_report_through_exit"
	elif grep -q 'stopped' "$CL_DIR/n$i.log"; then
		ok "agent_n${i}_no_sanitizer_report_through_exit"
	else
		tail -n 5 "$CL_DIR/n$i.log" | sed "s/^/# n$i: /"
		not_ok "agent_n${i}_no_sanitizer_report_through_exit (no clean stop)"
	fi
done
cl_cleanup
echo "# sanitize suite: $N_TEST tests in $(( $(date +%s) - T0 )) s, network mode $CL_MODE"
echo "1..$N_TEST"
[ $FAILED = 0 ]
