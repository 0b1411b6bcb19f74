-- archspecs/opt.lua: OPT (learned positions offset by 2, ReLU MLP, biases;
-- pre- or post-LayerNorm; project_in/out when word_embed_proj_dim differs).
return arch {
  name = "opt",
  hf = { "OPTForCausalLM" },
  model_type = { "opt" },
  about = "learned positions (offset 2), ReLU MLP, biases, pre- or post-LayerNorm, optional embedding projections",
  options = "do_layer_norm_before, _remove_final_layer_norm, layer_norm_elementwise_affine, word_embed_proj_dim, "
    .. "activation_function, enable_bias, max_position_embeddings, tie_word_embeddings",
  build = function(cfg)
    local hidden, heads = need(cfg, "hidden_size"), need(cfg, "num_attention_heads")
    local pre = cfg.do_layer_norm_before ~= false
    gpt {
      hidden = hidden, layers = need(cfg, "num_hidden_layers"), heads = heads, kv_heads = heads,
      head_dim = hidden // heads, vocab = need(cfg, "vocab_size"), bos = cfg.bos_token_id or 2, eos = cfg.eos_token_id or 2,
      max_pos = cfg.max_position_embeddings or 2048,
      base = { "model.decoder.", "decoder.", "" }, positions = { offset = 2 }, post_norm = not pre,
      final_norm = pre and cfg._remove_final_layer_norm ~= true,
      affine = cfg.layer_norm_elementwise_affine ~= false,
      names = { embed = "embed_tokens", positions = "embed_positions", layer = "layers.%d.",
                attn_norm = "self_attn_layer_norm", mlp_norm = "final_layer_norm",
                q = "self_attn.q_proj", k = "self_attn.k_proj", v = "self_attn.v_proj", o = "self_attn.out_proj",
                up = "fc1", down = "fc2", final_norm = "final_layer_norm" },
      eps = 1e-5,
      act = act_name(cfg.activation_function or "relu"),
      tie = cfg.tie_word_embeddings ~= false,
    }
  end,
}
