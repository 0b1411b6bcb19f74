-- archspecs/qwen3_next.lua: Qwen3-Next = gated delta-rule linear attention
-- layers (q, k, v, z and b, a stored grouped per key head) and gated
-- full-attention layers (layer_types), (1 + w) RMSNorms, partial RoPE, and
-- a mixture of experts with a sigmoid-gated shared expert.
return arch {
  name = "qwen3_next",
  hf = { "Qwen3NextForCausalLM" },
  model_type = { "qwen3_next" },
  about = "hybrid: gated delta-rule linear attention and gated attention layers, MoE with a gated shared expert",
  options = "layer_types (full_attention_interval), linear_num_key_heads, linear_num_value_heads, linear_key_head_dim, "
    .. "linear_value_head_dim, linear_conv_kernel_dim, num_experts, num_experts_per_tok, norm_topk_prob, "
    .. "decoder_sparse_step, mlp_only_layers, head_dim, partial_rotary_factor, rms_norm_eps, rope_parameters",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_qwen3_next.py
      hidden_act = "silu", rms_norm_eps = 1e-6, tie_word_embeddings = false, head_dim = 256,
      linear_num_key_heads = 16, linear_num_value_heads = 32, linear_key_head_dim = 128, linear_value_head_dim = 128,
      partial_rotary_factor = 0.25, decoder_sparse_step = 1, num_experts = 512, num_experts_per_tok = 10,
      norm_topk_prob = true, mlp_only_layers = {},
    })
    local c = common(cfg)
    local lt = cfg.layer_types or {}   -- default: full attention every full_attention_interval layers
    if not cfg.layer_types then
      for i = 0, c.layers - 1 do
        lt[i + 1] = (i + 1) % (cfg.full_attention_interval or 4) == 0 and "full_attention" or "linear_attention"
      end
    end
    local dense = {}
    for _, i in ipairs(cfg.mlp_only_layers) do dense[i + 1] = true end
    local r = rope_from_config(cfg, c.head_dim)
    decoder {
      hidden = c.hidden, layers = c.layers, heads = c.heads, kv_heads = c.kv_heads,
      head_dim = c.head_dim, vocab = c.vocab, max_pos = c.max_pos, bos = c.bos, eos = c.eos,
      norm = { eps = cfg.rms_norm_eps, plus1 = true },
      attention = { block = deltanet_hybrid_block(cfg, c, lt, r, "grouped") },
      mlp = { project = function(h, p, i)
        if dense[i + 1] or cfg.num_experts == 0 or (i + 1) % cfg.decoder_sparse_step ~= 0 then
          return gated_mlp(h, p .. "mlp", c.act)
        end
        return sparse_moe(h, {
          router = p .. "mlp.gate", experts = p .. "mlp.experts", n = cfg.num_experts, top_k = cfg.num_experts_per_tok,
          renorm = cfg.norm_topk_prob, act = c.act,
          shared = has(p .. "mlp.shared_expert.gate_proj.weight") and p .. "mlp.shared_expert" or nil,
          shared_gate = has(p .. "mlp.shared_expert_gate.weight") and p .. "mlp.shared_expert_gate" or nil,
        })
      end },
      tie = cfg.tie_word_embeddings,
    }
  end,
}
