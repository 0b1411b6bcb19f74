-- archspecs/mistral.lua: Mistral = Llama with sliding-window attention.
return arch {
  name = "mistral",
  hf = { "MistralForCausalLM" },
  model_type = { "mistral" },
  about = "Llama block with sliding-window attention",
  options = "sliding_window, head_dim, tie_word_embeddings, rope_parameters/rope_theta",
  build = function(cfg)
    decoder(llama_block(cfg, { attention = { window = cfg.sliding_window } }))
  end,
}
