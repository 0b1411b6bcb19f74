-- archspecs/phimoe.lua: Phi-3.5-MoE = the Mixtral block with LayerNorms
-- (with biases), attention and head biases, and sparsemixer routing: two
-- experts picked one after the other by the largest remaining logit, each
-- weighted by a softmax over the logits within a relative 2 * jitter of it.
local function rope_of(cfg, hd)
  local p = rope_params(cfg)
  if p.rope_type == "longrope" and (p.short_mscale or p.long_mscale) then
    -- PhimoeRotaryEmbedding scales cos/sin by short_mscale, or long_mscale past the original length
    if p.short_mscale ~= p.long_mscale then
      error(config_file .. ": longrope with short_mscale ~= long_mscale is not supported", 0)
    end
    p.attention_factor = p.short_mscale
  end
  return rope_from_config(cfg, hd, { params = p })
end

return arch {
  name = "phimoe",
  hf = { "PhimoeForCausalLM" },
  model_type = { "phimoe" },
  about = "Mixtral block with LayerNorms, biases and sparsemixer top-2 routing",
  options = "num_local_experts, router_jitter_noise, rms_norm_eps (the LayerNorms' eps), attention_bias, lm_head_bias, "
    .. "sliding_window, tie_word_embeddings, rope_parameters/rope_theta (longrope with short/long_mscale)",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_phimoe.py
      hidden_act = "silu", max_position_embeddings = 4096 * 32, rms_norm_eps = 1e-5, tie_word_embeddings = false,
      num_local_experts = 16, router_jitter_noise = 0.01, bos_token_id = 1, eos_token_id = 2,
    })
    if not cfg.rope_parameters and not cfg.rope_theta then cfg.rope_theta = 1e6 end
    local c = common(cfg)
    local E = cfg.num_local_experts
    decoder {
      hidden = c.hidden, layers = c.layers, heads = c.heads, kv_heads = c.kv_heads,
      head_dim = c.head_dim, vocab = c.vocab, max_pos = c.max_pos, bos = c.bos, eos = c.eos,
      norm = { kind = "layernorm", eps = cfg.rms_norm_eps },
      attention = { rope = rope_of(cfg, c.head_dim), window = cfg.sliding_window },
      mlp = { project = function(h, p)
        -- checkpoints name the block block_sparse_moe (one tensor per expert) or mlp (fused experts)
        local legacy = has(p .. "block_sparse_moe.gate.weight")
        local b = legacy and p .. "block_sparse_moe" or p .. "mlp"
        local router = has(b .. ".router.weight") and b .. ".router" or b .. ".gate"
        -- sparsemixer picks two experts whatever num_experts_per_tok says
        local r = route(linear(h, weight(router .. ".weight")), nil,
                        { top_k = 2, kind = "sparsemixer", jitter = cfg.router_jitter_noise })
        local gu, dn = experts(b .. ".experts", E, legacy and { gate = "w1", up = "w3", down = "w2" } or nil)
        return moe(h, r, gu, dn, { act = c.act, top_k = 2 })
      end },
      tie = cfg.tie_word_embeddings,
    }
  end,
}
