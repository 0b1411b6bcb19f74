-- archspecs/lib/ssm.lua: state-space blocks. Exports mamba_mixer,
-- mamba2_mixer and ssm_model.
--
-- Sizes are read from the tensors themselves (in_proj, A_log, conv1d, ...);
-- the sizes the config states (hidden, inner, state, conv, dt_rank, vocab)
-- are checked against them through weight's shape option, so a config that
-- disagrees with the checkpoint is an error naming both. A size the config
-- does not state is not checked.

-- n when it is an integer, else false (a dim weight's shape leaves unchecked)
local function int(n) return math.type(n) == "integer" and n or (math.tointeger(n) or false) end
-- a shape list {first, false..., last} as long as the tensor's rank (a conv
-- weight is [C, 1, K] in a checkpoint, [C, K] in a GGUF file)
local function first_last(name, first, last)
  local s = shape(name)
  if not s then return nil end
  local d = { first }
  for i = 2, #s - 1 do d[i] = false end
  if #s > 1 then d[#s] = last end
  return d
end

-- mamba_mixer(h, prefix, {act =, dt_norm = nil | {eps =, weights = bool},
--                         hidden =, inner =, state =, conv =, dt_rank =})
-- Mamba-1: in_proj -> (x, z); x through a causal depthwise conv and act;
-- x_proj -> (dt rank, B, C); dt_proj; selective scan with D; gated by act(z);
-- out_proj. dt_norm: RMS norms of the dt/B/C parts (dt_layernorm,
-- b_layernorm, c_layernorm; weightless unless weights = true).
-- A = -exp(A_log); a GGUF file stores A itself (read as PREFIX.A)
local function ssm_a(p, dims)
  if has(p .. "A") then return weight(p .. "A", { shape = dims }) end
  return weight(p .. "A_log", { shape = dims }):exp():scale(-1)
end

