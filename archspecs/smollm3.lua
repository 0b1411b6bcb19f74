-- archspecs/smollm3.lua: SmolLM3 = the Llama block with RoPE left out of
-- some layers (no_rope_layers: 1 = RoPE, 0 = none) and optional sliding
-- windows per layer type.
return arch {
  name = "smollm3",
  hf = { "SmolLM3ForCausalLM" },
  model_type = { "smollm3" },
  about = "Llama block with NoPE layers (no_rope_layers / no_rope_layer_interval)",
  options = "no_rope_layers, no_rope_layer_interval, use_sliding_window, sliding_window, layer_types, "
    .. "attention_bias, mlp_bias, rms_norm_eps, tie_word_embeddings, rope_parameters/rope_scaling",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_smollm3.py
      num_key_value_heads = 4, hidden_act = "silu", max_position_embeddings = 32768, rms_norm_eps = 1e-6,
      tie_word_embeddings = true, rope_theta = 2000000.0, no_rope_layer_interval = 4,
      bos_token_id = 128000, eos_token_id = 128001,
    })
    local c = common(cfg)
    local uses = cfg.no_rope_layers or {}
    if not cfg.no_rope_layers then
      for i = 0, c.layers - 1 do uses[i + 1] = (i + 1) % cfg.no_rope_layer_interval ~= 0 and 1 or 0 end
    end
    local r = rope_from_config(cfg, c.head_dim)
    decoder(llama_block(cfg, {
      norm = { eps = cfg.rms_norm_eps },
      attention = {
        rope = function(i) if uses[i + 1] ~= 0 then return r end end,
        window = sliding_windows(cfg),
      },
    }))
  end,
}
