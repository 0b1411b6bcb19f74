-- archspecs/starcoder2.lua: StarCoder2 = LayerNorm with bias, a plain
-- (non-gated) MLP, biases on every projection, optional sliding window.
return arch {
  name = "starcoder2",
  hf = { "Starcoder2ForCausalLM" },
  model_type = { "starcoder2" },
  about = "LayerNorm, plain gelu MLP (c_fc, c_proj), dense biases, RoPE",
  options = "norm_epsilon, hidden_act, use_bias, sliding_window, tie_word_embeddings, rope_parameters/rope_theta",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_starcoder2.py
      num_key_value_heads = 2, hidden_act = "gelu_pytorch_tanh", max_position_embeddings = 4096,
      norm_epsilon = 1e-5, bos_token_id = 50256, eos_token_id = 50256, tie_word_embeddings = true,
    })
    local c = common(cfg)
    decoder {
      hidden = c.hidden, layers = c.layers, heads = c.heads, kv_heads = c.kv_heads,
      head_dim = c.head_dim, vocab = c.vocab, max_pos = c.max_pos, bos = c.bos, eos = c.eos,
      norm = { kind = "layernorm", eps = cfg.norm_epsilon },
      attention = { rope = rope_from_config(cfg, c.head_dim), window = cfg.sliding_window },
      mlp = { act = c.act, gated = false },
      tie = cfg.tie_word_embeddings,
      names = { up = "mlp.c_fc", down = "mlp.c_proj" },
    }
  end,
}
