-- archspecs/lib/decoder.lua: the standard decoder-only transformer, as one
-- template of options. A family file fills in hyperparameters, tensor names
-- and a few switches; this file turns them into builder calls.
--
-- decoder{
--   hidden, layers, heads, kv_heads, head_dim, vocab, max_pos, bos, eos,
--   ffn,                          -- the MLP's width: checks the gate/up/down shapes (nil: unchecked)
--   norm       = { kind = "rmsnorm" | "layernorm", eps = 1e-6, plus1 = false },
--                  plus1: the weight is stored as w - 1 (the norm uses 1 + w)
--   embed      = { scale = nil, positions = nil | { offset = 0 }, norm = false },
--                  positions: learned position embeddings (names.positions);
--                  norm: a norm right after the embedding (names.embed_norm)
--                  image = nil | function(x) -> x: the image's rows put in at its
--                    tokens (vision-language models: image_rows, image_merge)
--   residual   = "sequential" | "parallel" | "parallel2",
--                  parallel: attention and MLP both read one norm of x and
--                  their outputs add to x; parallel2: each has its own norm
--   pre_norm   = true,            -- norms before attention and MLP
--   post_norm  = { attn = false, mlp = false },  -- norms on each branch output
--   residual_scale = nil,         -- each branch output times this before the add
--                                    (folded into the o / down projection)
--   attention  = { rope = id | function(i) -> id | nil (nil: no RoPE in layer i),
--                  window = n | function(i) (0: full attention),
--                  qk_norm = false | "head" | "all" | function(x, prefix, nheads) -> x,
--                    head: one norm weight shared by every head; all: one norm
--                    over all heads at once; a function: the family's own
--                    (e.g. a weight per head), prefix = layer prefix .. names.q_norm
--                  qk_norm_after_rope = false: the q/k norm comes after RoPE (Hunyuan)
--                  scale = nil, cap = nil,
--                  alibi = nil | {slopes}, project = nil | function(h, prefix, i) -> q, k, v,
--                  block = nil | function(h, prefix, i) -> out | nil: replaces the whole
--                    attention branch of layer i when it returns an output (hybrids) },
--   mlp        = { act = "silu", gated = true, project = nil | function(h, prefix, i) -> out },
--   final_norm = true,
--   output_hidden = false,        -- debugging: output the hidden state [T, hidden]
--                                    instead of logits (with layers = k and
--                                    final_norm = false: transformers' hidden_states[k])
--   tie        = false,           -- lm head = embedding table
--   logits     = { scale = nil, cap = nil },
--   names      = { ... },         -- tensor names, llama defaults below; also
--                  qkv = "self_attn.qkv_proj": q, k, v stored as one tensor,
--                  rows [q; k; v] (split by heads, kv_heads, head_dim);
--                  gate_up = "mlp.gate_up_proj": gate and up as one tensor [gate; up]
-- }
-- Biases are taken when the model file has them (projections, norms, head).
-- project hooks replace the q/k/v or MLP projections for checkpoints that
-- store them fused or in another layout; they return activations.

local llama_names = {
  embed = "model.embed_tokens.weight",
  positions = "model.embed_positions.weight",
  embed_norm = "model.embed_layernorm",
  layer = "model.layers.%d.",
  attn_norm = "input_layernorm", mlp_norm = "post_attention_layernorm",
  attn_post_norm = "post_attention_layernorm", mlp_post_norm = "post_feedforward_layernorm",
  q = "self_attn.q_proj", k = "self_attn.k_proj", v = "self_attn.v_proj", o = "self_attn.o_proj",
  q_norm = "self_attn.q_norm", k_norm = "self_attn.k_norm",
  gate = "mlp.gate_proj", up = "mlp.up_proj", down = "mlp.down_proj",
  final_norm = "model.norm", head = "lm_head.weight", head_bias = "lm_head.bias",
}

local function per_layer(v, i)
  if type(v) == "function" then return v(i) end
  return v
end

local function decoder(o)
  local n = setmetatable(o.names or {}, { __index = llama_names })
  local nrm = o.norm or {}
  local eps = nrm.eps or 1e-6
  local at = o.attention or {}
  local ml = o.mlp or {}
  local em = o.embed or {}
  local post = o.post_norm or {}
  local residual = o.residual or "sequential"
  local pre = o.pre_norm ~= false
  model { vocab = o.vocab, max_pos = o.max_pos, bos = o.bos, eos = o.eos }

  -- the shapes the config implies (weight checks them against the tensors,
  -- so a config that disagrees with the checkpoint is an error naming both)
  local function times(a, b) return type(a) == "number" and type(b) == "number" and a * b or nil end
  local H, Q, KV = o.hidden, times(o.heads, o.head_dim), times(o.kv_heads, o.head_dim)
  local FF = type(o.ffn) == "number" and o.ffn or nil
  local function norm(x, prefix, group, dims)
    local w = weight(prefix .. ".weight", { optional = nrm.kind == "layernorm", shape = dims })
    if w and nrm.plus1 then w = w:add(1) end
    if nrm.kind == "layernorm" then
      return layernorm(x, w, weight(prefix .. ".bias", { optional = true }), { eps = eps, group = group })
    end
    return rmsnorm(x, w, { eps = eps, group = group })
  end
  local function proj(x, name, opts, dims)
    return linear(x, weight(name .. ".weight", { shape = dims }), weight(name .. ".bias", { optional = true }), opts)
  end
  -- residual_scale: folded into the branch's output projection (so the
  -- residual add still fuses into it) unless a post-norm comes after it.
  local rs = o.residual_scale ~= 1 and o.residual_scale or nil
  local function out_proj(x, name, post_norm, dims)
    if post_norm or not rs then return proj(x, name, nil, dims) end
    return proj(x, name, { scale = rs }, dims)
  end
  local function branch_out(x, y, scaled)  -- the residual add of one branch
    if rs and not scaled then y = scale(y, rs) end
    return add(x, y)
  end

  -- q, k, v as row blocks of one fused tensor (names.qkv): [q; k; v]
  local function fused_qkv(h, name)
    local w, b = weight(name .. ".weight"), weight(name .. ".bias", { optional = true })
    local nq, nk = o.heads * o.head_dim, o.kv_heads * o.head_dim
    local function part(first, count)
      return linear(h, w:rows(first, count), b and b:rows(first, count))
    end
    return part(0, nq), part(nq, nk), part(nq + nk, w.shape[1] - nq - nk)
  end

  local function attention_block(h, p, i)
    if at.block then  -- a layer whose token mixer is not attention (e.g. an SSM)
      local out = at.block(h, p, i)
      if out then return out, false end
    end
    local q, k, v
    if at.project then q, k, v = at.project(h, p, i)
    elseif n.qkv then q, k, v = fused_qkv(h, p .. n.qkv)
    else q, k, v = proj(h, p .. n.q, nil, { Q, H }), proj(h, p .. n.k, nil, { KV, H }), proj(h, p .. n.v, nil, { KV, H }) end
    local function qk_norm()
      if type(at.qk_norm) == "function" then
        q = at.qk_norm(q, p .. n.q_norm, o.heads)
        k = at.qk_norm(k, p .. n.k_norm, o.kv_heads)
      elseif at.qk_norm then
        local g = at.qk_norm == "all" and 0 or o.head_dim
        q = norm(q, p .. n.q_norm, g)
        k = norm(k, p .. n.k_norm, g)
      end
    end
    if not at.qk_norm_after_rope then qk_norm() end
    local r = per_layer(at.rope, i)
    if r then q, k = rope(q, r), rope(k, r) end
    if at.qk_norm_after_rope then qk_norm() end
    local a = attention(q, k, v, {
      heads = o.heads, kv_heads = o.kv_heads, head_dim = o.head_dim,
      window = per_layer(at.window, i) or 0, scale = at.scale, cap = at.cap, alibi = at.alibi,
    })
    local out = out_proj(a, p .. n.o, post.attn, { H, Q })
    if post.attn then out = norm(out, p .. n.attn_post_norm, nil, { H }) end
    return out, not post.attn    -- the output, already times residual_scale?
  end

  local function mlp_block(h, p, i)
    local f
    if ml.project then return ml.project(h, p, i), false end
    if ml.gated == false then
      f = proj(h, p .. n.up, { act = ml.act }, { FF, H })
    elseif n.gate_up then         -- one fused tensor [gate; up], split so fuse sees the GLU
      local w, b = weight(p .. n.gate_up .. ".weight"), weight(p .. n.gate_up .. ".bias", { optional = true })
      local F = w.shape[1] // 2
      local gate = linear(h, w:rows(0, F), b and b:rows(0, F))
      f = mul(act(gate, ml.act or "silu"), linear(h, w:rows(F, F), b and b:rows(F, F)))
    else
      f = mul(act(proj(h, p .. n.gate, nil, { FF, H }), ml.act or "silu"), proj(h, p .. n.up, nil, { FF, H }))
    end
    local out = out_proj(f, p .. n.down, post.mlp, { H, FF })
    if post.mlp then out = norm(out, p .. n.mlp_post_norm, nil, { H }) end
    return out, not post.mlp
  end

  local E = weight(n.embed, { shape = { o.vocab, H } })
  local x = embed(E, tokens(), { scale = em.scale })
  if em.positions then
    x = add(x, embed(weight(n.positions), positions({ offset = em.positions.offset })))
  end
  if em.norm then x = norm(x, n.embed_norm, nil, { H }) end
  if em.image then x = em.image(x) end

  for i = 0, o.layers - 1 do
    layer(i)
    local p = string.format(n.layer, i)
    if residual == "parallel" then
      local h = norm(x, p .. n.attn_norm, nil, { H })
      x = branch_out(branch_out(x, attention_block(h, p, i)), mlp_block(h, p, i))
    elseif residual == "parallel2" then
      local a, as = attention_block(norm(x, p .. n.attn_norm, nil, { H }), p, i)
      local f, fs = mlp_block(norm(x, p .. n.mlp_norm, nil, { H }), p, i)
      x = branch_out(branch_out(x, a, as), f, fs)
    else
      local h = pre and norm(x, p .. n.attn_norm, nil, { H }) or x
      x = branch_out(x, attention_block(h, p, i))
      h = pre and norm(x, p .. n.mlp_norm, nil, { H }) or x
      x = branch_out(x, mlp_block(h, p, i))
    end
  end
  layer(-1)
  x = last(x)
  if o.final_norm ~= false then x = norm(x, n.final_norm, nil, { H }) end
  if o.output_hidden then output(x) return end
  local head = o.tie and E or weight(n.head, { shape = { o.vocab, H } })
  local lo = o.logits or {}
  local logits = linear(x, head, weight(n.head_bias, { optional = true }), { scale = lo.scale })
  if lo.cap then logits = softcap(logits, lo.cap) end
  output(logits)
end

-- llama_block(cfg, over): the decoder table of the Llama block for an HF
-- config (RMSNorm, RoPE from the config, gated MLP, tied embeddings when the
-- config says so); the tables of `over` are merged into it field by field,
-- its other fields replace. decoder(llama_block(cfg)) is Llama.
local function llama_block(cfg, over)
  local c = common(cfg)
  local d = {
    hidden = c.hidden, layers = c.layers, heads = c.heads, kv_heads = c.kv_heads,
    head_dim = c.head_dim, vocab = c.vocab, max_pos = c.max_pos, bos = c.bos, eos = c.eos, ffn = c.ffn,
    norm = { eps = cfg.rms_norm_eps or 1e-6 },
    attention = { rope = rope_from_config(cfg, c.head_dim) },
    mlp = { act = c.act },
    tie = cfg.tie_word_embeddings == true,
  }
  for k, v in pairs(over or {}) do
    if type(v) == "table" and type(d[k]) == "table" then
      for k2, v2 in pairs(v) do d[k][k2] = v2 end
    else
      d[k] = v
    end
  end
  return d
end

return { decoder = decoder, llama_block = llama_block }
