-- archspecs/hunyuan_v1_dense.lua: Hunyuan (dense) = the Llama block with a
-- per-head RMSNorm of q and k (query_layernorm, key_layernorm) after RoPE;
-- rope_scaling {type = dynamic, alpha =} is a fixed NTK-alpha base.
return arch {
  name = "hunyuan_v1_dense",
  hf = { "HunYuanDenseV1ForCausalLM" },
  model_type = { "hunyuan_v1_dense" },
  about = "Llama block with per-head q/k RMSNorm after RoPE",
  options = "use_qk_norm, head_dim, attention_bias, rms_norm_eps, tie_word_embeddings, rope_parameters/rope_scaling (dynamic alpha)",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_hunyuan_v1_dense.py
      hidden_act = "silu", max_position_embeddings = 2048, rms_norm_eps = 1e-5,
      tie_word_embeddings = false, use_qk_norm = false, bos_token_id = 1, eos_token_id = 2,
    })
    local c = common(cfg)
    local p = rope_params(cfg)
    local r
    if p.rope_type == "dynamic" and p.alpha then
      -- NTK-alpha: a fixed base theta * alpha^(d / (d - 2)), no rescaling by length
      r = rope_from_config(cfg, c.head_dim, { params = { rope_type = "default",
        rope_theta = p.rope_theta * p.alpha ^ (c.head_dim / (c.head_dim - 2)), partial_rotary_factor = p.partial_rotary_factor } })
    end
    decoder(llama_block(cfg, {
      norm = { eps = cfg.rms_norm_eps },
      attention = { rope = r, qk_norm = cfg.use_qk_norm and "head", qk_norm_after_rope = true },
      names = { q_norm = "self_attn.query_layernorm", k_norm = "self_attn.key_layernorm" },
    }))
  end,
}
