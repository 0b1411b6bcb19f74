-- archspecs/apertus.lua: Apertus = the Llama block with a plain MLP whose
-- activation is xIELU with learned parameters per layer (mlp.act_fn.*),
-- per-head q/k RMSNorm, norms named attention_ / feedforward_layernorm.
return arch {
  name = "apertus",
  hf = { "ApertusForCausalLM" },
  model_type = { "apertus" },
  about = "Llama block with a plain xIELU MLP (learned per-layer parameters), per-head q/k RMSNorm",
  options = "hidden_act (xielu), qk_norm, attention_bias, head_dim, rms_norm_eps, tie_word_embeddings, rope_parameters/rope_scaling",
  build = function(cfg)
    with_defaults(cfg, {            -- configuration_apertus.py
      hidden_act = "xielu", max_position_embeddings = 65536, rms_norm_eps = 1e-5, tie_word_embeddings = false,
      qk_norm = true, bos_token_id = 1, eos_token_id = 68,
    })
    if cfg.hidden_act ~= "xielu" then
      error(config_file .. ": hidden_act '" .. tostring(cfg.hidden_act) .. "' is not supported (Apertus uses xielu)", 0)
    end
    -- llama_block's activation is unused: the MLP below is xIELU's own
    local base = setmetatable({ hidden_act = "silu" }, { __index = cfg })
    decoder(llama_block(base, {
      norm = { eps = cfg.rms_norm_eps },
      attention = { qk_norm = cfg.qk_norm and "head" },
      mlp = { project = function(h, p)
        local a = p .. "mlp.act_fn."
        local function one(name) return weight(a .. name):reshape { 1 } end
        local u = linear(h, weight(p .. "mlp.up_proj.weight"), weight(p .. "mlp.up_proj.bias", { optional = true }))
        return linear(xielu(u, cat(one("alpha_p"), one("alpha_n"), one("beta"), one("eps"))),
                      weight(p .. "mlp.down_proj.weight"), weight(p .. "mlp.down_proj.bias", { optional = true }))
      end },
      names = { attn_norm = "attention_layernorm", mlp_norm = "feedforward_layernorm" },
    }))
  end,
}
