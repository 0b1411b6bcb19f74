-- archspecs/ernie4_5.lua: ERNIE 4.5 (dense) = the Llama block with rotary
-- pairs interleaved (even/odd columns of each head).
return arch {
  name = "ernie4_5",
  hf = { "Ernie4_5ForCausalLM" },
  model_type = { "ernie4_5" },
  about = "Llama block with interleaved RoPE, optional biases (use_bias)",
  options = "use_bias, head_dim, rms_norm_eps, tie_word_embeddings, rope_parameters/rope_theta",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_ernie4_5.py
      hidden_act = "silu", max_position_embeddings = 131072, rms_norm_eps = 1e-5,
      tie_word_embeddings = true, rope_theta = 500000.0, bos_token_id = 1, eos_token_id = 2,
    })
    local c = common(cfg)
    decoder(llama_block(cfg, {
      norm = { eps = cfg.rms_norm_eps },
      attention = { rope = rope_from_config(cfg, c.head_dim, { interleaved = true }) },
    }))
  end,
}
