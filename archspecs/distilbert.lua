-- archspecs/distilbert.lua: DistilBERT with its masked-LM head = the BERT
-- encoder without token-type embeddings, under its own tensor and config names.
return arch {
  name = "distilbert",
  hf = { "DistilBertForMaskedLM" },
  model_type = { "distilbert" },
  about = "BERT encoder without token types (q_lin/k_lin/v_lin, sa_layer_norm), vocab_transform masked-LM head",
  options = "dim, n_layers, n_heads, hidden_dim, activation, max_position_embeddings, sinusoidal_pos_embds "
    .. "(stored in the checkpoint), tie_word_embeddings",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_distilbert.py
      max_position_embeddings = 512, n_layers = 6, n_heads = 12, dim = 768, activation = "gelu",
      tie_word_embeddings = true,
    })
    local hidden = cfg.dim
    encoder {
      hidden = hidden, layers = cfg.n_layers, heads = cfg.n_heads, head_dim = hidden // cfg.n_heads, ffn = cfg.hidden_dim,
      vocab = need(cfg, "vocab_size"), max_pos = cfg.max_position_embeddings,
      bos = cfg.bos_token_id, eos = cfg.eos_token_id,
      eps = 1e-12, act = act_name(cfg.activation),
      base = { "distilbert.", "" },
      tie = cfg.tie_word_embeddings,
      names = {
        layer = "transformer.layer.%d.",
        q = "attention.q_lin", k = "attention.k_lin", v = "attention.v_lin",
        o = "attention.out_lin", attn_norm = "sa_layer_norm",
        up = "ffn.lin1", down = "ffn.lin2", mlp_norm = "output_layer_norm",
        transform = "vocab_transform", transform_norm = "vocab_layer_norm", decoder = "vocab_projector",
      },
    }
  end,
}
