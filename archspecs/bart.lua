-- archspecs/bart.lua: BART (encoder-decoder; lib/seq2seq.lua's bart).
return arch {
  name = "bart",
  hf = { "BartForConditionalGeneration" },
  model_type = { "bart" },
  about = "encoder-decoder: learned positions offset 2, embedding LayerNorm, post-norm blocks, final_logits_bias",
  options = "d_model, encoder_layers, decoder_layers, encoder_attention_heads, decoder_attention_heads, "
    .. "activation_function, max_position_embeddings, scale_embedding, decoder_start_token_id",
  build = function(cfg) bart(cfg) end,
}
