-- archspecs/cohere.lua: Cohere (Command-R) = LayerNorm without bias,
-- attention and MLP in parallel from one norm, interleaved rotary pairs,
-- logits times logit_scale, tied head; optional per-head q/k LayerNorm.
return arch {
  name = "cohere",
  hf = { "CohereForCausalLM" },
  model_type = { "cohere" },
  about = "parallel residual from one bias-free LayerNorm, interleaved RoPE, logit_scale, tied head",
  options = "logit_scale, use_qk_norm, layer_norm_eps, attention_bias, tie_word_embeddings, rope_parameters/rope_theta",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_cohere.py
      hidden_act = "silu", max_position_embeddings = 8192, layer_norm_eps = 1e-5,
      logit_scale = 0.0625, tie_word_embeddings = true, use_qk_norm = false, rope_theta = 500000.0,
      bos_token_id = 5, eos_token_id = 255001,
    })
    local c = common(cfg)
    local eps = cfg.layer_norm_eps
    -- q_norm/k_norm: LayerNorm over each head, weight [heads, head_dim]
    local function head_norm(x, prefix, nheads)
      local w = weight(prefix .. ".weight"):reshape { nheads * c.head_dim }
      return mul(layernorm(x, nil, nil, { eps = eps, group = c.head_dim }), w)
    end
    decoder {
      hidden = c.hidden, layers = c.layers, heads = c.heads, kv_heads = c.kv_heads,
      head_dim = c.head_dim, vocab = c.vocab, max_pos = c.max_pos, bos = c.bos, eos = c.eos,
      norm = { kind = "layernorm", eps = eps },
      residual = "parallel",
      attention = {
        rope = rope_from_config(cfg, c.head_dim, { interleaved = true }),
        qk_norm = cfg.use_qk_norm and head_norm,
      },
      mlp = { act = c.act },
      tie = cfg.tie_word_embeddings,
      logits = { scale = cfg.logit_scale },
    }
  end,
}
