-- archspecs/mistral.lua: Mistral = Llama with sliding-window attention.
return arch {
  name = "mistral",
  hf = { "MistralForCausalLM" },
  model_type = { "mistral" },
  about = "Llama block with sliding-window attention",
  options = "sliding_window, head_dim, tie_word_embeddings, rope_parameters/rope_theta",
  build = function(cfg)
    local c = common(cfg)
    decoder {
      hidden = c.hidden, layers = c.layers, heads = c.heads, kv_heads = c.kv_heads,
      head_dim = c.head_dim, vocab = c.vocab, max_pos = c.max_pos, bos = c.bos, eos = c.eos,
      norm = { eps = cfg.rms_norm_eps or 1e-6 },
      attention = { rope = rope_from_config(cfg, c.head_dim), window = cfg.sliding_window },
      mlp = { act = c.act },
      tie = cfg.tie_word_embeddings == true,
    }
  end,
}
