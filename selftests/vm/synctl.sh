#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# synctl against the real synapse.ko, inside the test VM (module loaded,
# run as root with cwd = the repository root). Prints TAP.
#
#  - `synctl hash` equals sha256sum byte for byte: 0 B, 1 B, one chunk,
#    one chunk + 1 B, 3 MiB, several files at once, stdin (file and pipe)
#  - `-j` output is valid JSON with the same digests
#  - `synctl info` names the hash driver; `-j info` parses
#  - streaming without CAP_NET_ADMIN fails with a clear message
#  - with the module unloaded: the documented message and exit status 1

set -u

SYNCTL=${SYNCTL:-build/bin/synctl}
KO=${KO:-kmod/synapse.ko}
PY=$(command -v /usr/bin/python3 || command -v python3)
N=0
FAILED=0
TMP=$(mktemp -d /tmp/synctl-test.XXXXXX) || exit 1
trap 'rm -rf "$TMP"' EXIT
chmod 755 "$TMP"	# the unprivileged tests read files here

ok() {
	N=$((N + 1))
	echo "ok $N - $1"
}

not_ok() {
	N=$((N + 1))
	FAILED=$((FAILED + 1))
	echo "not ok $N - $1"
}

# check NAME CMD...: a TAP line from CMD's exit status.
check() {
	local name=$1

	shift
	if "$@"; then
		ok "$name"
	else
		not_ok "$name"
	fi
}

diag() {
	sed 's/^/# /' "$@"
}

same_as_sha256sum() {
	"$SYNCTL" hash "$@" >"$TMP/got" 2>"$TMP/err" || { diag "$TMP/err"; return 1; }
	sha256sum "$@" >"$TMP/want"
	cmp -s "$TMP/got" "$TMP/want" || { diag "$TMP/got" "$TMP/want"; return 1; }
}

stdin_same_as_sha256sum() {
	"$SYNCTL" hash "$@" <"$TMP/big" >"$TMP/got" 2>"$TMP/err" ||
		{ diag "$TMP/err"; return 1; }
	sha256sum <"$TMP/big" >"$TMP/want"
	cmp -s "$TMP/got" "$TMP/want" || { diag "$TMP/got" "$TMP/want"; return 1; }
}

pipe_same_as_sha256sum() {
	cat "$TMP/big" | "$SYNCTL" hash >"$TMP/got" 2>"$TMP/err" ||
		{ diag "$TMP/err"; return 1; }
	sha256sum <"$TMP/big" >"$TMP/want"
	cmp -s "$TMP/got" "$TMP/want"
}

info_shows_driver() {
	"$SYNCTL" info >"$TMP/info" 2>"$TMP/err" || { diag "$TMP/err"; return 1; }
	diag "$TMP/info"
	grep -Eq '^hash driver: +[a-z0-9-]+$' "$TMP/info"
}

info_json_parses() {
	"$SYNCTL" -j info >"$TMP/info.json" 2>"$TMP/err" || { diag "$TMP/err"; return 1; }
	"$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["abi_version"] == 1, d
assert d["hash_driver"], d
assert d["hash_chunk_max"] == 61440, d
assert isinstance(d["limits"], dict) and d["limits"], d
' "$TMP/info.json"
}

hash_json_matches() {
	"$SYNCTL" hash -j "$TMP/empty" "$TMP/big" >"$TMP/hash.json" 2>"$TMP/err" ||
		{ diag "$TMP/err"; return 1; }
	sha256sum "$TMP/empty" "$TMP/big" >"$TMP/want"
	"$PY" -c '
import json, sys
got = json.load(open(sys.argv[1]))
want = [l.split() for l in open(sys.argv[2])]
assert len(got) == len(want), (got, want)
for g, (digest, name) in zip(got, want):
    assert g["file"] == name and g["sha256"] == digest, (g, digest, name)
assert got[1]["bytes"] == 3 << 20, got
' "$TMP/hash.json" "$TMP/want"
}

