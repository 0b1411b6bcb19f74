-- archspecs/ernie4_5_moe.lua: ERNIE 4.5 MoE = the Llama block with
-- interleaved RoPE and, on the layers from moe_layer_start_index to
-- moe_layer_end_index every moe_layer_interval, softmax-routed experts
-- (chosen by probability plus a correction bias, weighted by the
-- renormalized probabilities) plus shared experts.
local function is_moe(cfg, i)
  local last = cfg.moe_layer_end_index == -1 and cfg.num_hidden_layers - 1 or cfg.moe_layer_end_index
  return (i + 1) % cfg.moe_layer_interval == 0 and i >= cfg.moe_layer_start_index and i <= last
end

return arch {
  name = "ernie4_5_moe",
  hf = { "Ernie4_5_MoeForCausalLM" },
  model_type = { "ernie4_5_moe" },
  about = "Llama block with interleaved RoPE, softmax-routed experts chosen with a correction bias, shared experts",
  options = "moe_num_experts, moe_k, moe_num_shared_experts, moe_layer_start_index, moe_layer_end_index, "
    .. "moe_layer_interval, use_bias, head_dim, rms_norm_eps, tie_word_embeddings, rope_parameters/rope_theta",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_ernie4_5_moe.py
      hidden_act = "silu", max_position_embeddings = 131072, rms_norm_eps = 1e-5, tie_word_embeddings = true,
      moe_k = 6, moe_num_experts = 64, moe_num_shared_experts = 2, moe_layer_start_index = 1,
      moe_layer_end_index = -1, moe_layer_interval = 1, bos_token_id = 1, eos_token_id = 2,
    })
    if not cfg.rope_parameters and not cfg.rope_theta then cfg.rope_theta = 500000.0 end
    local c = common(cfg)
    local E = cfg.moe_num_experts
    decoder(llama_block(cfg, {
      norm = { eps = cfg.rms_norm_eps },
      attention = { rope = rope_from_config(cfg, c.head_dim, { interleaved = true }) },
      mlp = { project = function(h, p, i)
        if not is_moe(cfg, i) then return gated_mlp(h, p .. "mlp", c.act) end
        -- the weights' divisor is clamped to moe_norm_min (1e-12): the sum of
        -- k softmax probabilities never comes near it
        local r = route(linear(h, weight(p .. "mlp.gate.weight")),
                        weight(p .. "mlp.moe_statics.e_score_correction_bias"):reshape{ E },
                        { top_k = cfg.moe_k, renorm = true })
        local gu, dn = experts(p .. "mlp.experts", E)
        local out = moe(h, r, gu, dn, { act = c.act, top_k = cfg.moe_k })
        if cfg.moe_num_shared_experts > 0 then out = add(out, gated_mlp(h, p .. "mlp.shared_experts", c.act)) end
        return out
      end },
      tie = cfg.tie_word_embeddings,
    }))
  end,
}
