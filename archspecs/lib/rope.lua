-- archspecs/lib/rope.lua: RoPE frequency tables from a HF config, for every
-- rope_type venus knows (default, linear, dynamic, llama3, yarn, longrope). Both config
-- layouts load: transformers 5 `rope_parameters` and transformers 4
-- `rope_theta` + `rope_scaling`. Exports: rope_params, rope_from_config.

-- The rope parameters of a config (or of one layer type when `lt` is given),
-- normalized as transformers' standardize_rope_params does.
local function rope_params(cfg, lt)
  local p = {}
  local rp = cfg.rope_parameters
  if lt and rp and type(rp[lt]) == "table" then rp = rp[lt] end
  for k, v in pairs(cfg.rope_scaling or {}) do p[k] = v end
  for k, v in pairs(rp or {}) do  -- not the per-layer-type dicts; lists (long_factor) yes
    if type(v) ~= "table" or v[1] ~= nil then p[k] = v end
  end
  p.rope_type = p.rope_type or p.type or "default"
  p.rope_theta = p.rope_theta or cfg.rope_theta or 10000.0
  p.partial_rotary_factor = p.partial_rotary_factor or cfg.partial_rotary_factor or 1.0
  if p.rope_type == "llama3" or p.rope_type == "yarn" or p.rope_type == "longrope" then
    p.original_max_position_embeddings = cfg.original_max_position_embeddings
      or p.original_max_position_embeddings or cfg.max_position_embeddings
  end
  return p
end

local function base_freqs(base, dim)
  local f = {}
  for i = 0, dim // 2 - 1 do f[i + 1] = 1.0 / base ^ ((2 * i) / dim) end
  return f
end

local function llama3(f, p)
  local factor, lo, hi = p.factor, p.low_freq_factor, p.high_freq_factor
  local old = p.original_max_position_embeddings
  local lo_wl, hi_wl = old / lo, old / hi
  for i, inv in ipairs(f) do
    local wl = 2 * math.pi / inv
    local v = inv
    if wl > lo_wl then v = inv / factor end
    if not (wl < hi_wl) and not (wl > lo_wl) then
      local s = (old / wl - lo) / (hi - lo)
      v = (1 - s) * v / factor + s * v
    end
    f[i] = v
  end
end

local function yarn(f, p, base, dim, cfg)
  local factor = p.factor or cfg.max_position_embeddings / p.original_max_position_embeddings
  local function mscale(s, m) if s <= 1 then return 1.0 end return 0.1 * (m or 1) * math.log(s) + 1.0 end
  local af = p.attention_factor
  if af == nil then
    if p.mscale and p.mscale_all_dim then af = mscale(factor, p.mscale) / mscale(factor, p.mscale_all_dim)
    else af = mscale(factor) end
  end
  local fast, slow = p.beta_fast or 32, p.beta_slow or 1
  local omax = p.original_max_position_embeddings
  local function cdim(rot) return (dim * math.log(omax / (rot * 2 * math.pi))) / (2 * math.log(base)) end
  local lo, hi = cdim(fast), cdim(slow)
  if p.truncate ~= false then lo, hi = math.floor(lo), math.ceil(hi) end
  lo, hi = math.max(lo, 0), math.min(hi, dim - 1)
  if lo == hi then hi = hi + 0.001 end
  for i = 0, dim // 2 - 1 do
    local ramp = math.min(math.max((i - lo) / (hi - lo), 0), 1)
    local extra = 1 - ramp                 -- weight of the unscaled frequency
    local inv = f[i + 1]
    f[i + 1] = (inv / factor) * (1 - extra) + inv * extra
  end
  return af
end

-- LongRoPE (Phi-3): inv_freq / short_factor, and / long_factor once the
-- length seen so far passes original_max_position_embeddings; cos and sin
-- times sqrt(1 + ln(factor) / ln(original max)) unless attention_factor is given.
local function longrope(f, p, cfg)
  local omax = p.original_max_position_embeddings
  local factor = p.factor or cfg.max_position_embeddings / omax
  local af = p.attention_factor
  if af == nil then af = factor <= 1 and 1.0 or math.sqrt(1 + math.log(factor) / math.log(omax)) end
  local short, long = {}, {}
  for i, inv in ipairs(f) do
    short[i] = inv / p.short_factor[i]
    long[i] = inv / p.long_factor[i]
  end
  return short, { inv_freq = long, after = omax }, af
end

-- rope_from_config(cfg, head_dim [, {layer_type=, interleaved=, theta=, params=}]) -> rope id
-- params: rope parameters already standardized by the family (rope_type,
-- rope_theta, partial_rotary_factor, factor, ...) instead of rope_params(cfg).
local function rope_from_config(cfg, head_dim, o)
  o = o or {}
  local p = o.params or rope_params(cfg, o.layer_type)
  local base = o.theta or p.rope_theta
  local dim = math.floor(head_dim * (p.partial_rotary_factor or 1.0))
  dim = dim - dim % 2
  local f = base_freqs(base, dim)
  local t = { head_dim = head_dim, rot_dim = dim, inv_freq = f, interleaved = o.interleaved or false }
  local ty = p.rope_type
  if ty == "default" then
  elseif ty == "linear" then
    for i = 1, #f do f[i] = f[i] / p.factor end
  elseif ty == "dynamic" then
    t.dynamic = { base = base, factor = p.factor, max_pos = cfg.max_position_embeddings }
  elseif ty == "llama3" then
    llama3(f, p)
  elseif ty == "yarn" then
    t.attn_factor = yarn(f, p, base, dim, cfg)
  elseif ty == "longrope" then
    t.inv_freq, t.long, t.attn_factor = longrope(f, p, cfg)
  else
    error(config_file .. ": rope_type '" .. tostring(ty) .. "' is not supported", 0)
  end
  return rope_table(t)
end

return { rope_params = rope_params, rope_from_config = rope_from_config }
