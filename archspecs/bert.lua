-- archspecs/bert.lua: BERT with its masked-LM head (encoder only: every
-- position's logits, no generation).
return arch {
  name = "bert",
  hf = { "BertForMaskedLM" },
  model_type = { "bert" },
  about = "encoder: bidirectional attention, word + position + token-type embeddings, post-LayerNorm, masked-LM head",
  options = "hidden_act, layer_norm_eps, max_position_embeddings, type_vocab_size, position_embedding_type (absolute), "
    .. "is_decoder, tie_word_embeddings",
  build = function(cfg)
    if (cfg.position_embedding_type or "absolute") ~= "absolute" then
      error(config_file .. ": position_embedding_type '" .. cfg.position_embedding_type .. "' is not supported", 0)
    end
    local hidden, heads = need(cfg, "hidden_size"), need(cfg, "num_attention_heads")
    encoder {
      hidden = hidden, layers = need(cfg, "num_hidden_layers"), heads = heads, head_dim = hidden // heads,
      ffn = cfg.intermediate_size,
      vocab = need(cfg, "vocab_size"), max_pos = cfg.max_position_embeddings or 512,
      bos = cfg.bos_token_id, eos = cfg.eos_token_id,
      eps = cfg.layer_norm_eps or 1e-12,
      act = act_name(cfg.hidden_act or "gelu"),
      causal = cfg.is_decoder == true,
      tie = cfg.tie_word_embeddings ~= false,
    }
  end,
}
