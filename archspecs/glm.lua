-- archspecs/glm.lua: GLM-4 = the Llama block with q/k/v biases, RoPE on the
-- leading part of each head in interleaved pairs, gate/up as one tensor.
return arch {
  name = "glm",
  hf = { "GlmForCausalLM" },
  model_type = { "glm" },
  about = "Llama block with qkv bias, partial interleaved RoPE, fused gate_up_proj",
  options = "partial_rotary_factor, attention_bias, head_dim, rms_norm_eps, tie_word_embeddings, rope_parameters/rope_theta",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_glm.py
      num_key_value_heads = 2, head_dim = 128, hidden_act = "silu", max_position_embeddings = 131072,
      rms_norm_eps = 0.00000015625, tie_word_embeddings = false, partial_rotary_factor = 0.5,
    })
    cfg.eos_token_id = cfg.eos_token_id or { 151329, 151336, 151338 }  -- also when null
    local c = common(cfg)
    decoder {
      hidden = c.hidden, layers = c.layers, heads = c.heads, kv_heads = c.kv_heads,
      head_dim = c.head_dim, vocab = c.vocab, max_pos = c.max_pos, bos = c.bos, eos = c.eos,
      norm = { eps = cfg.rms_norm_eps },
      attention = { rope = rope_from_config(cfg, c.head_dim, { interleaved = true }) },
      mlp = { act = c.act },
      tie = cfg.tie_word_embeddings,
      names = { gate_up = "mlp.gate_up_proj" },
    }
  end,
}
