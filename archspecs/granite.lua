-- archspecs/granite.lua: Granite = the Llama block with four multipliers:
-- embeddings, residual branches, attention scores (instead of 1/sqrt(d))
-- and logits (divided by logits_scaling).
return arch {
  name = "granite",
  hf = { "GraniteForCausalLM" },
  model_type = { "granite" },
  about = "Llama block with embedding, residual, attention and logit multipliers",
  options = "embedding_multiplier, residual_multiplier, attention_multiplier, logits_scaling, "
    .. "attention_bias, mlp_bias, rms_norm_eps, tie_word_embeddings, rope_parameters/rope_theta",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_granite.py
      hidden_act = "silu", max_position_embeddings = 2048, rms_norm_eps = 1e-6,
      tie_word_embeddings = false, embedding_multiplier = 1.0, logits_scaling = 1.0,
      residual_multiplier = 1.0, attention_multiplier = 1.0, bos_token_id = 1, eos_token_id = 2,
    })
    local c = common(cfg)
    decoder {
      hidden = c.hidden, layers = c.layers, heads = c.heads, kv_heads = c.kv_heads,
      head_dim = c.head_dim, vocab = c.vocab, max_pos = c.max_pos, bos = c.bos, eos = c.eos,
      norm = { eps = cfg.rms_norm_eps },
      embed = { scale = cfg.embedding_multiplier },
      residual_scale = cfg.residual_multiplier,
      attention = { rope = rope_from_config(cfg, c.head_dim), scale = cfg.attention_multiplier },
      mlp = { act = c.act },
      tie = cfg.tie_word_embeddings,
      logits = { scale = 1 / cfg.logits_scaling },
    }
  end,
}
