-- archspecs/gpt_neox.lua: GPT-NeoX / Pythia (partial rotary, parallel
-- residual with two LayerNorms, query_key_value fused per head [q k v]).
return arch {
  name = "gpt_neox",
  hf = { "GPTNeoXForCausalLM" },
  model_type = { "gpt_neox" },
  about = "partial rotary, parallel (or sequential) residual, query_key_value fused per head",
  options = "use_parallel_residual, rope_parameters (partial_rotary_factor) or rotary_pct/rotary_emb_base/rope_scaling, "
    .. "hidden_act, layer_norm_eps, tie_word_embeddings",
  build = function(cfg)
    local hidden, heads = need(cfg, "hidden_size"), need(cfg, "num_attention_heads")
    local hd = hidden // heads
    -- transformers 4 keys: rotary_pct (default 0.25), rotary_emb_base
    local rc = setmetatable({
      rope_theta = cfg.rotary_emb_base or cfg.rope_theta or 10000.0,
      partial_rotary_factor = cfg.partial_rotary_factor or cfg.rotary_pct or 0.25,
    }, { __index = cfg })
    local parallel = cfg.use_parallel_residual ~= false
    gpt {
      hidden = hidden, layers = need(cfg, "num_hidden_layers"), heads = heads, kv_heads = heads, head_dim = hd,
      vocab = need(cfg, "vocab_size"), bos = cfg.bos_token_id or 0, eos = cfg.eos_token_id or 2,
      max_pos = cfg.max_position_embeddings or 2048,
      base = "gpt_neox.", qkv = "grouped", residual = parallel and "parallel2" or "sequential",
      names = { embed = "embed_in", layer = "layers.%d.", attn_norm = "input_layernorm",
                mlp_norm = "post_attention_layernorm", qkv = "attention.query_key_value", o = "attention.dense",
                up = "mlp.dense_h_to_4h", down = "mlp.dense_4h_to_h", final_norm = "final_layer_norm",
                head = "embed_out.weight", head_bias = "embed_out.bias" },
      rope = rope_from_config(rc, hd),
      eps = cfg.layer_norm_eps or 1e-5,
      act = act_name(cfg.hidden_act or "gelu"),
      tie = cfg.tie_word_embeddings == true,
    }
  end,
}
