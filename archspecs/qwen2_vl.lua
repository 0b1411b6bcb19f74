-- archspecs/qwen2_vl.lua: Qwen2-VL = a vision transformer over the
-- processor's patch rows (Conv3d patch embedding, 2-D RoPE by each patch's
-- row and column, pre-LayerNorm blocks), a patch merger (LayerNorm, then an
-- MLP over each spatial_merge_size^2 window of rows) and a Qwen2 language
-- model with M-RoPE: pairs of each head turn by the temporal, row or column
-- position of the token (mrope_section), as the runtime walks the prompt.
local function prefix_of(list, tail)  -- the first prefix the checkpoint has a tensor under
  for _, p in ipairs(list) do if has(p .. tail) then return p end end
  return list[1]
end

local VISION_ROWS = 4096  -- the most patches an image may have (the vision graph's step)

return arch {
  name = "qwen2_vl",
  hf = { "Qwen2VLForConditionalGeneration" },
  model_type = { "qwen2_vl" },
  about = "vision-language: ViT with 2-D RoPE + patch merger + Qwen2 with M-RoPE; --pixels [patches, C*T*P*P] --image-grid T,H,W",
  options = "image_token_id, text_config (rope_parameters.mrope_section, rope_theta), vision_config (embed_dim, depth, "
    .. "num_heads, mlp_ratio, patch_size, temporal_patch_size, spatial_merge_size, in_channels, hidden_act); images up to "
    .. VISION_ROWS .. " patches",
  build = function(cfg)
    local tc = cfg.text_config or cfg       -- transformers 4 configs keep the text fields at the top
    local vc = need(cfg, "vision_config")
    with_defaults(vc, { depth = 32, embed_dim = 1280, hidden_size = 3584, hidden_act = "quick_gelu", mlp_ratio = 4,
                        num_heads = 16, in_channels = 3, patch_size = 14, spatial_merge_size = 2, temporal_patch_size = 2 })
    local tok = cfg.image_token_id or tc.image_token_id or 151655
    local E, nh, depth = vc.embed_dim, vc.num_heads, vc.depth
    local C, P, Tp, m = vc.in_channels, vc.patch_size, vc.temporal_patch_size, vc.spatial_merge_size
    local vhd, K, vact = E // nh, C * Tp * P * P, act_name(vc.hidden_act)
    local vrp = vc.rope_parameters or {}
    local vtheta = vrp.rope_theta or 10000.0

    local lp = prefix_of({ "model.language_model.", "model." }, "embed_tokens.weight")
    local vp = prefix_of({ "model.visual.", "visual." }, "patch_embed.proj.weight")
    local d = llama_block(tc)
    local H, hd = d.hidden, d.head_dim
    local rp = tc.rope_parameters or tc.rope_scaling or {}
    local sec = rp.mrope_section
    if type(sec) ~= "table" or #sec ~= 3 then error(config_file .. ": rope_parameters.mrope_section must list 3 sections", 0) end
    local theta = rp.rope_theta or tc.rope_theta or 1000000.0

    local function proj(x, name, opts)
      return linear(x, weight(name .. ".weight"), weight(name .. ".bias", { optional = true }), opts)
    end
    local function ln(x, name)
      return layernorm(x, weight(name .. ".weight", { shape = { E } }), weight(name .. ".bias", { optional = true }), { eps = 1e-6 })
    end
    vision({ layout = "patches", channels = C, patch = P, temporal = Tp, merge = m, rows = VISION_ROWS }, function()
      -- 2-D RoPE: of head_dim/2 pairs, the first half turn by the patch's
      -- row, the second by its column, both at the frequencies of dim head_dim/2
      local inv = {}
      for i = 0, vhd // 4 - 1 do inv[i + 1] = 1.0 / vtheta ^ ((2 * i) / (vhd // 2)) end
      for i = 1, vhd // 4 do inv[vhd // 4 + i] = inv[i] end
      local rid = rope_table { head_dim = vhd, inv_freq = inv, sections = { vhd // 4, vhd // 4 } }
      local pw = weight(vp .. "patch_embed.proj.weight", { shape = { E, C, Tp, P * P } }):reshape { E, K }
      local x = linear(pixels(K), pw)
      for i = 0, depth - 1 do
        layer(i)
        local p = vp .. string.format("blocks.%d.", i)
        local h = ln(x, p .. "norm1")
        local w, b = weight(p .. "attn.qkv.weight", { shape = { 3 * E, E } }), weight(p .. "attn.qkv.bias", { optional = true })
        local function part(j) return linear(h, w:rows(j * E, E), b and b:rows(j * E, E)) end
        local a = attention(rope(part(0), rid), rope(part(1), rid), part(2),
                            { heads = nh, kv_heads = nh, head_dim = vhd, causal = false })
        x = add(x, proj(a, p .. "attn.proj"))
        x = add(x, proj(proj(ln(x, p .. "norm2"), p .. "mlp.fc1", { act = vact }), p .. "mlp.fc2"))
      end
      layer(-1)
      output(ln(x, vp .. "merger.ln_q"))  -- each m*m consecutive rows are one merged row
    end)

    local inv = {}
    for i = 0, hd // 2 - 1 do inv[i + 1] = 1.0 / theta ^ ((2 * i) / hd) end
    d.attention.rope = rope_table { head_dim = hd, inv_freq = inv, sections = sec }
    d.attention.window = sliding_windows(tc)
    d.names = { embed = lp .. "embed_tokens.weight", layer = lp .. "layers.%d.", final_norm = lp .. "norm",
                head = "lm_head.weight" }
    -- tied embeddings: the config's word (top level or the text model's), or no head in the checkpoint
    d.tie = (tc.tie_word_embeddings or cfg.tie_word_embeddings) == true or not has("lm_head.weight")
    d.embed = { image = function(x)
      -- the merger's MLP on each image token's window of m*m vision rows
      local img = image_rows(tokens(), { token = tok, rows = VISION_ROWS // (m * m), cols = E * m * m })
      local h = proj(img, vp .. "merger.mlp.0", { act = "gelu" })
      return image_merge(x, proj(h, vp .. "merger.mlp.2"), tokens())
    end }
    decoder(d)
  end,
}
