-- archspecs/rwkv.lua: RWKV-4. Each block mixes every token with the one
-- before it (token shift), then time-mix (the WKV recurrence, gated by a
-- sigmoid receptance) and channel-mix (squared ReLU, gated likewise). The
-- shifts and the WKV numerator/denominator are the model's recurrent state.
-- (rescale_every only rescales for fp16 range: LayerNorms make it a no-op.)
return arch {
  name = "rwkv",
  hf = { "RwkvForCausalLM" },
  model_type = { "rwkv" },
  about = "RWKV-4: token shift, WKV time mixing, squared-ReLU channel mixing",
  options = "hidden_size, num_hidden_layers, layer_norm_epsilon, vocab_size",
  build = function(cfg)
    local C, L, eps = need(cfg, "hidden_size"), need(cfg, "num_hidden_layers"), cfg.layer_norm_epsilon or 1e-5
    model { vocab = need(cfg, "vocab_size"), max_pos = 1 << 20, bos = cfg.bos_token_id, eos = cfg.eos_token_id }
    local function ln(x, name) return layernorm(x, weight(name .. ".weight"), weight(name .. ".bias"), { eps = eps }) end
    -- x * mix + shifted * (1 - mix), mix stored as [1, 1, C]
    local function mix(h, sh, name)
      local m = weight(name):reshape{ C }
      return add(mul(h, m), mul(sh, m:scale(-1):add(1)))
    end
    local x = embed(weight("rwkv.embeddings.weight"), tokens())
    for i = 0, L - 1 do
      layer(i)
      local p = "rwkv.blocks." .. i .. "."
      if i == 0 then x = ln(x, p .. "pre_ln") end
      local a = p .. "attention."
      local h = ln(x, p .. "ln1")
      local sh = shift(h)
      local k = linear(mix(h, sh, a .. "time_mix_key"), weight(a .. "key.weight"))
      local v = linear(mix(h, sh, a .. "time_mix_value"), weight(a .. "value.weight"))
      local r = linear(mix(h, sh, a .. "time_mix_receptance"), weight(a .. "receptance.weight"), nil, { act = "sigmoid" })
      local w = wkv(k, v, weight(a .. "time_decay"):exp():scale(-1), weight(a .. "time_first"))
      x = add(x, linear(mul(r, w), weight(a .. "output.weight")))
      local f = p .. "feed_forward."
      h = ln(x, p .. "ln2")
      sh = shift(h)
      local kk = linear(mix(h, sh, f .. "time_mix_key"), weight(f .. "key.weight"), nil, { act = "relu2" })
      local rr = linear(mix(h, sh, f .. "time_mix_receptance"), weight(f .. "receptance.weight"), nil, { act = "sigmoid" })
      x = add(x, mul(rr, linear(kk, weight(f .. "value.weight"))))
    end
    layer(-1)
    x = ln(last(x), "rwkv.ln_out")
    output(linear(x, weight("head.weight")))
  end,
}
