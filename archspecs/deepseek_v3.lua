-- archspecs/deepseek_v3.lua: DeepSeek-V3. Multi-head latent attention (lib/mla.lua): q
-- through a low-rank bottleneck (q_a -> norm -> q_b), keys and values from
-- one compressed latent (kv_a -> norm) expanded per head by kv_b, plus a
-- decoupled rotary part shared by all heads; the cache holds the latent and
-- the rotary key only. MoE: sigmoid routing with a correction bias,
-- group-limited top-k, routed scaling, shared experts; the first layers
-- dense.
return arch {
  name = "deepseek_v3",
  hf = { "DeepseekV3ForCausalLM" },
  model_type = { "deepseek_v3" },
  about = "multi-head latent attention and sigmoid-routed, group-limited experts with shared experts",
  options = "q_lora_rank, kv_lora_rank, qk_nope/rope_head_dim, v_head_dim, rope_interleave, n_routed_experts, n_group, topk_group, routed_scaling_factor, n_shared_experts, first_k_dense_replace",
  build = function(cfg)
    local c = common(cfg)
    local r = need(cfg, "qk_rope_head_dim")
    local rope_id = rope_from_config(cfg, r, { interleaved = cfg.rope_interleave ~= false })
    local scale = mla_scale(cfg)
    local dense = cfg.first_k_dense_replace or 0
    decoder {
      hidden = c.hidden, layers = c.layers, heads = c.heads, kv_heads = c.heads,
      head_dim = cfg.qk_nope_head_dim + r, vocab = c.vocab, max_pos = c.max_pos, bos = c.bos, eos = c.eos,
      norm = { eps = cfg.rms_norm_eps or 1e-6 },
      attention = { block = mla_block(cfg, c, rope_id, scale) },
      mlp = { project = function(h, p, i)
        if i < dense then return gated_mlp(h, p .. "mlp", c.act, nil, c.ffn, c.hidden) end
        return sparse_moe(h, {
          router = p .. "mlp.gate", experts = p .. "mlp.experts", n = need(cfg, "n_routed_experts"),
          top_k = need(cfg, "num_experts_per_tok"), kind = "sigmoid", renorm = cfg.norm_topk_prob ~= false,
          scale = cfg.routed_scaling_factor or 1.0, bias = p .. "mlp.gate.e_score_correction_bias",
          groups = cfg.n_group or 1, top_groups = cfg.topk_group or 1, act = c.act,
          hidden = c.hidden, ffn = cfg.moe_intermediate_size,
          shared_ffn = type(cfg.n_shared_experts) == "number" and type(cfg.moe_intermediate_size) == "number"
                       and cfg.n_shared_experts * cfg.moe_intermediate_size or nil,
          shared = (cfg.n_shared_experts or 0) > 0 and p .. "mlp.shared_experts" or nil,
        })
      end },
      tie = cfg.tie_word_embeddings == true,
    }
  end,
}
