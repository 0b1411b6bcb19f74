-- archspecs/gpt_bigcode.lua: GPT-BigCode / SantaCoder / StarCoder (GPT-2 with
-- nn.Linear weights and multi-query attention: c_attn rows [q | k | v] with
-- one KV head, or per head [q k v] when multi_query is off).
return arch {
  name = "gpt_bigcode",
  hf = { "GPTBigCodeForCausalLM" },
  model_type = { "gpt_bigcode" },
  about = "GPT-2 block with multi-query attention and learned positions",
  options = "multi_query, n_embd, n_layer, n_head, n_inner, n_positions, activation_function, "
    .. "layer_norm_epsilon, scale_attn_weights, tie_word_embeddings",
  build = function(cfg)
    local hidden, heads = need_any(cfg, "n_embd", "hidden_size"), need_any(cfg, "n_head", "num_attention_heads")
    local hd = hidden // heads
    local mq = cfg.multi_query ~= false
    gpt {
      hidden = hidden, layers = need_any(cfg, "n_layer", "num_hidden_layers"), heads = heads,
      kv_heads = mq and 1 or heads, head_dim = hd, vocab = need(cfg, "vocab_size"),
      bos = cfg.bos_token_id or 50256, eos = cfg.eos_token_id or 50256,
      max_pos = cfg.n_positions or cfg.max_position_embeddings or 1024,
      base = "transformer.", qkv = mq and "stacked" or "grouped", positions = {},
      eps = cfg.layer_norm_epsilon or 1e-5,
      act = act_name(cfg.activation_function or "gelu_pytorch_tanh"),
      scale = cfg.scale_attn_weights == false and 1.0 or nil,
      tie = cfg.tie_word_embeddings ~= false,
    }
  end,
}
