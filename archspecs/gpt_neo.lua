-- archspecs/gpt_neo.lua: GPT-Neo = GPT-2's block with separate q/k/v
-- projections, unscaled attention scores, and global and local
-- (sliding-window) attention layers (attention_types).
return arch {
  name = "gpt_neo",
  hf = { "GPTNeoForCausalLM" },
  model_type = { "gpt_neo" },
  about = "learned positions, unscaled attention, global / local (window_size) layers",
  options = "hidden_size, num_layers, num_heads, intermediate_size (None: 4*hidden), attention_types, "
    .. "window_size, activation_function, layer_norm_epsilon, max_position_embeddings, tie_word_embeddings",
  build = function(cfg)
    local hidden, heads = need(cfg, "hidden_size"), need(cfg, "num_heads")
    local L = need(cfg, "num_layers")
    local kinds = {}                -- GPTNeoConfig.expand_attention_types_params
    for _, t in ipairs(cfg.attention_types or { { { "global", "local" }, L // 2 } }) do
      for _ = 1, t[2] do
        for _, k in ipairs(t[1]) do kinds[#kinds + 1] = k end
      end
    end
    if #kinds ~= L then
      error(string.format("%s: attention_types give %d layers, num_layers is %d", config_file, #kinds, L), 0)
    end
    local win = cfg.window_size or 256
    gpt {
      hidden = hidden, layers = L, heads = heads, kv_heads = heads, head_dim = hidden // heads,
      vocab = need(cfg, "vocab_size"), bos = cfg.bos_token_id or 50256, eos = cfg.eos_token_id or 50256,
      max_pos = cfg.max_position_embeddings or 2048,
      base = "transformer.", qkv = "separate", positions = {},
      names = { q = "attn.attention.q_proj", k = "attn.attention.k_proj", v = "attn.attention.v_proj",
                o = "attn.attention.out_proj" },
      scale = 1.0,
      window = function(i) return kinds[i + 1] == "local" and win or 0 end,
      eps = cfg.layer_norm_epsilon or 1e-5,
      act = act_name(cfg.activation_function or "gelu_new"),
      tie = cfg.tie_word_embeddings ~= false,
    }
  end,
}
