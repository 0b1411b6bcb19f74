-- archspecs/llama.lua: Llama (GQA, optional attention/MLP biases, tied
-- embeddings, RoPE scaling: linear, dynamic NTK, llama3, yarn).
return arch {
  name = "llama",
  hf = { "LlamaForCausalLM" },
  model_type = { "llama" },
  about = "RMSNorm, SwiGLU MLP, RoPE with scaling, grouped-query attention",
  options = "attention_bias, mlp_bias, tie_word_embeddings, rope_parameters/rope_scaling, head_dim",
  build = function(cfg)
    decoder(llama_block(cfg))
  end,
}
