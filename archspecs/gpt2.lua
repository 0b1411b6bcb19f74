-- archspecs/gpt2.lua: GPT-2 (learned positions, Conv1D weights stored
-- [in, out], fused c_attn rows [q | k | v]).
return arch {
  name = "gpt2",
  hf = { "GPT2LMHeadModel" },
  model_type = { "gpt2" },
  about = "learned positions, pre-LayerNorm, GELU MLP, fused c_attn, Conv1D weights transposed when packed",
  options = "n_embd, n_layer, n_head, n_inner (None: 4*n_embd), n_positions, activation_function, "
    .. "layer_norm_epsilon, scale_attn_weights, scale_attn_by_inverse_layer_idx, tie_word_embeddings",
  build = function(cfg)
    local hidden, heads = need_any(cfg, "n_embd", "hidden_size"), need_any(cfg, "n_head", "num_attention_heads")
    local hd = hidden // heads
    local s = cfg.scale_attn_weights == false and 1.0 or hd ^ -0.5
    gpt {
      hidden = hidden, layers = need_any(cfg, "n_layer", "num_hidden_layers"), heads = heads, kv_heads = heads,
      head_dim = hd, vocab = need(cfg, "vocab_size"), bos = cfg.bos_token_id or 50256, eos = cfg.eos_token_id or 50256,
      max_pos = cfg.n_positions or cfg.max_position_embeddings or 1024,
      base = "transformer.", conv1d = true, qkv = "stacked", positions = {},
      eps = cfg.layer_norm_epsilon or 1e-5,
      act = act_name(cfg.activation_function or "gelu_new"),
      scale = cfg.scale_attn_by_inverse_layer_idx and function(i) return s / (i + 1) end or s,
      tie = cfg.tie_word_embeddings ~= false,
    }
  end,
}
