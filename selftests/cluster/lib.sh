# SPDX-License-Identifier: GPL-2.0
# Local Synapse cluster for the demo, the cluster tests and the benchmark:
# a cluster CA, one etcd (mutual TLS, client-cert-auth, data in a temp dir),
# N synapsed agents. Source it; set TOP first.
#   cl_init N       make the work dir, certificates, configs (and the network)
#   cl_start        start etcd and the N agents, wait until epoch has N members
#   cl_agent_start I / cl_agent_kill I   (I = 1..N)
#   cl_synctl I ARGS...   synctl against agent I's control socket
#   cl_on I CMD... / cl_at_hub CMD...   run a command in node I's / the hub's
#                   network (plain in loopback mode)
#   cl_cut I / cl_heal I      take node I's link down / up (netns mode)
#   cl_cut_trunk / cl_heal_trunk   split side B (CL_SIDE_B) from the rest
#   CL_ETCD_N=3     etcd as a cluster of 3 members (netns mode), the agents
#                   given all of them; cl_etcd_member_kill K / _start K
#   cl_cleanup      kill everything we started, remove namespaces and work dir
#
# Two network modes (CL_MODE, default auto = netns when possible):
#  - netns: each node n<I> in its own network namespace, its eth0 a veth
#    to a bridge br0 in a "hub" namespace that also runs etcd, addresses
#    10.77.0.0/24 private to these namespaces (hub 10.77.0.1, n<I>
#    10.77.0.<10+I>). Nodes listed in CL_SIDE_B hang off a second bridge
#    br1 joined to br0 by one veth "trunk", so cutting the trunk splits the
#    cluster in two sides that still talk among themselves. Namespace names
#    carry this shell's PID (syn<PID>h, syn<PID>n<I>), so parallel runs never
#    collide, and a later run removes those left by a run that was killed.
#    Needs root, `ip netns`, veth and bridge.
#  - loopback: everything on 127.0.0.1 ports (not root, or no netns).
# The agents' control sockets are unix sockets in the work dir either way.

BIN=${BIN:-$TOP/build/bin}
CL_DIR=
CL_N=0
CL_ETCD_PID=
declare -a CL_PIDS CL_ETCD_PIDS
CL_ETCD_URLS=
CL_AGENT_ARGS=${CL_AGENT_ARGS:-}
CL_LEASE_TTL=${CL_LEASE_TTL:-2}
# Agents keep their revocation set in-process unless a test names a bpffs
# directory of its own (the default pin directory is the host's).
CL_BPF_DIR=${CL_BPF_DIR:-}
CL_MODE=${CL_MODE:-auto}
CL_SIDE_B=${CL_SIDE_B:-}
CL_NS=
CL_NET=10.77.0

cl_log() { echo "# $*" >&2; }

# Debian's python3 (tools/install-deps) when there is one: a python3 first
# in PATH may be a version manager's shim that costs seconds per start on
# a loaded machine, and the tests start python3 hundreds of times.
if [ -x /usr/bin/python3 ]; then
	python3() { /usr/bin/python3 "$@"; }
fi

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

# ---- network namespaces ----

cl_hub() { echo "${CL_NS}h"; }
cl_node_ns() { echo "${CL_NS}n$1"; }

# Runs CMD in node I's network namespace (as is in loopback mode).
cl_on() {
	local i=$1; shift
	if [ -n "$CL_NS" ]; then
		ip netns exec "$(cl_node_ns "$i")" "$@"
	else
		"$@"
	fi
}

# Runs CMD where etcd listens (the hub namespace).
cl_at_hub() {
	if [ -n "$CL_NS" ]; then
		ip netns exec "$(cl_hub)" "$@"
	else
		"$@"
	fi
}

# Can we make namespaces, veths and bridges here? (a throw-away probe)
cl_netns_usable() {
	local p=syn$$probe ok=1
	[ "$(id -u)" = 0 ] && command -v ip >/dev/null || return 1
	ip netns add "$p" 2>/dev/null || return 1
	ip -n "$p" link add br0 type bridge 2>/dev/null &&
		ip -n "$p" link add va type veth peer name vb 2>/dev/null || ok=0
	ip netns del "$p" 2>/dev/null
	[ $ok = 1 ]
}

