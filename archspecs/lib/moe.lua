-- archspecs/lib/moe.lua: mixture-of-experts feed-forward blocks. Exports
-- experts(prefix, n, names) and sparse_moe(h, o).
--
-- Checkpoints store experts one tensor per expert
-- (PREFIX.<e>.<gate|up|down>.weight), fused as 3-D tensors
-- (PREFIX.gate_up_proj [E, 2F, H] with gate rows before up rows, and
-- PREFIX.down_proj [E, H, F]), or stacked 3-D per projection
-- (PREFIX.gate_proj, PREFIX.up_proj [E, F, H], PREFIX.down_proj, as GGUF). Both become what the moe op reads: gate/up
-- [E, 2F, H] in (gate, up) row pairs, down [E, H, F].
--
-- The sizes the config states (E, the expert width F, the hidden size H, a
-- shared MLP's width) are checked against the tensors through weight's
-- shape option: a config that disagrees is an error naming both. A size the
-- config does not state (nil) is not checked.

local function int(n) return math.type(n) == "integer" and n or (math.tointeger(n) or false) end

-- experts(prefix, n, names, F, H): F, H the expert width and hidden size the
-- config states (or nil)
local function experts(prefix, n, names, F, H)
  names = names or { gate = "gate_proj", up = "up_proj", down = "down_proj" }
  local E, Fc, Hc = int(n), int(F), int(H)
  if has(prefix .. ".gate_proj") then  -- stacked 3-D gate [E, F, H], up [E, F, H], down [E, H, F]
    local g = weight(prefix .. ".gate_proj", { shape = { E, Fc, Hc } })
    local u = weight(prefix .. ".up_proj", { shape = { E, Fc, Hc } })
    local s = g.shape
    return interleave(g:reshape{ s[1] * s[2], s[3] }, u:reshape{ s[1] * s[2], s[3] }):reshape{ s[1], 2 * s[2], s[3] },
           weight(prefix .. ".down_proj", { shape = { E, Hc, Fc } })
  end
  if has(prefix .. ".gate_up_proj") then
    local gu = weight(prefix .. ".gate_up_proj", { shape = { E, Fc and 2 * Fc, Hc } })
    local dn = weight(prefix .. ".down_proj", { shape = { E, Hc, Fc } })
    local s = gu.shape
    local F = s[2] // 2
    return gu:reshape{ s[1], 2, F, s[3] }:permute{ 1, 3, 2, 4 }:reshape{ s[1], 2 * F, s[3] }, dn
  end
  local gus, dns = {}, {}
  for e = 0, n - 1 do
    local p = prefix .. "." .. e .. "."
    gus[#gus + 1] = interleave(weight(p .. names.gate .. ".weight", { shape = { Fc, Hc } }),
                               weight(p .. names.up .. ".weight", { shape = { Fc, Hc } }))
    dns[#dns + 1] = weight(p .. names.down .. ".weight", { shape = { Hc, Fc } })
  end
  local F, H = gus[1].shape[1] // 2, gus[1].cols
  return cat(table.unpack(gus)):reshape{ n, 2 * F, H }, cat(table.unpack(dns)):reshape{ n, H, F }
end

-- a gated MLP from PREFIX.{gate_proj,up_proj,down_proj}; F, H: its width and
-- the hidden size the config states (or nil)
local function gated_mlp(h, prefix, act_name, names, F, H)
  names = names or { gate = "gate_proj", up = "up_proj", down = "down_proj" }
  local Fc, Hc = int(F), int(H)
  local g = linear(h, weight(prefix .. "." .. names.gate .. ".weight", { shape = { Fc, Hc } }))
  local u = linear(h, weight(prefix .. "." .. names.up .. ".weight", { shape = { Fc, Hc } }))
  return linear(mul(act(g, act_name), u), weight(prefix .. "." .. names.down .. ".weight", { shape = { Hc, Fc } }))
end

-- sparse_moe(h, {
--   router = name of the router weight [E, H] (without .weight),
--   experts = expert prefix, n = E, top_k =, names = {gate=, up=, down=},
--   kind = "softmax" | "sigmoid", renorm =, scale =, bias = name | nil,
--   groups =, top_groups =, act = "silu",
--   shared = prefix | nil (a gated MLP added to the experts' sum),
--   shared_names =, shared_gate = name | nil (sigmoid(h W) scales the shared MLP),
--   hidden =, ffn =, shared_ffn = (the sizes the config states, checked) })
local function sparse_moe(h, o)
  local logits = linear(h, weight(o.router .. ".weight", { shape = { int(o.n), int(o.hidden) } }))
  local r = route(logits, o.bias and weight(o.bias) or nil, {
    top_k = o.top_k, kind = o.kind or "softmax", renorm = o.renorm or false,
    scale = o.scale, groups = o.groups, top_groups = o.top_groups,
  })
  local gu, dn = experts(o.experts, o.n, o.names, o.ffn, o.hidden)
  local out = moe(h, r, gu, dn, { act = o.act or "silu", top_k = o.top_k })
  if o.shared then
    local s = gated_mlp(h, o.shared, o.act or "silu", o.shared_names, o.shared_ffn, o.hidden)
    if o.shared_gate then s = mul(s, linear(h, weight(o.shared_gate .. ".weight"), nil, { act = "sigmoid" })) end
    out = add(out, s)
  end
  return out
end

return { experts = experts, gated_mlp = gated_mlp, sparse_moe = sparse_moe }
