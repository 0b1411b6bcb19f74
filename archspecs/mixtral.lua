-- archspecs/mixtral.lua: Mixtral = the Mistral block with a sparse MoE MLP
-- (softmax router, top-k experts, weights renormalized over the chosen).
return arch {
  name = "mixtral",
  hf = { "MixtralForCausalLM" },
  model_type = { "mixtral" },
  about = "Mistral block with a top-k softmax-routed mixture of SwiGLU experts",
  options = "num_local_experts, num_experts_per_tok, sliding_window, rope_parameters/rope_theta",
  build = function(cfg)
    local c = common(cfg)
    local E = cfg.num_local_experts or cfg.num_experts or 8
    decoder {
      hidden = c.hidden, layers = c.layers, heads = c.heads, kv_heads = c.kv_heads,
      head_dim = c.head_dim, vocab = c.vocab, max_pos = c.max_pos, bos = c.bos, eos = c.eos,
      norm = { eps = cfg.rms_norm_eps or 1e-5 },
      attention = { rope = rope_from_config(cfg, c.head_dim), window = cfg.sliding_window },
      mlp = { project = function(h, p)
        -- checkpoints name the block mlp (fused experts) or block_sparse_moe (one per expert)
        local legacy = has(p .. "block_sparse_moe.gate.weight")
        local b = legacy and p .. "block_sparse_moe" or p .. "mlp"
        return sparse_moe(h, {
          router = b .. ".gate", experts = b .. ".experts", n = E, top_k = cfg.num_experts_per_tok or 2,
          renorm = true, act = c.act, hidden = c.hidden, ffn = cfg.intermediate_size, names = legacy and { gate = "w1", up = "w3", down = "w2" } or nil,
        })
      end },
      tie = cfg.tie_word_embeddings == true,
    }
  end,
}
