# SPDX-License-Identifier: GPL-2.0
# Local Synapse cluster for the demo, the cluster tests and the benchmark:
# a cluster CA, one etcd (mutual TLS, client-cert-auth, data in a temp dir),
# N synapsed agents on loopback ports. Source it; set TOP first.
#   cl_init N       make the work dir, certificates and configs
#   cl_start        start etcd and the N agents, wait until epoch has N members
#   cl_agent_start I / cl_agent_kill I   (I = 1..N)
#   cl_synctl I ARGS...   synctl against agent I's control socket
#   cl_cleanup      kill everything we started, remove the work dir
# Everything listens on 127.0.0.1 only.

BIN=${BIN:-$TOP/build/bin}
CL_DIR=
CL_N=0
CL_ETCD_PID=
declare -a CL_PIDS
CL_AGENT_ARGS=${CL_AGENT_ARGS:-}
CL_LEASE_TTL=${CL_LEASE_TTL:-2}
# Agents keep their revocation set in-process unless a test names a bpffs
# directory of its own (the default pin directory is the host's).
CL_BPF_DIR=${CL_BPF_DIR:-}

cl_log() { echo "# $*" >&2; }

# A base port with nothing listening on base..base+2N+2.
cl_pick_ports() {
	local tries=0 base used
	used=$(ss -Htln 2>/dev/null | awk '{print $4}' | sed 's/.*://' | sort -u)
	while [ $tries -lt 50 ]; do
		base=$((20000 + (RANDOM % 2000) * 10))
		local ok=1 p
		for p in $(seq $base $((base + 2 * CL_N + 4))); do
			if echo "$used" | grep -qx "$p"; then ok=0; break; fi
		done
		[ $ok = 1 ] && { echo $base; return 0; }
		tries=$((tries + 1))
	done
	return 1
}

cl_init() {
	CL_N=$1
	CL_DIR=$(mktemp -d /tmp/synapse-cluster.XXXXXX)
	local base i
	base=$(cl_pick_ports) || { cl_log "no free ports"; return 1; }
	CL_ETCD_PORT=$base
	CL_ETCD_PEER=$((base + 1))
	CL_ETCD_URL=https://127.0.0.1:$CL_ETCD_PORT
	"$BIN/synctl" ca init --dir "$CL_DIR/ca" --cluster demo --days 2 >/dev/null || return 1
	# etcd's server certificate: signed by the cluster CA, IP SAN 127.0.0.1
	openssl genpkey -algorithm ed25519 -out "$CL_DIR/etcd.key" 2>/dev/null &&
	openssl req -new -key "$CL_DIR/etcd.key" -subj /CN=etcd -out "$CL_DIR/etcd.csr" &&
	printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n' >"$CL_DIR/etcd.ext" &&
	openssl x509 -req -in "$CL_DIR/etcd.csr" -CA "$CL_DIR/ca/ca.crt" -CAkey "$CL_DIR/ca/ca.key" \
		-CAcreateserial -days 2 -extfile "$CL_DIR/etcd.ext" -out "$CL_DIR/etcd.crt" 2>/dev/null ||
		return 1
	for i in $(seq 1 $CL_N); do
		"$BIN/synctl" ca issue --dir "$CL_DIR/ca" --node-id n$i --out "$CL_DIR" --days 2 >/dev/null || return 1
		{
			echo "[node]"
			echo "id = n$i"
			echo "cluster = demo"
			echo "listen = 127.0.0.1:$((base + 2 + i))"
			echo "key = $CL_DIR/n$i.key"
			echo "cert = $CL_DIR/n$i.crt"
			echo "ca = $CL_DIR/ca/ca.crt"
			echo "control = $CL_DIR/n$i.sock"
			local j
			for j in $(seq 1 $CL_N); do
				[ $j = $i ] && continue
				echo "[peer \"n$j\"]"
				echo "address = 127.0.0.1:$((base + 2 + j))"
			done
		} >"$CL_DIR/n$i.conf"
	done
}

