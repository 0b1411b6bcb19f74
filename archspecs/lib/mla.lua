-- archspecs/lib/mla.lua: DeepSeek's multi-head latent attention as a
-- decoder attention.block: q through a low-rank bottleneck (q_a -> norm ->
-- q_b) or one q_proj, keys and values from one compressed latent (kv_a ->
-- norm) expanded per head by kv_b, plus a decoupled rotary part shared by
-- all heads; the cache holds the latent and the rotary key only.
-- Exports mla_block(cfg, c, rope_id, scale) and mla_scale(cfg).

local function mla_block(cfg, c, rope_id, scale)
  local H, dn, r, dv = c.heads, cfg.qk_nope_head_dim, cfg.qk_rope_head_dim, cfg.v_head_dim
  local L = cfg.kv_lora_rank
  local eps = cfg.rms_norm_eps or 1e-6
  return function(h, p)
    local a = p .. "self_attn."
    local q
    if has(a .. "q_a_proj.weight") then
      q = linear(rmsnorm(linear(h, weight(a .. "q_a_proj.weight"), weight(a .. "q_a_proj.bias", { optional = true })),
                         weight(a .. "q_a_layernorm.weight"), { eps = eps }), weight(a .. "q_b_proj.weight"))
    else
      q = linear(h, weight(a .. "q_proj.weight"))
    end
    local kv = linear(h, weight(a .. "kv_a_proj_with_mqa.weight"), weight(a .. "kv_a_proj_with_mqa.bias", { optional = true }))
    local latent = rmsnorm(view(kv, 0, L), weight(a .. "kv_a_layernorm.weight"), { eps = eps })
    local o = mla(q, latent, view(kv, L, r), weight(a .. "kv_b_proj.weight"), {
      heads = H, head_dim = dn, rope_dim = r, v_head_dim = dv, scale = scale, rope = rope_id,
    })
    return linear(o, weight(a .. "o_proj.weight"), weight(a .. "o_proj.bias", { optional = true }))
  end
end

-- the softmax scale 1/sqrt(qk_head_dim), times mscale^2 under yarn with mscale_all_dim
local function mla_scale(cfg)
  local scale = (cfg.qk_nope_head_dim + cfg.qk_rope_head_dim) ^ -0.5
  local rp = rope_params(cfg)
  if rp.rope_type ~= "default" and rp.mscale_all_dim and rp.mscale_all_dim ~= 0 then
    local m = rp.factor <= 1 and 1.0 or 0.1 * rp.mscale_all_dim * math.log(rp.factor) + 1.0
    scale = scale * m * m
  end
  return scale
end

return { mla_block = mla_block, mla_scale = mla_scale }
