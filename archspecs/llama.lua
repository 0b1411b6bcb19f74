-- archspecs/llama.lua: Llama (GQA, optional attention/MLP biases, tied
-- embeddings, RoPE scaling: linear, dynamic NTK, llama3, yarn).
return arch {
  name = "llama",
  hf = { "LlamaForCausalLM" },
  model_type = { "llama" },
  about = "RMSNorm, SwiGLU MLP, RoPE with scaling, grouped-query attention",
  options = "attention_bias, mlp_bias, tie_word_embeddings, rope_parameters/rope_scaling, head_dim",
  build = function(cfg)
    local c = common(cfg)
    decoder {
      hidden = c.hidden, layers = c.layers, heads = c.heads, kv_heads = c.kv_heads,
      head_dim = c.head_dim, vocab = c.vocab, max_pos = c.max_pos, bos = c.bos, eos = c.eos,
      norm = { eps = cfg.rms_norm_eps or 1e-6 },
      attention = { rope = rope_from_config(cfg, c.head_dim) },
      mlp = { act = c.act },
      tie = cfg.tie_word_embeddings == true,
    }
  end,
}
