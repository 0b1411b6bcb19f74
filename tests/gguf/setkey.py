#!/usr/bin/env python3
"""Copy a GGUF file with one integer metadata value replaced (for bad-input
tests). usage: setkey.py IN.gguf OUT.gguf KEY VALUE"""
import struct, sys
import gguf_walk

src, dst, key, val = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
b = bytearray(open(src, "rb").read())
u64 = lambda o: struct.unpack_from("<Q", b, o)[0]
u32 = lambda o: struct.unpack_from("<I", b, o)[0]
FMT = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 10: "Q", 11: "q"}


def skip(o, t):
    return gguf_walk.skip(b, o, t)


o, found = 24, False
for _ in range(u64(16)):
    kl = u64(o)
    k = b[o + 8:o + 8 + kl].decode()
    o += 8 + kl
    t = u32(o)
    if k == key:
        assert t in FMT, "not an integer key"
        struct.pack_into("<" + FMT[t], b, o + 4, val)
        found = True
    o = skip(o + 4, t)
assert found, "no key " + key
open(dst, "wb").write(b)
