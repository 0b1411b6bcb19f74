-- archspecs/ministral.lua: Ministral = the Mistral block with sliding-window
-- and full-attention layers picked by layer_types.
return arch {
  name = "ministral",
  hf = { "MinistralForCausalLM" },
  model_type = { "ministral" },
  about = "Llama block with per-layer sliding-window / full attention",
  options = "layer_types, sliding_window, head_dim, rms_norm_eps, tie_word_embeddings, rope_parameters/rope_theta",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_ministral.py
      hidden_act = "silu", max_position_embeddings = 32768, rms_norm_eps = 1e-6, tie_word_embeddings = false,
      sliding_window = 4096, bos_token_id = 1, eos_token_id = 2,
    })
    local lt = layer_types(cfg, function() return cfg.sliding_window ~= nil end)
    decoder(llama_block(cfg, { norm = { eps = cfg.rms_norm_eps }, attention = { window = windows(cfg, lt) } }))
  end,
}
