#!/usr/bin/env python3
"""Write the fuzz seed corpora, tests/fuzz/seeds/TARGET/, from the fixtures
(small: a few files per target). Run from the repository root; the seeds are
committed, so this is only rerun to change them. The weight-file seed is not
here: the fuzz build writes it (build/fuzz/seeds-weights/), so it always
matches the packer."""
import json, os, struct

OUT = "tests/fuzz/seeds"


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    open(os.path.join(d, name), "wb").write(data if isinstance(data, bytes) else data.encode())


def safetensors(tensors, meta=None):
    """tensors: [(name, dtype, shape, bytes)] -> file bytes"""
    h, off, blob = {}, 0, b""
    if meta is not None:
        h["__metadata__"] = meta
    for name, dt, shape, data in tensors:
        h[name] = {"dtype": dt, "shape": shape, "data_offsets": [off, off + len(data)]}
        off += len(data)
        blob += data
    hj = json.dumps(h).encode()
    return struct.pack("<Q", len(hj)) + hj + blob


# ---- safetensors: a small valid file of every dtype, and the real header of
# a fixture over too little data
put("safetensors", "small.safetensors", safetensors([
    ("a.weight", "F32", [2, 4], struct.pack("<8f", *range(8))),
    ("b.weight", "F16", [4], b"\x00\x3c" * 4),
    ("c.weight", "BF16", [1, 1, 2], b"\x80\x3f" * 2),
    ("d.ids", "I32", [3], struct.pack("<3i", 1, 2, 3)),
    ("e.mask", "BOOL", [2], b"\x01\x00"),
    ("f.empty", "F32", [0, 4], b""),
], meta={"format": "pt"}))
st = open("tests/fixtures/hf/llama/model.safetensors", "rb").read()
hlen = struct.unpack("<Q", st[:8])[0]
put("safetensors", "llama-header.safetensors", st[:8 + hlen + 512])

# ---- index: the sharded fixture's own index (the target links its shards)
put("index", "qwen2_sharded.json", open("tests/fixtures/hf2/qwen2_sharded/model.safetensors.index.json").read())
idx = json.load(open("tests/fixtures/hf2/qwen2_sharded/model.safetensors.index.json"))
few = dict(list(idx["weight_map"].items())[:3])
put("index", "partial.json", json.dumps({"metadata": {}, "weight_map": few}))

# ---- config: the config.json of fixtures of each template (both layouts)
for c in ["hf/llama", "hf2/llama", "hf/llama_rope_yarn", "hf/qwen3", "hf/mixtral", "hf/deepseek_v3", "hf/gpt2",
          "hf/phi3", "hf/gemma3_text", "hf/mamba2", "hf/jamba", "hf/rwkv", "hf/bert", "hf2/falcon"]:
    put("config", c.replace("/", "_") + ".json", open("tests/fixtures/%s/config.json" % c).read())
put("config", "python_nonfinite.json", open("tests/fixtures/hf/llama/config.json").read()
    .replace('"rms_norm_eps": 1e-06', '"rms_norm_eps": NaN, "x": -Infinity, "y": [Infinity, "NaN"]'))

# ---- tokenizer: tokenizer.json [NUL tokenizer_config.json]
kjv = open("examples/tiny-kjv/tokenizer.json", "rb").read()
kcfg = open("examples/tiny-kjv/tokenizer_config.json", "rb").read()
put("tokenizer", "tiny-kjv.json", kjv + b"\0" + kcfg)
t = json.loads(kjv)
# a byte-level BPE cut to its first 300 pieces and the merges among them
vocab = {k: v for k, v in t["model"]["vocab"].items() if v < 300}
merges = [m for m in t["model"]["merges"]
          if all(p in vocab for p in (m.split(" ") if isinstance(m, str) else m)) and
          "".join(m.split(" ") if isinstance(m, str) else m) in vocab]
