-- archspecs/mpt.lua: MPT = ALiBi instead of positions (MPT's slopes, capped
-- by alibi_bias_max), fused Wqkv rows [q | k | v], LayerNorms without bias
-- (no_bias), a plain GELU MLP, tied head.
local function mpt_slopes(heads, max_bias)  -- build_mpt_alibi_tensor
  local p2 = 2 ^ math.ceil(math.log(heads, 2))
  local s = {}
  for i = 1, p2 do s[i] = 1.0 / 2 ^ (i * max_bias / p2) end
  if p2 == heads then return s end
  local r = {}
  for i = 2, p2, 2 do r[#r + 1] = s[i] end
  for i = 1, p2, 2 do r[#r + 1] = s[i] end
  return { table.unpack(r, 1, heads) }
end

return arch {
  name = "mpt",
  hf = { "MptForCausalLM" },
  model_type = { "mpt" },
  about = "ALiBi, fused Wqkv, bias-free LayerNorms (no_bias), plain GELU MLP",
  options = "d_model, n_heads, n_layers, expansion_ratio, max_seq_len, no_bias, layer_norm_epsilon, "
    .. "attn_config (alibi_bias_max, softmax_scale; transformers' MPT always uses ALiBi; clip_qkv, qk_ln and prefix_lm refused), logit_scale (refused)",
  build = function(cfg)
    local hidden, heads = need(cfg, "d_model"), need(cfg, "n_heads")
    local ac = cfg.attn_config or {}
    if ac.clip_qkv or ac.qk_ln or ac.prefix_lm or cfg.logit_scale then
      error(config_file .. ": attn_config.clip_qkv / qk_ln / prefix_lm and logit_scale are not supported", 0)
    end
    gpt {
      hidden = hidden, layers = need(cfg, "n_layers"), heads = heads, kv_heads = heads,
      head_dim = hidden // heads, vocab = need(cfg, "vocab_size"), bos = cfg.bos_token_id, eos = cfg.eos_token_id,
      max_pos = cfg.max_seq_len or 2048,
      base = "transformer.", qkv = "stacked", alibi = mpt_slopes(heads, ac.alibi_bias_max or 8),
      norm_bias = cfg.no_bias == false,
      scale = ac.softmax_scale,
      names = { embed = "wte", layer = "blocks.%d.", attn_norm = "norm_1", mlp_norm = "norm_2",
                qkv = "attn.Wqkv", o = "attn.out_proj", up = "ffn.up_proj", down = "ffn.down_proj",
                final_norm = "norm_f" },
      eps = cfg.layer_norm_epsilon or 1e-5,
      act = "gelu",
      tie = true,
    }
  end,
}
