-- archspecs/whisper.lua: Whisper (speech encoder-decoder; lib/seq2seq.lua's whisper).
return arch {
  name = "whisper",
  hf = { "WhisperForConditionalGeneration" },
  model_type = { "whisper" },
  about = "speech encoder-decoder: log-mel frames through two convolutions, sinusoidal encoder positions, "
    .. "pre-norm blocks, learned decoder positions",
  options = "num_mel_bins, d_model, encoder_layers, decoder_layers, encoder_attention_heads, decoder_attention_heads, "
    .. "activation_function, max_source_positions, max_target_positions, scale_embedding, decoder_start_token_id",
  build = function(cfg) whisper(cfg) end,
}