t["model"]["vocab"], t["model"]["merges"] = vocab, merges
t["added_tokens"].append({"id": 300, "content": "<|im_start|>", "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": False, "special": True})
put("tokenizer", "bytelevel-small.json", json.dumps(t).encode() + b"\0" +
    json.dumps({"bos_token": "<|endoftext|>", "eos_token": {"content": "<|im_start|>"}, "add_bos_token": True,
                "chat_template": "{{ messages }}"}).encode())
# a SentencePiece-style BPE with byte fallback, Metaspace and a template post-processor
pieces = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(256)] + \
         ["\u2581", "\u2581t", "he", "\u2581the", "\u2581a", "in", "\u2581in", "\u2581b", "eg", "in", "nin", "g"]
spm_vocab = {}
for p in pieces:
    spm_vocab.setdefault(p, len(spm_vocab))
for p in "abcdefghijklmnopqrstuvwxyz":
    spm_vocab.setdefault(p, len(spm_vocab))
spm = {
    "version": "1.0", "truncation": None, "padding": None,
    "added_tokens": [{"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False,
                      "normalized": False, "special": True} for i, c in enumerate(["<unk>", "<s>", "</s>"])],
    "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\u2581"},
                                                       {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
    "pre_tokenizer": None,
    "post_processor": {"type": "TemplateProcessing",
                       "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                       "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
                       "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
    "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
                                                 {"type": "ByteFallback"}, {"type": "Fuse"},
                                                 {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
    "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
              "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
              "vocab": spm_vocab, "merges": [["\u2581", "t"], ["h", "e"], ["\u2581t", "he"], ["\u2581", "a"], ["i", "n"],
                                              ["\u2581", "in"], ["\u2581", "b"], ["e", "g"], ["n", "in"]]},
}
put("tokenizer", "spm-small.json", json.dumps(spm, ensure_ascii=False).encode())
# Split / Digits / Metaspace pre-tokenizers and a Roberta post-processor
t2 = json.loads(json.dumps(t))
t2["normalizer"] = {"type": "NFC"}
t2["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
    {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},
     "behavior": "Isolated", "invert": False},
    {"type": "Digits", "individual_digits": True},
    {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]}
t2["post_processor"] = {"type": "RobertaProcessing", "sep": ["<|endoftext|>", 0], "cls": ["<|endoftext|>", 0],
                        "trim_offsets": True, "add_prefix_space": False}
put("tokenizer", "split-digits.json", json.dumps(t2).encode())


# ---- gguf: the demo GGUF's metadata (tokenizer included) without tensors,
# and a fixture written as F16 GGUF (the layout tests/gguf/hf_to_gguf.py writes)
def gguf_parse(b):
    off = 24
    ver, nt, nkv = struct.unpack("<IQQ", b[4:24])
    sizes = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}

    def rstr(o):
        n = struct.unpack("<Q", b[o:o + 8])[0]
        return b[o + 8:o + 8 + n], o + 8 + n

    def skip(t, o):
        if t == 8:
            return rstr(o)[1]
        if t == 9:
            et, n = struct.unpack("<IQ", b[o:o + 12])
            o += 12
            for _ in range(n):
                o = skip(et, o)
            return o
        return o + sizes[t]
    kv_start = off
    for _ in range(nkv):
        _, off = rstr(off)
        t = struct.unpack("<I", b[off:off + 4])[0]
        off = skip(t, off + 4)
    return ver, nt, nkv, b[kv_start:off], off


g = open("tests/fixtures/gguf/tiny-kjv-q4_0.gguf", "rb").read()
ver, nt, nkv, kv, _ = gguf_parse(g)
put("gguf", "tiny-kjv-meta.gguf", g[:4] + struct.pack("<IQQ", ver, 0, nkv) + kv)


