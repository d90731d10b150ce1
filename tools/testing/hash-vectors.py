#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Independent computation of the engine vectors of Documentation/hashes.md
section 7, from the layouts written there (hashlib only, no engine code).

  tools/testing/hash-vectors.py                 the current vectors
  tools/testing/hash-vectors.py --old-u64-cap   the same with the capability
                                                id as the former u64 0
"""
import hashlib
import struct
import sys


def tag(kind):
    t = ("synapse/%s/v1" % kind).encode()
    return struct.pack("<Q", len(t)) + t


def H(kind, *parts):
    return hashlib.sha256(tag(kind) + b"".join(parts)).digest()


def u32(v):
    return struct.pack("<I", v & 0xffffffff)


def u64(v):
    return struct.pack("<Q", v)


def bts(b):
    return u64(len(b)) + b


OLD = "--old-u64-cap" in sys.argv[1:]
NO_CAP = u64(0) if OLD else bytes(32)


def input_hash(module_id, entry, inp, cap=NO_CAP):
    # default limits, determinism.md section 4; no entry arguments
    return H("task-input", module_id, bts(entry), bts(inp),
             u64(10000000000), u32(1024), u32(65536), u32(1 << 20),
             u32(10000), u32(1 << 20), u64(100000000), cap, u32(0))


def main():
    ih = input_hash(bytes(32), b"run", b"abc")
    print("input hash, zero module id, \"abc\"  ", ih.hex())
    print("t0 of it                          ", H("trace", ih).hex())
    if not OLD:
        print("same, capability 00 01 .. 1f      ",
              input_hash(bytes(32), b"run", b"abc", bytes(range(32))).hex())
    print("output hash ok \"abc\"              ",
          H("output", u32(0), u32(0), bts(b"abc")).hex())
    print("output hash aborted 42            ",
          H("output", u32(3), u32(42), bts(b"")).hex())
    mod = bytes.fromhex("0061736d01000000010401600000030201000707"
                        "010372756e00000a040102000b")
    mid = hashlib.sha256(mod).digest()
    ih = input_hash(mid, b"run", b"")
    # fuel 0, function 0, pc 3, one frame (no locals, empty stack), depth 0,
    # no globals, no tables, no memory, zero memory root
    digest = H("state", u64(0), u32(0), u32(3), u32(1), u32(0), u32(0),
               u32(0), u32(0), u32(0), u32(0), bytes(32))
    t = H("trace", H("trace", ih), u64(0), digest, u32(0))
    final = H("trace-final", t, u64(0), u32(0), u32(0), u32(0), u64(0))
    print("empty module: module id           ", mid.hex())
    print("empty module: input hash          ", ih.hex())
    print("empty module: state digest 0      ", digest.hex())
    print("empty module: trace hash          ", final.hex())
    print("empty module: output hash         ",
          H("output", u32(0), u32(0), bts(b"")).hex())


main()
