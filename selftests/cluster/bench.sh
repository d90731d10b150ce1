#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench-cluster: for 3, 5 and 7 local agents (embedded engine; in network
# namespaces when root, else on loopback: selftests/cluster/lib.sh)
#  - one etcd write's latency over mTLS from node 1, on a kept-alive
#    connection (median of 20 puts in one curl process, the first - with
#    the handshake - dropped),
#  - job latency: submit -> committed result for a trivial job (one hello
#    task, r=3), median of BENCH_RUNS, and as a multiple of that etcd write,
#  - throughput: BENCH_BATCH trivial jobs submitted back to back, jobs/s
#    until the last is committed.
# Ratios, measured side by side in the same run (shared, noisy machine).
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/selftests/cluster/lib.sh"
EX=$TOP/build/examples
RUNS=${BENCH_RUNS:-7}
BATCH=${BENCH_BATCH:-30}
trap cl_cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

etcd_write_ms() {
	local args=() i
	for i in $(seq 1 20); do
		[ $i -gt 1 ] && args+=(--next)
		args+=(-s -o /dev/null -w '%{time_total}\n' --cacert "$CL_DIR/ca/ca.crt"
		       --cert "$CL_DIR/n1.crt" --key "$CL_DIR/n1.key"
		       "$CL_ETCD_URL/v3/kv/put" -d '{"key":"YmVuY2g=","value":"eA=="}')
	done
	cl_on 1 curl "${args[@]}" | tail -n +2 | awk '{print $1 * 1000}' | median
}

printf '%-6s %12s %14s %10s %14s\n' nodes etcd_put_ms job_latency_ms ratio jobs_per_s
for n in ${BENCH_NODES:-3 5 7}; do
	cl_init "$n" && cl_start || { echo "# $n nodes: cluster did not come up"; cl_cleanup; continue; }
	w=$(etcd_write_ms)
	lat=()
	for i in $(seq 1 "$RUNS"); do
		t0=$(now_ms)
		job=$(cl_synctl 1 job submit --name "lat-$i" -r 3 "h:$EX/hello.wasm") &&
			cl_synctl 1 job wait --timeout 60 "$job" >/dev/null || continue
		lat+=($(( $(now_ms) - t0 )))
	done
	l=$(printf '%s\n' "${lat[@]}" | median)
	t0=$(now_ms)
	jobs=()
	for i in $(seq 1 "$BATCH"); do
		jobs+=("$(cl_synctl 1 job submit --name "tp-$i" -r 3 "h:$EX/hello.wasm")")
	done
	okc=0
	for job in "${jobs[@]}"; do
		cl_synctl 1 job wait --timeout 120 "$job" >/dev/null && okc=$((okc + 1))
	done
	el=$(( $(now_ms) - t0 ))
	printf '%-6s %12.2f %14s %10.0f %14.1f\n' "$n" "$w" "$l" "$(echo "$l / $w" | bc -l)" \
		"$(echo "$okc * 1000 / $el" | bc -l)"
	cl_cleanup
done
