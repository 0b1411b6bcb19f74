#!/usr/bin/env python3
"""Write malformed model directories for tests/errors/run.sh.
usage: make_cases.py GOOD_MODEL_DIR OUT_DIR
Each case is OUT_DIR/<name>/ (a model directory) or OUT_DIR/<name>.lua (a spec)."""
import json, os, shutil, struct, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gguf"))
import gguf_walk  # noqa: E402

good, out = sys.argv[1], sys.argv[2]
st = open(os.path.join(good, "model.safetensors"), "rb").read()
hlen = struct.unpack("<Q", st[:8])[0]
header = json.loads(st[8:8 + hlen])
data = st[8 + hlen:]


def model(name, config=None, tensors=None, raw=None):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    if config is None:
        shutil.copy(os.path.join(good, "config.json"), d)
    else:
        open(os.path.join(d, "config.json"), "w").write(config)
    if raw is None:
        h = json.dumps(tensors if tensors is not None else header).encode()
        raw = struct.pack("<Q", len(h)) + h + data
    open(os.path.join(d, "model.safetensors"), "wb").write(raw)


cfg = json.load(open(os.path.join(good, "config.json")))
model("bad_config_json", config='{"architectures": ["LlamaForCausalLM"], "hidden_size": 64,')
model("config_not_object", config='[1, 2, 3]')
c = dict(cfg); c["architectures"] = ["FrobnicatorForCausalLM"]; c["model_type"] = "frobnicator"
model("unknown_arch", config=json.dumps(c))
c = dict(cfg); del c["hidden_size"]
model("config_missing_key", config=json.dumps(c))
h = dict(header); k = next(k for k in h if k.endswith("q_proj.weight")); h2 = {x: y for x, y in h.items() if x != k}
model("missing_tensor", tensors=h2)
h = json.loads(json.dumps(header)); k = next(k for k in h if k != "__metadata__"); h[k]["data_offsets"][1] = len(data) + 4096
model("offsets_past_end", tensors=h)
h = json.loads(json.dumps(header)); ks = sorted((k for k in h if k != "__metadata__"), key=lambda k: h[k]["data_offsets"][0])
a, b = h[ks[0]], h[ks[1]]; n = b["data_offsets"][1] - b["data_offsets"][0]; b["data_offsets"] = [a["data_offsets"][0], a["data_offsets"][0] + n]
model("overlapping_tensors", tensors=h)
h = json.loads(json.dumps(header)); k = next(k for k in h if k != "__metadata__"); h[k]["dtype"] = "F12"
model("unknown_dtype", tensors=h)
model("header_too_long", raw=struct.pack("<Q", len(st) * 10) + st[8:])
model("header_not_json", raw=struct.pack("<Q", 12) + b"{not json!!}" + data)
model("truncated", raw=st[: len(st) // 2])
model("tiny_file", raw=b"\x01\x02")
h = json.loads(json.dumps(header)); k = next(k for k in h if k != "__metadata__"); h[k]["shape"] = [3, 3]
model("shape_size_mismatch", tensors=h)
# config values that disagree with the tensors
c = dict(cfg); c["hidden_size"] = -cfg["hidden_size"]
model("config_hidden_negative", config=json.dumps(c))
c = dict(cfg); c["vocab_size"] = cfg["vocab_size"] + 44
model("config_vocab_wrong", config=json.dumps(c))
c = dict(cfg); c["head_dim"] = cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]
c["num_attention_heads"] = cfg["num_attention_heads"] * 2
model("config_heads_wrong", config=json.dumps(c))
for fam in ("gpt2", "bert"):  # the other templates check the config's shapes too
    d = os.path.join(out, "config_hidden_negative_" + fam)
    shutil.copytree(os.path.join(os.path.dirname(good.rstrip("/")), fam), d)
    c = json.load(open(os.path.join(d, "config.json")))
    k = next(k for k in ("hidden_size", "n_embd") if k in c)
    c[k] = -c[k]
    open(os.path.join(d, "config.json"), "w").write(json.dumps(c))
# the state-space and mixture-of-experts templates check the sizes their
# configs state too: (case, family, key, how the value changes)
ssm_moe = [
    ("state_wrong", "mamba", "state_size", lambda v: 2 * v),
    ("state_wrong", "mamba2", "state_size", lambda v: 2 * v),
    ("state_wrong", "jamba", "mamba_d_state", lambda v: 2 * v),
    ("state_wrong", "granitemoehybrid", "mamba_d_state", lambda v: 2 * v),
    ("inner_wrong", "mamba", "intermediate_size", lambda v: 2 * v),
    ("inner_wrong", "jamba", "mamba_expand", lambda v: 2 * v),
    ("conv_wrong", "mamba", "conv_kernel", lambda v: v + 1),
    ("conv_wrong", "mamba2", "conv_kernel", lambda v: v + 1),
    ("dt_rank_wrong", "mamba", "time_step_rank", lambda v: 2 * v),
    ("dt_rank_wrong", "jamba", "mamba_dt_rank", lambda v: 2 * v),
    ("vocab_wrong", "mamba", "vocab_size", lambda v: v + 44),
    ("experts_wrong", "mixtral", "num_local_experts", lambda v: 2 * v),
    ("experts_wrong", "qwen2_moe", "num_experts", lambda v: 2 * v),
    ("experts_wrong", "qwen3_moe", "num_local_experts", lambda v: 2 * v),
    ("experts_wrong", "jamba", "num_experts", lambda v: 2 * v),
    ("expert_ffn_wrong", "mixtral", "intermediate_size", lambda v: 2 * v),
    ("expert_ffn_wrong", "qwen2_moe", "moe_intermediate_size", lambda v: 2 * v),
    ("expert_ffn_wrong", "qwen3_moe", "moe_intermediate_size", lambda v: 2 * v),
    ("expert_ffn_wrong", "deepseek_v3", "moe_intermediate_size", lambda v: 2 * v),
    ("shared_ffn_wrong", "qwen2_moe", "shared_expert_intermediate_size", lambda v: 2 * v),
    ("shared_ffn_wrong", "deepseek_v3", "n_shared_experts", lambda v: 2 * v),
    ("shared_ffn_wrong", "granitemoehybrid", "shared_intermediate_size", lambda v: 2 * v),
    ("ffn_wrong", "llama", "intermediate_size", lambda v: 2 * v),
    ("ffn_wrong", "bert", "intermediate_size", lambda v: 2 * v),
    ("ffn_wrong", "../hf3/distilbert", "hidden_dim", lambda v: 2 * v),
]
def relink(name, fam, key, change):
    """OUT_DIR/name: fixture fam (beside GOOD_MODEL_DIR) with config key changed"""
    d = os.path.join(out, name)
    src = os.path.join(os.path.dirname(good.rstrip("/")), fam)
    os.makedirs(d, exist_ok=True)
    for x in os.listdir(src):  # the tensors are linked, the config rewritten
        if x != "config.json": os.symlink(os.path.abspath(os.path.join(src, x)), os.path.join(d, x))
    c = json.load(open(os.path.join(src, "config.json")))
    c[key] = change(c[key])
    open(os.path.join(d, "config.json"), "w").write(json.dumps(c))


with open(os.path.join(out, "ssm_moe_cases.txt"), "w") as f:
    for case, fam, key, change in ssm_moe:
        name = "config_%s_%s" % (case, os.path.basename(fam))
        relink(name, fam, key, change)
        f.write(name + "\n")
# a number no model can have (negative, zero, fractional, a string, past any
# real size) is refused before the spec runs, naming the config and the key:
# (family, key, value); the case is config_value<i>_<family>_<key>
values = [
    ("granitemoehybrid", "hidden_size", -64), ("granitemoehybrid", "hidden_size", 0),
    ("granitemoehybrid", "mamba_chunk_size", -3), ("llama", "hidden_size", 64.5),
    ("llama", "num_hidden_layers", "2"), ("llama", "vocab_size", 1e12), ("llama", "rms_norm_eps", "x"),
    ("llama", "eos_token_id", 2.5), ("mamba", "hidden_size", -64), ("mamba2", "hidden_size", -64),
    ("falcon_mamba", "hidden_size", -64), ("bert", "num_attention_heads", 0),
    ("../hf3/qwen3_next", "hidden_size", 2147483648), ("../hf3/qwen3_next", "decoder_sparse_step", 0),
    ("../hf3/qwen3_next", "linear_num_value_heads", -4),
]
with open(os.path.join(out, "config_value_cases.txt"), "w") as f:
    for i, (fam, key, v) in enumerate(values):
        name = "config_value%d_%s_%s" % (i, os.path.basename(fam), key)
        relink(name, fam, key, lambda _: v)
        f.write("%s %s %s\n" % (name, key, json.dumps(v)))
d = os.path.join(out, "no_weights"); os.makedirs(d, exist_ok=True); shutil.copy(os.path.join(good, "config.json"), d)

spec = lambda body: 'return arch { name = "bad", hf = { "LlamaForCausalLM" }, build = function(cfg)\n' + body + '\nend }\n'
open(os.path.join(out, "spec_lua_error.lua"), "w").write(spec("  local x = nil\n  return x.field"))
# errors a library raises on a spec's behalf name the spec's line first, the library's after it
open(os.path.join(out, "spec_lib_error.lua"), "w").write(spec("  local c = common(cfg)\n  rope_from_config(cfg, -16)"))
open(os.path.join(out, "spec_lib_shape.lua"), "w").write(spec("  local d = llama_block(cfg)\n  d.hidden = 32\n  decoder(d)"))
open(os.path.join(out, "spec_os_execute.lua"), "w").write(spec('  os.execute("touch /tmp/venus-pwned")'))
open(os.path.join(out, "spec_io.lua"), "w").write(spec('  io.open("/etc/passwd")'))
open(os.path.join(out, "spec_require.lua"), "w").write(spec('  require("os")'))
open(os.path.join(out, "spec_load.lua"), "w").write(spec('  load("return 1")()'))
open(os.path.join(out, "spec_loop.lua"), "w").write(spec('  while true do end'))
open(os.path.join(out, "spec_memory.lua"), "w").write(spec('  local t = {}\n  for i = 1, 1e9 do t[i] = string.rep("x", 1000) .. i end'))
open(os.path.join(out, "spec_syntax.lua"), "w").write('return arch { name = "bad" build = 1 }\n')
open(os.path.join(out, "spec_no_output.lua"), "w").write(spec('  local x = embed(weight("model.embed_tokens.weight"), tokens())'))
open(os.path.join(out, "spec_bad_shape.lua"), "w").write(spec('  local x = embed(weight("model.embed_tokens.weight"), tokens())\n  output(linear(x, weight("model.layers.0.mlp.down_proj.weight")))'))
open(os.path.join(out, "spec_hidden_last.lua"), "w").write(spec('  local x = embed(weight("model.embed_tokens.weight"), tokens())\n  hidden(last(x))\n  output(x)'))
open(os.path.join(out, "spec_bytecode.lua"), "w").write("\x1bLua\x54\x00garbage")
open(os.path.join(out, "spec_rows_outside.lua"), "w").write(spec('  weight("model.embed_tokens.weight"):rows(0, 1 << 40)'))
# the vision graph's builder calls (vision-language specs)
open(os.path.join(out, "spec_vision_leak.lua"), "w").write(spec('  local v\n  vision({ layout = "patches", patch = 1, rows = 4 }, function() v = pixels(8); output(v) end)\n  output(v)'))
open(os.path.join(out, "spec_pixels_outside.lua"), "w").write(spec('  output(pixels(8))'))
open(os.path.join(out, "spec_image_merge_first.lua"), "w").write(spec('  local x = embed(weight("model.embed_tokens.weight"), tokens())\n  output(image_merge(x, x, tokens()))'))

# the sandbox's limits hold whatever the spec catches or calls (run.sh bounds
# each with timeout): name -> build body
sandbox = {
    "sb_pcall_loop": "  while true do pcall(function() while true do end end) end",
    "sb_xpcall_loop": "  while true do xpcall(function() while true do end end, function(e) return e end) end",
    "sb_xpcall_handler": "  while true do xpcall(function() while true do end end, function() while true do end end) end",
    "sb_pcall_error_loop": "  while true do pcall(error, 'x') end",
    "sb_coroutine": "  coroutine.wrap(function() while true do end end)()",
    "sb_gc_loop": "  setmetatable({}, {__gc = function() while true do end end})",
    "sb_gc_alloc": "  for i = 1, 1e9 do setmetatable({}, {__gc = function() local t = {} for j = 1, 1e9 do t[j] = j end end}) end",
    "sb_gc_builder_mt": "  local mt = getmetatable(zeros({1}))\n  mt.__gc = function() while true do end end",
    "sb_pattern_find": '  local x = ("a"):rep(30000):find(("a*"):rep(12) .. "b")',
    "sb_pattern_match": '  local x = ("a"):rep(30000):match("(" .. ("a-"):rep(12) .. ")b")',
    "sb_pattern_gmatch": '  for w in ("a"):rep(30000):gmatch(("a*"):rep(12) .. "b") do end',
    "sb_gsub_function": '  local s = ("x"):rep(100000)\n  while true do s = s:gsub(".", function(c) return c end) end',
    "sb_pattern_loop": '  local s = ("a"):rep(1000)\n  while true do s:find(("a*"):rep(3) .. "b") end',
    "sb_zeros": "  for i = 1, 4e7 do zeros({1}) end",
    "sb_rep_empty": '  local s = (""):rep(1e15)\n  error("rep made " .. #s .. " bytes")',
    "sb_rep_huge": '  local s = ("x"):rep(1e12)',
    "sb_rep_loop": '  while true do local s = ("x"):rep(1e8) end',
    "sb_concat_loop": '  local s = "x"\n  while true do s = s .. s end',
    "sb_table_concat": '  local t = {}\n  for i = 1, 64 do t[i] = ("x"):rep(1e6) end\n  while true do local s = table.concat(t) end',
    "sb_table_move": "  table.move({}, 1, 1e15, 2)",
    "sb_table_insert": "  local t = setmetatable({}, {__len = function() return 1e15 end})\n  table.insert(t, 1, 0)",
    "sb_pcall_memory": '  local t = {}\n  while true do pcall(function() for i = 1, 1e9 do t[#t + 1] = ("x"):rep(10000) .. i end end) end',
}
for name, body in sandbox.items():
    open(os.path.join(out, name + ".lua"), "w").write(spec(body))

# GGUF files: a good one cut, corrupted or byte-swapped
gg = os.path.join(os.path.dirname(good.rstrip("/")), "..", "gguf", "tiny-kjv-q8_0.gguf")
if os.path.exists(gg):
    g = open(gg, "rb").read()
    w = lambda name, data: open(os.path.join(out, name), "wb").write(data)
    w("gguf_truncated.gguf", g[: len(g) // 3])
    w("gguf_header_only.gguf", g[:100])
    w("gguf_bad_version.gguf", g[:4] + struct.pack("<I", 7) + g[8:])
    w("gguf_big_endian.gguf", g[:4] + struct.pack(">I", 3) + g[8:])
    w("gguf_huge_counts.gguf", g[:8] + struct.pack("<QQ", 1 << 60, 1 << 60) + g[24:])
    w("gguf_not_gguf.gguf", b"GGML" + g[4:])
    i = g.find(b"general.architecture")
    j = g.find(b"llama", i)
    w("gguf_unknown_arch.gguf", g[:j] + b"lxama" + g[j + 5:])

# GGUF block data: a Q4_K block whose scale is Inf, a tensor of a type GGML does not have
gk = os.path.join(os.path.dirname(good.rstrip("/")), "..", "gguf", "tiny-kjv-q4_k_m.gguf")
if os.path.exists(gk):
    g = bytearray(open(gk, "rb").read())
    u32 = lambda o: struct.unpack_from("<I", g, o)[0]
    u64 = lambda o: struct.unpack_from("<Q", g, o)[0]

    def skip(o, t):
        return gguf_walk.skip(g, o, t)

    o = 24
    for _ in range(u64(16)):
        o += 8 + u64(o)
        o = skip(o + 4, u32(o))
    infos = []
    for _ in range(u64(8)):
        name = g[o + 8:o + 8 + u64(o)].decode()
        o += 8 + u64(o)
        nd = u32(o)
        o += 4 + 8 * nd
        infos.append((name, o, u32(o), u64(o + 4)))  # name, where its type is, type, data offset
        o += 12
    data = (o + 31) // 32 * 32
    name, at, ty, off = next(t for t in infos if t[2] == 12)  # the first Q4_K tensor
    bad = bytearray(g)
    struct.pack_into("<H", bad, data + off, 0x7C00)
    w("gguf_bad_kblock.gguf", bytes(bad))
    bad = bytearray(g)
    struct.pack_into("<I", bad, at, 99)
    w("gguf_unknown_type.gguf", bytes(bad))
