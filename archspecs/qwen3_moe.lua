-- archspecs/qwen3_moe.lua: Qwen3-MoE = the Qwen3 block (per-head q/k norms)
-- with softmax top-k experts, renormalized when norm_topk_prob is set.
local function is_sparse(cfg, i)
  for _, l in ipairs(cfg.mlp_only_layers or {}) do if l == i then return false end end
  local E = cfg.num_experts or cfg.num_local_experts or 0
  return E > 0 and (i + 1) % (cfg.decoder_sparse_step or 1) == 0
end

return arch {
  name = "qwen3_moe",
  hf = { "Qwen3MoeForCausalLM" },
  model_type = { "qwen3_moe" },
  about = "Qwen3 block with softmax-routed experts",
  options = "num_experts, num_experts_per_tok, norm_topk_prob, moe_intermediate_size, mlp_only_layers, decoder_sparse_step",
  build = function(cfg)
    local c = common(cfg)
    decoder(llama_block(cfg, {
      attention = { window = sliding_windows(cfg), qk_norm = "head" },
      mlp = { project = function(h, p, i)
        if not is_sparse(cfg, i) then return gated_mlp(h, p .. "mlp", c.act, nil, c.ffn, c.hidden) end
        return sparse_moe(h, {
          router = p .. "mlp.gate", experts = p .. "mlp.experts", n = cfg.num_experts or cfg.num_local_experts,
          top_k = cfg.num_experts_per_tok, renorm = cfg.norm_topk_prob ~= false, act = c.act,
          hidden = c.hidden, ffn = cfg.moe_intermediate_size,
        })
      end },
    }))
  end,
}
