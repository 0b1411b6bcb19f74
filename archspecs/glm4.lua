-- archspecs/glm4.lua: GLM-4 (0414) = the GLM block (qkv bias, partial
-- interleaved RoPE, fused gate_up_proj) with a norm on the output of
-- attention and of the MLP as well as before them.
return arch {
  name = "glm4",
  hf = { "Glm4ForCausalLM" },
  model_type = { "glm4" },
  about = "GLM block with pre- and post-norms around attention and MLP",
  options = "partial_rotary_factor, attention_bias, head_dim, rms_norm_eps, tie_word_embeddings, rope_parameters/rope_theta",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_glm4.py
      num_key_value_heads = 2, head_dim = 128, hidden_act = "silu", max_position_embeddings = 131072,
      rms_norm_eps = 0.00000015625, tie_word_embeddings = false, partial_rotary_factor = 0.5,
    })
    cfg.eos_token_id = cfg.eos_token_id or { 151329, 151336, 151338 }
    local c = common(cfg)
    decoder(llama_block(cfg, {
      norm = { eps = cfg.rms_norm_eps },
      post_norm = { attn = true, mlp = true },
      attention = { rope = rope_from_config(cfg, c.head_dim, { interleaved = true }) },
      names = { gate_up = "mlp.gate_up_proj", attn_post_norm = "post_self_attn_layernorm",
                mlp_post_norm = "post_mlp_layernorm" },
    }))
  end,
}
