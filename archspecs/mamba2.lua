-- archspecs/mamba2.lua: Mamba-2 (multi-head SSD scan with grouped B/C and a
-- gated RMSNorm).
return arch {
  name = "mamba2",
  hf = { "Mamba2ForCausalLM" },
  model_type = { "mamba2" },
  about = "pre-norm residual stack of Mamba-2 mixers",
  options = "num_heads, head_dim, n_groups, state_size, chunk_size, time_step_limit, layer_norm_epsilon",
  build = function(cfg)
    local lim = cfg.time_step_limit or {}
    local hi = lim[2]
    if type(hi) ~= "number" then hi = nil end  -- Infinity (stored as {"__float__": "Infinity"}): no bound
    ssm_model {
      layers = need(cfg, "num_hidden_layers"), vocab = need(cfg, "vocab_size"), hidden = cfg.hidden_size, eps = cfg.layer_norm_epsilon or 1e-5,
      bos = cfg.bos_token_id, eos = cfg.eos_token_id, max_pos = 1 << 20,
      tie = cfg.tie_word_embeddings == true,
      mixer = function(h, p)
        return mamba2_mixer(h, p, {
          heads = need(cfg, "num_heads"), head_dim = need(cfg, "head_dim"), groups = cfg.n_groups or 8,
          state = cfg.state_size or 128, eps = cfg.layer_norm_epsilon or 1e-5, act = act_name(cfg.hidden_act or "silu"),
          dt_min = type(lim[1]) == "number" and lim[1] or 0, dt_max = hi, chunk = cfg.chunk_size,
          hidden = cfg.hidden_size, conv = cfg.conv_kernel,
        })
      end,
    }
  end,
}
