-- archspecs/olmo2.lua: OLMo 2 = the Llama block with the norms moved after
-- attention and MLP (post-norm, no pre-norm) and RMSNorm on the whole of q
-- and k (over all heads at once).
return arch {
  name = "olmo2",
  hf = { "Olmo2ForCausalLM" },
  model_type = { "olmo2" },
  about = "Llama block with post-norms on attention and MLP outputs, q/k RMSNorm over all heads",
  options = "rms_norm_eps, attention_bias, tie_word_embeddings, rope_parameters/rope_theta",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_olmo2.py
      hidden_act = "silu", max_position_embeddings = 2048, rms_norm_eps = 1e-5,
      tie_word_embeddings = false, eos_token_id = 50279,
    })
    local c = common(cfg)
    decoder {
      hidden = c.hidden, layers = c.layers, heads = c.heads, kv_heads = c.kv_heads,
      head_dim = c.head_dim, vocab = c.vocab, max_pos = c.max_pos, bos = c.bos, eos = c.eos,
      norm = { eps = cfg.rms_norm_eps },
      pre_norm = false,
      post_norm = { attn = true, mlp = true },
      attention = { rope = rope_from_config(cfg, c.head_dim), qk_norm = "all" },
      mlp = { act = c.act },
      tie = cfg.tie_word_embeddings,
    }
  end,
}
