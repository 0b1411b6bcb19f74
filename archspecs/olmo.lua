-- archspecs/olmo.lua: OLMo (1) = the Llama block with LayerNorms that have no
-- weight or bias at all (normalization only).
return arch {
  name = "olmo",
  hf = { "OlmoForCausalLM" },
  model_type = { "olmo" },
  about = "Llama block with parameter-free LayerNorms",
  options = "attention_bias, tie_word_embeddings, rope_parameters/rope_theta (clip_qkv: refused)",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_olmo.py
      hidden_act = "silu", max_position_embeddings = 2048, tie_word_embeddings = false,
      bos_token_id = nil, eos_token_id = 50279,
    })
    if cfg.clip_qkv then error(config_file .. ": clip_qkv is not supported", 0) end
    decoder(llama_block(cfg, { norm = { kind = "layernorm", eps = 1e-5 } }))
  end,
}
