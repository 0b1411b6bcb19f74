-- archspecs/helium.lua: Helium (Kyutai) = the Llama block with rotary pairs
-- interleaved (even/odd columns of each head).
return arch {
  name = "helium",
  hf = { "HeliumForCausalLM" },
  model_type = { "helium" },
  about = "Llama block with interleaved RoPE",
  options = "head_dim, attention_bias, mlp_bias, rms_norm_eps, tie_word_embeddings, rope_parameters/rope_theta",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_helium.py
      hidden_act = "silu", max_position_embeddings = 4096, rms_norm_eps = 1e-8, rope_theta = 100000.0,
      tie_word_embeddings = false, bos_token_id = 1, eos_token_id = { 2, 1 },
    })
    local c = common(cfg)
    decoder(llama_block(cfg, {
      norm = { eps = cfg.rms_norm_eps },
      attention = { rope = rope_from_config(cfg, c.head_dim, { interleaved = true }) },
    }))
  end,
}
