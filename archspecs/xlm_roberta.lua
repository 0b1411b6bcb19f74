-- archspecs/xlm_roberta.lua: XLM-RoBERTa, the multilingual RoBERTa: the same
-- encoder and head (roberta.lua) under its own classes and model_type.
return arch {
  name = "xlm_roberta",
  hf = { "XLMRobertaForMaskedLM" },
  model_type = { "xlm-roberta" },
  about = "RoBERTa: BERT encoder with positions offset past the padding index and an lm_head masked-LM head",
  options = "hidden_act, layer_norm_eps, max_position_embeddings, pad_token_id, type_vocab_size, "
    .. "position_embedding_type (absolute), is_decoder, tie_word_embeddings",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_xlm_roberta.py
      hidden_act = "gelu", layer_norm_eps = 1e-12, max_position_embeddings = 512, pad_token_id = 1,
      bos_token_id = 0, eos_token_id = 2, position_embedding_type = "absolute", tie_word_embeddings = true,
    })
    if cfg.position_embedding_type ~= "absolute" then
      error(config_file .. ": position_embedding_type '" .. cfg.position_embedding_type .. "' is not supported", 0)
    end
    local hidden, heads = need(cfg, "hidden_size"), need(cfg, "num_attention_heads")
    encoder {
      hidden = hidden, layers = need(cfg, "num_hidden_layers"), heads = heads, head_dim = hidden // heads,
      vocab = need(cfg, "vocab_size"), max_pos = cfg.max_position_embeddings - cfg.pad_token_id - 1,
      bos = cfg.bos_token_id, eos = cfg.eos_token_id,
      eps = cfg.layer_norm_eps, act = act_name(cfg.hidden_act),
      base = { "roberta.", "" },
      -- create_position_ids_from_input_ids: padding_idx + 1 + the count of non-padding tokens so far
      positions = { offset = cfg.pad_token_id + 1 },
      causal = cfg.is_decoder == true,
      tie = cfg.tie_word_embeddings,
      names = { transform = "lm_head.dense", transform_norm = "lm_head.layer_norm",
                decoder = "lm_head.decoder", head_bias = "lm_head.bias" },
    }
  end,
}
