-- archspecs/falcon_mamba.lua: Falcon-Mamba = Mamba with weightless RMS norms
-- of the dt, B and C parts before the scan.
return arch {
  name = "falcon_mamba",
  hf = { "FalconMambaForCausalLM" },
  model_type = { "falcon_mamba" },
  about = "Mamba with RMS-normalized dt, B and C",
  options = "mixer_rms_eps, hidden_size, state_size, expand, conv_kernel, layer_norm_epsilon",
  build = function(cfg)
    local act = act_name(cfg.hidden_act or "silu")
    local sz = mamba_sizes(cfg)
    local eps = cfg.mixer_rms_eps or 1e-6
    ssm_model {
      layers = need(cfg, "num_hidden_layers"), vocab = need(cfg, "vocab_size"), hidden = sz.hidden, eps = cfg.layer_norm_epsilon or 1e-5,
      bos = cfg.bos_token_id, eos = cfg.eos_token_id, max_pos = 1 << 20,
      tie = cfg.tie_word_embeddings ~= false,
      mixer = function(h, p) return mamba_mixer(h, p, { act = act, dt_norm = { eps = eps }, hidden = sz.hidden, inner = sz.inner,
                                                           state = sz.state, conv = sz.conv, dt_rank = sz.dt_rank }) end,
    }
  end,
}
