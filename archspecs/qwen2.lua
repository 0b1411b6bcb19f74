-- archspecs/qwen2.lua: Qwen2 = Llama with q/k/v biases and per-layer
-- sliding windows (use_sliding_window, max_window_layers / layer_types).
return arch {
  name = "qwen2",
  hf = { "Qwen2ForCausalLM" },
  model_type = { "qwen2" },
  about = "Llama block with q/k/v biases",
  options = "use_sliding_window, sliding_window, max_window_layers, layer_types, tie_word_embeddings",
  build = function(cfg)
    decoder(llama_block(cfg, { attention = { window = sliding_windows(cfg) } }))
  end,
}
