-- archspecs/gemma3_text.lua: Gemma 3 (text) = Gemma 2's block with per-head
-- q/k RMSNorm (1 + w) instead of attention soft-capping, sliding-window
-- (local) and global layers with a RoPE base each.
local function rope_of(cfg, lt)     -- Gemma3TextConfig.convert_rope_params_to_dict
  local p = {}
  for k, v in pairs((cfg.rope_parameters or {})[lt] or {}) do p[k] = v end
  if lt == "full_attention" then
    for k, v in pairs(cfg.rope_scaling or {}) do p[k] = v end
    p.rope_theta = p.rope_theta or cfg.rope_theta or 1000000.0
  else
    p.rope_theta = p.rope_theta or cfg.rope_local_base_freq or 10000.0
  end
  p.rope_type = p.rope_type or p.type or "default"
  p.original_max_position_embeddings = p.original_max_position_embeddings or cfg.max_position_embeddings
  return p
end

return arch {
  name = "gemma3_text",
  hf = { "Gemma3ForCausalLM" },
  model_type = { "gemma3_text" },
  about = "Gemma 2 block with per-head q/k norms, local/global layers with two RoPE bases",
  options = "layer_types, sliding_window, sliding_window_pattern, rope_parameters per layer type "
    .. "(or rope_theta, rope_local_base_freq, rope_scaling), query_pre_attn_scalar, final_logit_softcapping, "
    .. "hidden_activation, head_dim, rms_norm_eps, tie_word_embeddings",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_gemma3.py (Gemma3TextConfig)
      num_key_value_heads = 4, head_dim = 256, hidden_activation = "gelu_pytorch_tanh",
      max_position_embeddings = 131072, rms_norm_eps = 1e-6, tie_word_embeddings = true,
      query_pre_attn_scalar = 256, sliding_window = 4096, sliding_window_pattern = 6,
      bos_token_id = 2, eos_token_id = 1,
    })
    if cfg.use_bidirectional_attention then
      error(config_file .. ": use_bidirectional_attention is not supported", 0)
    end
    local c = common(cfg)
    local lt = layer_types(cfg, function(i) return (i + 1) % cfg.sliding_window_pattern ~= 0 end)
    local ropes = {}                -- one table per layer type in use
    local function rope(i)
      local t = lt[i + 1]
      ropes[t] = ropes[t] or rope_from_config(cfg, c.head_dim, { params = rope_of(cfg, t) })
      return ropes[t]
    end
    decoder {
      hidden = c.hidden, layers = c.layers, heads = c.heads, kv_heads = c.kv_heads,
      head_dim = c.head_dim, vocab = c.vocab, max_pos = c.max_pos, bos = c.bos, eos = c.eos,
      norm = { eps = cfg.rms_norm_eps, plus1 = true },
      embed = { scale = math.sqrt(c.hidden) },
      post_norm = { attn = true, mlp = true },
      attention = {
        rope = rope, window = windows(cfg, lt),
        scale = cfg.query_pre_attn_scalar ^ -0.5, qk_norm = "head",
      },
      mlp = { act = act_name(cfg.hidden_activation) },
      tie = cfg.tie_word_embeddings,
      logits = { cap = cfg.final_logit_softcapping },
      names = { mlp_norm = "pre_feedforward_layernorm" },
    }
  end,
}
