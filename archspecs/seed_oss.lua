-- archspecs/seed_oss.lua: Seed-OSS = the Llama block with q/k/v biases
-- (and, with attention_out_bias, an o_proj bias).
return arch {
  name = "seed_oss",
  hf = { "SeedOssForCausalLM" },
  model_type = { "seed_oss" },
  about = "Llama block with q/k/v biases",
  options = "attention_bias, attention_out_bias, mlp_bias, head_dim, rms_norm_eps, tie_word_embeddings, rope_parameters/rope_scaling",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_seed_oss.py
      hidden_act = "silu", max_position_embeddings = 524288, rms_norm_eps = 1e-6,
      tie_word_embeddings = false, bos_token_id = 0, eos_token_id = 1,
    })
    decoder(llama_block(cfg, { norm = { eps = cfg.rms_norm_eps } }))
  end,
}
