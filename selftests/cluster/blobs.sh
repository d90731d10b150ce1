# SPDX-License-Identifier: GPL-2.0
# Cluster tests of the blobs (Documentation/cluster.md "Blobs"): module and
# input bytes in each agent's store, fetched over the mesh, verified by
# hash; etcd holds only their hashes and sizes. Sourced by cluster.sh
# (its ok/not_ok/check/verify helpers).

# A file of N MiB of words (deterministic).
big_input() {
	python3 - "$1" "$2" <<'PY'
import sys
n = int(sys.argv[2]) << 20
words = [b"alpha", b"beta", b"gamma", b"delta", b"epsilon"]
out, i = bytearray(), 0
while len(out) < n:
    out += words[i % 5] + (b"\n" if i % 7 == 6 else b" ")
    i += 1
open(sys.argv[1], "wb").write(out[:n])
PY
}

# The milliseconds the log line of a fetched blob reports, or "".
fetch_ms() {
	sed -n "s/.*blob $2: \([0-9]*\) bytes fetched from \([a-z0-9]*\) and verified in \([0-9]*\) ms.*/\3 ms (\1 bytes from \2)/p" \
		"$CL_DIR/n$1.log" | head -1
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# A 4 MiB input (64x the control socket's old request limit) on 3 nodes.
blobs_large() {
	local job in h spec i
	cl_init 3 && cl_start || { not_ok "blobs_large: cluster up"; cl_cleanup; return; }
	in=$CL_DIR/big.txt
	big_input "$in" 4
	h=$(sha256_of "$in")
	job=$(cl_synctl 1 job submit --name blobs-large -r 3 --fuel 2000000000 \
		"big:$EX/wordcount.wasm:$in")
	check "blobs_large_4MiB_input_job_committed" cl_synctl 2 job wait --timeout 90 "$job"
	check "blobs_large_same_four_hashes_on_3_nodes" same_hashes_everywhere "$job" 3
	check "blobs_large_result_verifies_offline" verify 2 "$job"
	spec=$(cl_etcd_get "jobs/$job/spec")
	echo "# spec key: ${#spec} bytes for a ${h:0:12}... input of $(stat -c %s "$in") bytes"
	check "blobs_large_etcd_spec_holds_hashes_not_bytes" \
		bash -c "[ ${#spec} -lt 2048 ] && grep -q '\"input_blob\":\"$h\"' <<<'$spec'"
	check "blobs_large_no_blob_bytes_anywhere_in_etcd" test "$(cl_etcd_count blobs/)" = 0
	# every node holds the verified bytes under their hash
	check "blobs_large_every_store_holds_the_input" bash -c \
		"for i in 1 2 3; do [ \"\$(sha256sum '$CL_DIR'/n\$i.state/blobs/$h | cut -d' ' -f1)\" = $h ] || exit 1; done"
	for i in 2 3; do
		[ -n "$(fetch_ms $i "$h")" ] && echo "# n$i fetched the 4 MiB input in $(fetch_ms $i "$h")"
	done
	cl_cleanup
}

# n2 serves corrupted chunks: whoever fetches from it must reject the blob,
# say so with n2's id, and fetch it from another holder.
blobs_corrupt() {
	local job in h
	faulty_cluster 3 2 corrupt-blob || { not_ok "blobs_corrupt: cluster up"; cl_cleanup; return; }
	in=$CL_DIR/big.txt
	big_input "$in" 2
	h=$(sha256_of "$in")
	# n1 submits; n2 (next in ring order) gets the bytes at submit and is
	# the first holder n3 asks (above 1 MiB a job's blobs go to a majority
	# only, the others fetch on demand)
	job=$(cl_synctl 1 job submit --name blobs-corrupt -r 3 --fuel 2000000000 \
		"c:$EX/wordcount.wasm:$in")
	check "blobs_corrupt_job_committed" cl_synctl 1 job wait --timeout 90 "$job"
	check "blobs_corrupt_same_four_hashes_on_3_nodes" same_hashes_everywhere "$job" 3
	check "blobs_corrupt_result_verifies_offline" verify 1 "$job"
	check "blobs_corrupt_bad_blob_rejected_with_peer_id" \
		grep -q "blob $h from n2: SHA-256 .* discarded" "$CL_DIR/n3.log"
	check "blobs_corrupt_fetched_from_another_holder" \
		grep -q "blob $h: [0-9]* bytes fetched from n1 and verified" "$CL_DIR/n3.log"
	check "blobs_corrupt_faulty_serve_logged" \
		grep -q "fault corrupt-blob: serving corrupted chunks of blob $h to n3" "$CL_DIR/n2.log"
	check "blobs_corrupt_store_holds_only_verified_bytes" \
		test "$(sha256_of "$CL_DIR/n3.state/blobs/$h")" = "$h"
	cl_cleanup
}

# Durability: submit returns once the bytes are on a majority, so kill -9
# of the submitter right after it loses nothing.
blobs_submitter_killed() {
	local job in h
	cl_init 3 && cl_start || { not_ok "blobs_submitter_killed: cluster up"; cl_cleanup; return; }
	in=$CL_DIR/big.txt
	big_input "$in" 2
	h=$(sha256_of "$in")
	job=$(cl_synctl 1 job submit --name blobs-kill -r 2 --fuel 2000000000 \
		"k:$EX/wordcount.wasm:$in" "h:$EX/hello.wasm")
	cl_agent_kill 1 KILL
	check "blobs_submitter_killed_bytes_on_a_majority_at_submit" \
		bash -c "[ -n '$job' ] && [ -e '$CL_DIR/n2.state/blobs/$h' ]"
	check "blobs_submitter_killed_job_still_commits" cl_synctl 2 job wait --timeout 90 "$job"
	check "blobs_submitter_killed_result_verifies_offline" verify 2 "$job"
	check "blobs_submitter_killed_each_task_committed_once" \
		test "$(cl_etcd_count "jobs/$job/commit/")" = 2
	cl_cleanup
}

# The cap (64 MiB per blob): synctl refuses before sending, and so does the
# agent when a client announces more.
blobs_cap() {
	local out rep
	cl_init 1 && cl_start || { not_ok "blobs_cap: cluster up"; cl_cleanup; return; }
	truncate -s $(( (64 << 20) + 1 )) "$CL_DIR/huge.bin"
	out=$(cl_synctl 1 job submit --name too-big "x:$EX/hello.wasm:$CL_DIR/huge.bin" 2>&1)
	echo "# $out"
	check "blobs_cap_synctl_refuses_input_over_64MiB" \
		bash -c "! grep -q '^[0-9a-f]\{32\}$' <<<'$out' && grep -q 'exceeds the cap of 67108864 bytes (64 MiB)' <<<'$out'"
	rep=$(python3 - "$CL_DIR/n1.sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b'{"cmd":"blob_put","hash":"' + b"ab" * 32 + b'","size":67108865}\n')
print(s.makefile().readline().strip())
PY
)
	echo "# agent: $rep"
	check "blobs_cap_agent_refuses_announced_size_over_cap" \
		bash -c "grep -q '\"ok\": *false' <<<'$rep' && grep -q 'exceeds the cap' <<<'$rep'"
	# bytes that are not what the hash says are not stored
	rep=$(python3 - "$CL_DIR/n1.sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b'{"cmd":"blob_put","hash":"' + b"ab" * 32 + b'","size":5}\n')
f = s.makefile("rb")
f.readline()
s.sendall(b"hello")
print(f.readline().decode().strip())
PY
)
	echo "# agent: $rep"
	check "blobs_cap_agent_refuses_bytes_not_matching_hash" \
		bash -c "grep -q 'do not hash' <<<\"\$1\" && [ ! -e '$CL_DIR/n1.state/blobs/$(printf 'ab%.0s' $(seq 32))' ]" _ "$rep"
	cl_cleanup
}
