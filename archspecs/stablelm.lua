-- archspecs/stablelm.lua: StableLM (2) = LayerNorm, partial rotary, optional
-- q/k/v biases, optional parallel residual, optional per-head q/k LayerNorms
-- (a separate weight for every head, no bias).
return arch {
  name = "stablelm",
  hf = { "StableLmForCausalLM" },
  model_type = { "stablelm" },
  about = "LayerNorm, partial RoPE, SwiGLU MLP, optional qkv bias / parallel residual / per-head q,k LayerNorm",
  options = "partial_rotary_factor, use_qkv_bias, use_parallel_residual, qk_layernorm, layer_norm_eps, "
    .. "tie_word_embeddings, rope_parameters/rope_theta",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_stablelm.py
      num_key_value_heads = 32, hidden_act = "silu", max_position_embeddings = 4096,
      layer_norm_eps = 1e-5, tie_word_embeddings = false, qk_layernorm = false,
      use_parallel_residual = false, partial_rotary_factor = 0.25, bos_token_id = 0, eos_token_id = 0,
    })
    local c = common(cfg)
    local hd = c.hidden // c.heads  -- StableLM ignores head_dim
    local eps = cfg.layer_norm_eps
    -- StableLmLayerNormPerHead: LayerNorm of each head with that head's weight
    local function head_norm(x, prefix, nheads)
      local ws = {}
      for h = 0, nheads - 1 do ws[h + 1] = weight(string.format("%s.norms.%d.weight", prefix, h)) end
      return mul(layernorm(x, nil, nil, { eps = eps, group = hd }), cat(table.unpack(ws)))
    end
    decoder {
      hidden = c.hidden, layers = c.layers, heads = c.heads, kv_heads = c.kv_heads,
      head_dim = hd, vocab = c.vocab, max_pos = c.max_pos, bos = c.bos, eos = c.eos,
      norm = { kind = "layernorm", eps = eps },
      residual = cfg.use_parallel_residual and "parallel" or "sequential",
      attention = { rope = rope_from_config(cfg, hd), qk_norm = cfg.qk_layernorm and head_norm },
      mlp = { act = c.act },
      tie = cfg.tie_word_embeddings,
      names = { q_norm = "self_attn.q_layernorm", k_norm = "self_attn.k_layernorm" },
    }
  end,
}
