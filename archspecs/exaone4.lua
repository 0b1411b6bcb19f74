-- archspecs/exaone4.lua: EXAONE 4 = the OLMo 2 block (norms after attention
-- and MLP) with per-head q/k RMSNorm and mixed sliding-window / global
-- layers; with a sliding window, the global layers use no RoPE at all.
return arch {
  name = "exaone4",
  hf = { "Exaone4ForCausalLM" },
  model_type = { "exaone4" },
  about = "post-norms, per-head q/k RMSNorm, sliding-window layers with RoPE and global layers without",
  options = "sliding_window, sliding_window_pattern, layer_types, rms_norm_eps, head_dim, "
    .. "tie_word_embeddings, rope_parameters/rope_theta",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_exaone4.py
      num_key_value_heads = 32, hidden_act = "silu", max_position_embeddings = 2048,
      rms_norm_eps = 1e-5, tie_word_embeddings = false, sliding_window = 4096,
      sliding_window_pattern = 4, bos_token_id = 0, eos_token_id = 2,
    })
    local c = common(cfg)
    local pat = cfg.sliding_window_pattern
    local lt = layer_types(cfg, function(i)
      if not cfg.sliding_window then return false end
      if type(pat) == "string" then return pat:sub(i % #pat + 1, i % #pat + 1) == "L" end
      return (i + 1) % pat ~= 0
    end)
    local r = rope_from_config(cfg, c.head_dim)
    decoder {
      hidden = c.hidden, layers = c.layers, heads = c.heads, kv_heads = c.kv_heads,
      head_dim = c.head_dim, vocab = c.vocab, max_pos = c.max_pos, bos = c.bos, eos = c.eos,
      norm = { eps = cfg.rms_norm_eps },
      pre_norm = false,
      post_norm = { attn = true, mlp = true },
      attention = {
        rope = function(i)            -- global layers are NoPE when a window is set
          if not cfg.sliding_window or lt[i + 1] == "sliding_attention" then return r end
        end,
        window = windows(cfg, lt), qk_norm = "head",
      },
      mlp = { act = c.act },
      tie = cfg.tie_word_embeddings,
    }
  end,
}
