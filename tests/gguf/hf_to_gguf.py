#!/usr/bin/env python3
"""Write a float32 GGUF file from a Hugging Face fixture directory, the way
llama.cpp's converter lays it out (metadata keys, tensor names, q/k rows
interleaved per head for the llama architecture, experts stacked 3-D), so
tests can hold venus's GGUF path to transformers on architectures beyond the
llama.cpp-written demo files. No tokenizer is written.
usage: hf_to_gguf.py MODEL_DIR OUT.gguf"""
import json, os, struct, sys

src, out = sys.argv[1], sys.argv[2]
cfg = json.load(open(os.path.join(src, "config.json")))


def load_safetensors(d):
    files = [f for f in os.listdir(d) if f.endswith(".safetensors")]
    t = {}
    for f in files:
        b = open(os.path.join(d, f), "rb").read()
        n = struct.unpack("<Q", b[:8])[0]
        h = json.loads(b[8:8 + n])
        for k, v in h.items():
            if k == "__metadata__":
                continue
            assert v["dtype"] == "F32", "float32 fixtures only"
            s, e = v["data_offsets"]
            t[k] = (v["shape"], b[8 + n + s: 8 + n + e])
    return t


W = load_safetensors(src)
mt = cfg["model_type"]
arch = {"llama": "llama", "mistral": "llama", "mixtral": "llama", "qwen2": "qwen2", "qwen3": "qwen3",
        "qwen2_moe": "qwen2moe", "qwen3_moe": "qwen3moe"}[mt]
heads, hidden = cfg["num_attention_heads"], cfg["hidden_size"]
kv = cfg.get("num_key_value_heads", heads)
hd = cfg.get("head_dim") or hidden // heads
rp = cfg.get("rope_parameters") or {}
kvs = {
    "general.architecture": arch,
    arch + ".block_count": cfg["num_hidden_layers"],
    arch + ".context_length": cfg.get("max_position_embeddings", 2048),
    arch + ".embedding_length": hidden,
    arch + ".feed_forward_length": cfg.get("intermediate_size", 0),
    arch + ".attention.head_count": heads,
    arch + ".attention.head_count_kv": kv,
    arch + ".attention.key_length": hd,
    arch + ".attention.value_length": hd,
    arch + ".attention.layer_norm_rms_epsilon": float(cfg.get("rms_norm_eps", 1e-6)),
    arch + ".rope.freq_base": float(rp.get("rope_theta", cfg.get("rope_theta", 10000.0))),
}
E = cfg.get("num_local_experts") or cfg.get("num_experts") or 0
if E:
    kvs[arch + ".expert_count"] = E
    kvs[arch + ".expert_used_count"] = cfg["num_experts_per_tok"]
    if cfg.get("moe_intermediate_size"):
        kvs[arch + ".expert_feed_forward_length"] = cfg["moe_intermediate_size"]
if cfg.get("sliding_window"):
    kvs[arch + ".attention.sliding_window"] = cfg["sliding_window"]


def pair_rows(data, shape, n_head):
    """HF rows (h, half, i) -> GGUF rows (h, i, half): the converter's per-head interleave."""
    rows, cols = shape[0], (shape[1] if len(shape) > 1 else 1)
    d = rows // n_head
    floats = struct.unpack("<%df" % (rows * cols), data)
    out = []
    for h in range(n_head):
        for i in range(d // 2):
            for half in range(2):
                r = h * d + half * (d // 2) + i
                out.extend(floats[r * cols:(r + 1) * cols])
    return struct.pack("<%df" % len(out), *out)


names = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
         "lm_head.weight": "output.weight"}
blk = {"input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm", "self_attn.q_proj": "attn_q",
       "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output",
       "self_attn.q_norm": "attn_q_norm", "self_attn.k_norm": "attn_k_norm", "mlp.gate_proj": "ffn_gate",
       "mlp.up_proj": "ffn_up", "mlp.down_proj": "ffn_down", "mlp.gate": "ffn_gate_inp",
       "block_sparse_moe.gate": "ffn_gate_inp", "mlp.shared_expert.gate_proj": "ffn_gate_shexp",
       "mlp.shared_expert.up_proj": "ffn_up_shexp", "mlp.shared_expert.down_proj": "ffn_down_shexp",
       "mlp.shared_expert_gate": "ffn_gate_inp_shexp"}
tensors = []  # (name, shape (HF order), bytes)
experts = {}  # (layer, which) -> {e: bytes}
for k, (shape, data) in W.items():
    if k in names:
        tensors.append((names[k], shape, data))
        continue
    p = k.split(".")
    i = p[2]
    rest = ".".join(p[3:])
    if ".experts." in rest:  # mlp.experts.E.gate_proj.weight / block_sparse_moe.experts.E.w1.weight
        q = rest.split(".")
        e, which = int(q[2]), q[3]
        which = {"w1": "gate_proj", "w3": "up_proj", "w2": "down_proj"}.get(which, which)
        experts.setdefault((i, which), {})[e] = (shape, data)
        continue
    base, suffix = rest.rsplit(".", 1)
    g = blk[base]
    if arch == "llama" and g in ("attn_q", "attn_k"):
        data = pair_rows(data, shape, heads if g == "attn_q" else kv)
    tensors.append(("blk.%s.%s.%s" % (i, g, suffix), shape, data))
for (i, which), es in experts.items():
    shape = es[0][0]
    g = {"gate_proj": "ffn_gate_exps", "up_proj": "ffn_up_exps", "down_proj": "ffn_down_exps"}[which]
    tensors.append(("blk.%s.%s.weight" % (i, g), [len(es)] + shape, b"".join(es[e][1] for e in range(len(es)))))


def s(x):
    b = x.encode()
    return struct.pack("<Q", len(b)) + b


def kv_bytes(k, v):
    if isinstance(v, bool):
        return s(k) + struct.pack("<IB", 7, int(v))
    if isinstance(v, int):
        return s(k) + struct.pack("<II", 4, v)
    if isinstance(v, float):
        return s(k) + struct.pack("<If", 6, v)
    return s(k) + struct.pack("<I", 8) + s(v)


head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs)) + b"".join(kv_bytes(k, v) for k, v in kvs.items())
info, off, blobs = b"", 0, []
for name, shape, data in tensors:
    info += s(name) + struct.pack("<I", len(shape)) + b"".join(struct.pack("<Q", d) for d in reversed(shape))
    info += struct.pack("<IQ", 0, off)
    pad = (-len(data)) % 32
    blobs.append(data + b"\0" * pad)
    off += len(data) + pad
body = head + info
body += b"\0" * ((-len(body)) % 32)
open(out, "wb").write(body + b"".join(blobs))
