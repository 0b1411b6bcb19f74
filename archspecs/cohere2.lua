-- archspecs/cohere2.lua: Cohere 2 (Command R7B, Command A) = the Cohere
-- block (parallel residual from one bias-free LayerNorm, interleaved RoPE,
-- logit_scale, tied head) with sliding-window layers, which alone use RoPE,
-- and global full-attention layers without positions.
return arch {
  name = "cohere2",
  hf = { "Cohere2ForCausalLM" },
  model_type = { "cohere2" },
  about = "Cohere block with sliding-window RoPE layers and global NoPE layers",
  options = "layer_types, sliding_window, sliding_window_pattern, logit_scale, layer_norm_eps, head_dim, "
    .. "attention_bias, tie_word_embeddings, rope_parameters/rope_theta",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_cohere2.py
      hidden_act = "silu", max_position_embeddings = 8192, layer_norm_eps = 1e-5,
      logit_scale = 0.0625, tie_word_embeddings = true, sliding_window = 4096, sliding_window_pattern = 4,
      bos_token_id = 5, eos_token_id = 255001,
    })
    local c = common(cfg)
    local lt = layer_types(cfg, function(i) return (i + 1) % cfg.sliding_window_pattern ~= 0 end)
    local r = rope_from_config(cfg, c.head_dim, { interleaved = true })
    decoder {
      hidden = c.hidden, layers = c.layers, heads = c.heads, kv_heads = c.kv_heads,
      head_dim = c.head_dim, vocab = c.vocab, max_pos = c.max_pos, bos = c.bos, eos = c.eos,
      norm = { kind = "layernorm", eps = cfg.layer_norm_eps },
      residual = "parallel",
      attention = {
        rope = function(i) if lt[i + 1] == "sliding_attention" then return r end end,
        window = windows(cfg, lt),
      },
      mlp = { act = c.act },
      tie = cfg.tie_word_embeddings,
      logits = { scale = cfg.logit_scale },
    }
  end,
}
