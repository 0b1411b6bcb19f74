-- archspecs/phi.lua: Phi-1/1.5/2 = LayerNorm with bias, attention and MLP in
-- parallel from one norm, partial rotary, gelu_new plain MLP, biases everywhere.
return arch {
  name = "phi",
  hf = { "PhiForCausalLM" },
  model_type = { "phi" },
  about = "parallel residual from one LayerNorm, partial RoPE, plain gelu MLP (fc1, fc2), dense biases",
  options = "partial_rotary_factor, qk_layernorm, layer_norm_eps, hidden_act, tie_word_embeddings, rope_parameters/rope_theta",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_phi.py
      hidden_act = "gelu_new", max_position_embeddings = 2048, layer_norm_eps = 1e-5,
      tie_word_embeddings = false, qk_layernorm = false, partial_rotary_factor = 0.5,
      bos_token_id = 1, eos_token_id = 2,
    })
    local c = common(cfg)
    decoder {
      hidden = c.hidden, layers = c.layers, heads = c.heads, kv_heads = c.kv_heads,
      head_dim = c.head_dim, vocab = c.vocab, max_pos = c.max_pos, bos = c.bos, eos = c.eos,
      norm = { kind = "layernorm", eps = cfg.layer_norm_eps },
      residual = "parallel",
      attention = { rope = rope_from_config(cfg, c.head_dim), qk_norm = cfg.qk_layernorm and "head" },
      mlp = { act = c.act, gated = false },
      tie = cfg.tie_word_embeddings,
      names = {
        o = "self_attn.dense", up = "mlp.fc1", down = "mlp.fc2", final_norm = "model.final_layernorm",
        q_norm = "self_attn.q_layernorm", k_norm = "self_attn.k_layernorm",
      },
    }
  end,
}
