-- archspecs/gpt_oss.lua: gpt-oss = a Llama-style block with attention
-- biases and sinks (a learned logit per head that joins the softmax),
-- sliding-window and full layers alternating (layer_types), yarn RoPE, and
-- a mixture of experts: a router with a bias (softmax over its top-k
-- logits), experts with biases and the clamped SwiGLU
-- (up + 1) * g * sigmoid(1.702 g), g = min(gate, limit), up clamped to +-limit.
return arch {
  name = "gpt_oss",
  hf = { "GptOssForCausalLM" },
  model_type = { "gpt_oss" },
  about = "attention with sinks, alternating sliding/full layers, biased router and clamped-SwiGLU experts with biases",
  options = "num_local_experts, num_experts_per_tok, swiglu_limit, layer_types, sliding_window, head_dim, "
    .. "attention_bias, rms_norm_eps, tie_word_embeddings, rope_parameters/rope_theta + rope_scaling (yarn); "
    .. "experts in float (not MXFP4 blocks)",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_gpt_oss.py
      hidden_act = "silu", max_position_embeddings = 131072, rms_norm_eps = 1e-5, tie_word_embeddings = false,
      num_local_experts = 128, num_experts_per_tok = 4, swiglu_limit = 7.0, sliding_window = 128,
      head_dim = 64,
    })
    local c = common(cfg)
    local lt = layer_types(cfg, function(i) return i % 2 == 0 end)
    local rope_id = rope_from_config(cfg, c.head_dim)
    local k = cfg.num_experts_per_tok
    local function proj(x, name)
      return linear(x, weight(name .. ".weight"), weight(name .. ".bias", { optional = true }))
    end
    decoder {
      hidden = c.hidden, layers = c.layers, heads = c.heads, kv_heads = c.kv_heads,
      head_dim = c.head_dim, vocab = c.vocab, max_pos = c.max_pos, bos = c.bos, eos = c.eos,
      norm = { eps = cfg.rms_norm_eps },
      attention = { block = function(h, p, i)
        local a = p .. "self_attn."
        local q, kk = rope(proj(h, a .. "q_proj"), rope_id), rope(proj(h, a .. "k_proj"), rope_id)
        local o = attention(q, kk, proj(h, a .. "v_proj"), {
          heads = c.heads, kv_heads = c.kv_heads, head_dim = c.head_dim,
          window = lt[i + 1] == "sliding_attention" and cfg.sliding_window or 0,
          sinks = weight(a .. "sinks", { shape = { c.heads } }),
        })
        return proj(o, a .. "o_proj")
      end },
      mlp = { project = function(h, p)
        local m = p .. "mlp."
        -- softmax over the top-k router logits = the top-k of the softmax, renormalized
        local r = route(proj(h, m .. "router"), nil, { top_k = k, renorm = true })
        -- gate_up [E, H, 2F] with gate and up interleaved along 2F -> [E, 2F, H] (gate, up) row pairs
        local gu = weight(m .. "experts.gate_up_proj"):permute{ 1, 3, 2 }
        local dn = weight(m .. "experts.down_proj"):permute{ 1, 3, 2 }   -- [E, F, H] -> [E, H, F]
        return moe(h, r, gu, dn, {
          top_k = k, limit = cfg.swiglu_limit, alpha = 1.702,
          gate_up_bias = weight(m .. "experts.gate_up_proj_bias"), down_bias = weight(m .. "experts.down_proj_bias"),
        })
      end },
      tie = cfg.tie_word_embeddings,
    }
  end,
}
