-- archspecs/llava.lua: LLaVA = a CLIP vision tower (class row, learned
-- positions, pre-LayerNorm blocks, read at vision_feature_layer), a
-- two-layer projector, and a Llama language model whose image tokens take
-- the projected patch rows.
local function prefix_of(names)  -- the first prefix the checkpoint has, by a tensor under it
  for _, p in ipairs(names) do if has(p[1] .. p[2]) then return p[1] end end
  return names[1][1]
end

return arch {
  name = "llava",
  hf = { "LlavaForConditionalGeneration" },
  model_type = { "llava" },
  about = "vision-language: CLIP vision tower + projector + Llama; --pixels [1,3,H,W]",
  options = "image_token_index, vision_feature_layer (one layer), vision_feature_select_strategy, projector_hidden_act, "
    .. "multimodal_projector_bias, text_config (llama), vision_config (clip_vision_model)",
  build = function(cfg)
    with_defaults(cfg, { image_token_index = 32000, vision_feature_layer = -2, vision_feature_select_strategy = "default",
                         projector_hidden_act = "gelu" })
    local tc, vc = need(cfg, "text_config"), need(cfg, "vision_config")
    if (tc.model_type or "llama") ~= "llama" then
      error(config_file .. ": text_config model_type '" .. tostring(tc.model_type) .. "' is not supported (llama only)", 0)
    end
    if (vc.model_type or "clip_vision_model") ~= "clip_vision_model" then
      error(config_file .. ": vision_config model_type '" .. tostring(vc.model_type) .. "' is not supported (clip_vision_model only)", 0)
    end
    local fl = cfg.vision_feature_layer
    if math.type(fl) ~= "integer" then error(config_file .. ": vision_feature_layer must be one layer index", 0) end
    local strategy = cfg.vision_feature_select_strategy
    if strategy ~= "default" and strategy ~= "full" then
      error(config_file .. ": vision_feature_select_strategy '" .. tostring(strategy) .. "' is not supported", 0)
    end
    with_defaults(vc, { hidden_act = "quick_gelu", layer_norm_eps = 1e-5, num_channels = 3, image_size = 224, patch_size = 32 })
    local E, heads, L = need(vc, "hidden_size"), need(vc, "num_attention_heads"), need(vc, "num_hidden_layers")
    local C, P, S = vc.num_channels, vc.patch_size, vc.image_size
    local eps, vact = vc.layer_norm_eps, act_name(vc.hidden_act)
    -- hidden_states[k]: the embeddings after pre_layrnorm (k = 0), then each layer's output
    local run = fl < 0 and L + 1 + fl or fl
    if run < 0 or run > L then error(config_file .. ": vision_feature_layer " .. fl .. " is outside the tower's " .. L .. " layers", 0) end
    local np = (S // P) * (S // P)
    local lp = prefix_of({ { "model.language_model.", "embed_tokens.weight" }, { "language_model.model.", "embed_tokens.weight" } })
    local head = has("lm_head.weight") and "lm_head.weight" or "language_model.lm_head.weight"
    local vp = prefix_of({ { "model.vision_tower.vision_model.", "embeddings.class_embedding" },
                           { "vision_tower.vision_model.", "embeddings.class_embedding" },
                           { "model.vision_tower.", "embeddings.class_embedding" }, { "vision_tower.", "embeddings.class_embedding" } })
    local pp = has("model.multi_modal_projector.linear_1.weight") and "model.multi_modal_projector." or "multi_modal_projector."
    local d = llama_block(tc)
    local H = d.hidden

    local function proj(x, name, opts)
      return linear(x, weight(name .. ".weight"), weight(name .. ".bias", { optional = true }), opts)
    end
    local function ln(x, name)
      return layernorm(x, weight(name .. ".weight", { shape = { E } }), weight(name .. ".bias"), { eps = eps })
    end
    vision({ layout = "image", channels = C, patch = P, height = S, width = S, cls = true,
             skip = strategy == "default" and 1 or 0 }, function()
      -- the patch conv as one product over a patch's pixels; the class
      -- embedding is the column of the class row's indicator
      local pw = weight(vp .. "embeddings.patch_embedding.weight", { shape = { E, C, P, P } }):reshape { E, C * P * P }
      local cls = weight(vp .. "embeddings.class_embedding", { shape = { E } }):reshape { 1, E }
      local x = linear(pixels(C * P * P + 1), cat(pw:t(), cls):t())
      x = add(x, embed(weight(vp .. "embeddings.position_embedding.weight", { shape = { np + 1, E } }), positions()))
      x = ln(x, vp .. "pre_layrnorm")
      for i = 0, run - 1 do
        layer(i)
        local p = vp .. string.format("encoder.layers.%d.", i)
        local h = ln(x, p .. "layer_norm1")
        local a = attention(proj(h, p .. "self_attn.q_proj"), proj(h, p .. "self_attn.k_proj"), proj(h, p .. "self_attn.v_proj"),
                            { heads = heads, kv_heads = heads, head_dim = E // heads, causal = false })
        x = add(x, proj(a, p .. "self_attn.out_proj"))
        h = ln(x, p .. "layer_norm2")
        x = add(x, proj(proj(h, p .. "mlp.fc1", { act = vact }), p .. "mlp.fc2"))
      end
      layer(-1)
      x = proj(x, pp .. "linear_1", { act = act_name(cfg.projector_hidden_act) })
      output(proj(x, pp .. "linear_2"))
    end)

    d.names = { embed = lp .. "embed_tokens.weight", layer = lp .. "layers.%d.", final_norm = lp .. "norm", head = head }
    d.tie = (tc.tie_word_embeddings or cfg.tie_word_embeddings) == true or not has(head)
    d.embed = { image = function(x)
      local img = image_rows(tokens(), { token = cfg.image_token_index, rows = np, cols = H })
      return image_merge(x, img, tokens())
    end }
    decoder(d)
  end,
}
