#!/usr/bin/env python3
"""s2s_model.py DIR: a tiny random speech encoder-decoder (WhisperForConditionalGeneration
layout) at the real front end's sizes: 80 mel bins, 3000 frames (1500 encoder
positions), hidden 16, one layer each, vocab 64. Written with the standard
library alone (config.json + model.safetensors, float32). S2S_SIZES="H F V MELS
POSITIONS DECODER_POSITIONS", S2S_LAYERS and S2S_HEADS make other sizes."""
import json, os, random, struct, sys

d = sys.argv[1]
os.makedirs(d, exist_ok=True)
H, F, V, M, S, P = [int(x) for x in os.environ.get("S2S_SIZES", "16 32 64 80 1500 32").split()]
L = int(os.environ.get("S2S_LAYERS", "1"))
NH = int(os.environ.get("S2S_HEADS", "2"))
rnd = random.Random(440)
t = {}
def w(name, *shape, scale=None):
    n = 1
    for k in shape: n *= k
    s = scale if scale is not None else 1.0 / (shape[-1] if len(shape) > 1 else 4) ** 0.5
    t[name] = (shape, [rnd.gauss(0, 1) * s for _ in range(n)])
def ones(name, n): t[name] = ((n,), [1.0] * n)
def zeros(name, n): t[name] = ((n,), [0.0] * n)
w("model.encoder.conv1.weight", H, M, 3, scale=0.06); zeros("model.encoder.conv1.bias", H)
w("model.encoder.conv2.weight", H, H, 3, scale=0.15); zeros("model.encoder.conv2.bias", H)
w("model.encoder.embed_positions.weight", S, H, scale=0.5)
w("model.decoder.embed_tokens.weight", V, H, scale=1.0)
w("model.decoder.embed_positions.weight", P, H, scale=0.5)
for stack, i in [(s, i) for s in ("encoder", "decoder") for i in range(L)]:
    p = "model.%s.layers.%d." % (stack, i)
    attns = ["self_attn"] + (["encoder_attn"] if stack == "decoder" else [])
    for a in attns:
        for x in ("q_proj", "k_proj", "v_proj", "out_proj"):
            w(p + a + "." + x + ".weight", H, H)
            if x != "k_proj": w(p + a + "." + x + ".bias", H)
        ones(p + a + "_layer_norm.weight", H); zeros(p + a + "_layer_norm.bias", H)
    w(p + "fc1.weight", F, H); w(p + "fc1.bias", F); w(p + "fc2.weight", H, F); w(p + "fc2.bias", H)
    ones(p + "final_layer_norm.weight", H); zeros(p + "final_layer_norm.bias", H)
for stack in ("encoder", "decoder"):
    ones("model.%s.layer_norm.weight" % stack, H); zeros("model.%s.layer_norm.bias" % stack, H)
hdr, off, blobs = {}, 0, []
for name in sorted(t):
    shape, vals = t[name]
    b = struct.pack("<%df" % len(vals), *vals)
    hdr[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [off, off + len(b)]}
    off += len(b); blobs.append(b)
h = json.dumps(hdr).encode(); h += b" " * (-len(h) % 8)
with open(os.path.join(d, "model.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(h))); f.write(h); [f.write(b) for b in blobs]
cfg = dict(architectures=["WhisperForConditionalGeneration"], model_type="whisper", d_model=H, encoder_layers=L,
           decoder_layers=L, encoder_attention_heads=NH, decoder_attention_heads=NH, encoder_ffn_dim=F, decoder_ffn_dim=F,
           vocab_size=V, num_mel_bins=M, max_source_positions=S, max_target_positions=P, decoder_start_token_id=1,
           bos_token_id=1, eos_token_id=2, pad_token_id=0, activation_function="gelu", scale_embedding=False,
           tie_word_embeddings=True)
json.dump(cfg, open(os.path.join(d, "config.json"), "w"), indent=1)
