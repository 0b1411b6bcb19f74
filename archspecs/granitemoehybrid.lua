-- archspecs/granitemoehybrid.lua: Granite 4 hybrid = Mamba-2 layers and
-- attention layers (layer_types), Granite's embedding/residual/attention/
-- logit multipliers, a shared MLP on every layer plus routed experts when
-- num_local_experts > 0.
-- a size the config states (checked against the tensors), or false
local function dim(n) return math.type(n) == "integer" and n or false end

local function moe_part(h, p, cfg, act_name)
  local b = p .. "block_sparse_moe."
  local E, k = cfg.num_local_experts, cfg.num_experts_per_tok
  local router = has(b .. "router.layer.weight") and b .. "router.layer" or b .. "router"
  local gu, dn
  if has(b .. "input_linear.weight") then  -- [E, 2F, H] gate rows before up rows, [E, H, F]
    local F, H = dim(cfg.intermediate_size), dim(cfg.hidden_size)
    gu = weight(b .. "input_linear.weight", { shape = { dim(E), F and 2 * F, H } })
    dn = weight(b .. "output_linear.weight", { shape = { dim(E), H, F } })
    local s = gu.shape
    gu = gu:reshape{ s[1], 2, s[2] // 2, s[3] }:permute{ 1, 3, 2, 4 }:reshape{ s[1], s[2], s[3] }
  else
    gu, dn = experts(b .. "experts", E, nil, cfg.intermediate_size, cfg.hidden_size)
  end
  -- softmax over the top-k logits = the top-k of the softmax, renormalized
  local r = route(linear(h, weight(router .. ".weight", { shape = { dim(E), dim(cfg.hidden_size) } })), nil, { top_k = k, renorm = true })
  return moe(h, r, gu, dn, { act = act_name, top_k = k })
end

return arch {
  name = "granitemoehybrid",
  hf = { "GraniteMoeHybridForCausalLM" },
  model_type = { "granitemoehybrid" },
  about = "hybrid Mamba-2 / attention layers with Granite multipliers and a shared MLP (+ experts)",
  options = "layer_types, mamba_*, embedding/residual/attention_multiplier, logits_scaling, num_local_experts, position_embedding_type",
  build = function(cfg)
    local c = common(cfg)
    local eps = cfg.rms_norm_eps or 1e-6
    local lim = cfg.time_step_limit or {}
    local types = cfg.layer_types or cfg.layers_block_type or {}
    decoder {
      hidden = c.hidden, layers = c.layers, heads = c.heads, kv_heads = c.kv_heads,
      head_dim = c.head_dim, vocab = c.vocab, max_pos = c.max_pos, bos = c.bos, eos = c.eos,
      norm = { eps = eps },
      embed = { scale = cfg.embedding_multiplier or 1.0 },
      residual_scale = cfg.residual_multiplier or 1.0,
      attention = {
        rope = cfg.position_embedding_type == "rope" and rope_from_config(cfg, c.head_dim) or nil,
        scale = cfg.attention_multiplier or 1.0,
        block = function(h, p, i)
          local t = types[i + 1] or "linear_attention"
          if t == "attention" or t == "full_attention" then return nil end
          return mamba2_mixer(h, p .. "mamba.", {
            heads = cfg.mamba_n_heads or 128, head_dim = cfg.mamba_d_head or 32, groups = cfg.mamba_n_groups or 1,
            state = cfg.mamba_d_state or 256, eps = eps, act = c.act,
            dt_min = type(lim[1]) == "number" and lim[1] or 0, dt_max = type(lim[2]) == "number" and lim[2] or nil,
            chunk = cfg.mamba_chunk_size, hidden = c.hidden, conv = cfg.mamba_d_conv,
          })
        end,
      },
      mlp = { project = function(h, p)
        local Fs = dim(cfg.shared_intermediate_size)
        local w = weight(p .. "shared_mlp.input_linear.weight", { shape = { Fs and 2 * Fs, c.hidden } })
        local F = w.shape[1] // 2
        local f = linear(mul(act(linear(h, w:rows(0, F)), c.act), linear(h, w:rows(F, F))),
                         weight(p .. "shared_mlp.output_linear.weight", { shape = { c.hidden, F } }))
        if (cfg.num_local_experts or 0) > 0 then f = add(moe_part(h, p, cfg, c.act), f) end
        return f
      end },
      logits = { scale = 1.0 / (cfg.logits_scaling or 1.0) },
      tie = cfg.tie_word_embeddings == true,
    }
  end,
}
