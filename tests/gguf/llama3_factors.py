#!/usr/bin/env python3
"""Copy a GGUF file, rewriting its rope_freqs tensor (per-dimension RoPE
frequency factors, llama3 scaling) from a Hugging Face config's own llama3
parameters. llama.cpp's converter computes these factors with
original_max_position_embeddings read from the top level of config.json
(default 8192), so for a config that sets it only inside rope_parameters /
rope_scaling the file's factors are those of another model; the rewritten copy
holds the factors transformers uses, and so must match transformers.

usage: llama3_factors.py IN.gguf CONFIG.json OUT.gguf"""
import json, math, struct, sys
import gguf_walk

src, config, dst = sys.argv[1:4]
cfg = json.load(open(config))
rp = dict(cfg.get("rope_scaling") or {})
rp.update(cfg.get("rope_parameters") or {})
assert rp.get("rope_type", rp.get("type")) == "llama3", "not a llama3 RoPE config"
theta = rp.get("rope_theta", cfg.get("rope_theta", 10000.0))
dim = cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]
factor, lo, hi = rp["factor"], rp.get("low_freq_factor", 1.0), rp.get("high_freq_factor", 4.0)
old = rp.get("original_max_position_embeddings", cfg.get("original_max_position_embeddings", 8192))

b = bytearray(open(src, "rb").read())
u64 = lambda o: struct.unpack_from("<Q", b, o)[0]
u32 = lambda o: struct.unpack_from("<I", b, o)[0]


def skip(o, t):
    return gguf_walk.skip(b, o, t)


assert b[:4] == b"GGUF"
nt, nkv = u64(8), u64(16)
o, align = 24, 32
for _ in range(nkv):
    kl = u64(o)
    key = b[o + 8:o + 8 + kl].decode()
    o += 8 + kl
    t = u32(o)
    if key == "general.alignment":
        align = u32(o + 4)
    o = skip(o + 4, t)
tensors = {}
for _ in range(nt):
    n = u64(o)
    name = b[o + 8:o + 8 + n].decode()
    o += 8 + n
    nd = u32(o)
    dims = struct.unpack_from("<%dQ" % nd, b, o + 4)
    o += 4 + 8 * nd
    ty, off = u32(o), u64(o + 4)
    o += 12
    tensors[name] = (dims, ty, off)
data = (o + align - 1) // align * align
dims, ty, off = tensors["rope_freqs.weight"]
assert ty == 0 and dims == (dim // 2,), "rope_freqs must be f32 [head_dim / 2]"
for i in range(dim // 2):
    wl = 2 * math.pi * theta ** (2 * i / dim)
    if wl < old / hi:
        r = 1.0
    elif wl > old / lo:
        r = factor
    else:
        s = (old / wl - lo) / (hi - lo)
        r = 1 / ((1 - s) / factor + s)
    struct.pack_into("<f", b, data + off + 4 * i, r)
open(dst, "wb").write(b)