# Namespaces of earlier runs whose shell is gone (killed by a timeout):
# kill what still runs in them (our agents and etcd) and delete them.
cl_sweep_stale() {
	local ns pid
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^syn[0-9]+(h|n[0-9]+)$'); do
		pid=${ns#syn}
		pid=${pid%%[hn]*}
		kill -0 "$pid" 2>/dev/null && continue
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
}

# node I's link: its veth into its side's bridge
cl_node_bridge() {
	local i=$1 b
	for b in $CL_SIDE_B; do
		[ "$b" = "$i" ] && { echo br1; return; }
	done
	echo br0
}

cl_net_up() {
	local hub i ns
	CL_NS=syn$$
	hub=$(cl_hub)
	ip netns add "$hub" || return 1
	ip -n "$hub" link set lo up &&
	ip -n "$hub" link add br0 type bridge &&
	ip -n "$hub" addr add "$CL_NET.1/24" dev br0 &&
	ip -n "$hub" link set br0 up || return 1
	if [ -n "$CL_SIDE_B" ]; then
		ip -n "$hub" link add br1 type bridge &&
		ip -n "$hub" link add trunk0 type veth peer name trunk1 &&
		ip -n "$hub" link set trunk0 master br0 &&
		ip -n "$hub" link set trunk1 master br1 &&
		ip -n "$hub" link set br1 up &&
		ip -n "$hub" link set trunk0 up &&
		ip -n "$hub" link set trunk1 up || return 1
	fi
	for i in $(seq 1 "$CL_N"); do
		ns=$(cl_node_ns "$i")
		ip netns add "$ns" &&
		ip -n "$ns" link set lo up &&
		ip -n "$hub" link add "h$i" type veth peer name eth0 netns "$ns" &&
		ip -n "$hub" link set "h$i" master "$(cl_node_bridge "$i")" &&
		ip -n "$hub" link set "h$i" up &&
		ip -n "$ns" addr add "$(cl_addr "$i")/24" dev eth0 &&
		ip -n "$ns" link set eth0 up || return 1
	done
}

# Whatever still runs in our namespaces (started by us) goes with them.
cl_net_down() {
	local ns
	[ -n "$CL_NS" ] || return 0
	for ns in $(seq -f "${CL_NS}n%g" 1 "$CL_N") "$(cl_hub)"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	CL_NS=
}

# A real partition: the link is down, packets are lost (no RST, no ICMP).
cl_cut() { ip -n "$(cl_hub)" link set "h$1" down; }
cl_heal() { ip -n "$(cl_hub)" link set "h$1" up; }
cl_cut_trunk() { ip -n "$(cl_hub)" link set trunk0 down; }
cl_heal_trunk() { ip -n "$(cl_hub)" link set trunk0 up; }

# Node I's address (for its listen and its peers' configs).
cl_addr() {
	if [ -n "$CL_NS" ]; then
		echo "$CL_NET.$((10 + $1))"
	else
		echo 127.0.0.1
	fi
}

# auto -> netns or loopback (probed once per shell).
cl_resolve_mode() {
	case $CL_MODE in
	auto) cl_netns_usable && CL_MODE=netns || CL_MODE=loopback ;;
	netns) [ -n "${CL_MODE_CHECKED:-}" ] || cl_netns_usable ||
		{ cl_log "CL_MODE=netns: cannot make namespaces, veths, bridges here"; return 1; } ;;
	loopback) ;;
	*) cl_log "CL_MODE: auto, netns or loopback"; return 1 ;;
	esac
	CL_MODE_CHECKED=1
}

