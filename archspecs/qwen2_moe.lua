-- archspecs/qwen2_moe.lua: Qwen2-MoE = the Qwen2 block with sparse MoE
-- layers: softmax top-k experts (renormalized only with norm_topk_prob) plus
-- a shared expert scaled by a sigmoid gate; dense MLP on mlp_only_layers and
-- off the decoder_sparse_step grid.
local function is_sparse(cfg, i)
  for _, l in ipairs(cfg.mlp_only_layers or {}) do if l == i then return false end end
  local E = cfg.num_experts or cfg.num_local_experts or 0
  return E > 0 and (i + 1) % (cfg.decoder_sparse_step or 1) == 0
end

return arch {
  name = "qwen2_moe",
  hf = { "Qwen2MoeForCausalLM" },
  model_type = { "qwen2_moe" },
  about = "Qwen2 block with softmax-routed experts and a sigmoid-gated shared expert",
  options = "num_experts, num_experts_per_tok, norm_topk_prob, shared_expert_intermediate_size, mlp_only_layers, decoder_sparse_step",
  build = function(cfg)
    local c = common(cfg)
    decoder(llama_block(cfg, {
      attention = { window = sliding_windows(cfg) },
      mlp = { project = function(h, p, i)
        if not is_sparse(cfg, i) then return gated_mlp(h, p .. "mlp", c.act, nil, c.ffn, c.hidden) end
        return sparse_moe(h, {
          router = p .. "mlp.gate", experts = p .. "mlp.experts", n = cfg.num_experts or cfg.num_local_experts,
          top_k = cfg.num_experts_per_tok, renorm = cfg.norm_topk_prob == true, act = c.act,
          hidden = c.hidden, ffn = cfg.moe_intermediate_size, shared_ffn = cfg.shared_expert_intermediate_size,
          shared = has(p .. "mlp.shared_expert.gate_proj.weight") and p .. "mlp.shared_expert" or nil,
          shared_gate = has(p .. "mlp.shared_expert_gate.weight") and p .. "mlp.shared_expert_gate" or nil,
        })
      end },
    }))
  end,
}
