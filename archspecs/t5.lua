-- archspecs/t5.lua: T5 (encoder-decoder; lib/seq2seq.lua's t5).
return arch {
  name = "t5",
  hf = { "T5ForConditionalGeneration" },
  model_type = { "t5" },
  about = "encoder-decoder: T5 LayerNorm (RMS), relative position buckets, unscaled attention, plain or gated MLP",
  options = "d_model, d_kv, d_ff, num_layers, num_decoder_layers, num_heads, relative_attention_num_buckets, "
    .. "relative_attention_max_distance, layer_norm_epsilon, feed_forward_proj, tie_word_embeddings, "
    .. "scale_decoder_outputs, decoder_start_token_id, n_positions",
  build = function(cfg) t5(cfg) end,
}
