-- archspecs/qwen3.lua: Qwen3 = Llama with RMSNorm on each head of q and k.
return arch {
  name = "qwen3",
  hf = { "Qwen3ForCausalLM" },
  model_type = { "qwen3" },
  about = "Llama block with per-head q/k RMSNorm",
  options = "attention_bias, head_dim, use_sliding_window, layer_types, tie_word_embeddings",
  build = function(cfg)
    local c = common(cfg)
    decoder {
      hidden = c.hidden, layers = c.layers, heads = c.heads, kv_heads = c.kv_heads,
      head_dim = c.head_dim, vocab = c.vocab, max_pos = c.max_pos, bos = c.bos, eos = c.eos,
      norm = { eps = cfg.rms_norm_eps or 1e-6 },
      attention = { rope = rope_from_config(cfg, c.head_dim), window = sliding_windows(cfg), qk_norm = true },
      mlp = { act = c.act },
      tie = cfg.tie_word_embeddings == true,
    }
  end,
}
