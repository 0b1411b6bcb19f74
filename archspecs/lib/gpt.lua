-- archspecs/lib/gpt.lua: the GPT-style decoder (GPT-2, GPT-J, GPT-NeoX,
-- Falcon, GPT-BigCode, CodeGen, BLOOM, OPT) as one template of options:
-- LayerNorm with bias, a plain MLP, learned or rotary positions or ALiBi,
-- sequential or parallel residuals, q/k/v separate or fused in one of the
-- row layouts below. A family file reads its config and fills this in.
--
-- gpt{
--   hidden, layers, heads, kv_heads, head_dim, vocab, max_pos, bos, eos,
--   eps        = 1e-5,          -- every LayerNorm
--   affine     = true,          -- LayerNorms have weight and bias (OPT can turn them off)
--   base       = "transformer." | { "model.decoder.", "decoder." },
--                                  prefix of the tensor names below: the first whose embedding
--                                  the checkpoint has (a string also tries "": a checkpoint
--                                  saved from the bare GPT2Model, BloomModel...)
--   names      = { ... },       -- tensor names relative to base, GPT-2 defaults below;
--                                  head / head_bias are absolute
--   conv1d     = false,         -- matrices stored [in, out] (GPT-2's Conv1D): transposed when packed
--   qkv        = "separate" | "stacked" | "grouped" | "codegen",
--                  stacked: one matrix names.qkv, rows [q | k | v];
--                  grouped: per KV group, its heads/kv_heads q heads then one k then one v
--                    (per-head [q k v] when kv_heads == heads: NeoX, BLOOM; Falcon-40B groups);
--                  codegen: 4 blocks, each [q | v | k] of heads/4 heads
--   positions  = nil | { offset = 0 },   -- learned position embeddings (names.positions)
--   embed_norm = false,         -- LayerNorm right after the embedding (BLOOM)
--   residual   = "sequential" | "parallel" | "parallel2",
--                  parallel: x + attn(ln1(x)) + mlp(ln1(x)); parallel2: mlp reads ln2(x)
--   post_norm  = false,         -- sequential, norm after each residual add (OPT without
--                                  do_layer_norm_before)
--   norm_residual = false,      -- the normed input is the residual (BLOOM's
--                                  apply_residual_connection_post_layernorm)
--   rope       = nil | id,  alibi = nil | {slope per head},  alibi_bf16 = false,
--   scale      = nil | n | function(i)
--   window     = nil | n | function(i),   -- sliding window (0: full attention)
--   norm_bias  = true,          -- false: the LayerNorms have a weight and no bias (MPT's no_bias)
--   act        = "gelu_tanh",
--   final_norm = true,  tie = false,
-- }
-- Biases of projections and of the head are taken when the checkpoint has
-- them; project_in / project_out (OPT's word_embed_proj_dim) likewise.

local gpt_names = {
  embed = "wte", positions = "wpe", embed_norm = "word_embeddings_layernorm",
  project_in = "project_in", project_out = "project_out",
  layer = "h.%d.", attn_norm = "ln_1", mlp_norm = "ln_2",
  qkv = "attn.c_attn", q = "attn.q_proj", k = "attn.k_proj", v = "attn.v_proj", o = "attn.c_proj",
  up = "mlp.c_fc", down = "mlp.c_proj",
  final_norm = "ln_f", head = "lm_head.weight", head_bias = "lm_head.bias",
}

-- need_any(cfg, k1, k2, ...): the first of these config keys that is set
-- (HF attribute_map aliases such as n_embd / hidden_size).
local function need_any(cfg, ...)
  for _, k in ipairs({ ... }) do
    if cfg[k] ~= nil then return cfg[k] end
  end
  error(config_file .. ": missing '" .. table.concat({ ... }, "' or '") .. "'", 0)
end

-- The q, k, v row blocks of a fused [rows, cols] matrix (a bias is [rows, 1]).
local function qkv_blocks(w, layout, heads, kv, d, cols)
  local nq, nk = heads * d, kv * d
  if layout == "stacked" then
    return w:rows(0, nq), w:rows(nq, nk), w:rows(nq + nk, nk)
  elseif layout == "grouped" then
    local g = heads // kv
    local p = w:reshape{ kv, g + 2, d, cols }:permute{ 2, 1, 3, 4 }   -- [g+2, kv, d, cols]
    local q = p:rows(0, g):permute{ 2, 1, 3, 4 }:reshape{ nq, cols }   -- head = group * g + j
    return q, p:rows(g, 1):reshape{ nk, cols }, p:rows(g + 1, 1):reshape{ nk, cols }
  elseif layout == "codegen" then
    local p = w:reshape{ 4, 3, nq // 4, cols }:permute{ 2, 1, 3, 4 }:reshape{ 3 * nq, cols }  -- [q | v | k]
    return p:rows(0, nq), p:rows(2 * nq, nq), p:rows(nq, nq)
  end
  error("gpt: unknown qkv layout '" .. tostring(layout) .. "'")
end

-- alibi_slopes(heads): BLOOM / Falcon / MPT ALiBi slopes, including the
-- interleaved extra slopes for head counts that are not powers of two.
local function alibi_slopes(heads)
  local p2 = 2 ^ math.floor(math.log(heads, 2))
  local s = {}
  local base = 2 ^ (-(2 ^ -(math.log(p2, 2) - 3)))
  for i = 1, p2 do s[i] = base ^ i end
  if p2 ~= heads then
    local extra = 2 ^ (-(2 ^ -(math.log(2 * p2, 2) - 3)))
    for i = 1, math.min(p2, heads - p2) do s[#s + 1] = extra ^ (2 * i - 1) end
  end
  return s
end

-- sinusoid_rope(head_dim, rot_dim [, interleaved]): the fixed base-10000
-- rotary table of GPT-J and CodeGen (create_sinusoidal_positions) -> rope id
local function sinusoid_rope(head_dim, rot_dim, interleaved)
  local f = {}
  for i = 0, rot_dim // 2 - 1 do f[i + 1] = 1.0 / 10000 ^ ((2 * i) / rot_dim) end
  return rope_table { head_dim = head_dim, rot_dim = rot_dim, inv_freq = f, interleaved = interleaved or false }
end

local function gpt(o)
  local n = setmetatable(o.names or {}, { __index = gpt_names })
  local eps = o.eps or 1e-5
  local residual = o.residual or "sequential"
  local layout = o.qkv or "separate"
  local bases = type(o.base) == "table" and o.base or { o.base or "", "" }
  local base = bases[1]
  for _, b in ipairs(bases) do
    if has(b .. n.embed .. ".weight") then base = b; break end
  end
  local max_ctx  -- a learned position table bounds the context
  if o.positions then
    local ps = shape(base .. n.positions .. ".weight")
    if ps then max_ctx = ps[1] - (o.positions.offset or 0) end
  end
  model { vocab = o.vocab, max_pos = o.max_pos, max_ctx = max_ctx, bos = o.bos, eos = o.eos }

  local function W(name)
    local w = weight(name .. ".weight")
    if o.conv1d then w = w:t() end
    return w
  end
  local function bias(name) return weight(name .. ".bias", { optional = true }) end
  local function proj(x, name, opts) return linear(x, W(name), bias(name), opts) end
  local function norm(x, name)
    if o.affine == false then return layernorm(x, nil, nil, { eps = eps }) end
    -- every norm is on the residual stream: [hidden] (weight checks the
    -- config's shapes against the tensors)
    local b = o.norm_bias ~= false and weight(name .. ".bias") or nil
    return layernorm(x, weight(name .. ".weight", { shape = { o.hidden } }), b, { eps = eps })
  end

  local function attention_block(h, p, i)
    local q, k, v
    if layout == "separate" then
      q, k, v = proj(h, p .. n.q), proj(h, p .. n.k), proj(h, p .. n.v)
    else
      local w, b = W(p .. n.qkv), bias(p .. n.qkv)
      local wq, wk, wv = qkv_blocks(w, layout, o.heads, o.kv_heads, o.head_dim, w.cols)
      local bq, bk, bv
      if b then
        bq, bk, bv = qkv_blocks(b:reshape{ b.shape[1], 1 }, layout, o.heads, o.kv_heads, o.head_dim, 1)
        bq, bk, bv = bq:reshape{ bq.shape[1] }, bk:reshape{ bk.shape[1] }, bv:reshape{ bv.shape[1] }
      end
      q, k, v = linear(h, wq, bq), linear(h, wk, bk), linear(h, wv, bv)
    end
    if o.rope then q, k = rope(q, o.rope), rope(k, o.rope) end
    local sc = o.scale
    if type(sc) == "function" then sc = sc(i) end
    local win = o.window
    if type(win) == "function" then win = win(i) end
    local a = attention(q, k, v, {
      heads = o.heads, kv_heads = o.kv_heads, head_dim = o.head_dim, scale = sc, alibi = o.alibi,
      alibi_bf16 = o.alibi_bf16, window = win or 0,
    })
    return proj(a, p .. n.o)
  end

  local function mlp_block(h, p)
    return proj(proj(h, p .. n.up, { act = o.act or "gelu_tanh" }), p .. n.down)
  end

  local E = weight(base .. n.embed .. ".weight", { shape = { o.vocab } })
  local x = embed(E, tokens())
  if has(base .. n.project_in .. ".weight") then x = linear(x, W(base .. n.project_in)) end
  if o.positions then
    x = add(x, embed(weight(base .. n.positions .. ".weight"), positions({ offset = o.positions.offset })))
  end
  if o.embed_norm then x = norm(x, base .. n.embed_norm) end

  for i = 0, o.layers - 1 do
    layer(i)
    local p = base .. string.format(n.layer, i)
    if residual == "parallel" then
      local h = norm(x, p .. n.attn_norm)
      x = add(add(x, attention_block(h, p, i)), mlp_block(h, p))
    elseif residual == "parallel2" then
      local a = attention_block(norm(x, p .. n.attn_norm), p, i)
      local f = mlp_block(norm(x, p .. n.mlp_norm), p)
      x = add(add(x, a), f)
    elseif o.post_norm then
      x = norm(add(x, attention_block(x, p, i)), p .. n.attn_norm)
      x = norm(add(x, mlp_block(x, p)), p .. n.mlp_norm)
    else
      local h = norm(x, p .. n.attn_norm)
      x = add(o.norm_residual and h or x, attention_block(h, p, i))
      h = norm(x, p .. n.mlp_norm)
      x = add(o.norm_residual and h or x, mlp_block(h, p))
    end
  end
  layer(-1)
  x = last(x)
  if o.final_norm ~= false then x = norm(x, base .. n.final_norm) end
  if has(base .. n.project_out .. ".weight") then x = linear(x, W(base .. n.project_out)) end
  local head = o.tie and E or weight(n.head, { shape = { o.vocab } })
  output(linear(x, head, weight(n.head_bias, { optional = true })))
end

return { gpt = gpt, need_any = need_any, alibi_slopes = alibi_slopes, sinusoid_rope = sinusoid_rope }
