-- archspecs/deepseek_v2.lua: DeepSeek-V2 = multi-head latent attention
-- (lib/mla.lua, the rotary part in interleaved pairs) and softmax-routed
-- experts (top-k by probability, times routed_scaling_factor) plus shared
-- experts; the first first_k_dense_replace layers dense.
return arch {
  name = "deepseek_v2",
  hf = { "DeepseekV2ForCausalLM" },
  model_type = { "deepseek_v2" },
  about = "multi-head latent attention and softmax-routed experts with shared experts",
  options = "q_lora_rank, kv_lora_rank, qk_nope/rope_head_dim, v_head_dim, n_routed_experts, num_experts_per_tok, "
    .. "topk_method (greedy; group_limited_greedy with n_group 1), norm_topk_prob, routed_scaling_factor, "
    .. "n_shared_experts, first_k_dense_replace, moe_layer_freq, rope_parameters/rope_theta",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_deepseek_v2.py
      hidden_act = "silu", max_position_embeddings = 2048, rms_norm_eps = 1e-6, tie_word_embeddings = false,
      first_k_dense_replace = 0, moe_layer_freq = 1, n_group = 1, topk_group = 1, topk_method = "greedy",
      norm_topk_prob = false, routed_scaling_factor = 1.0, kv_lora_rank = 512, qk_nope_head_dim = 128,
      qk_rope_head_dim = 64, v_head_dim = 128,
    })
    if cfg.topk_method ~= "greedy" and not (cfg.topk_method == "group_limited_greedy" and cfg.n_group == 1) then
      error(config_file .. ": topk_method '" .. cfg.topk_method .. "' with n_group " .. cfg.n_group .. " is not supported", 0)
    end
    local c = common(cfg)
    local r = cfg.qk_rope_head_dim
    local rope_id = rope_from_config(cfg, r, { interleaved = true })
    local E = cfg.n_routed_experts
    decoder {
      hidden = c.hidden, layers = c.layers, heads = c.heads, kv_heads = c.heads,
      head_dim = cfg.qk_nope_head_dim + r, vocab = c.vocab, max_pos = c.max_pos, bos = c.bos, eos = c.eos,
      norm = { eps = cfg.rms_norm_eps },
      attention = { block = mla_block(cfg, c, rope_id, mla_scale(cfg)) },
      mlp = { project = function(h, p, i)
        if not E or i < cfg.first_k_dense_replace or i % cfg.moe_layer_freq ~= 0 then
          return gated_mlp(h, p .. "mlp", c.act)
        end
        return sparse_moe(h, {
          router = p .. "mlp.gate", experts = p .. "mlp.experts", n = E,
          top_k = need(cfg, "num_experts_per_tok"), renorm = cfg.norm_topk_prob,
          scale = cfg.routed_scaling_factor, act = c.act,
          shared = (cfg.n_shared_experts or 0) > 0 and p .. "mlp.shared_experts" or nil,
        })
      end },
      tie = cfg.tie_word_embeddings,
    }
  end,
}
