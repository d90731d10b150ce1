#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `synctl cap` on the host, without synapse.ko or bpffs: tokens through the
# command line, and the errors and exit statuses of the BPF side when there
# is nothing pinned. Prints TAP.

set -u

SYNCTL=${SYNCTL:-build/bin/synctl}
N=0
FAILED=0
TMP=$(mktemp -d /tmp/cap-cli.XXXXXX) || exit 1
trap 'rm -rf "$TMP"' EXIT

ok() { N=$((N + 1)); echo "ok $N - $1"; }
not_ok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $1"; }
# status WANT NAME CMD...: CMD exits WANT.
status() {
	local want=$1 name=$2 rc

	shift 2
	"$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ "$rc" -eq "$want" ]; then
		ok "$name"
	else
		not_ok "$name (exit $rc, want $want)"
		sed 's/^/# /' "$TMP/out" "$TMP/err"
	fi
}
# has NAME PATTERN: the last command's stderr matches.
has() {
	if grep -q -- "$2" "$TMP/err"; then ok "$1"; else not_ok "$1"; sed 's/^/# /' "$TMP/err"; fi
}

echo "1..19"
status 2 "cap without an action: usage" "$SYNCTL" cap
status 0 "cap --help" "$SYNCTL" cap --help
status 2 "issue without --expires: usage" "$SYNCTL" cap issue --ca "$TMP/ca" --subject s -o "$TMP/x"
status 2 "issue with a bad --fuel: usage" "$SYNCTL" cap issue --fuel 12x

"$SYNCTL" ca init --dir "$TMP/ca" --cluster clitest >/dev/null
"$SYNCTL" ca init --dir "$TMP/ca2" --cluster clitest >/dev/null
status 0 "issue" "$SYNCTL" cap issue --ca "$TMP/ca" --subject alice --job nightly \
	--fuel 1000 --memory 2 --expires +600 -o "$TMP/t.cap"
ID=$(cut -d' ' -f1 "$TMP/out")
if [[ "$ID" =~ ^[0-9a-f]{64}$ ]]; then ok "issue prints the id"; else not_ok "issue prints the id ($ID)"; fi
status 1 "issue never overwrites a token file" "$SYNCTL" cap issue --ca "$TMP/ca" \
	--subject alice --expires +600 -o "$TMP/t.cap"

status 0 "verify" "$SYNCTL" -j cap verify --ca-cert "$TMP/ca/ca.crt" "$TMP/t.cap"
if jq -e --arg id "$ID" '.id == $id and .subject == "alice" and .job == "nightly" and
	.fuel_max == 1000 and .memory_pages_max == 2 and .cluster == "clitest"' \
	"$TMP/out" >/dev/null; then
	ok "verify -j: the id and the fields"
else
	not_ok "verify -j: the id and the fields"
fi
status 1 "verify against another CA" "$SYNCTL" cap verify --ca-cert "$TMP/ca2/ca.crt" "$TMP/t.cap"
has "... says the signature is bad" "bad signature"
"$SYNCTL" cap issue --ca "$TMP/ca" --subject bob --not-before 1 --expires 2 \
	-o "$TMP/old.cap" >/dev/null
status 1 "verify an expired token" "$SYNCTL" cap verify --ca-cert "$TMP/ca/ca.crt" "$TMP/old.cap"
has "... says expired" "expired"
head -c 100 /dev/urandom >"$TMP/junk"
status 1 "verify junk" "$SYNCTL" cap verify --ca-cert "$TMP/ca/ca.crt" "$TMP/junk"

status 1 "revoke: neither an id nor a token" "$SYNCTL" cap revoke --pin-dir "$TMP/pins" nonsense
status 1 "revoke with nothing pinned" "$SYNCTL" cap revoke --pin-dir "$TMP/pins" "$ID"
has "... says to attach first" "cap attach"
status 0 "status with nothing pinned" "$SYNCTL" -j cap status --pin-dir "$TMP/pins"
if jq -e '.link == false and .maps == false and .entries == 0' "$TMP/out" >/dev/null; then
	ok "status -j: nothing attached, no maps"
else
	not_ok "status -j: nothing attached, no maps"
fi

[ "$FAILED" -eq 0 ]
