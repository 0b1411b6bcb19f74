-- archspecs/codegen.lua: CodeGen = GPT-J with one fused qkv_proj laid out as
-- 4 blocks (mp_num), each [q | v | k] for a quarter of the heads.
return arch {
  name = "codegen",
  hf = { "CodeGenForCausalLM" },
  model_type = { "codegen" },
  about = "GPT-J block with CodeGen's fused qkv_proj (4 blocks of [q | v | k]), interleaved partial rotary",
  options = "n_embd, n_layer, n_head (a multiple of 4), rotary_dim (None: the whole head), n_inner, "
    .. "n_positions, activation_function, layer_norm_epsilon, tie_word_embeddings",
  build = function(cfg)
    local hidden, heads = need_any(cfg, "n_embd", "hidden_size"), need_any(cfg, "n_head", "num_attention_heads")
    if heads % 4 ~= 0 then error(config_file .. ": CodeGen's fused qkv needs n_head a multiple of 4", 0) end
    local hd = hidden // heads
    gpt {
      hidden = hidden, layers = need_any(cfg, "n_layer", "num_hidden_layers"), heads = heads, kv_heads = heads,
      head_dim = hd, vocab = need(cfg, "vocab_size"), bos = cfg.bos_token_id or 50256, eos = cfg.eos_token_id or 50256,
      max_pos = cfg.n_positions or cfg.max_position_embeddings or 2048,
      base = "transformer.", residual = "parallel", qkv = "codegen",
      names = { qkv = "attn.qkv_proj", o = "attn.out_proj", up = "mlp.fc_in", down = "mlp.fc_out" },
      rope = sinusoid_rope(hd, cfg.rotary_dim or hd, true),
      eps = cfg.layer_norm_epsilon or 1e-5,
      act = act_name(cfg.activation_function or "gelu_new"),
      tie = cfg.tie_word_embeddings == true,
    }
  end,
}
