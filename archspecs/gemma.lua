-- archspecs/gemma.lua: Gemma = the Llama block with RMSNorm weights stored
-- as w - 1 (the norm uses 1 + w), GeGLU (gelu tanh), embeddings scaled by
-- sqrt(hidden) and the LM head tied to the embedding table.
return arch {
  name = "gemma",
  hf = { "GemmaForCausalLM" },
  model_type = { "gemma" },
  about = "RMSNorm (1 + w), GeGLU MLP, embeddings times sqrt(hidden), tied head",
  options = "head_dim, hidden_act, rms_norm_eps, tie_word_embeddings, rope_parameters/rope_theta",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_gemma.py
      num_key_value_heads = 16, head_dim = 256, hidden_act = "gelu_pytorch_tanh",
      max_position_embeddings = 8192, rms_norm_eps = 1e-6, tie_word_embeddings = true,
      bos_token_id = 2, eos_token_id = 1,
    })
    local c = common(cfg)
    decoder {
      hidden = c.hidden, layers = c.layers, heads = c.heads, kv_heads = c.kv_heads,
      head_dim = c.head_dim, vocab = c.vocab, max_pos = c.max_pos, bos = c.bos, eos = c.eos,
      norm = { eps = cfg.rms_norm_eps, plus1 = true },
      embed = { scale = math.sqrt(c.hidden) },
      attention = { rope = rope_from_config(cfg, c.head_dim) },
      mlp = { act = c.act },
      tie = cfg.tie_word_embeddings,
    }
  end,
}
