#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Cross-engine determinism: every example task and every benchmark workload
# (cut off by fuel; spec-suite cases are task-determinism-spec.sh) run on the
# kernel engine
# (synctl task start --wait) and on the userspace engine (synvm run), here
# in the VM; the input, trace and output hashes, the end status, code and
# fuel used must be identical. A module one engine rejects must be rejected
# by the other too. Prints TAP.

cd "$(dirname "$0")/../.." || exit 2
. selftests/vm/lib/determinism.sh

printf 'hello, synapse\n' >"$tmp/in.txt"
printf 'the quick brown fox\njumps over\nthe lazy dog\n' >"$tmp/words.txt"
head -c 100000 /dev/zero | tr '\0' 'x' >"$tmp/big.txt"
head -c 8000 "$tmp/big.txt" >"$tmp/mid.txt"

# examples (Documentation/examples.md)
check example/hello build/examples/hello.wasm
check example/echo build/examples/echo.wasm --input "$tmp/in.txt"
check example/echo-big build/examples/echo.wasm --input "$tmp/big.txt"
check example/wordcount build/examples/wordcount.wasm --input "$tmp/words.txt"
check example/sha256 build/examples/sha256.wasm --input "$tmp/mid.txt"
check example/loop-fuel build/examples/loop.wasm --fuel 3000000
check example/trap build/examples/trap.wasm
check example/abort build/examples/abort.wasm
check example/capcheck build/examples/capcheck.wasm
# a capability id differing in every byte: both bind all 32 bytes
check example/capcheck-cap-id build/examples/capcheck.wasm \
	--cap 0123456789abcdeffedcba98765432100f1e2d3c4b5a69788796a5b4c3d2e1f0
check example/sha256-cp build/examples/sha256.wasm --input "$tmp/mid.txt" --checkpoint-every 5000 --keep 4

# benchmark workloads, cut off by fuel part-way (fuel exhaustion must land
# on the same instruction) or run to the end when small
for w in fib:18 sieve:1 sha256:2 mix64:50 matmul:4 coremark:20; do
	name=${w%%:*}
	f=build/bench/$name.wasm
	[ -f "$f" ] || continue
	check "bench/$name" "$f" --entry bench --arg "i32:${w#*:}" \
		--fuel 2000000 --checkpoint-every 100000
done

wait
echo "1..$n"
exit $failed