cl_init() {
	CL_N=$1
	CL_DIR=$(mktemp -d /tmp/synapse-cluster.XXXXXX)
	local base i san
	cl_resolve_mode || return 1
	if [ "$CL_MODE" = netns ]; then
		cl_sweep_stale
		cl_net_up || { cl_log "network namespaces: setup failed"; return 1; }
		CL_ETCD_HOST=$CL_NET.1
		CL_ETCD_PORT=2379
		CL_ETCD_PEER=2380
		base=7000
	else
		base=$(cl_pick_ports) || { cl_log "no free ports"; return 1; }
		CL_ETCD_HOST=127.0.0.1
		CL_ETCD_PORT=$base
		CL_ETCD_PEER=$((base + 1))
	fi
	CL_ETCD_URL=https://$CL_ETCD_HOST:$CL_ETCD_PORT
	"$BIN/synctl" ca init --dir "$CL_DIR/ca" --cluster demo --days 2 >/dev/null || return 1
	# etcd's server certificate: signed by the cluster CA, IP SANs where it listens
	san="IP:127.0.0.1"
	[ "$CL_ETCD_HOST" = 127.0.0.1 ] || san="$san,IP:$CL_ETCD_HOST"
	openssl genpkey -algorithm ed25519 -out "$CL_DIR/etcd.key" 2>/dev/null &&
	openssl req -new -key "$CL_DIR/etcd.key" -subj /CN=etcd -out "$CL_DIR/etcd.csr" &&
	printf 'subjectAltName=%s\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n' "$san" >"$CL_DIR/etcd.ext" &&
	openssl x509 -req -in "$CL_DIR/etcd.csr" -CA "$CL_DIR/ca/ca.crt" -CAkey "$CL_DIR/ca/ca.key" \
		-CAcreateserial -days 2 -extfile "$CL_DIR/etcd.ext" -out "$CL_DIR/etcd.crt" 2>/dev/null ||
		return 1
	for i in $(seq 1 $CL_N); do
		"$BIN/synctl" ca issue --dir "$CL_DIR/ca" --node-id n$i --out "$CL_DIR" --days 2 >/dev/null || return 1
		{
			echo "[node]"
			echo "id = n$i"
			echo "cluster = demo"
			echo "listen = $(cl_addr $i):$(cl_port $base $i)"
			echo "key = $CL_DIR/n$i.key"
			echo "cert = $CL_DIR/n$i.crt"
			echo "ca = $CL_DIR/ca/ca.crt"
			echo "control = $CL_DIR/n$i.sock"
			echo "state_dir = $CL_DIR/n$i.state"
			local j
			for j in $(seq 1 $CL_N); do
				[ $j = $i ] && continue
				echo "[peer \"n$j\"]"
				echo "address = $(cl_addr $j):$(cl_port $base $j)"
			done
		} >"$CL_DIR/n$i.conf"
	done
}

# Agent I's mesh port: the same in every namespace, one each on loopback.
cl_port() {
	if [ -n "$CL_NS" ]; then
		echo "$1"
	else
		echo $(($1 + 2 + $2))
	fi
}

# curl to etcd over mTLS with node 1's certificate, from the hub.
cl_etcd_curl() {
	cl_at_hub curl -s --max-time 3 --cacert "$CL_DIR/ca/ca.crt" --cert "$CL_DIR/n1.crt" \
		--key "$CL_DIR/n1.key" "$@"
}

cl_etcd_start() {
	if [ "${CL_ETCD_N:-1}" -gt 1 ]; then
		cl_etcd_members_start
		return
	fi
	cl_prefix h
	"${CL_PRE[@]}" etcd --name e1 --data-dir "$CL_DIR/etcd-data" \
		--listen-client-urls "$CL_ETCD_URL" --advertise-client-urls "$CL_ETCD_URL" \
		--listen-peer-urls http://127.0.0.1:$CL_ETCD_PEER \
		--initial-advertise-peer-urls http://127.0.0.1:$CL_ETCD_PEER \
		--initial-cluster e1=http://127.0.0.1:$CL_ETCD_PEER \
		--cert-file "$CL_DIR/etcd.crt" --key-file "$CL_DIR/etcd.key" \
		--client-cert-auth --trusted-ca-file "$CL_DIR/ca/ca.crt" \
		>"$CL_DIR/etcd.log" 2>&1 &
	CL_ETCD_PID=$!
	cl_etcd_wait_healthy "$CL_ETCD_URL"
}

cl_etcd_wait_healthy() {
	local t
	for t in $(seq 1 100); do
		cl_etcd_curl --max-time 1 "$1/health" 2>/dev/null | grep -q true && return 0
		sleep 0.1
	done
	cl_log "etcd $1 did not come up"; tail -5 "$CL_DIR"/etcd*.log >&2
	return 1
}

# An etcd cluster of CL_ETCD_N members (netns mode: all in the hub, member
# K's client port CL_ETCD_PORT + 100 (K - 1), its peer port likewise from
# CL_ETCD_PEER). The agents get every member (CL_ETCD_URLS, comma-separated;
# CL_ETCD_URL stays member 1 for the test's own requests);
# cl_etcd_member_kill K / cl_etcd_member_start K stop and restart one.
cl_etcd_member_url() { echo "https://$CL_ETCD_HOST:$((CL_ETCD_PORT + 100 * ($1 - 1)))"; }
cl_etcd_member_peer() { echo "http://127.0.0.1:$((CL_ETCD_PEER + 100 * ($1 - 1)))"; }

