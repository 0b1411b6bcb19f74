-- archspecs/granitemoe.lua: GraniteMoE = Granite (embedding, residual,
-- attention and logit multipliers) with a mixture of SwiGLU experts stored
-- as one 3-D input_linear [E, 2F, H] (gate rows before up rows) and
-- output_linear [E, H, F]; the router's softmax over its top-k logits.
return arch {
  name = "granitemoe",
  hf = { "GraniteMoeForCausalLM" },
  model_type = { "granitemoe" },
  about = "Granite block with multipliers and top-k softmax-routed experts (fused input_linear / output_linear)",
  options = "num_local_experts, num_experts_per_tok, embedding_multiplier, residual_multiplier, attention_multiplier, "
    .. "logits_scaling, attention_bias, rms_norm_eps, tie_word_embeddings, rope_parameters/rope_theta",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_granitemoe.py
      hidden_act = "silu", max_position_embeddings = 2048, rms_norm_eps = 1e-6, tie_word_embeddings = false,
      embedding_multiplier = 1.0, logits_scaling = 1.0, residual_multiplier = 1.0, attention_multiplier = 1.0,
      num_local_experts = 8, num_experts_per_tok = 2,
    })
    local c = common(cfg)
    local k = cfg.num_experts_per_tok
    decoder {
      hidden = c.hidden, layers = c.layers, heads = c.heads, kv_heads = c.kv_heads,
      head_dim = c.head_dim, vocab = c.vocab, max_pos = c.max_pos, bos = c.bos, eos = c.eos,
      norm = { eps = cfg.rms_norm_eps },
      embed = { scale = cfg.embedding_multiplier },
      residual_scale = cfg.residual_multiplier,
      attention = { rope = rope_from_config(cfg, c.head_dim), scale = cfg.attention_multiplier },
      mlp = { project = function(h, p)
        local b = p .. "block_sparse_moe."
        local gu, dn = weight(b .. "input_linear.weight"), weight(b .. "output_linear.weight")
        local s = gu.shape            -- [E, 2F, H] -> (gate, up) row pairs
        gu = gu:reshape{ s[1], 2, s[2] // 2, s[3] }:permute{ 1, 3, 2, 4 }:reshape{ s[1], s[2], s[3] }
        -- softmax over the top-k logits = the top-k of the softmax, renormalized
        local r = route(linear(h, weight(b .. "router.layer.weight")), nil, { top_k = k, renorm = true })
        return moe(h, r, gu, dn, { act = c.act, top_k = k })
      end },
      tie = cfg.tie_word_embeddings,
      logits = { scale = 1 / cfg.logits_scaling },
    }
  end,
}
