-- archspecs/qwen3_5_text.lua: Qwen3.5 (text) = gated delta-rule linear
-- attention layers and gated full-attention layers (layer_types), (1 + w)
-- RMSNorms, partial RoPE, a SwiGLU MLP.
return arch {
  name = "qwen3_5_text",
  hf = { "Qwen3_5ForCausalLM" },
  model_type = { "qwen3_5_text" },
  about = "hybrid: gated delta-rule linear attention and gated attention layers",
  options = "layer_types (full_attention_interval), linear_num_key_heads, linear_num_value_heads, linear_key_head_dim, linear_value_head_dim, "
    .. "linear_conv_kernel_dim, head_dim, partial_rotary_factor, rms_norm_eps, tie_word_embeddings, rope_parameters",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_qwen3_5.py (Qwen3_5TextConfig)
      hidden_act = "silu", rms_norm_eps = 1e-6, tie_word_embeddings = false, head_dim = 256,
      linear_num_key_heads = 16, linear_num_value_heads = 32, linear_key_head_dim = 128, linear_value_head_dim = 128,
      partial_rotary_factor = 0.25,
    })
    local c = common(cfg)
    local lt = cfg.layer_types or {}   -- default: full attention every full_attention_interval layers
    if not cfg.layer_types then
      for i = 0, c.layers - 1 do
        lt[i + 1] = (i + 1) % (cfg.full_attention_interval or 4) == 0 and "full_attention" or "linear_attention"
      end
    end
    local r = rope_from_config(cfg, c.head_dim)
    decoder {
      hidden = c.hidden, layers = c.layers, heads = c.heads, kv_heads = c.kv_heads,
      head_dim = c.head_dim, vocab = c.vocab, max_pos = c.max_pos, bos = c.bos, eos = c.eos,
      norm = { eps = cfg.rms_norm_eps, plus1 = true },
      attention = { block = deltanet_hybrid_block(cfg, c, lt, r, "separate") },
      mlp = { act = c.act },
      tie = cfg.tie_word_embeddings,
    }
  end,
}
