-- archspecs/phi3.lua: Phi-3 = the Llama block with q/k/v stored as one
-- qkv_proj tensor and gate/up as one gate_up_proj tensor; LongRoPE.
return arch {
  name = "phi3",
  hf = { "Phi3ForCausalLM" },
  model_type = { "phi3" },
  about = "Llama block with fused qkv_proj and gate_up_proj",
  options = "rms_norm_eps, sliding_window, partial_rotary_factor, original_max_position_embeddings, "
    .. "rope_parameters/rope_scaling (default, longrope), tie_word_embeddings",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_phi3.py
      hidden_act = "silu", max_position_embeddings = 4096, original_max_position_embeddings = 4096,
      rms_norm_eps = 1e-5, tie_word_embeddings = false, bos_token_id = 1, eos_token_id = 32000,
    })
    local c = common(cfg)
    local rp = rope_params(cfg)     -- Phi3Config: "su" and "yarn" were LongRoPE's old names
    if rp.rope_type == "su" or rp.rope_type == "yarn" then rp.rope_type = "longrope" end
    rp.original_max_position_embeddings = cfg.original_max_position_embeddings  -- wins (standardize_rope_params)
    decoder {
      hidden = c.hidden, layers = c.layers, heads = c.heads, kv_heads = c.kv_heads,
      head_dim = c.head_dim, vocab = c.vocab, max_pos = c.max_pos, bos = c.bos, eos = c.eos,
      norm = { eps = cfg.rms_norm_eps },
      attention = { rope = rope_from_config(cfg, c.head_dim, { params = rp }), window = cfg.sliding_window },
      mlp = { act = c.act },
      tie = cfg.tie_word_embeddings,
      names = { qkv = "self_attn.qkv_proj", gate_up = "mlp.gate_up_proj" },
    }
  end,
}
