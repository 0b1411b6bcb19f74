-- archspecs/lib/deltanet.lua: the blocks of the Qwen3-Next / Qwen3.5
-- hybrids. Exports gated_deltanet and gated_attention.

-- The row blocks of a matrix stored grouped per key head: for each of kh
-- heads, blocks of the sizes in `sizes` one after another. Returns one
-- matrix per block, heads in order ([kh * size, cols] each).
local function per_head_blocks(w, kh, sizes)
  local S = 0
  for _, s in ipairs(sizes) do S = S + s end
  local cols = w.cols
  local p = w:reshape { kh, S, cols }:permute { 2, 1, 3 }           -- [S, kh, cols]
  local out, first = {}, 0
  for j, s in ipairs(sizes) do
    out[j] = p:rows(first, s):permute { 2, 1, 3 }:reshape { kh * s, cols }
    first = first + s
  end
  return table.unpack(out)
end

-- gated_deltanet(h, prefix, {k_heads =, v_heads =, k_dim =, v_dim =, eps =, layout = "grouped" | "separate"})
-- Gated delta-rule linear attention: q, k, v through a causal depthwise conv
-- and silu; beta = sigmoid(b), g = -exp(A_log) softplus(a + dt_bias); the
-- delta rule per value head (q, k l2-normalized); a per-head RMSNorm of the
-- output times silu(z); out_proj. grouped (Qwen3-Next): in_proj_qkvz and
-- in_proj_ba hold [q k v z] and [b a] per key head; separate (Qwen3.5):
-- in_proj_qkv ([q; k; v]), in_proj_z, in_proj_b, in_proj_a.
local function gated_deltanet(h, p, o)
  local hk, hv, dk, dv = o.k_heads, o.v_heads, o.k_dim, o.v_dim
  local r = hv // hk
  local wqkv, wz, wb, wa
  if o.layout == "grouped" then
    local wq, wk, wv
    wq, wk, wv, wz = per_head_blocks(weight(p .. "in_proj_qkvz.weight"), hk, { dk, dk, r * dv, r * dv })
    wqkv = cat(wq, wk, wv)
    wb, wa = per_head_blocks(weight(p .. "in_proj_ba.weight"), hk, { r, r })
  else
    wqkv, wz = weight(p .. "in_proj_qkv.weight"), weight(p .. "in_proj_z.weight")
    wb, wa = weight(p .. "in_proj_b.weight"), weight(p .. "in_proj_a.weight")
  end
  local K, V = hk * dk, hv * dv
  local cw = weight(p .. "conv1d.weight")
  local qkv = conv1d(linear(h, wqkv), cw:reshape { 2 * K + V, cw.shape[#cw.shape] },
                     weight(p .. "conv1d.bias", { optional = true }), { act = "silu" })
  local beta = act(linear(h, wb), "sigmoid")
  local g = mul(act(add(linear(h, wa), weight(p .. "dt_bias")), "softplus"), weight(p .. "A_log"):exp():scale(-1))
  local y = delta_rule(view(qkv, 0, K), view(qkv, K, K), view(qkv, 2 * K, V), g, beta,
                       { heads = hv, kv_heads = hk, head_dim = dk, v_head_dim = dv })
  y = mul(rmsnorm(y, weight(p .. "norm.weight"), { eps = o.eps, group = dv }), act(linear(h, wz), "silu"))
  return linear(y, weight(p .. "out_proj.weight"))
end

-- gated_attention(h, prefix, {heads =, kv_heads =, head_dim =, eps =, rope =, plus1 =})
-- Attention whose q_proj also gives, per head, a gate: q_proj rows are
-- [q; gate] for each head; q and k RMSNorm per head; the output times
-- sigmoid(gate) before o_proj.
local function gated_attention(h, p, o)
  local hd = o.head_dim
  local function hnorm(x, name)
    local w = weight(p .. name .. ".weight")
    if o.plus1 then w = w:add(1) end
    return rmsnorm(x, w, { eps = o.eps, group = hd })
  end
  local function bias(name) return weight(p .. name .. ".bias", { optional = true }) end
  local wq, wg = per_head_blocks(weight(p .. "q_proj.weight"), o.heads, { hd, hd })
  local bq, bg
  local b = bias("q_proj")
  if b then bq, bg = per_head_blocks(b:reshape { b.shape[1], 1 }, o.heads, { hd, hd }) end
  local q = hnorm(linear(h, wq, bq and bq:reshape { o.heads * hd }), "q_norm")
  local gate = linear(h, wg, bg and bg:reshape { o.heads * hd })
  local k = hnorm(linear(h, weight(p .. "k_proj.weight"), bias("k_proj")), "k_norm")
  local v = linear(h, weight(p .. "v_proj.weight"), bias("v_proj"))
  if o.rope then q, k = rope(q, o.rope), rope(k, o.rope) end
  local a = attention(q, k, v, { heads = o.heads, kv_heads = o.kv_heads, head_dim = hd })
  return linear(mul(a, act(gate, "sigmoid")), weight(p .. "o_proj.weight"), bias("o_proj"))
end

-- deltanet_hybrid_block(cfg, c, types, rope, layout): the attention block of
-- the delta-rule hybrids: gated_deltanet on "linear_attention" layers (the
-- checkpoint's linear_num_* sizes, its layout), gated_attention on the others
local function deltanet_hybrid_block(cfg, c, lt, r, layout)
  return function(h, p, i)
    if lt[i + 1] == "linear_attention" then
      return gated_deltanet(h, p .. "linear_attn.", {
        k_heads = cfg.linear_num_key_heads, v_heads = cfg.linear_num_value_heads, k_dim = cfg.linear_key_head_dim,
        v_dim = cfg.linear_value_head_dim, eps = cfg.rms_norm_eps, layout = layout })
    end
    return gated_attention(h, p .. "self_attn.", { heads = c.heads, kv_heads = c.kv_heads, head_dim = c.head_dim,
                                                   eps = cfg.rms_norm_eps, rope = r, plus1 = true })
  end
end

return { deltanet_hybrid_block = deltanet_hybrid_block, gated_deltanet = gated_deltanet, gated_attention = gated_attention }
