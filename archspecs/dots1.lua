-- archspecs/dots1.lua: dots.llm1 = the Qwen3 block (per-head q/k RMSNorm)
-- with DeepSeek-V3's experts: sigmoid routing with a correction bias,
-- group-limited top-k, routed scaling, shared experts, the first
-- first_k_dense_replace layers dense.
return arch {
  name = "dots1",
  hf = { "Dots1ForCausalLM" },
  model_type = { "dots1" },
  about = "Qwen3 block with sigmoid-routed, group-limited experts plus shared experts; first layers dense",
  options = "n_routed_experts, num_experts_per_tok, n_group, topk_group, norm_topk_prob, routed_scaling_factor, "
    .. "n_shared_experts, first_k_dense_replace, layer_types, sliding_window, max_window_layers, rope_parameters/rope_theta",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_dots1.py
      hidden_act = "silu", max_position_embeddings = 2048, rms_norm_eps = 1e-6, tie_word_embeddings = false,
      first_k_dense_replace = 0, n_group = 1, topk_group = 1, norm_topk_prob = false,
      routed_scaling_factor = 1.0, max_window_layers = 62,
    })
    local c = common(cfg)
    local lt = layer_types(cfg, function(i) return cfg.sliding_window ~= nil and i >= cfg.max_window_layers end)
    decoder(llama_block(cfg, {
      norm = { eps = cfg.rms_norm_eps },
      attention = { window = windows(cfg, lt), qk_norm = "head" },
      mlp = { project = function(h, p, i)
        if i < cfg.first_k_dense_replace then return gated_mlp(h, p .. "mlp", c.act) end
        return sparse_moe(h, {
          router = p .. "mlp.gate", experts = p .. "mlp.experts", n = need(cfg, "n_routed_experts"),
          top_k = need(cfg, "num_experts_per_tok"), kind = "sigmoid", renorm = cfg.norm_topk_prob,
          scale = cfg.routed_scaling_factor, bias = p .. "mlp.gate.e_score_correction_bias",
          groups = cfg.n_group, top_groups = cfg.topk_group, act = c.act,
          shared = (cfg.n_shared_experts or 0) > 0 and p .. "mlp.shared_experts" or nil,
        })
      end },
      tie = cfg.tie_word_embeddings,
    }))
  end,
}
