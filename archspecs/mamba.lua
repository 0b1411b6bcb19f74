-- archspecs/mamba.lua: Mamba (selective state-space blocks, no attention).
return arch {
  name = "mamba",
  hf = { "MambaForCausalLM" },
  model_type = { "mamba" },
  about = "pre-norm residual stack of Mamba-1 mixers: conv, selective scan, gating",
  options = "hidden_size, state_size, expand, conv_kernel, time_step_rank, layer_norm_epsilon, tie_word_embeddings",
  build = function(cfg)
    local act = act_name(cfg.hidden_act or "silu")
    local sz = mamba_sizes(cfg)
    ssm_model {
      layers = need(cfg, "num_hidden_layers"), vocab = need(cfg, "vocab_size"), hidden = sz.hidden, eps = cfg.layer_norm_epsilon or 1e-5,
      bos = cfg.bos_token_id, eos = cfg.eos_token_id, max_pos = 1 << 20,
      tie = cfg.tie_word_embeddings ~= false,
      mixer = function(h, p) return mamba_mixer(h, p, { act = act, hidden = sz.hidden, inner = sz.inner, state = sz.state,
                                                           conv = sz.conv, dt_rank = sz.dt_rank }) end,
    }
  end,
}
