-- archspecs/gptj.lua: GPT-J (attention and MLP in parallel on one LayerNorm,
-- interleaved rotary on the first rotary_dim dims of each head).
return arch {
  name = "gptj",
  hf = { "GPTJForCausalLM" },
  model_type = { "gptj" },
  about = "parallel attention + MLP on one LayerNorm, GPT-J (interleaved) rotary on part of each head, head bias",
  options = "n_embd, n_layer, n_head, rotary_dim (None: the whole head), n_inner, n_positions, "
    .. "activation_function, layer_norm_epsilon, tie_word_embeddings",
  build = function(cfg)
    local hidden, heads = need_any(cfg, "n_embd", "hidden_size"), need_any(cfg, "n_head", "num_attention_heads")
    local hd = hidden // heads
    gpt {
      hidden = hidden, layers = need_any(cfg, "n_layer", "num_hidden_layers"), heads = heads, kv_heads = heads,
      head_dim = hd, vocab = need(cfg, "vocab_size"), bos = cfg.bos_token_id or 50256, eos = cfg.eos_token_id or 50256,
      max_pos = cfg.n_positions or cfg.max_position_embeddings or 2048,
      base = "transformer.", residual = "parallel",
      names = { q = "attn.q_proj", k = "attn.k_proj", v = "attn.v_proj", o = "attn.out_proj",
                up = "mlp.fc_in", down = "mlp.fc_out" },
      rope = sinusoid_rope(hd, cfg.rotary_dim or hd, true),
      eps = cfg.layer_norm_epsilon or 1e-5,
      act = act_name(cfg.activation_function or "gelu_new"),
      tie = cfg.tie_word_embeddings == true,
    }
  end,
}