cl_etcd_start() {
	etcd --name e1 --data-dir "$CL_DIR/etcd-data" \
		--listen-client-urls "$CL_ETCD_URL" --advertise-client-urls "$CL_ETCD_URL" \
		--listen-peer-urls http://127.0.0.1:$CL_ETCD_PEER \
		--initial-advertise-peer-urls http://127.0.0.1:$CL_ETCD_PEER \
		--initial-cluster e1=http://127.0.0.1:$CL_ETCD_PEER \
		--cert-file "$CL_DIR/etcd.crt" --key-file "$CL_DIR/etcd.key" \
		--client-cert-auth --trusted-ca-file "$CL_DIR/ca/ca.crt" \
		>"$CL_DIR/etcd.log" 2>&1 &
	CL_ETCD_PID=$!
	local t
	for t in $(seq 1 100); do
		curl -s --max-time 1 --cacert "$CL_DIR/ca/ca.crt" --cert "$CL_DIR/n1.crt" \
			--key "$CL_DIR/n1.key" "$CL_ETCD_URL/health" 2>/dev/null | grep -q true && return 0
		sleep 0.1
	done
	cl_log "etcd did not come up"; tail -5 "$CL_DIR/etcd.log" >&2
	return 1
}

cl_agent_start() {
	local i=$1
	"$BIN/synapsed" --config "$CL_DIR/n$i.conf" --foreground \
		--etcd "$CL_ETCD_URL" --lease-ttl "$CL_LEASE_TTL" \
		--bpf-pin-dir "${CL_BPF_DIR:-none}" $CL_AGENT_ARGS ${CL_EXTRA[$i]:-} \
		>"$CL_DIR/n$i.log" 2>&1 &
	CL_PIDS[$i]=$!
}

cl_agent_kill() {
	local i=$1 sig=${2:-KILL}
	[ -n "${CL_PIDS[$i]:-}" ] || return 0
	kill -$sig "${CL_PIDS[$i]}" 2>/dev/null
	wait "${CL_PIDS[$i]}" 2>/dev/null
	CL_PIDS[$i]=
}

cl_synctl() {
	local i=$1; shift
	SYNAPSE_SOCKET=$CL_DIR/n$i.sock "$BIN/synctl" "$@"
}

# Waits until agent I reports an epoch with exactly N members (bounded).
cl_wait_members() {
	local i=$1 n=$2 t
	for t in $(seq 1 400); do
		if cl_synctl "$i" job cluster 2>/dev/null |
			python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if len(d["members"])=='"$n"' else 1)' 2>/dev/null; then
			return 0
		fi
		sleep 0.05
	done
	cl_log "agent n$i never saw $n members"
	return 1
}

cl_start() {
	local i
	cl_etcd_start || return 1
	for i in $(seq 1 $CL_N); do
		cl_agent_start $i
	done
	cl_wait_members 1 $CL_N
}

cl_cleanup() {
	local i
	for i in $(seq 1 $CL_N); do
		cl_agent_kill $i TERM
	done
	if [ -n "$CL_ETCD_PID" ]; then
		kill "$CL_ETCD_PID" 2>/dev/null
		wait "$CL_ETCD_PID" 2>/dev/null
		CL_ETCD_PID=
	fi
	if [ -n "$CL_DIR" ] && [ -z "${CL_KEEP:-}" ]; then
		rm -rf "$CL_DIR"
	fi
}

# Number of keys under an etcd prefix (below /synapse/demo/), read over mTLS.
cl_etcd_count() {
	local key end
	key=$(printf '/synapse/demo/%s' "$1" | base64 -w0)
	end=$(printf '/synapse/demo/%s' "$1" | python3 -c 'import sys,base64; s=sys.stdin.read().encode(); print(base64.b64encode(s[:-1]+bytes([s[-1]+1])).decode())')
	curl -s --max-time 3 --cacert "$CL_DIR/ca/ca.crt" --cert "$CL_DIR/n1.crt" --key "$CL_DIR/n1.key" \
		"$CL_ETCD_URL/v3/kv/range" -d "{\"key\":\"$key\",\"range_end\":\"$end\",\"count_only\":true}" |
		python3 -c 'import json,sys; print(json.load(sys.stdin).get("count", 0))'
}

# The value of one etcd key (below /synapse/demo/), read over mTLS; empty if absent.
cl_etcd_get() {
	local key
	key=$(printf '/synapse/demo/%s' "$1" | base64 -w0)
	curl -s --max-time 3 --cacert "$CL_DIR/ca/ca.crt" --cert "$CL_DIR/n1.crt" --key "$CL_DIR/n1.key" \
		"$CL_ETCD_URL/v3/kv/range" -d "{\"key\":\"$key\"}" |
		python3 -c 'import json,sys,base64; k=json.load(sys.stdin).get("kvs", []); print(base64.b64decode(k[0]["value"]).decode() if k else "")'
}

# One field of "synctl -j job status JOB" as agent I sees it.
cl_status_field() {
	cl_synctl "$1" -j job status "$2" 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$3"
}
