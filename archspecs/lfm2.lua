-- archspecs/lfm2.lua: LFM2 (Liquid) = a Llama-style stack whose token mixer
-- is, layer by layer (layer_types), either attention with per-head q/k
-- RMSNorm or a gated short convolution: in_proj -> (B, C, x);
-- out_proj(C * conv(B * x)), a causal depthwise conv of conv_L_cache taps.
return arch {
  name = "lfm2",
  hf = { "Lfm2ForCausalLM" },
  model_type = { "lfm2" },
  about = "hybrid: gated short-convolution layers and attention layers with q/k norms",
  options = "layer_types (or full_attn_idxs), conv_L_cache, conv_bias, norm_eps, tie_embedding/tie_word_embeddings, rope_parameters/rope_theta",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_lfm2.py
      num_key_value_heads = 8, max_position_embeddings = 128000, norm_eps = 1e-5,
      conv_bias = false, conv_L_cache = 3, tie_word_embeddings = true, rope_theta = 1000000.0,
      bos_token_id = 1, eos_token_id = 7,
    })
    local c = common(cfg)
    local attn = {}
    if cfg.layer_types then
      for i, t in ipairs(cfg.layer_types) do attn[i] = t == "full_attention" end
    else
      for _, i in ipairs(need(cfg, "full_attn_idxs")) do attn[i + 1] = true end
    end
    decoder {
      hidden = c.hidden, layers = c.layers, heads = c.heads, kv_heads = c.kv_heads,
      head_dim = c.head_dim, vocab = c.vocab, max_pos = c.max_pos, bos = c.bos, eos = c.eos,
      norm = { eps = cfg.norm_eps },
      attention = {
        rope = rope_from_config(cfg, c.head_dim), qk_norm = "head",
        block = function(h, p, i)
          if attn[i + 1] then return nil end
          local H = c.hidden
          local bcx = linear(h, weight(p .. "conv.in_proj.weight"), weight(p .. "conv.in_proj.bias", { optional = true }))
          local cw = weight(p .. "conv.conv.weight")
          local y = conv1d(mul(view(bcx, 0, H), view(bcx, 2 * H, H)), cw:reshape { H, cw.shape[#cw.shape] },
                           weight(p .. "conv.conv.bias", { optional = true }))
          return linear(mul(view(bcx, H, H), y), weight(p .. "conv.out_proj.weight"),
                        weight(p .. "conv.out_proj.bias", { optional = true }))
        end,
      },
      mlp = { act = "silu" },
      tie = cfg.tie_embedding == nil and cfg.tie_word_embeddings or cfg.tie_embedding,
      names = { attn_norm = "operator_norm", mlp_norm = "ffn_norm", o = "self_attn.out_proj",
                q_norm = "self_attn.q_layernorm", k_norm = "self_attn.k_layernorm",
                gate = "feed_forward.w1", up = "feed_forward.w3", down = "feed_forward.w2",
                final_norm = "model.embedding_norm" },
    }
  end,
}
