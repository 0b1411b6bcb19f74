#!/usr/bin/env python3
"""Copy a GGUF file (v3, little-endian) with its F32 matrices whose names
match REGEX (rows a whole number of 32-blocks) re-encoded as Q4_1 or Q5_0
(GGML's block layouts, plain min/max or absmax rounding), the rest as they
are: a quantized file of any shape for the tests.
usage: requant.py IN.gguf OUT.gguf REGEX q4_1|q5_0"""
import re, struct, sys
import gguf_walk

src, dst, pat, kind = sys.argv[1], sys.argv[2], re.compile(sys.argv[3]), sys.argv[4]
b = open(src, "rb").read()
u32 = lambda o: struct.unpack_from("<I", b, o)[0]
u64 = lambda o: struct.unpack_from("<Q", b, o)[0]
TYPE = {"q4_1": 3, "q5_0": 6}[kind]


def skip(o, t):
    return gguf_walk.skip(b, o, t)


align = 32
o = 24
for _ in range(u64(16)):
    k = b[o + 8:o + 8 + u64(o)].decode()
    o += 8 + u64(o)
    if k == "general.alignment":
        align = u32(o + 4)
    o = skip(o + 4, u32(o))
kv_end = o
infos = []
for _ in range(u64(8)):
    nl = u64(o)
    name = b[o + 8:o + 8 + nl]
    o += 8 + nl
    nd = u32(o)
    dims = struct.unpack_from("<%dQ" % nd, b, o + 4)
    o += 4 + 8 * nd
    infos.append([name, dims, u32(o), u64(o + 4)])
    o += 12
base = (o + align - 1) // align * align
nbytes = {0: 4, 1: 2, 30: 2}


def block(x):
    if kind == "q4_1":
        lo, hi = min(x), max(x)
        d = (hi - lo) / 15
        d = struct.unpack("<e", struct.pack("<e", d))[0]
        m = struct.unpack("<e", struct.pack("<e", lo))[0]
        q = [min(15, max(0, round((v - m) / d))) if d else 0 for v in x]
        return struct.pack("<ee", d, m) + bytes(q[j] | q[j + 16] << 4 for j in range(16))
    mx = max(x, key=abs)
    d = struct.unpack("<e", struct.pack("<e", mx / -16))[0]
    q = [min(31, max(0, round(v / d) + 16)) if d else 16 for v in x]
    qh = sum((q[j] >> 4) << j | (q[j + 16] >> 4) << (j + 16) for j in range(16))
    return struct.pack("<eI", d, qh) + bytes((q[j] & 15) | (q[j + 16] & 15) << 4 for j in range(16))


datas = []
for t in infos:
    name, dims, ty, off = t
    n = 1
    for d in dims:
        n *= d
    raw = b[base + off:base + off + n * nbytes.get(ty, 0)] if ty in nbytes else None
    if ty == 0 and len(dims) >= 2 and dims[0] % 32 == 0 and pat.search(name.decode()):
        vals = struct.unpack("<%df" % n, raw)
        raw = b"".join(block(vals[i:i + 32]) for i in range(0, n, 32))
        t[2] = TYPE
    elif raw is None:
        sys.exit("requant.py: %s: type %d is not copied by this tool" % (name.decode(), ty))
    datas.append(raw)
out = bytearray(b[:kv_end])
off = 0
for t, raw in zip(infos, datas):
    name, dims, ty, _ = t
    out += struct.pack("<Q", len(name)) + name + struct.pack("<I", len(dims)) + struct.pack("<%dQ" % len(dims), *dims)
    out += struct.pack("<IQ", ty, off)
    t[3] = off
    off = (off + len(raw) + align - 1) // align * align
out += bytes((-len(out)) % align)
start = len(out)
for t, raw in zip(infos, datas):
    out += bytes(start + t[3] - len(out)) + raw
open(dst, "wb").write(bytes(out))
