-- archspecs/olmoe.lua: OLMoE = the Llama block with RMSNorm on the whole of
-- q and k (over all heads at once) and a softmax-routed mixture of SwiGLU
-- experts (top-k, renormalized only with norm_topk_prob).
return arch {
  name = "olmoe",
  hf = { "OlmoeForCausalLM" },
  model_type = { "olmoe" },
  about = "Llama block with q/k RMSNorm over all heads and softmax-routed SwiGLU experts",
  options = "num_experts, num_experts_per_tok, norm_topk_prob, clip_qkv (null), rms_norm_eps, "
    .. "attention_bias, tie_word_embeddings, rope_parameters/rope_theta",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_olmoe.py
      hidden_act = "silu", max_position_embeddings = 4096, rms_norm_eps = 1e-5, tie_word_embeddings = false,
      num_experts = 64, num_experts_per_tok = 8, norm_topk_prob = false, eos_token_id = 50279,
    })
    if cfg.clip_qkv then error(config_file .. ": clip_qkv is not supported", 0) end
    local c = common(cfg)
    decoder(llama_block(cfg, {
      norm = { eps = cfg.rms_norm_eps },
      attention = { qk_norm = "all" },
      mlp = { project = function(h, p)
        return sparse_moe(h, {
          router = p .. "mlp.gate", experts = p .. "mlp.experts", n = cfg.num_experts,
          top_k = cfg.num_experts_per_tok, renorm = cfg.norm_topk_prob, act = c.act,
        })
      end },
      tie = cfg.tie_word_embeddings,
    }))
  end,
}
