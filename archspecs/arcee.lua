-- archspecs/arcee.lua: Arcee (AFM) = the Llama block with a plain MLP
-- (up, act, down: no gate) and relu² as its activation.
return arch {
  name = "arcee",
  hf = { "ArceeForCausalLM" },
  model_type = { "arcee" },
  about = "Llama block with a plain relu² MLP",
  options = "hidden_act, head_dim, attention_bias, mlp_bias, rms_norm_eps, tie_word_embeddings, rope_parameters/rope_scaling",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_arcee.py
      hidden_act = "relu2", max_position_embeddings = 4096, rms_norm_eps = 1e-5,
      tie_word_embeddings = false, bos_token_id = 128000, eos_token_id = 128001,
    })
    decoder(llama_block(cfg, { norm = { eps = cfg.rms_norm_eps }, mlp = { gated = false } }))
  end,
}
