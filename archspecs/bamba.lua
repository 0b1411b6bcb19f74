-- archspecs/bamba.lua: Bamba = Mamba-2 layers and attention layers
-- (attn_layer_indices) in a Llama-style stack: pre-norms, SwiGLU MLP,
-- partial RoPE on the attention layers.
return arch {
  name = "bamba",
  hf = { "BambaForCausalLM" },
  model_type = { "bamba" },
  about = "hybrid Mamba-2 / attention layers (attn_layer_indices), SwiGLU MLP",
  options = "attn_layer_indices, mamba_n_heads, mamba_d_head, mamba_n_groups, mamba_d_state, mamba_chunk_size, "
    .. "time_step_limit, partial_rotary_factor, rms_norm_eps, tie_word_embeddings, rope_parameters/rope_theta",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_bamba.py
      num_key_value_heads = 8, hidden_act = "silu", max_position_embeddings = 262144, rms_norm_eps = 1e-5,
      tie_word_embeddings = false, mamba_n_heads = 128, mamba_d_head = "auto", mamba_n_groups = 1,
      mamba_d_state = 256, mamba_expand = 2, mamba_chunk_size = 256, partial_rotary_factor = 0.5,
      bos_token_id = 1, eos_token_id = 2,
    })
    local c = common(cfg)
    local attn = {}
    for _, i in ipairs(cfg.attn_layer_indices or {}) do attn[i + 1] = true end
    local dh = cfg.mamba_d_head
    if dh == "auto" then dh = cfg.mamba_expand * c.hidden // cfg.mamba_n_heads end
    local lim = cfg.time_step_limit or {}
    decoder {
      hidden = c.hidden, layers = c.layers, heads = c.heads, kv_heads = c.kv_heads,
      head_dim = c.head_dim, vocab = c.vocab, max_pos = c.max_pos, bos = c.bos, eos = c.eos,
      norm = { eps = cfg.rms_norm_eps },
      attention = {
        rope = rope_from_config(cfg, c.head_dim),
        block = function(h, p, i)
          if attn[i + 1] then return nil end
          return mamba2_mixer(h, p .. "mamba.", {
            heads = cfg.mamba_n_heads, head_dim = dh, groups = cfg.mamba_n_groups, state = cfg.mamba_d_state,
            eps = cfg.rms_norm_eps, act = c.act, chunk = cfg.mamba_chunk_size, hidden = c.hidden, conv = cfg.mamba_d_conv,
            dt_min = type(lim[1]) == "number" and lim[1] or 0, dt_max = type(lim[2]) == "number" and lim[2] or nil,
          })
        end,
      },
      mlp = { act = c.act },
      tie = cfg.tie_word_embeddings,
      names = { mlp_norm = "pre_ff_layernorm", gate = "feed_forward.gate_proj", up = "feed_forward.up_proj",
                down = "feed_forward.down_proj", final_norm = "model.final_layernorm" },
    }
  end,
}
