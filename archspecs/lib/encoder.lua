-- archspecs/lib/encoder.lua: the BERT-style encoder (post-LayerNorm blocks,
-- bidirectional attention, word + position + token-type embeddings, a
-- masked-LM head) as one template. The model gives every position's logits
-- and does not generate (model{encoder_only = true}); without the head, its
-- final hidden states.
--
-- encoder{
--   hidden, layers, heads, head_dim, vocab, max_pos, bos, eos,
--   ffn,                        -- the MLP's width: checks the up/down shapes (nil: unchecked)
--   eps        = 1e-12,         -- every LayerNorm
--   act        = "gelu",        -- the MLP and the head transform
--   base       = { "bert.", "" },   -- prefix of the body's tensor names: the first the checkpoint has
--   names      = { ... },       -- body names relative to base, head names absolute (BERT defaults below)
--   positions  = { offset = 0 },-- learned absolute positions
--   token_type = true,          -- add row 0 of the token-type table (token_type_ids default to 0)
--   causal     = false,         -- is_decoder configs attend causally
--   tie        = true,          -- the MLM decoder is the word embedding table
-- }
-- Biases are taken when the checkpoint has them.

local bert_names = {
  embed = "embeddings.word_embeddings", positions = "embeddings.position_embeddings",
  token_type = "embeddings.token_type_embeddings", embed_norm = "embeddings.LayerNorm",
  layer = "encoder.layer.%d.",
  q = "attention.self.query", k = "attention.self.key", v = "attention.self.value",
  o = "attention.output.dense", attn_norm = "attention.output.LayerNorm",
  up = "intermediate.dense", down = "output.dense", mlp_norm = "output.LayerNorm",
  transform = "cls.predictions.transform.dense", transform_norm = "cls.predictions.transform.LayerNorm",
  decoder = "cls.predictions.decoder", head_bias = "cls.predictions.bias",
}

local function encoder(o)
  local n = setmetatable(o.names or {}, { __index = bert_names })
  local eps = o.eps or 1e-12
  local bases = o.base or { "bert.", "" }
  local base = bases[1]
  for _, b in ipairs(bases) do
    if has(b .. n.embed .. ".weight") then base = b; break end
  end
  local po = o.positions or {}
  local ps = shape(base .. n.positions .. ".weight")
  model { vocab = o.vocab, max_pos = o.max_pos, bos = o.bos, eos = o.eos, encoder_only = true,
          max_ctx = ps and ps[1] - (po.offset or 0) }

  local function proj(x, name, opts, dims)
    return linear(x, weight(name .. ".weight", { shape = dims }), weight(name .. ".bias", { optional = true }), opts)
  end
  -- the MLP's shapes the config implies (weight checks them against the tensors)
  local H, FF = o.hidden, type(o.ffn) == "number" and o.ffn or nil
  local function norm(x, name)  -- every norm is [hidden] (weight checks the config's shapes)
    return layernorm(x, weight(name .. ".weight", { shape = { o.hidden } }), weight(name .. ".bias"), { eps = eps })
  end

  local E = weight(base .. n.embed .. ".weight", { shape = { o.vocab, o.hidden } })
  local x = embed(E, tokens())
  if o.token_type ~= false and has(base .. n.token_type .. ".weight") then
    local tt = weight(base .. n.token_type .. ".weight")
    x = add(x, tt:rows(0, 1):reshape{ tt.cols })
  end
  x = add(x, embed(weight(base .. n.positions .. ".weight"), positions({ offset = po.offset })))
  x = norm(x, base .. n.embed_norm)

  for i = 0, o.layers - 1 do
    layer(i)
    local p = base .. string.format(n.layer, i)
    local q, k, v = proj(x, p .. n.q), proj(x, p .. n.k), proj(x, p .. n.v)
    local a = attention(q, k, v, { heads = o.heads, kv_heads = o.heads, head_dim = o.head_dim, causal = o.causal == true })
    x = norm(add(x, proj(a, p .. n.o)), p .. n.attn_norm)
    local f = proj(proj(x, p .. n.up, { act = o.act or "gelu" }, { FF, H }), p .. n.down, nil, { H, FF })
    x = norm(add(x, f), p .. n.mlp_norm)
  end
  layer(-1)
  hidden(x)  -- the final hidden states: sentence embeddings pool them (OUT --embed)
  x = last(x)
  -- a checkpoint without the masked-LM head (an embedding model, as GGUF
  -- converters write BERT) outputs its final hidden states [T, hidden]
  if not has(n.transform .. ".weight") and not has(n.decoder .. ".weight") then output(x) return end
  x = norm(proj(x, n.transform, { act = o.act or "gelu" }), n.transform_norm)
  local head = (o.tie ~= false) and E or weight(n.decoder .. ".weight")
  local hb = weight(n.decoder .. ".bias", { optional = true }) or weight(n.head_bias, { optional = true })
  output(linear(x, head, hb))
end

-- roberta(cfg): RoBERTa and XLM-RoBERTa with their masked-LM head = the BERT
-- encoder with positions counted from pad_token_id + 1 and the head named lm_head
local function roberta(cfg)
  with_defaults(cfg, {            -- configuration_roberta.py (configuration_xlm_roberta.py: the same)
    hidden_act = "gelu", layer_norm_eps = 1e-12, max_position_embeddings = 512, pad_token_id = 1,
    bos_token_id = 0, eos_token_id = 2, position_embedding_type = "absolute", tie_word_embeddings = true,
  })
  if cfg.position_embedding_type ~= "absolute" then
    error(config_file .. ": position_embedding_type '" .. cfg.position_embedding_type .. "' is not supported", 0)
  end
  local hidden, heads = need(cfg, "hidden_size"), need(cfg, "num_attention_heads")
  encoder {
    hidden = hidden, layers = need(cfg, "num_hidden_layers"), heads = heads, head_dim = hidden // heads,
    ffn = cfg.intermediate_size,
    vocab = need(cfg, "vocab_size"), max_pos = cfg.max_position_embeddings - cfg.pad_token_id - 1,
    bos = cfg.bos_token_id, eos = cfg.eos_token_id,
    eps = cfg.layer_norm_eps, act = act_name(cfg.hidden_act),
    base = { "roberta.", "" },
    -- create_position_ids_from_input_ids: padding_idx + 1 + the count of non-padding tokens so far
    positions = { offset = cfg.pad_token_id + 1 },
    causal = cfg.is_decoder == true,
    tie = cfg.tie_word_embeddings,
    names = { transform = "lm_head.dense", transform_norm = "lm_head.layer_norm",
              decoder = "lm_head.decoder", head_bias = "lm_head.bias" },
  }
end

return { encoder = encoder, roberta = roberta }
