-- archspecs/qwen2.lua: Qwen2 = Llama with q/k/v biases and per-layer
-- sliding windows (use_sliding_window, max_window_layers / layer_types).
return arch {
  name = "qwen2",
  hf = { "Qwen2ForCausalLM" },
  model_type = { "qwen2" },
  about = "Llama block with q/k/v biases",
  options = "use_sliding_window, sliding_window, max_window_layers, layer_types, tie_word_embeddings",
  build = function(cfg)
    local c = common(cfg)
    decoder {
      hidden = c.hidden, layers = c.layers, heads = c.heads, kv_heads = c.kv_heads,
      head_dim = c.head_dim, vocab = c.vocab, max_pos = c.max_pos, bos = c.bos, eos = c.eos,
      norm = { eps = cfg.rms_norm_eps or 1e-6 },
      attention = { rope = rope_from_config(cfg, c.head_dim), window = sliding_windows(cfg) },
      mlp = { act = c.act },
      tie = cfg.tie_word_embeddings == true,
    }
  end,
}
