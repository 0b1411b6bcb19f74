-- archspecs/roberta.lua: RoBERTa with its masked-LM head = the BERT encoder
-- with positions counted from pad_token_id + 1 and the head named lm_head.
return arch {
  name = "roberta",
  hf = { "RobertaForMaskedLM" },
  model_type = { "roberta" },
  about = "BERT encoder with positions offset past the padding index and an lm_head masked-LM head",
  options = "hidden_act, layer_norm_eps, max_position_embeddings, pad_token_id, type_vocab_size, "
    .. "position_embedding_type (absolute), is_decoder, tie_word_embeddings",
  build = function(cfg)
    roberta(cfg)
  end,
}
