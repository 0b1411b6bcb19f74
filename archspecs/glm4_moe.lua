-- archspecs/glm4_moe.lua: GLM-4.5 MoE = the Llama block with partial
-- (half-split) rotary, optional per-head q/k RMSNorm and attention biases,
-- and DeepSeek-V3's experts: sigmoid routing with a correction bias,
-- group-limited top-k, routed scaling, shared experts, the first
-- first_k_dense_replace layers dense.
return arch {
  name = "glm4_moe",
  hf = { "Glm4MoeForCausalLM" },
  model_type = { "glm4_moe" },
  about = "Llama block with partial rotary, q/k norms, sigmoid-routed group-limited experts plus shared experts",
  options = "partial_rotary_factor, use_qk_norm, attention_bias, n_routed_experts, num_experts_per_tok, n_group, "
    .. "topk_group, norm_topk_prob, routed_scaling_factor, n_shared_experts, first_k_dense_replace, rope_parameters/rope_theta",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_glm4_moe.py
      hidden_act = "silu", max_position_embeddings = 131072, rms_norm_eps = 1e-5, tie_word_embeddings = false,
      partial_rotary_factor = 0.5, n_shared_experts = 1, n_routed_experts = 128, first_k_dense_replace = 1,
      n_group = 1, topk_group = 1, norm_topk_prob = true, routed_scaling_factor = 1.0, use_qk_norm = false,
      num_experts_per_tok = 8,
    })
    local c = common(cfg)
    decoder(llama_block(cfg, {
      norm = { eps = cfg.rms_norm_eps },
      attention = { qk_norm = cfg.use_qk_norm and "head" or nil },
      mlp = { project = function(h, p, i)
        if i < cfg.first_k_dense_replace then return gated_mlp(h, p .. "mlp", c.act) end
        return sparse_moe(h, {
          router = p .. "mlp.gate", experts = p .. "mlp.experts", n = cfg.n_routed_experts,
          top_k = cfg.num_experts_per_tok, kind = "sigmoid", renorm = cfg.norm_topk_prob,
          scale = cfg.routed_scaling_factor, bias = p .. "mlp.gate.e_score_correction_bias",
          groups = cfg.n_group, top_groups = cfg.topk_group, act = c.act,
          shared = cfg.n_shared_experts > 0 and p .. "mlp.shared_experts" or nil,
        })
      end },
      tie = cfg.tie_word_embeddings,
    }))
  end,
}
