-- archspecs/xlm_roberta.lua: XLM-RoBERTa, the multilingual RoBERTa: the same
-- encoder and head (lib/encoder.lua's roberta) under its own classes and model_type.
return arch {
  name = "xlm_roberta",
  hf = { "XLMRobertaForMaskedLM" },
  model_type = { "xlm-roberta" },
  about = "RoBERTa: BERT encoder with positions offset past the padding index and an lm_head masked-LM head",
  options = "hidden_act, layer_norm_eps, max_position_embeddings, pad_token_id, type_vocab_size, "
    .. "position_embedding_type (absolute), is_decoder, tie_word_embeddings",
  build = function(cfg)
    roberta(cfg)
  end,
}
