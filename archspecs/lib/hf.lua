-- archspecs/lib/hf.lua: reading Hugging Face config.json conventions shared by
-- many families (key names, defaults, activation names). Exports: need,
-- with_defaults, common, act_name, sliding_windows, layer_types, windows.
local H = {}

-- need(cfg, key): a required config value, or a clear error naming the file.
function H.need(cfg, key)
  local v = cfg[key]
  if v == nil then error(config_file .. ": missing '" .. key .. "'", 0) end
  return v
end

-- with_defaults(cfg, d): cfg with every key of d that config.json leaves out
-- set to d's value: the defaults of the family's configuration_<family>.py,
-- so that a missing key falls back exactly as transformers does. A key that
-- config.json sets to null stays nil (null is not "missing" to transformers).
function H.with_defaults(cfg, d)
  local mt = getmetatable(cfg)
  local nulls = mt and mt.__null or {}
  for k, v in pairs(d) do
    if cfg[k] == nil and not nulls[k] then cfg[k] = v end
  end
  return cfg
end

-- HF activation names -> venus activations.
local acts = {
  silu = "silu", swish = "silu", gelu = "gelu", gelu_new = "gelu_tanh",
  gelu_pytorch_tanh = "gelu_tanh", gelu_fast = "gelu_tanh", relu = "relu",
  gelu_python = "gelu", sigmoid = "sigmoid", tanh = "tanh", relu2 = "relu2",
  quick_gelu = "quick_gelu",
}
function H.act_name(name)
  local a = acts[name]
  if not a then error(config_file .. ": unsupported activation '" .. tostring(name) .. "'", 0) end
  return a
end

-- common(cfg): the hyperparameters most decoders name the same way.
function H.common(cfg)
  local need = H.need
  local c = {
    hidden   = need(cfg, "hidden_size"),
    layers   = need(cfg, "num_hidden_layers"),
    heads    = need(cfg, "num_attention_heads"),
    ffn      = cfg.intermediate_size,
    vocab    = need(cfg, "vocab_size"),
    max_pos  = cfg.max_position_embeddings or 2048,
    bos      = cfg.bos_token_id,
    eos      = cfg.eos_token_id,
  }
  c.kv_heads = cfg.num_key_value_heads or c.heads
  c.head_dim = cfg.head_dim or c.hidden // c.heads
  c.act = H.act_name(cfg.hidden_act or cfg.hidden_activation or "silu")
  return c
end

-- sliding_windows(cfg): per-layer windows for configs that switch sliding
-- attention with use_sliding_window and pick layers by layer_types (or,
-- lacking those, every layer from max_window_layers on). nil when off.
function H.sliding_windows(cfg)
  if not cfg.use_sliding_window or not cfg.sliding_window then return nil end
  return function(i)
    local lt = cfg.layer_types and cfg.layer_types[i + 1]
    if lt then return lt == "sliding_attention" and cfg.sliding_window or 0 end
    return i >= (cfg.max_window_layers or 0) and cfg.sliding_window or 0
  end
end

-- layer_types(cfg, sliding): the attention kind of each layer, a list
-- indexed 1..layers of "sliding_attention" | "full_attention": config.json's
-- layer_types, or, lacking it, sliding(i) (0-based layer index) -> bool, the
-- family's __post_init__ default.
function H.layer_types(cfg, sliding)
  if cfg.layer_types then return cfg.layer_types end
  local lt = {}
  for i = 0, H.need(cfg, "num_hidden_layers") - 1 do
    lt[i + 1] = sliding(i) and "sliding_attention" or "full_attention"
  end
  return lt
end

-- windows(cfg, lt): the decoder's attention.window for layer types lt:
-- cfg.sliding_window on sliding layers, 0 (full) elsewhere or when unset.
function H.windows(cfg, lt)
  return function(i)
    return lt[i + 1] == "sliding_attention" and (cfg.sliding_window or 0) or 0
  end
end

return { need = H.need, with_defaults = H.with_defaults, common = H.common, act_name = H.act_name, sliding_windows = H.sliding_windows,
         layer_types = H.layer_types, windows = H.windows }
