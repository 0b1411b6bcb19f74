"""tests/gguf/gguf_walk.py: walking a GGUF file's metadata, for the test
scripts that rewrite GGUF files (setkey.py, requant.py, llama3_factors.py,
tests/errors/make_cases.py). SZ: the byte size of each scalar value type."""
import struct

SZ = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}


def skip(b, o, t):
    """The offset past a metadata value of type t at offset o of b."""
    if t == 8:
        return o + 8 + struct.unpack_from("<Q", b, o)[0]
    if t == 9:
        et, n = struct.unpack_from("<IQ", b, o)
        o += 12
        for _ in range(n):
            o = skip(b, o, et)
        return o
    return o + SZ[t]
