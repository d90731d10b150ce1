#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# synapse.ko load/unload: an open hash stream does not pin the module and is
# freed by rmmod; 100 insmod/rmmod cycles each register and unregister the
# family; unreclaimable slab and vmalloc memory do not grow across them.
# Leaves the module loaded, as it found it. Prints TAP.

cd "$(dirname "$0")/../.." || exit 2
ko=kmod/synapse.ko
tool=build/selftests/vm/synl-tool
cycles=${SYNAPSE_CYCLES:-100}
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n $*"; failed=1; }
loaded() { grep -q '^synapse ' /proc/modules; }
meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
settle() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	sleep 0.2
}

echo "1..4"
loaded || insmod "$ko" || { echo "Bail out! insmod $ko failed"; exit 1; }

# Reading ~1 MB of debug info over 9p per cycle is most of a cycle's time
# under emulation; the code loaded is the same without it.
tmp=$(mktemp -d)
if strip --strip-debug -o "$tmp/synapse.ko" "$ko" 2>/dev/null; then
	ko=$tmp/synapse.ko
fi

# 1: a stream held open across rmmod.
mkfifo "$tmp/in"
"$tool" hold <"$tmp/in" >"$tmp/out" 2>&1 &
holder=$!
exec 4>"$tmp/in"
i=0
while [ $i -lt 300 ] && ! grep -q held "$tmp/out"; do
	sleep 0.1
	i=$((i + 1))
done
if ! grep -q held "$tmp/out"; then
	not_ok "rmmod with an open hash stream # holder: $(cat "$tmp/out")"
elif ! rmmod synapse; then
	not_ok "rmmod with an open hash stream # rmmod failed"
elif "$tool" probe; then
	not_ok "rmmod with an open hash stream # family still registered"
else
	ok "rmmod with an open hash stream"
fi
exec 4>&-
wait "$holder"
loaded || insmod "$ko"

# Warm up caches so the baseline is not the first load's allocations.
"$tool" cycles "$ko" 3 >/dev/null
settle
slab0=$(meminfo SUnreclaim)
vmal0=$(meminfo VmallocUsed)

# 2: cycles.
if out=$("$tool" cycles "$ko" "$cycles"); then
	ok "$cycles insmod/rmmod cycles"
else
	not_ok "$cycles insmod/rmmod cycles # $out"
fi

# 3: memory after the cycles, with the module loaded as at the baseline.
loaded || insmod "$ko"
settle
slab1=$(meminfo SUnreclaim)
vmal1=$(meminfo VmallocUsed)
dslab=$((slab1 - slab0))
dvmal=$((vmal1 - vmal0))
echo "# SUnreclaim ${slab0} -> ${slab1} kB (${dslab}), VmallocUsed ${vmal0} -> ${vmal1} kB (${dvmal})"
if [ "$dslab" -lt 512 ] && [ "$dvmal" -lt 256 ]; then
	ok "no memory growth over $cycles cycles"
else
	not_ok "no memory growth over $cycles cycles # slab +${dslab} kB, vmalloc +${dvmal} kB"
fi

# 4: nothing holds a reference to the module.
ref=$(cat /sys/module/synapse/refcnt 2>/dev/null)
if [ "$ref" = 0 ]; then
	ok "module refcount is 0"
else
	not_ok "module refcount is 0 # refcnt '$ref'"
fi

rm -rf "$tmp"
exit "$failed"