def gguf_to_f16(b):
    """every F32 tensor of a GGUF file stored as F16 instead (half the size)"""
    ver, nt, nkv, kv, off = gguf_parse(b)
    infos = []
    for _ in range(nt):
        n = struct.unpack("<Q", b[off:off + 8])[0]
        name = b[off + 8:off + 8 + n]
        off += 8 + n
        nd = struct.unpack("<I", b[off:off + 4])[0]
        dims = struct.unpack("<%dQ" % nd, b[off + 4:off + 4 + 8 * nd])
        off += 4 + 8 * nd
        t, o = struct.unpack("<IQ", b[off:off + 12])
        off += 12
        infos.append((name, dims, t, o))
    data0 = (off + 31) // 32 * 32
    head, blob = b"", b""
    for name, dims, t, o in infos:
        count = 1
        for d in dims:
            count *= d
        raw = b[data0 + o:data0 + o + 4 * count] if t == 0 else None
        assert raw is not None, "F32 tensors only"
        h = struct.pack("<%de" % count, *struct.unpack("<%df" % count, raw))
        blob += b"\0" * ((-len(blob)) % 32)
        head += struct.pack("<Q", len(name)) + name + struct.pack("<I", len(dims)) + \
            struct.pack("<%dQ" % len(dims), *dims) + struct.pack("<IQ", 1, len(blob))
        blob += h
    out = b[:4] + struct.pack("<IQQ", ver, nt, nkv) + kv + head
    out += b"\0" * ((-len(out)) % 32)
    return out + blob


import shutil, subprocess, tempfile
with tempfile.TemporaryDirectory() as tmp:
    subprocess.run(["python3", "tests/gguf/hf_to_gguf.py", "tests/fixtures/hf/llama", tmp + "/l.gguf"], check=True)
    put("gguf", "llama-f16.gguf", gguf_to_f16(open(tmp + "/l.gguf", "rb").read()))

# ---- cli: argument lists, NUL-separated (the target adds argv[0])
for i, args in enumerate([
    ["-p", "In the beginning", "-n", "8", "--temp", "0"],
    ["--ids", "1,2,3", "-n", "4", "--print-ids", "--seed", "7", "--top-k", "5", "--top-p", "0.9", "--min-p", "0.1"],
    ["--ids", "5 9 13", "--logits", "out.f32"],
    ["--perplexity", "p.txt", "--ctx", "8", "--chunks", "2"],
    ["-f", "p.txt", "-n", "4", "--repeat-penalty", "1.3", "--repeat-last-n", "16", "-t", "2", "--stats"],
    ["--chat", "-p", "Who begat Enos?", "--system", "Be brief.", "--print-prompt"],
    ["--chat", "--chat-format", "chatml", "-p", "hi", "-n", "4"],
    ["--help"],
    ["--ids", "1,999999", "-n", "1"],
    ["--weights", "none.vnw", "--ids", "1", "-n", "1", "--ctx", "16", "--ignore-eos"],
]):
    put("cli", "args%02d" % i, "\0".join(args))


# ---- chat: chat templates (tests/fixtures/chat), one with its own messages
for name in ("llama3", "gemma3", "qwen3", "inst_fold", "turns_nosystem"):
    put("chat", name + ".jinja", json.load(open("tests/fixtures/chat/%s.json" % name))["chat_template"])
put("chat", "constructs.jinja",
    "{%- set ns = namespace(n=0) %}{% macro t(r, c='x') %}<{{ r }}>{{ c | trim }}{% endmacro %}"
    "{% for m in messages[::-1] if m.role != 'system' %}{% set ns.n = ns.n + 1 %}{{ t(m.role, m.content) }}"
    "{{ loop.index0 }}{{ loop.last }}{% if m.content.startswith('<think>') %}{% break %}{% endif %}{% else %}none{% endfor %}"
    "{{ ns.n ~ '|' ~ (messages | selectattr('role', 'equalto', 'user') | list | length) }}"
    "{{ messages | tojson }}{{ 'a,b'.split(',') | join('-') }}{{ 3.5 // 2 }}{# c #}{{- raise_exception('no') if false }}")
put("chat", "messages.jinja", "{% for m in messages %}{{ m.role }}:{{ m.content | upper }}\n{% endfor %}"
    + "\0sys\0one\0two")

