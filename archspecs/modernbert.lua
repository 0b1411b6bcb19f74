-- archspecs/modernbert.lua: ModernBERT with its masked-LM head. Pre-norm
-- encoder blocks (the first without an attention norm), bias-free LayerNorms,
-- a fused Wqkv with RoPE, GeGLU MLP (Wi = [input; gate]), a final norm;
-- full-attention layers every global_attn_every_n_layers and bidirectional
-- local attention over local_attention/2 tokens on each side elsewhere, each
-- kind with its own RoPE base. Without the head, the final hidden states.
local function rope_of(cfg, lt)     -- ModernBertConfig.convert_rope_params_to_dict
  local p = {}
  for k, v in pairs(cfg.rope_scaling or {}) do p[k] = v end
  for k, v in pairs((cfg.rope_parameters or {})[lt] or {}) do p[k] = v end
  if lt == "full_attention" then p.rope_theta = p.rope_theta or cfg.global_rope_theta or 160000.0
  else p.rope_theta = p.rope_theta or cfg.local_rope_theta or 10000.0 end
  p.rope_type = p.rope_type or p.type or "default"
  return p
end

return arch {
  name = "modernbert",
  hf = { "ModernBertForMaskedLM" },
  model_type = { "modernbert" },
  about = "encoder: pre-norm blocks, fused Wqkv with RoPE, GeGLU MLP, alternating global and bidirectional local attention",
  options = "layer_types (or global_attn_every_n_layers), local_attention, rope_parameters per layer type "
    .. "(or global_rope_theta, local_rope_theta), hidden_activation, classifier_activation, norm_eps, norm_bias, "
    .. "attention_bias, mlp_bias, decoder_bias, classifier_bias, tie_word_embeddings",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_modernbert.py
      hidden_activation = "gelu", classifier_activation = "gelu", max_position_embeddings = 8192,
      norm_eps = 1e-5, local_attention = 128, global_attn_every_n_layers = 3, tie_word_embeddings = true,
      bos_token_id = 50281, eos_token_id = 50282,
    })
    local H, heads, layers = need(cfg, "hidden_size"), need(cfg, "num_attention_heads"), need(cfg, "num_hidden_layers")
    local hd, vocab = H // heads, need(cfg, "vocab_size")
    local lt = layer_types(cfg, function(i) return i % cfg.global_attn_every_n_layers ~= 0 end)
    model { vocab = vocab, max_pos = cfg.max_position_embeddings, bos = cfg.bos_token_id, eos = cfg.eos_token_id,
            encoder_only = true }
    local base = has("model.embeddings.tok_embeddings.weight") and "model." or ""
    local function w(name, dims) return weight(name .. ".weight", { shape = dims }) end
    local function b(name) return weight(name .. ".bias", { optional = true }) end
    local function norm(x, name)
      return layernorm(x, w(name, { H }), b(name), { eps = cfg.norm_eps })
    end
    local ropes = {}
    local function rope_for(t)
      ropes[t] = ropes[t] or rope_from_config(cfg, hd, { params = rope_of(cfg, t) })
      return ropes[t]
    end

    local E = w(base .. "embeddings.tok_embeddings", { vocab, H })
    local x = norm(embed(E, tokens()), base .. "embeddings.norm")
    for i = 0, layers - 1 do
      layer(i)
      local p = base .. "layers." .. i .. "."
      local h = has(p .. "attn_norm.weight") and norm(x, p .. "attn_norm") or x
      local qkv, qb = w(p .. "attn.Wqkv", { 3 * H, H }), b(p .. "attn.Wqkv")
      local function part(k) return linear(h, qkv:rows(k * H, H), qb and qb:rows(k * H, H)) end
      local r = rope_for(lt[i + 1])
      local a = attention(rope(part(0), r), rope(part(1), r), part(2), {
        heads = heads, kv_heads = heads, head_dim = hd, causal = false,
        window = lt[i + 1] == "sliding_attention" and cfg.local_attention // 2 or 0,
      })
      x = add(x, linear(a, w(p .. "attn.Wo", { H, H }), b(p .. "attn.Wo")))
      h = norm(x, p .. "mlp_norm")
      local wi, wb = w(p .. "mlp.Wi"), b(p .. "mlp.Wi")
      local F = wi.shape[1] // 2
      local g = mul(act(linear(h, wi:rows(0, F), wb and wb:rows(0, F)), act_name(cfg.hidden_activation)),
                    linear(h, wi:rows(F, F), wb and wb:rows(F, F)))
      x = add(x, linear(g, w(p .. "mlp.Wo"), b(p .. "mlp.Wo")))
    end
    layer(-1)
    x = norm(x, base .. "final_norm")
    hidden(x)  -- the final hidden states: sentence embeddings pool them (OUT --embed)
    x = last(x)
    if not has("head.dense.weight") then output(x) return end
    x = norm(linear(x, w("head.dense", { H, H }), b("head.dense"), { act = act_name(cfg.classifier_activation) }), "head.norm")
    local head = cfg.tie_word_embeddings and E or w("decoder", { vocab, H })
    output(linear(x, head, b("decoder")))
  end,
}
