-- archspecs/nemotron.lua: Nemotron = LayerNorm with bias whose weight is
-- stored as w - 1 (layernorm1p), partial RoPE, a plain relu² MLP.
return arch {
  name = "nemotron",
  hf = { "NemotronForCausalLM" },
  model_type = { "nemotron" },
  about = "LayerNorm1P (1 + w, bias), partial RoPE, plain relu² MLP",
  options = "norm_eps, partial_rotary_factor, hidden_act, head_dim, attention_bias, mlp_bias, "
    .. "tie_word_embeddings, rope_parameters/rope_theta",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_nemotron.py
      hidden_act = "relu2", max_position_embeddings = 4096, norm_eps = 1e-5, tie_word_embeddings = false,
      partial_rotary_factor = 0.5, rope_theta = 10000.0, bos_token_id = 2, eos_token_id = 3,
    })
    decoder(llama_block(cfg, {
      norm = { kind = "layernorm", eps = cfg.norm_eps, plus1 = true },
      mlp = { gated = false },
    }))
  end,
}
