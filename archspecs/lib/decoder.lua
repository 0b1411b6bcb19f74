-- archspecs/lib/decoder.lua: the standard decoder-only transformer, as one
-- template of options. A family file fills in hyperparameters, tensor names
-- and a few switches; this file turns them into builder calls.
--
-- decoder{
--   hidden, layers, heads, kv_heads, head_dim, vocab, max_pos, bos, eos,
--   norm      = { kind = "rmsnorm" | "layernorm", eps = 1e-6 },
--   attention = { rope = id | function(i) -> id, window = n | function(i) -> n,
--                 qk_norm = false, scale = nil },
--   mlp       = { act = "silu", gated = true },
--   tie       = false,                       -- lm head = embedding table
--   names     = { ... },                     -- tensor names, llama defaults below
-- }
-- Biases are taken when the model file has them (q/k/v/o and MLP).

local llama_names = {
  embed = "model.embed_tokens.weight",
  layer = "model.layers.%d.",
  attn_norm = "input_layernorm", mlp_norm = "post_attention_layernorm",
  q = "self_attn.q_proj", k = "self_attn.k_proj", v = "self_attn.v_proj", o = "self_attn.o_proj",
  q_norm = "self_attn.q_norm", k_norm = "self_attn.k_norm",
  gate = "mlp.gate_proj", up = "mlp.up_proj", down = "mlp.down_proj",
  final_norm = "model.norm", head = "lm_head.weight",
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
  model { vocab = o.vocab, max_pos = o.max_pos, bos = o.bos, eos = o.eos }

  local function norm(x, prefix, group)
    local w = weight(prefix .. ".weight")
    if nrm.kind == "layernorm" then
      return layernorm(x, w, weight(prefix .. ".bias", { optional = true }), { eps = eps, group = group })
    end
    return rmsnorm(x, w, { eps = eps, group = group })
  end
  local function proj(x, name, opts)
    return linear(x, weight(name .. ".weight"), weight(name .. ".bias", { optional = true }), opts)
  end

  local E = weight(n.embed)
  local x = embed(E, tokens())
  local hd = o.head_dim
  for i = 0, o.layers - 1 do
    layer(i)
    local p = string.format(n.layer, i)
    local h = norm(x, p .. n.attn_norm)
    local q, k, v = proj(h, p .. n.q), proj(h, p .. n.k), proj(h, p .. n.v)
    if at.qk_norm then
      q = norm(q, p .. n.q_norm, hd)
      k = norm(k, p .. n.k_norm, hd)
    end
    local r = per_layer(at.rope, i)
    if r then q, k = rope(q, r), rope(k, r) end
    local a = attention(q, k, v, {
      heads = o.heads, kv_heads = o.kv_heads, head_dim = hd,
      window = per_layer(at.window, i) or 0, scale = at.scale,
    })
    x = add(x, proj(a, p .. n.o))
    h = norm(x, p .. n.mlp_norm)
    local f
    if ml.gated == false then
      f = proj(h, p .. n.up, { act = ml.act })
    else
      f = mul(act(proj(h, p .. n.gate), ml.act or "silu"), proj(h, p .. n.up))
    end
    x = add(x, proj(f, p .. n.down))
  end
  layer(-1)
  x = norm(last(x), n.final_norm)
  local head = o.tie and E or weight(n.head)
  output(linear(x, head))
end

return { decoder = decoder }