cl_etcd_member_start() {
	local k=$1 m init=""
	for m in $(seq 1 "$CL_ETCD_N"); do
		init="$init${init:+,}e$m=$(cl_etcd_member_peer "$m")"
	done
	cl_prefix h
	"${CL_PRE[@]}" etcd --name "e$k" --data-dir "$CL_DIR/etcd-data-$k" \
		--listen-client-urls "$(cl_etcd_member_url "$k")" \
		--advertise-client-urls "$(cl_etcd_member_url "$k")" \
		--listen-peer-urls "$(cl_etcd_member_peer "$k")" \
		--initial-advertise-peer-urls "$(cl_etcd_member_peer "$k")" \
		--initial-cluster "$init" --initial-cluster-token "synapse-$$" \
		--cert-file "$CL_DIR/etcd.crt" --key-file "$CL_DIR/etcd.key" \
		--client-cert-auth --trusted-ca-file "$CL_DIR/ca/ca.crt" \
		>>"$CL_DIR/etcd$k.log" 2>&1 &
	CL_ETCD_PIDS[$k]=$!
}

cl_etcd_member_kill() {
	[ -n "${CL_ETCD_PIDS[$1]:-}" ] || return 0
	kill -9 "${CL_ETCD_PIDS[$1]}" 2>/dev/null
	wait "${CL_ETCD_PIDS[$1]}" 2>/dev/null
	CL_ETCD_PIDS[$1]=
}

cl_etcd_members_start() {
	local k
	[ -n "$CL_NS" ] || { cl_log "an etcd cluster needs netns mode"; return 1; }
	CL_ETCD_URLS=
	for k in $(seq 1 "$CL_ETCD_N"); do
		CL_ETCD_URLS="$CL_ETCD_URLS${CL_ETCD_URLS:+,}$(cl_etcd_member_url "$k")"
		cl_etcd_member_start "$k"
	done
	for k in $(seq 1 "$CL_ETCD_N"); do
		cl_etcd_wait_healthy "$(cl_etcd_member_url "$k")" || return 1
	done
}

# The command prefix that runs something in node I's namespace (the hub's
# for "h"). Background jobs use it rather than cl_on: a function run with &
# is a subshell, and $! would be its pid, not the agent's. ip netns exec
# execs the command itself, so $! is the agent's (or etcd's) pid.
cl_prefix() {
	CL_PRE=()
	[ -n "$CL_NS" ] || return 0
	if [ "$1" = h ]; then
		CL_PRE=(ip netns exec "$(cl_hub)")
	else
		CL_PRE=(ip netns exec "$(cl_node_ns "$1")")
	fi
}

cl_agent_start() {
	local i=$1
	cl_prefix "$i"
	"${CL_PRE[@]}" "$BIN/synapsed" --config "$CL_DIR/n$i.conf" --foreground \
		--etcd "${CL_ETCD_URLS:-$CL_ETCD_URL}" --lease-ttl "$CL_LEASE_TTL" \
		--bpf-pin-dir "${CL_BPF_DIR:-none}" $CL_AGENT_ARGS ${CL_EXTRA[$i]:-} \
		>>"$CL_DIR/n$i.log" 2>&1 &
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
	for i in "${!CL_ETCD_PIDS[@]}"; do
		cl_etcd_member_kill "$i"
	done
	CL_ETCD_URLS=
	cl_net_down
	if [ -n "$CL_DIR" ] && [ -z "${CL_KEEP:-}" ]; then
		rm -rf "$CL_DIR"
	fi
}

# Number of keys under an etcd prefix (below /synapse/demo/), read over mTLS.
cl_etcd_count() {
	local key end
	key=$(printf '/synapse/demo/%s' "$1" | base64 -w0)
	end=$(printf '/synapse/demo/%s' "$1" | python3 -c 'import sys,base64; s=sys.stdin.read().encode(); print(base64.b64encode(s[:-1]+bytes([s[-1]+1])).decode())')
	cl_etcd_curl "$CL_ETCD_URL/v3/kv/range" -d "{\"key\":\"$key\",\"range_end\":\"$end\",\"count_only\":true}" |
		python3 -c 'import json,sys; print(json.load(sys.stdin).get("count", 0))'
}

# The value of one etcd key (below /synapse/demo/), read over mTLS; empty if absent.
cl_etcd_get() {
	local key
	key=$(printf '/synapse/demo/%s' "$1" | base64 -w0)
	cl_etcd_curl "$CL_ETCD_URL/v3/kv/range" -d "{\"key\":\"$key\"}" |
		python3 -c 'import json,sys,base64; k=json.load(sys.stdin).get("kvs", []); print(base64.b64decode(k[0]["value"]).decode() if k else "")'
}

# One field of "synctl -j job status JOB" as agent I sees it.
cl_status_field() {
	cl_synctl "$1" -j job status "$2" 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$3"
}
