-- archspecs/jamba.lua: Jamba = attention layers (no positional encoding)
-- interleaved with Mamba layers (RMS-normed dt/B/C with weights), and a
-- mixture of experts on every other layer.
return arch {
  name = "jamba",
  hf = { "JambaForCausalLM" },
  model_type = { "jamba" },
  about = "hybrid: attention every attn_layer_period layers, Mamba elsewhere, MoE every expert_layer_period",
  options = "attn_layer_period/offset, expert_layer_period/offset, num_experts, num_experts_per_tok, mamba_*",
  build = function(cfg)
    local c = common(cfg)
    local eps = cfg.rms_norm_eps or 1e-6
    local ap, ao = cfg.attn_layer_period or 8, cfg.attn_layer_offset or 4
    local ep, eo = cfg.expert_layer_period or 2, cfg.expert_layer_offset or 1
    local E = cfg.num_experts or 16
    local sz = mamba_sizes(cfg, { inner = false, expand = "mamba_expand", state = "mamba_d_state", conv = "mamba_d_conv",
                                  dt_rank = "mamba_dt_rank" })
    decoder {
      hidden = c.hidden, layers = c.layers, heads = c.heads, kv_heads = c.kv_heads,
      head_dim = c.head_dim, vocab = c.vocab, max_pos = c.max_pos, bos = c.bos, eos = c.eos,
      norm = { eps = eps },
      names = { mlp_norm = "pre_ff_layernorm", final_norm = "model.final_layernorm" },
      attention = {
        block = function(h, p, i)
          if i % ap == ao then return nil end  -- an attention layer
          return mamba_mixer(h, p .. "mamba.", { act = c.act, dt_norm = { eps = eps, weights = true }, hidden = sz.hidden,
                                                   inner = sz.inner, state = sz.state, conv = sz.conv, dt_rank = sz.dt_rank })
        end,
      },
      mlp = { project = function(h, p, i)
        if E > 1 and i % ep == eo then
          return sparse_moe(h, { router = p .. "feed_forward.router", experts = p .. "feed_forward.experts", n = E,
                                 top_k = cfg.num_experts_per_tok or 2, act = c.act,
                                 hidden = c.hidden, ffn = c.ffn })
        end
        return gated_mlp(h, p .. "feed_forward", c.act, nil, c.ffn, c.hidden)
      end },
      tie = cfg.tie_word_embeddings == true,
    }
  end,
}
