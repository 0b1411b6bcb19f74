-- archspecs/gemma2.lua: Gemma 2 = Gemma with a norm before and after both
-- attention and MLP, soft-capped attention scores and logits, alternating
-- sliding-window and global layers, scores scaled by query_pre_attn_scalar.
return arch {
  name = "gemma2",
  hf = { "Gemma2ForCausalLM" },
  model_type = { "gemma2" },
  about = "Gemma with pre+post norms, attention/logit soft-capping, alternating sliding-window layers",
  options = "query_pre_attn_scalar, attn_logit_softcapping, final_logit_softcapping, sliding_window, layer_types, "
    .. "hidden_activation, head_dim, rms_norm_eps, tie_word_embeddings, rope_parameters/rope_theta",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_gemma2.py
      num_key_value_heads = 4, head_dim = 256, hidden_activation = "gelu_pytorch_tanh",
      max_position_embeddings = 8192, rms_norm_eps = 1e-6, tie_word_embeddings = true,
      query_pre_attn_scalar = 256, sliding_window = 4096, final_logit_softcapping = 30.0,
      attn_logit_softcapping = 50.0, bos_token_id = 2, eos_token_id = 1,
    })
    if cfg.use_bidirectional_attention then
      error(config_file .. ": use_bidirectional_attention is not supported", 0)
    end
    local c = common(cfg)
    local lt = layer_types(cfg, function(i) return (i + 1) % 2 ~= 0 end)
    decoder {
      hidden = c.hidden, layers = c.layers, heads = c.heads, kv_heads = c.kv_heads,
      head_dim = c.head_dim, vocab = c.vocab, max_pos = c.max_pos, bos = c.bos, eos = c.eos,
      norm = { eps = cfg.rms_norm_eps, plus1 = true },
      embed = { scale = math.sqrt(c.hidden) },
      post_norm = { attn = true, mlp = true },
      attention = {
        rope = rope_from_config(cfg, c.head_dim), window = windows(cfg, lt),
        scale = cfg.query_pre_attn_scalar ^ -0.5, cap = cfg.attn_logit_softcapping,
      },
      mlp = { act = act_name(cfg.hidden_activation) },
      tie = cfg.tie_word_embeddings,
      logits = { cap = cfg.final_logit_softcapping },
      names = { mlp_norm = "pre_feedforward_layernorm" },
    }
  end,
}