missing_file_reported() {
	local rc=0

	"$SYNCTL" hash "$TMP/one" "$TMP/nosuch" >"$TMP/got" 2>"$TMP/err" || rc=$?
	[ "$rc" -eq 1 ] || return 1
	grep -q "nosuch: No such file or directory" "$TMP/err" || return 1
	sha256sum "$TMP/one" | cmp -s - "$TMP/got"
}

# Single requests are unprivileged; a stream needs CAP_NET_ADMIN.
unprivileged() {
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		--bounding-set=-all "$SYNCTL" "$@"
}

unprivileged_small_hash() {
	unprivileged hash "$TMP/chunk" >"$TMP/got" 2>"$TMP/err" || { diag "$TMP/err"; return 1; }
	sha256sum "$TMP/chunk" | cmp -s - "$TMP/got"
}

unprivileged_stream_refused() {
	local rc=0

	unprivileged hash "$TMP/big" >"$TMP/got" 2>"$TMP/err" || rc=$?
	diag "$TMP/err"
	[ "$rc" -eq 1 ] && grep -q "Operation not permitted" "$TMP/err" &&
		grep -q "CAP_NET_ADMIN" "$TMP/err" && [ ! -s "$TMP/got" ]
}

not_loaded_message() {
	local rc=0 want="synctl: synapse.ko is not loaded: generic netlink family 'synapse' not found"

	"$SYNCTL" "$@" </dev/null >"$TMP/got" 2>"$TMP/err" || rc=$?
	diag "$TMP/err"
	[ "$rc" -eq 1 ] && [ "$(cat "$TMP/err")" = "$want" ] && [ ! -s "$TMP/got" ]
}

echo "1..18"

if [ ! -x "$SYNCTL" ]; then
	echo "Bail out! $SYNCTL not built"
	exit 1
fi

: >"$TMP/empty"
printf 'x' >"$TMP/one"
head -c 61440 /dev/urandom >"$TMP/chunk"
head -c 61441 /dev/urandom >"$TMP/chunk1"
head -c $((3 << 20)) /dev/urandom >"$TMP/big"
cp "$TMP/one" "$TMP/with space"

check "info shows the hash driver" info_shows_driver
check "info -j is valid JSON" info_json_parses
check "hash of 0 bytes equals sha256sum" same_as_sha256sum "$TMP/empty"
check "hash of 1 byte equals sha256sum" same_as_sha256sum "$TMP/one"
check "hash of exactly one chunk equals sha256sum" same_as_sha256sum "$TMP/chunk"
check "hash of one chunk + 1 byte equals sha256sum" same_as_sha256sum "$TMP/chunk1"
check "hash of 3 MiB equals sha256sum" same_as_sha256sum "$TMP/big"
check "hash of several files equals sha256sum" same_as_sha256sum \
	"$TMP/big" "$TMP/empty" "$TMP/with space" "$TMP/chunk"
check "hash of stdin (no operand) equals sha256sum" stdin_same_as_sha256sum
check "hash - of stdin equals sha256sum" stdin_same_as_sha256sum -
check "hash of a 3 MiB pipe equals sha256sum" pipe_same_as_sha256sum
check "hash -j is valid JSON with the same digests" hash_json_matches
check "missing file: reported, others hashed, exit 1" missing_file_reported
check "unprivileged one-chunk hash works" unprivileged_small_hash
check "unprivileged streaming refused, naming CAP_NET_ADMIN" unprivileged_stream_refused

if rmmod synapse 2>"$TMP/err"; then
	check "module unloaded: info says so, exit 1" not_loaded_message info
	check "module unloaded: hash says so, exit 1" not_loaded_message hash "$TMP/one"
	check "module loaded again: info works" \
		eval 'insmod "$KO" && "$SYNCTL" info >/dev/null'
else
	diag "$TMP/err"
	not_ok "module unloaded: info says so, exit 1 (rmmod failed)"
	not_ok "module unloaded: hash says so, exit 1 (rmmod failed)"
	not_ok "module loaded again: info works (rmmod failed)"
fi

[ "$FAILED" -eq 0 ]