# ---- image: the vlm fixtures' PNGs, and the Qwen2-VL one as P6, P3, P5, P2
# and a JPEG (written by tests/image/pixels.c, built here)
tmp = tempfile.mkdtemp()
try:
    subprocess.run("cc -O1 -std=gnu11 -D_GNU_SOURCE -DVN_IMAGE_PNG -DVN_IMAGE_JPEG -I. -Igraph -Iops -Ifrontend -Iruntime "
                   "$(pkg-config --cflags jansson) -o %s/pixels tests/image/pixels.c runtime/image.c frontend/imgcfg.c "
                   "$(pkg-config --libs jansson) -lpng -ljpeg -lm" % tmp, shell=True, check=True)
    for m in ("llava", "qwen2_vl"):
        put("image", m + ".png", open("tests/fixtures/vlm/public/%s/image.png" % m, "rb").read())
    src = "tests/fixtures/vlm/public/qwen2_vl/image.png"
    for k in ("P6", "P3"):
        subprocess.run([tmp + "/pixels", "--ppm", src, "%s/i.ppm" % tmp, k], check=True)
        put("image", "qwen2_vl.%s.ppm" % k.lower(), open(tmp + "/i.ppm", "rb").read())
    subprocess.run([tmp + "/pixels", "--ppm", src, "%s/i.ppm" % tmp, "P6"], check=True)
    p6 = open(tmp + "/i.ppm", "rb").read()
    w, h = [int(v) for v in p6.split(b"\n")[1].split()]
    px = p6[-w * h * 3:]
    grey = bytes(px[i * 3] for i in range(w * h))
    put("image", "qwen2_vl.p5.pgm", b"P5\n# grey\n%d %d\n255\n" % (w, h) + grey)
    put("image", "qwen2_vl.p2.pgm", b"P2\n%d %d\n255\n" % (w, h) + b" ".join(b"%d" % v for v in grey[:w * 4]) + b"\n")
    subprocess.run([tmp + "/pixels", "--jpeg", src, tmp + "/i.jpg", "90"], check=True)
    put("image", "qwen2_vl.jpg", open(tmp + "/i.jpg", "rb").read())
finally:
    shutil.rmtree(tmp)

# ---- wav: the tone fixture cut to 0.1 s (its data chunk's size fixed), and
# with a LIST chunk before an odd-sized fmt chunk of the extensible format
wav = open("tests/fixtures/audio/tone440.wav", "rb").read()
pcm = wav[44:44 + 3200]
fmt = wav[20:36]
put("wav", "tone440_short.wav", b"RIFF" + struct.pack("<I", 36 + len(pcm)) + b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt
    + b"data" + struct.pack("<I", len(pcm)) + pcm)
ext = struct.pack("<HHIIHH", 0xFFFE, 1, 16000, 32000, 2, 16) + struct.pack("<HHI", 22, 16, 4) + struct.pack("<H", 1) + b"\0" * 14
body = b"WAVE" + b"LIST" + struct.pack("<I", 5) + b"INFOx\0" + b"fmt " + struct.pack("<I", len(ext)) + ext \
    + b"data" + struct.pack("<I", 801) + pcm[:801] + b"\0"
put("wav", "extensible_list.wav", b"RIFF" + struct.pack("<I", len(body)) + body)

# ---- imgcfg: the vlm fixtures' preprocessor_config.json, and the other
# spellings of their settings
for m in ("llava", "qwen2_vl"):
    put("imgcfg", m + ".json", open("tests/fixtures/vlm/public/%s/preprocessor_config.json" % m).read())
put("imgcfg", "clip_hw.json", json.dumps({"feature_extractor_type": "CLIPFeatureExtractor", "size": {"height": 20, "width": 12},
                                          "crop_size": 16, "image_mean": 0.5, "image_std": [0.5, 0.25, 1.0], "resample": 2,
                                          "do_center_crop": False}))
put("imgcfg", "qwen_pixels.json", json.dumps({"image_processor_type": "Qwen2VLImageProcessor", "min_pixels": 256, "max_pixels": 1024.0,
                                              "patch_size": 2, "merge_size": 4, "temporal_patch_size": 1, "do_rescale": False}))
