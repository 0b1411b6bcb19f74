-- archspecs/qwen3.lua: Qwen3 = Llama with RMSNorm on each head of q and k.
return arch {
  name = "qwen3",
  hf = { "Qwen3ForCausalLM" },
  model_type = { "qwen3" },
  about = "Llama block with per-head q/k RMSNorm",
  options = "attention_bias, head_dim, use_sliding_window, layer_types, tie_word_embeddings",
  build = function(cfg)
    decoder(llama_block(cfg, { attention = { window = sliding_windows(cfg), qk_norm = true } }))
  end,
}