local function mamba_mixer(h, p, o)
  o = o or {}
  local a = o.act or "silu"
  local Hc, Dc, Nc, Kc, Rc = int(o.hidden), int(o.inner), int(o.state), int(o.conv), int(o.dt_rank)
  local inw = weight(p .. "in_proj.weight", { shape = { Dc and 2 * Dc, Hc } })
  local D = inw.shape[1] // 2
  local A = ssm_a(p, { D, Nc })
  local N = A.shape[2]
  local dtw = weight(p .. "dt_proj.weight", { shape = { D, Rc } })
  local R = dtw.shape[2]
  local cw = weight(p .. "conv1d.weight", { shape = first_last(p .. "conv1d.weight", D, Kc) })
  local K = cw.shape[#cw.shape]
  local xz = linear(h, inw, weight(p .. "in_proj.bias", { optional = true }))
  local x, z = view(xz, 0, D), view(xz, D, D)
  x = conv1d(x, cw:reshape{ D, K }, weight(p .. "conv1d.bias", { optional = true }), { act = a })
  local dbc = linear(x, weight(p .. "x_proj.weight", { shape = { R + 2 * N, D } }))
  local ts, B, C = view(dbc, 0, R), view(dbc, R, N), view(dbc, R + N, N)
  if o.dt_norm then
    local function nw(name) return o.dt_norm.weights and weight(p .. name .. ".weight") or nil end
    ts = rmsnorm(ts, nw("dt_layernorm"), { eps = o.dt_norm.eps })
    B = rmsnorm(B, nw("b_layernorm"), { eps = o.dt_norm.eps })
    C = rmsnorm(C, nw("c_layernorm"), { eps = o.dt_norm.eps })
  end
  local dt = linear(ts, dtw)
  local y = ssm_scan(x, dt, A, B, C, weight(p .. "D"), weight(p .. "dt_proj.bias"),
                     { heads = D, groups = 1 })
  y = mul(y, act(z, a))
  return linear(y, weight(p .. "out_proj.weight", { shape = { Hc, D } }), weight(p .. "out_proj.bias", { optional = true }))
end

-- mamba2_mixer(h, prefix, {heads =, head_dim =, groups =, state =, eps =, act =,
--                          dt_min =, dt_max =, chunk =, hidden =, conv =,
--                          in_scale = nil | {z, x, B, C, dt}, out_scale = nil,
--                          gated_norm = true, norm_before_gate = false})
-- Mamba-2: in_proj -> (z, xBC, dt); xBC through the conv and act; split
-- x, B, C; multi-head scan (one A and dt per head, B and C per group) with
-- D; norm(y * silu(z)) (gated RMSNorm; norm(y) * silu(z) with
-- norm_before_gate; y * silu(z) without gated_norm); out_proj.
-- in_scale: each part of in_proj's output times its factor, out_scale the
-- output (Falcon-H1's multipliers; folded into the weights).
local function mamba2_mixer(h, p, o)
  local H, P, G, N = o.heads, o.head_dim, o.groups or 1, o.state
  local Di = H * P
  local conv_dim = Di + 2 * G * N
  local Hc = int(o.hidden)
  local inw = weight(p .. "in_proj.weight", { shape = { Di + conv_dim + H, Hc } })  -- rows: z, xBC, dt
  local inb = weight(p .. "in_proj.bias", { optional = true })
  local function ones(t) for _, v in ipairs(t) do if v ~= 1 then return false end end return true end
  if o.in_scale and not ones(o.in_scale) then
    local s, sizes = o.in_scale, { Di, Di, G * N, G * N, H }
    local ws, bs, first = {}, {}, 0
    for j = 1, 5 do
      ws[j] = inw:rows(first, sizes[j]):scale(s[j])
      if inb then bs[j] = inb:reshape { inb.shape[1], 1 }:rows(first, sizes[j]):scale(s[j]) end
      first = first + sizes[j]
    end
    inw = cat(table.unpack(ws))
    if inb then inb = cat(table.unpack(bs)):reshape { inb.shape[1] } end
  end
  local proj = linear(h, inw, inb)
  local z, xbc, dt = view(proj, 0, Di), view(proj, Di, conv_dim), view(proj, Di + conv_dim, H)
  local cw = weight(p .. "conv1d.weight", { shape = first_last(p .. "conv1d.weight", conv_dim, int(o.conv)) })
  local K = cw.shape[#cw.shape]
  xbc = conv1d(xbc, cw:reshape{ conv_dim, K }, weight(p .. "conv1d.bias", { optional = true }), { act = o.act or "silu" })
  local x, B, C = view(xbc, 0, Di), view(xbc, Di, G * N), view(xbc, Di + G * N, G * N)
  local y = ssm_scan(x, dt, ssm_a(p, { H }), B, C, weight(p .. "D", { shape = { H } }), weight(p .. "dt_bias", { shape = { H } }),
                     { heads = H, groups = G, dt_min = o.dt_min, dt_max = o.dt_max, chunk = o.chunk or 256 })
  if o.gated_norm == false then
    y = mul(y, act(z, "silu"))
  elseif o.norm_before_gate then
    y = mul(rmsnorm(y, weight(p .. "norm.weight", { shape = { Di } }), { eps = o.eps or 1e-6, group = o.norm_group }), act(z, "silu"))
  else
    y = rmsnorm(mul(y, act(z, "silu")), weight(p .. "norm.weight", { shape = { Di } }), { eps = o.eps or 1e-6, group = o.norm_group })
  end
  local ow, ob = weight(p .. "out_proj.weight", { shape = { Hc, Di } }), weight(p .. "out_proj.bias", { optional = true })
  if o.out_scale and o.out_scale ~= 1 then ow, ob = ow:scale(o.out_scale), ob and ob:scale(o.out_scale) end
  return linear(y, ow, ob)
end

-- ssm_model{ layers, vocab, hidden, eps, mixer = function(h, prefix, i) -> out, names = {...}, tie = }
-- A stack of pre-norm residual blocks around a mixer (the Mamba models).
local function ssm_model(o)
  local n = o.names or {}
  local embed_name = n.embed or "backbone.embeddings.weight"
  local layer_fmt = n.layer or "backbone.layers.%d."
  model { vocab = o.vocab, max_pos = o.max_pos, bos = o.bos, eos = o.eos }
  local H = int(o.hidden)
  local E = weight(embed_name, { shape = { int(o.vocab), H } })
  local x = embed(E, tokens())
  for i = 0, o.layers - 1 do
    layer(i)
    local p = string.format(layer_fmt, i)
    x = add(x, o.mixer(rmsnorm(x, weight(p .. (n.norm or "norm") .. ".weight", { shape = { H } }), { eps = o.eps }), p .. (n.mixer or "mixer."), i))
  end
  layer(-1)
  x = rmsnorm(last(x), weight((n.final_norm or "backbone.norm_f") .. ".weight", { shape = { H } }), { eps = o.eps })
  local head = (o.tie or not has("lm_head.weight")) and E or weight("lm_head.weight", { shape = { int(o.vocab), H } })
  output(linear(x, head))
end

-- the Mamba-1 sizes a config states: hidden, inner (intermediate_size or
-- expand * hidden), state, conv, dt_rank ("auto": ceil(hidden / 16)); keys
-- names the config's keys for them where they differ (jamba's mamba_*)
local function mamba_sizes(cfg, keys)
  keys = keys or {}
  local hidden = int(cfg[keys.hidden or "hidden_size"])
  local inner = int(cfg[keys.inner or "intermediate_size"])
  local expand = cfg[keys.expand or "expand"]
  if keys.inner == false then inner = false end
  if not inner and hidden and type(expand) == "number" then inner = int(expand * hidden) end
  local r = cfg[keys.dt_rank or "time_step_rank"]
  if r == "auto" and hidden then r = (hidden + 15) // 16 end
  return { hidden = hidden, inner = inner, state = int(cfg[keys.state or "state_size"]),
           conv = int(cfg[keys.conv or "conv_kernel"]), dt_rank = int(r) }
end

return { mamba_mixer = mamba_mixer, mamba2_mixer = mamba2_mixer, ssm_model = ssm_model, mamba_sizes = mamba_sizes }
