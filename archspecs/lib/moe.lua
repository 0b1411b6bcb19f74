-- archspecs/lib/moe.lua: mixture-of-experts feed-forward blocks. Exports
-- experts(prefix, n, names) and sparse_moe(h, o).
--
-- Checkpoints store experts one tensor per expert
-- (PREFIX.<e>.<gate|up|down>.weight), fused as 3-D tensors
-- (PREFIX.gate_up_proj [E, 2F, H] with gate rows before up rows, and
-- PREFIX.down_proj [E, H, F]), or stacked 3-D per projection
-- (PREFIX.gate_proj, PREFIX.up_proj [E, F, H], PREFIX.down_proj, as GGUF). Both become what the moe op reads: gate/up
-- [E, 2F, H] in (gate, up) row pairs, down [E, H, F].

local function experts(prefix, n, names)
  names = names or { gate = "gate_proj", up = "up_proj", down = "down_proj" }
  if has(prefix .. ".gate_proj") then  -- stacked 3-D gate [E, F, H], up [E, F, H], down [E, H, F]
    local g, u = weight(prefix .. ".gate_proj"), weight(prefix .. ".up_proj")
    local s = g.shape
    return interleave(g:reshape{ s[1] * s[2], s[3] }, u:reshape{ s[1] * s[2], s[3] }):reshape{ s[1], 2 * s[2], s[3] },
           weight(prefix .. ".down_proj")
  end
  if has(prefix .. ".gate_up_proj") then
    local gu, dn = weight(prefix .. ".gate_up_proj"), weight(prefix .. ".down_proj")
    local s = gu.shape
    local F = s[2] // 2
    return gu:reshape{ s[1], 2, F, s[3] }:permute{ 1, 3, 2, 4 }:reshape{ s[1], 2 * F, s[3] }, dn
  end
  local gus, dns = {}, {}
  for e = 0, n - 1 do
    local p = prefix .. "." .. e .. "."
    gus[#gus + 1] = interleave(weight(p .. names.gate .. ".weight"), weight(p .. names.up .. ".weight"))
    dns[#dns + 1] = weight(p .. names.down .. ".weight")
  end
  local F, H = gus[1].shape[1] // 2, gus[1].cols
  return cat(table.unpack(gus)):reshape{ n, 2 * F, H }, cat(table.unpack(dns)):reshape{ n, H, F }
end

-- a gated MLP from PREFIX.{gate_proj,up_proj,down_proj}
local function gated_mlp(h, prefix, act_name, names)
  names = names or { gate = "gate_proj", up = "up_proj", down = "down_proj" }
  local g = linear(h, weight(prefix .. "." .. names.gate .. ".weight"))
  local u = linear(h, weight(prefix .. "." .. names.up .. ".weight"))
  return linear(mul(act(g, act_name), u), weight(prefix .. "." .. names.down .. ".weight"))
end

-- sparse_moe(h, {
--   router = name of the router weight [E, H] (without .weight),
--   experts = expert prefix, n = E, top_k =, names = {gate=, up=, down=},
--   kind = "softmax" | "sigmoid", renorm =, scale =, bias = name | nil,
--   groups =, top_groups =, act = "silu",
--   shared = prefix | nil (a gated MLP added to the experts' sum),
--   shared_names =, shared_gate = name | nil (sigmoid(h W) scales the shared MLP) })
local function sparse_moe(h, o)
  local logits = linear(h, weight(o.router .. ".weight"))
  local r = route(logits, o.bias and weight(o.bias) or nil, {
    top_k = o.top_k, kind = o.kind or "softmax", renorm = o.renorm or false,
    scale = o.scale, groups = o.groups, top_groups = o.top_groups,
  })
  local gu, dn = experts(o.experts, o.n, o.names)
  local out = moe(h, r, gu, dn, { act = o.act or "silu", top_k = o.top_k })
  if o.shared then
    local s = gated_mlp(h, o.shared, o.act or "silu", o.shared_names)
    if o.shared_gate then s = mul(s, linear(h, weight(o.shared_gate .. ".weight"), nil, { act = "sigmoid" })) end
    out = add(out, s)
  end
  return out
end

return { experts = experts, gated_mlp = gated_mlp, sparse_moe = sparse_moe }
