-- archspecs/falcon_h1.lua: Falcon-H1 = every layer runs attention and a
-- Mamba-2 mixer side by side on one norm of x and adds both to x, then a
-- SwiGLU MLP; muP multipliers on the embedding, the mixers' inputs and
-- outputs, the keys, the MLP and the logits (folded into the weights).
return arch {
  name = "falcon_h1",
  hf = { "FalconH1ForCausalLM" },
  model_type = { "falcon_h1" },
  about = "parallel attention + Mamba-2 in every layer, muP multipliers",
  options = "mamba_n_heads, mamba_d_head, mamba_n_groups, mamba_d_state, mamba_chunk_size, mamba_rms_norm, "
    .. "mamba_norm_before_gate, time_step_limit, ssm_multipliers, ssm_in/out_multiplier, attention_in/out_multiplier, "
    .. "key_multiplier, mlp_multipliers, embedding_multiplier, lm_head_multiplier, head_dim, rms_norm_eps, rope_parameters",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_falcon_h1.py
      num_key_value_heads = 8, hidden_act = "silu", max_position_embeddings = 8192, rms_norm_eps = 1e-5,
      tie_word_embeddings = false, mamba_n_heads = 128, mamba_n_groups = 1, mamba_d_state = 256,
      mamba_expand = 2, mamba_chunk_size = 256, mamba_rms_norm = false, mamba_norm_before_gate = true,
      embedding_multiplier = 1.0, lm_head_multiplier = 1.0, key_multiplier = 1.0, attention_in_multiplier = 1.0,
      attention_out_multiplier = 1.0, ssm_in_multiplier = 1.0, ssm_out_multiplier = 1.0,
      bos_token_id = 1, eos_token_id = 2,
    })
    local c = common(cfg)
    local lim = cfg.time_step_limit or {}
    local G = cfg.mamba_n_groups
    local di = cfg.mamba_d_ssm or cfg.mamba_expand * c.hidden
    local dh = cfg.mamba_d_head or di // cfg.mamba_n_heads
    local sm = cfg.ssm_multipliers or { 1, 1, 1, 1, 1 }
    local si = cfg.ssm_in_multiplier
    local mm = cfg.mlp_multipliers or { 1, 1 }
    local r = rope_from_config(cfg, c.head_dim)
    local ai, ao, km = cfg.attention_in_multiplier, cfg.attention_out_multiplier, cfg.key_multiplier
    local function proj(h, name, ws, bs)   -- linear with weight times ws, bias times bs
      local w, b = weight(name .. ".weight"), weight(name .. ".bias", { optional = true })
      return linear(h, ws ~= 1 and w:scale(ws) or w, b and bs ~= 1 and b:scale(bs) or b)
    end
    decoder {
      hidden = c.hidden, layers = c.layers, heads = c.heads, kv_heads = c.kv_heads,
      head_dim = c.head_dim, vocab = c.vocab, max_pos = c.max_pos, bos = c.bos, eos = c.eos,
      norm = { eps = cfg.rms_norm_eps },
      embed = { scale = cfg.embedding_multiplier ~= 1 and cfg.embedding_multiplier or nil },
      attention = {
        block = function(h, p, i)
          local a = p .. "self_attn."
          local q = rope(proj(h, a .. "q_proj", ai, 1), r)
          local k = rope(proj(h, a .. "k_proj", ai * km, km), r)
          local v = proj(h, a .. "v_proj", ai, 1)
          local at = attention(q, k, v, { heads = c.heads, kv_heads = c.kv_heads, head_dim = c.head_dim })
          local m = mamba2_mixer(h, p .. "mamba.", {
            heads = cfg.mamba_n_heads, head_dim = dh, groups = G, state = cfg.mamba_d_state,
            eps = cfg.rms_norm_eps, act = c.act, chunk = cfg.mamba_chunk_size, hidden = c.hidden, conv = cfg.mamba_d_conv,
            dt_min = type(lim[1]) == "number" and lim[1] or 0, dt_max = type(lim[2]) == "number" and lim[2] or nil,
            in_scale = { sm[1] * si, sm[2] * si, sm[3] * si, sm[4] * si, sm[5] * si }, out_scale = cfg.ssm_out_multiplier,
            gated_norm = cfg.mamba_rms_norm, norm_before_gate = cfg.mamba_norm_before_gate,
            norm_group = G > 1 and di // G or nil,
          })
          return add(m, proj(at, a .. "o_proj", ao, ao))
        end,
      },
      mlp = { project = function(h, p)
        local f = p .. "feed_forward."
        local g = act(proj(h, f .. "gate_proj", mm[1], mm[1]), c.act)
        return proj(mul(g, proj(h, f .. "up_proj", 1, 1)), f .. "down_proj", mm[2], mm[2])
      end },
      tie = cfg.tie_word_embeddings,
      logits = { scale = cfg.lm_head_multiplier ~= 1 and cfg.lm_head_multiplier or nil },
      names = { mlp_norm = "pre_ff_layernorm", final_norm = "model.final_layernorm" },
    }
  end,
}
