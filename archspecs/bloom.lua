-- archspecs/bloom.lua: BLOOM (ALiBi instead of positions, LayerNorm on the
-- embedding, query_key_value fused per head [q k v]).
return arch {
  name = "bloom",
  hf = { "BloomForCausalLM" },
  model_type = { "bloom" },
  about = "ALiBi attention biases, embedding LayerNorm, per-head fused query_key_value, tanh-GELU MLP",
  options = "n_head, n_layer, hidden_size, apply_residual_connection_post_layernorm, layer_norm_epsilon, tie_word_embeddings",
  build = function(cfg)
    local hidden, heads = need_any(cfg, "hidden_size", "n_embed"), need_any(cfg, "n_head", "num_attention_heads")
    gpt {
      hidden = hidden, layers = need_any(cfg, "n_layer", "num_hidden_layers"), heads = heads, kv_heads = heads,
      head_dim = hidden // heads, vocab = need(cfg, "vocab_size"), bos = cfg.bos_token_id or 1, eos = cfg.eos_token_id or 2,
      max_pos = cfg.seq_length or cfg.max_position_embeddings or 2048,
      base = "transformer.", qkv = "grouped", embed_norm = true, alibi = alibi_slopes(heads),
      norm_residual = cfg.apply_residual_connection_post_layernorm == true,
      names = { embed = "word_embeddings", attn_norm = "input_layernorm", mlp_norm = "post_attention_layernorm",
                qkv = "self_attention.query_key_value", o = "self_attention.dense",
                up = "mlp.dense_h_to_4h", down = "mlp.dense_4h_to_h" },
      eps = cfg.layer_norm_epsilon or 1e-5,
      act = "gelu_tanh",
      tie = cfg.tie_word_embeddings ~= false,
    }
  end,
}
