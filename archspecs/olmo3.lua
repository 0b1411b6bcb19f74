-- archspecs/olmo3.lua: OLMo 3 = the OLMo 2 block (post-norms, q/k RMSNorm
-- over all heads) with sliding-window and full-attention layers
-- (layer_types), a RoPE table per layer type.
return arch {
  name = "olmo3",
  hf = { "Olmo3ForCausalLM" },
  model_type = { "olmo3" },
  about = "OLMo 2 block with per-layer sliding-window / full attention",
  options = "layer_types, sliding_window, rms_norm_eps, attention_bias, tie_word_embeddings, "
    .. "rope_parameters (per layer type)/rope_theta+rope_scaling",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_olmo3.py
      hidden_act = "silu", max_position_embeddings = 2048, rms_norm_eps = 1e-5,
      tie_word_embeddings = false, sliding_window = 4096, eos_token_id = 50279,
    })
    local c = common(cfg)
    local lt = layer_types(cfg, function(i) return (i + 1) % 4 ~= 0 end)
    local ropes = {}
    local function rope(i)           -- sliding layers: plain RoPE unless their own parameters say otherwise
      local t = lt[i + 1]
      if not ropes[t] then
        local per_type = type(cfg.rope_parameters) == "table" and type(cfg.rope_parameters[t]) == "table"
        local p = rope_params(cfg, t)
        if t == "sliding_attention" and not per_type then p = { rope_type = "default", rope_theta = p.rope_theta } end
        ropes[t] = rope_from_config(cfg, c.head_dim, { params = p })
      end
      return ropes[t]
    end
    decoder {
      hidden = c.hidden, layers = c.layers, heads = c.heads, kv_heads = c.kv_heads,
      head_dim = c.head_dim, vocab = c.vocab, max_pos = c.max_pos, bos = c.bos, eos = c.eos,
      norm = { eps = cfg.rms_norm_eps },
      pre_norm = false,
      post_norm = { attn = true, mlp = true },
      attention = { rope = rope, window = windows(cfg, lt), qk_norm = "all" },
      mlp = { act = c.act },
      tie = cfg.tie_word_embeddings,
    }
  end,
}
