-- archspecs/lib/gguf.lua: reading GGUF files (as llama.cpp's converter writes
-- them) into the same config and tensor names the Hugging Face frontend
-- gives, so one spec serves both inputs. All of it is data per GGUF
-- architecture: which HF class it is, which metadata keys are which config
-- values, which tensor names are which HF tensors, and how the converter
-- changed a tensor on the way (rows regrouped, tensors fused or split, norm
-- weights shifted, values that became tensors).
--
-- Exports gguf_config(meta, tensors, values):
--   meta     the GGUF metadata (keys as in the file, e.g. "llama.block_count")
--   tensors  GGUF tensor name -> dims (outermost first)
--   values   values(name) -> the numbers of a small tensor (or nil)
-- returns config (a config.json table with `architectures`), names
-- (GGUF name -> HF name, or {name =, pair_heads =} for q/k rows that the
-- writer interleaved per head for its own rotary layout) and the tokenizer
-- kind (archspecs/lib/pretok.lua) from tokenizer.ggml.model and .pre.
--
-- HF tensors that the file holds only in another form are "derived": the
-- config carries them as gguf_tensors = { [hf name] = recipe }, and the
-- weight / has / shape exported below (which stand in for the builder's own
-- when a spec runs) build them from the GGUF tensors with weight
-- expressions. A recipe is a GGUF tensor name, or { of = recipe, ops = ops }
-- with ops a list of { "rows", first, count } | { "reshape", dims } |
-- { "permute", order } | { "add", c } | { "scale", c } | { "t" } |
-- { "exp" }, or { cat = { recipe, ... } }, or { pairs = { a, b } } (rows
-- interleaved), or { zeros = dims }.
--
-- Exports also gguf_archs: GGUF architecture -> HF classes it becomes (for
-- `venusc specs`).

local raw = { weight = weight, has = has, shape = shape, arch = arch }

-- ---- the standard names: GGUF block tensor -> HF (Llama naming) tensor ----
local llama_blocks = {
  attn_norm = "input_layernorm", ffn_norm = "post_attention_layernorm",
  attn_q = "self_attn.q_proj", attn_k = "self_attn.k_proj", attn_v = "self_attn.v_proj",
  attn_output = "self_attn.o_proj", attn_q_norm = "self_attn.q_norm", attn_k_norm = "self_attn.k_norm",
  ffn_gate = "mlp.gate_proj", ffn_up = "mlp.up_proj", ffn_down = "mlp.down_proj",
  -- experts, stacked 3-D; the router; a shared expert and its sigmoid gate
  ffn_gate_inp = "mlp.gate", ffn_gate_exps = "mlp.experts.gate_proj",
  ffn_up_exps = "mlp.experts.up_proj", ffn_down_exps = "mlp.experts.down_proj",
  ffn_gate_shexp = "mlp.shared_expert.gate_proj", ffn_up_shexp = "mlp.shared_expert.up_proj",
  ffn_down_shexp = "mlp.shared_expert.down_proj", ffn_gate_inp_shexp = "mlp.shared_expert_gate",
}
local llama_top = { token_embd = "model.embed_tokens", output_norm = "model.norm", output = "lm_head" }
-- stacked expert tensors carry no .weight suffix on the HF side
local no_suffix = { ffn_gate_exps = true, ffn_up_exps = true, ffn_down_exps = true }

local function over_table(base, more)  -- a fresh table: base's entries, then more's
  local t = {}
  for k, v in pairs(base) do t[k] = v end
  for k, v in pairs(more or {}) do t[k] = v end
  return t
end

-- ---- per GGUF architecture ----
-- class / moe_class: the HF class (moe_class when expert_count > 0); also:
-- other classes the file may become (listed by `venusc specs`);
-- model_type; pair_qk: q/k rows interleaved per head (llama.cpp's permute);
-- eps: the config key the family's norm epsilon goes to (rms: from
-- layer_norm_rms_epsilon, else from layer_norm_epsilon); keys: more config
-- keys, HF key -> GGUF key (without the "arch." prefix); blocks / top: names
-- that differ from the Llama ones (false: not mapped); layer: the HF layer
-- prefix; no_heads: no attention (an SSM); minus1: norm weights that the converter stored as w + 1 (the HF
-- tensor is w); fix(s): anything else, on the state s (cfg, m, tensors,
-- names, derived, values, L = layer count).
local archs = {}

archs.llama = { class = "LlamaForCausalLM", moe_class = "MixtralForCausalLM", pair_qk = true,
                also = { "MistralForCausalLM" } }
archs.qwen2 = { class = "Qwen2ForCausalLM" }
archs.qwen3 = { class = "Qwen3ForCausalLM" }
archs.qwen2moe = { class = "Qwen2MoeForCausalLM", model_type = "qwen2_moe" }
archs.qwen3moe = { class = "Qwen3MoeForCausalLM", model_type = "qwen3_moe" }

local gemma_norms = { attn_norm = true, ffn_norm = true, output_norm = true, post_attention_norm = true,
                      post_ffw_norm = true, attn_q_norm = true, attn_k_norm = true }
archs.gemma = { class = "GemmaForCausalLM", minus1 = gemma_norms }
archs.gemma2 = {
  class = "Gemma2ForCausalLM", minus1 = gemma_norms,
  keys = { attn_logit_softcapping = "attn_logit_softcapping", final_logit_softcapping = "final_logit_softcapping" },
  blocks = { ffn_norm = "pre_feedforward_layernorm", post_attention_norm = "post_attention_layernorm",
             post_ffw_norm = "post_feedforward_layernorm" },
  fix = function(s)
    -- the file has no query_pre_attn_scalar: llama.cpp takes head_dim, and
    -- hidden / heads for the 46-layer (27B) model
    local c = s.cfg
    c.query_pre_attn_scalar = s.L == 46 and c.hidden_size // c.num_attention_heads or c.head_dim
    c.sliding_window = s.m("attention.sliding_window", 0)
  end,
}
archs.phi3 = {
  class = "Phi3ForCausalLM",
  blocks = { attn_qkv = "self_attn.qkv_proj", ffn_up = "mlp.gate_up_proj" },
  fix = function(s)
    local c = s.cfg
    c.original_max_position_embeddings = s.m("rope.scaling.original_context_length", c.max_position_embeddings)
    c.sliding_window = nil
    local sw = s.m("attention.sliding_window", 0)
    if sw > 0 then c.sliding_window = sw end
    -- LongRoPE: the factor tables are tensors
    if s.tensors["rope_factors_long.weight"] then
      c.rope_scaling = {
        rope_type = "longrope", long_factor = s.values("rope_factors_long.weight"),
        short_factor = s.values("rope_factors_short.weight"), attention_factor = s.m("rope.scaling.attn_factor"),
        original_max_position_embeddings = c.original_max_position_embeddings,
      }
      s.skip["rope_factors_long.weight"], s.skip["rope_factors_short.weight"] = true, true
    end
  end,
}

archs.starcoder2 = { class = "Starcoder2ForCausalLM", eps = "norm_epsilon",
                     blocks = { ffn_up = "mlp.c_fc", ffn_down = "mlp.c_proj" } }
archs.stablelm = {
  class = "StableLmForCausalLM", keys = { use_parallel_residual = "use_parallel_residual" },
  fix = function(s)
    -- per-head q/k LayerNorm weights, stacked [heads, head_dim] by the converter
    local hd = s.cfg.hidden_size // s.cfg.num_attention_heads
    for i = 0, s.L - 1 do
      for _, r in ipairs { { "attn_q_norm", "q_layernorm" }, { "attn_k_norm", "k_layernorm" } } do
        local g = string.format("blk.%d.%s.weight", i, r[1])
        local d = s.tensors[g]
        if d then
          s.cfg.qk_layernorm = true
          s.skip[g] = true
          for h = 0, d[1] - 1 do
            s.derived[string.format("model.layers.%d.self_attn.%s.norms.%d.weight", i, r[2], h)] =
              { of = g, ops = { { "rows", h, 1 }, { "reshape", { hd } } } }
          end
        end
      end
    end
  end,
}
archs.olmo2 = { class = "Olmo2ForCausalLM",
                blocks = { post_attention_norm = "post_attention_layernorm", post_ffw_norm = "post_feedforward_layernorm" } }

archs["command-r"] = {
  class = "CohereForCausalLM", model_type = "cohere", keys = { logit_scale = "logit_scale" },
  fix = function(s) if s.tensors["blk.0.attn_q_norm.weight"] then s.cfg.use_qk_norm = true end end,
}
archs.granite = {
  class = "GraniteForCausalLM", pair_qk = true,
  keys = { attention_multiplier = "attention.scale", embedding_multiplier = "embedding_scale",
           residual_multiplier = "residual_scale", logits_scaling = "logit_scale" },
}
-- the GPT-style families: HF names under transformer.h.N.
local gpt_top = { token_embd = "transformer.word_embeddings", token_embd_norm = "transformer.word_embeddings_layernorm",
                  output_norm = "transformer.ln_f", output = "lm_head" }
local gpt_blocks = { attn_norm = "input_layernorm", ffn_norm = "post_attention_layernorm",
                     attn_qkv = "self_attention.query_key_value", attn_output = "self_attention.dense",
                     ffn_up = "mlp.dense_h_to_4h", ffn_down = "mlp.dense_4h_to_h" }
archs.falcon = {
  class = "FalconForCausalLM", eps = "layer_norm_epsilon", layer = "transformer.h.%d.", top = gpt_top,
  blocks = gpt_blocks,
  fix = function(s)
    local c = s.cfg
    local two = s.tensors["blk.0.attn_norm_2.weight"] ~= nil
    local kv = c.num_key_value_heads
    c.new_decoder_architecture = kv > 1 or two
    c.multi_query = kv == 1
    c.num_kv_heads = kv
    c.parallel_attn = true
    c.num_ln_in_parallel_attn = two and 2 or 1
    c.alibi = false
    c.bias = s.tensors["blk.0.attn_qkv.bias"] ~= nil
    if two then  -- the 40B layout: one norm for attention, one for the MLP
      s.blocks.attn_norm, s.blocks.attn_norm_2 = "ln_mlp", "ln_attn"
    end
    -- query_key_value: the converter regrouped [q.. k v] per KV group into [q | k | v]
    if c.new_decoder_architecture then s.grouped_qkv(c.num_attention_heads, kv, c.hidden_size // c.num_attention_heads) end
  end,
}
archs.bloom = {
  class = "BloomForCausalLM", eps = "layer_norm_epsilon", layer = "transformer.h.%d.", top = gpt_top, blocks = gpt_blocks,
  fix = function(s)
    local h = s.cfg.num_attention_heads
    s.cfg.n_head, s.cfg.n_layer = h, s.L
    s.grouped_qkv(h, h, s.cfg.hidden_size // h)  -- per head [q k v] in HF, [q | k | v] in the file
  end,
}
archs.phi2 = {
  class = "PhiForCausalLM", model_type = "phi",
  blocks = { attn_output = "self_attn.dense", ffn_up = "mlp.fc1", ffn_down = "mlp.fc2" },
  top = { output_norm = "model.final_layernorm" },
  fix = function(s) s.split_qkv() end,
}
archs.starcoder = {
  class = "GPTBigCodeForCausalLM", model_type = "gpt_bigcode", eps = "layer_norm_epsilon", layer = "transformer.h.%d.",
  top = { token_embd = "transformer.wte", position_embd = "transformer.wpe", output_norm = "transformer.ln_f" },
  blocks = { attn_qkv = "attn.c_attn", attn_output = "attn.c_proj", attn_norm = "ln_1", ffn_norm = "ln_2",
             ffn_up = "mlp.c_fc", ffn_down = "mlp.c_proj" },
  fix = function(s)
    s.cfg.multi_query = s.cfg.num_key_value_heads == 1
    s.cfg.n_positions = s.cfg.max_position_embeddings
  end,
}
archs.exaone4 = {
  class = "Exaone4ForCausalLM",
  blocks = { post_attention_norm = "post_attention_layernorm", post_ffw_norm = "post_feedforward_layernorm" },
  fix = function(s)
    local pat = s.m("attention.sliding_window_pattern")
    if type(pat) == "table" and #pat > 0 then
      local lt = {}
      for i = 0, s.L - 1 do lt[i + 1] = pat[i % #pat + 1] and "sliding_attention" or "full_attention" end
      s.cfg.layer_types = lt
    end
  end,
}
archs.chatglm = {
  class = "GlmForCausalLM", model_type = "glm", blocks = { ffn_up = "mlp.gate_up_proj" },
  fix = function(s) s.split_qkv() end,
}

archs.deepseek2 = {
  class = "DeepseekV3ForCausalLM", model_type = "deepseek_v3",
  keys = { q_lora_rank = "attention.q_lora_rank", kv_lora_rank = "attention.kv_lora_rank",
           n_routed_experts = "expert_count", n_group = "expert_group_count", topk_group = "expert_group_used_count",
           routed_scaling_factor = "expert_weights_scale", n_shared_experts = "expert_shared_count",
           first_k_dense_replace = "leading_dense_block_count" },
  blocks = { attn_q_a = "self_attn.q_a_proj", attn_q_a_norm = "self_attn.q_a_layernorm", attn_q_b = "self_attn.q_b_proj",
             attn_q = "self_attn.q_proj", attn_kv_a_mqa = "self_attn.kv_a_proj_with_mqa",
             attn_kv_a_norm = "self_attn.kv_a_layernorm", attn_kv_b = "self_attn.kv_b_proj",
             ffn_gate_shexp = "mlp.shared_experts.gate_proj", ffn_up_shexp = "mlp.shared_experts.up_proj",
             ffn_down_shexp = "mlp.shared_experts.down_proj" },
  fix = function(s)
    local c, m = s.cfg, s.m
    if m("expert_gating_func", 2) ~= 2 then
      error(config_file .. ": deepseek2 with softmax expert routing (DeepSeek-V2) has no spec; sigmoid routing (V3) has", 0)
    end
    local r = s.need("rope.dimension_count")
    local qk = m("attention.key_length_mla") or s.need("attention.key_length")
    c.qk_rope_head_dim, c.qk_nope_head_dim = r, qk - r
    c.v_head_dim = m("attention.value_length_mla") or s.need("attention.value_length")
    c.head_dim, c.partial_rotary_factor = r, nil
    c.rope_interleave = true
    local yl = m("rope.scaling.yarn_log_multiplier")
    if c.rope_scaling and yl then c.rope_scaling.mscale_all_dim, c.rope_scaling.mscale = yl / 0.1, yl / 0.1 end
    local H, L, dn, dv = c.num_attention_heads, c.kv_lora_rank, c.qk_nope_head_dim, c.v_head_dim
    for i = 0, s.L - 1 do
      local p = string.format("blk.%d.", i)
      s.names[p .. "exp_probs_b.bias"] = string.format("model.layers.%d.mlp.gate.e_score_correction_bias", i)
      -- kv_b_proj split by the converter into k_b [H, L, dn] (transposed) and v_b [H, dv, L]
      local kb, vb = p .. "attn_k_b.weight", p .. "attn_v_b.weight"
      if s.tensors[kb] and s.tensors[vb] then
        local parts = {}
        for h = 0, H - 1 do
          parts[#parts + 1] = { of = kb, ops = { { "permute", { 1, 3, 2 } }, { "reshape", { H * dn, L } }, { "rows", h * dn, dn } } }
          parts[#parts + 1] = { of = vb, ops = { { "reshape", { H * dv, L } }, { "rows", h * dv, dv } } }
        end
        s.derived[string.format("model.layers.%d.self_attn.kv_b_proj.weight", i)] = { cat = parts }
        s.skip[kb], s.skip[vb] = true, true
      end
    end
  end,
}

-- the SSM families: HF names under backbone.layers.N.mixer; the converter
-- stores A = -exp(A_log) itself (HF name PREFIX.A, which lib/ssm.lua reads)
local ssm_top = { token_embd = "backbone.embeddings", output_norm = "backbone.norm_f", output = "lm_head" }
local ssm_blocks = { attn_norm = "norm", ssm_in = "mixer.in_proj", ssm_conv1d = "mixer.conv1d", ssm_x = "mixer.x_proj",
                     ssm_dt = "mixer.dt_proj", ssm_out = "mixer.out_proj", ssm_d = "mixer.D", ssm_a = "mixer.A",
                     ssm_norm = "mixer.norm" }
local function ssm_config(s)
  local c, m = s.cfg, s.m
  c.state_size, c.conv_kernel = s.need("ssm.state_size"), s.need("ssm.conv_kernel")
  c.intermediate_size = s.need("ssm.inner_size")
  c.expand = c.intermediate_size // c.hidden_size
  c.time_step_rank = m("ssm.time_step_rank")
  c.num_attention_heads, c.num_key_value_heads, c.head_dim = nil, nil, nil
end
archs.mamba = {
  class = "MambaForCausalLM", also = { "FalconMambaForCausalLM" }, no_heads = true, eps = "layer_norm_epsilon", layer = "backbone.layers.%d.", top = ssm_top, blocks = ssm_blocks,
  fix = function(s)
    ssm_config(s)
    if s.m("ssm.dt_b_c_rms") then s.cfg.architectures, s.cfg.model_type = { "FalconMambaForCausalLM" }, "falcon_mamba" end
  end,
}
archs.mamba2 = {
  class = "Mamba2ForCausalLM", no_heads = true, eps = "layer_norm_epsilon", layer = "backbone.layers.%d.", top = ssm_top,
  blocks = ssm_blocks,
  fix = function(s)
    ssm_config(s)
    local c = s.cfg
    c.num_heads = s.need("ssm.time_step_rank")
    c.head_dim = c.intermediate_size // c.num_heads
    c.n_groups = s.m("ssm.group_count", 1)
    -- per-head A, D stored [H, 1], the gated norm [groups, inner / groups]
    for i = 0, s.L - 1 do
      local p, hp = string.format("blk.%d.", i), string.format("backbone.layers.%d.mixer.", i)
      for _, r in ipairs { { "ssm_a", "A", c.num_heads }, { "ssm_d", "D", c.num_heads }, { "ssm_norm.weight", "norm.weight", c.intermediate_size } } do
        if s.tensors[p .. r[1]] then
          s.derived[hp .. r[2]] = { of = p .. r[1], ops = { { "reshape", { r[3] } } } }
          s.skip[p .. r[1]] = true
        end
      end
      s.names[p .. "ssm_dt.bias"] = hp .. "dt_bias"
    end
  end,
}

-- hybrids: which layers hold a tensor, as (period, offset) with layer i
-- having it iff i % period == offset; nil when no such pattern
local function period_of(s, role)
  for per = 1, s.L do
    for off = 0, per - 1 do
      local ok = true
      for i = 0, s.L - 1 do
        if (s.tensors[string.format("blk.%d.%s", i, role)] ~= nil) ~= (i % per == off) then ok = false break end
      end
      if ok then return per, off end
    end
  end
end
local hybrid_ssm = { ssm_in = "mamba.in_proj", ssm_conv1d = "mamba.conv1d", ssm_x = "mamba.x_proj", ssm_dt = "mamba.dt_proj",
                     ssm_out = "mamba.out_proj", ssm_d = "mamba.D", ssm_a = "mamba.A", ssm_norm = "mamba.norm",
                     ssm_dt_norm = "mamba.dt_layernorm", ssm_b_norm = "mamba.b_layernorm", ssm_c_norm = "mamba.c_layernorm" }
archs.jamba = {
  class = "JambaForCausalLM", top = { output_norm = "model.final_layernorm" },
  blocks = over_table(hybrid_ssm, {
    ffn_norm = "pre_ff_layernorm", ffn_gate = "feed_forward.gate_proj", ffn_up = "feed_forward.up_proj",
    ffn_down = "feed_forward.down_proj", ffn_gate_inp = "feed_forward.router",
    ffn_gate_exps = "feed_forward.experts.gate_proj", ffn_up_exps = "feed_forward.experts.up_proj",
    ffn_down_exps = "feed_forward.experts.down_proj" }),
  fix = function(s)
    local c = s.cfg
    c.attn_layer_period, c.attn_layer_offset = period_of(s, "attn_q.weight")
    if not c.attn_layer_period then error(config_file .. ": attention layers in no period / offset pattern", 0) end
    c.num_experts = s.m("expert_count", 0)
    if c.num_experts > 0 then
      c.expert_layer_period, c.expert_layer_offset = period_of(s, "ffn_gate_inp.weight")
      if not c.expert_layer_period then error(config_file .. ": expert layers in no period / offset pattern", 0) end
    else
      c.num_experts = 1
    end
  end,
}
archs.granitehybrid = {
  class = "GraniteMoeHybridForCausalLM", model_type = "granitemoehybrid",
  keys = { attention_multiplier = "attention.scale", embedding_multiplier = "embedding_scale",
           residual_multiplier = "residual_scale", logits_scaling = "logit_scale" },
  blocks = over_table(hybrid_ssm, { ffn_gate_inp = "block_sparse_moe.router.layer",
                                    ffn_down_exps = "block_sparse_moe.output_linear",
                                    ffn_down = "shared_mlp.output_linear", ffn_down_shexp = "shared_mlp.output_linear" }),
  fix = function(s)
    local c = s.cfg
    c.mamba_n_heads = s.need("ssm.time_step_rank")
    c.mamba_d_head = s.need("ssm.inner_size") // c.mamba_n_heads
    c.mamba_n_groups, c.mamba_d_state = s.m("ssm.group_count", 1), s.need("ssm.state_size")
    c.position_embedding_type = s.m("rope.freq_base") and "rope" or "nope"
    c.num_local_experts, c.num_experts_per_tok = s.m("expert_count", 0), s.m("expert_used_count", 0)
    c.layer_types = {}
    for i = 0, s.L - 1 do
      local p, hp = string.format("blk.%d.", i), string.format("model.layers.%d.", i)
      c.layer_types[i + 1] = s.tensors[p .. "attn_q.weight"] and "full_attention" or "linear_attention"
      for _, r in ipairs { { "ssm_a", "mamba.A", c.mamba_n_heads }, { "ssm_d", "mamba.D", c.mamba_n_heads },
                           { "ssm_norm.weight", "mamba.norm.weight", c.mamba_n_heads * c.mamba_d_head } } do
        if s.tensors[p .. r[1]] then
          s.derived[hp .. r[2]] = { of = p .. r[1], ops = { { "reshape", { r[3] } } } }
          s.skip[p .. r[1]] = true
        end
      end
      s.names[p .. "ssm_dt.bias"] = hp .. "mamba.dt_bias"
      -- the shared MLP: gate and up as one tensor [gate; up]
      for _, k in ipairs { "", "_shexp" } do
        local g, u = p .. "ffn_gate" .. k .. ".weight", p .. "ffn_up" .. k .. ".weight"
        if s.tensors[g] and s.tensors[u] then
          s.derived[hp .. "shared_mlp.input_linear.weight"] = { cat = { g, u } }
          s.skip[g], s.skip[u] = true, true
        end
      end
      -- experts: gate, up [E, F, H] -> input_linear [E, 2F, H] (gate rows before up rows)
      local g, u = p .. "ffn_gate_exps.weight", p .. "ffn_up_exps.weight"
      local d = s.tensors[g]
      if d and s.tensors[u] then
        local E, F, H = d[1], d[2], d[3]
        s.derived[hp .. "block_sparse_moe.input_linear.weight"] = {
          of = { cat = { { of = g, ops = { { "reshape", { E * F, H } } } }, { of = u, ops = { { "reshape", { E * F, H } } } } } },
          ops = { { "reshape", { 2, E, F, H } }, { "permute", { 2, 1, 3, 4 } }, { "reshape", { E, 2 * F, H } } },
        }
        s.skip[g], s.skip[u] = true, true
      end
    end
  end,
}

-- BERT, converted for embeddings (no masked-LM head)
archs.bert = {
  class = "BertForMaskedLM", layer = "bert.encoder.layer.%d.",
  top = { token_embd = "bert.embeddings.word_embeddings", position_embd = "bert.embeddings.position_embeddings",
          token_types = "bert.embeddings.token_type_embeddings", token_embd_norm = "bert.embeddings.LayerNorm",
          output_norm = false, output = false },
  blocks = { attn_q = "attention.self.query", attn_k = "attention.self.key", attn_v = "attention.self.value",
             attn_output = "attention.output.dense", attn_output_norm = "attention.output.LayerNorm",
             ffn_up = "intermediate.dense", ffn_down = "output.dense", layer_output_norm = "output.LayerNorm" },
  fix = function(s)
    local c = s.cfg
    c.is_decoder = s.m("attention.causal", false)
    local tt = s.tensors["token_types.weight"]
    if tt then c.type_vocab_size = tt[1] end
    c.tie_word_embeddings = true
  end,
}

-- ---- helpers for fix() ----
local function ordered_keys(t)
  local ks = {}
  for k in pairs(t) do ks[#ks + 1] = k end
  table.sort(ks)
  return ks
end

-- per-dimension rotary frequency factors (llama.cpp's rope_freqs tensor, as
-- written for llama3 scaling): theta_i / factor_i, which is LongRoPE's rule
-- with one table for every length
local function rope_freq_factors(s, tname)
  if not s.tensors[tname] then return end
  local f = s.values(tname)
  if not f then error(config_file .. ": tensor '" .. tname .. "' cannot be read as numbers", 0) end
  local rot = s.m("rope.dimension_count", s.cfg.head_dim)
  if rot and #f ~= rot // 2 then
    error(string.format("%s: tensor '%s' holds %d factors, the rotary dimension %d needs %d", config_file, tname, #f, rot, rot // 2), 0)
  end
  for _, v in ipairs(f) do
    if not (v > 0) then error(config_file .. ": tensor '" .. tname .. "' holds a factor that is not positive", 0) end
  end
  s.cfg.rope_scaling = {
    rope_type = "longrope", short_factor = f, long_factor = f, factor = 1.0, attention_factor = 1.0,
    original_max_position_embeddings = s.cfg.max_position_embeddings,
  }
  s.cfg.original_max_position_embeddings = s.cfg.max_position_embeddings
  s.skip[tname] = true
end

-- the tokenizer: archspecs/lib/pretok.lua
local function tokenizer_kind(meta) return gguf_tokenizer(meta, config_file) end

local function gguf_config(meta, tensors, values)
  -- `venusc tokenize FILE.gguf`: the tokenizer alone (vocabulary-only files have no tensors)
  if meta["venus.tokenizer_only"] then return { tokenizer_only = true }, {}, tokenizer_kind(meta) end
  local arch = meta["general.architecture"]
  if type(arch) ~= "string" then error(config_file .. ": no general.architecture in the GGUF metadata", 0) end
  local a = archs[arch]
  if not a then
    error(config_file .. ": GGUF architecture '" .. arch .. "' has no mapping in archspecs/lib/gguf.lua", 0)
  end
  local function m(key, default)
    local v = meta[arch .. "." .. key]
    if v == nil then return default end
    return v
  end
  local function bad(key, what)
    error(config_file .. ": GGUF key '" .. arch .. "." .. key .. "' " .. what, 0)
  end
  -- need(key): a value the mapping cannot do without; sizes and counts
  -- (integers) must be positive
  local function need(key)
    local v = m(key)
    if v == nil then error(config_file .. ": missing GGUF key '" .. arch .. "." .. key .. "'", 0) end
    if math.type(v) == "integer" and v <= 0 then bad(key, "must be positive (is " .. v .. ")") end
    return v
  end
  local emb = tensors["token_embd.weight"]
  local experts = m("expert_count", 0)
  local cfg = {
    architectures = { experts > 0 and a.moe_class or a.class },
    model_type = a.model_type or arch,
    hidden_size = need("embedding_length"),
    num_hidden_layers = need("block_count"),
    max_position_embeddings = m("context_length", 2048),
    vocab_size = m("vocab_size", emb and emb[1]),
    tie_word_embeddings = tensors["output.weight"] == nil,
    bos_token_id = meta["tokenizer.ggml.bos_token_id"],
    eos_token_id = meta["tokenizer.ggml.eos_token_id"],
    -- how an embedding model pools (llama.cpp's numbering: 1 mean, 2 CLS, 3 last; venusc reads it)
    gguf_pooling_type = m("pooling_type"),
  }
  local function most(v)  -- per-layer arrays (hybrids: 0 on layers without attention)
    if type(v) ~= "table" then return v end
    local x = 0
    for _, n in ipairs(v) do if n > x then x = n end end
    return x
  end
  local heads = most(m("attention.head_count"))
  if not a.no_heads and not (heads and heads > 0) then bad("attention.head_count", "must be positive (is " .. tostring(heads) .. ")") end
  if heads and heads > 0 then
    local kv = most(m("attention.head_count_kv", heads))
    if m("attention.key_length") == nil and cfg.hidden_size % heads ~= 0 then
      bad("attention.head_count", "(" .. heads .. ") does not divide embedding_length (" .. cfg.hidden_size .. ")")
    end
    cfg.head_dim = m("attention.key_length", cfg.hidden_size // heads)
    -- the tensors are the truth where the converter's head_count_kv is not
    for i = 0, cfg.num_hidden_layers - 1 do
      local k = tensors["blk." .. i .. ".attn_k.weight"]
      if k then
        if cfg.head_dim > 0 and k[1] % cfg.head_dim == 0 then kv = k[1] // cfg.head_dim end
        break
      end
    end
    if kv <= 0 or heads % kv ~= 0 then
      bad("attention.head_count_kv", "(" .. tostring(kv) .. ") does not divide head_count (" .. heads .. ")")
    end
    cfg.num_attention_heads, cfg.num_key_value_heads = heads, kv
  end
  cfg.intermediate_size = m("feed_forward_length")
  if a.eps ~= false then
    local rms = m("attention.layer_norm_rms_epsilon")
    if rms then cfg[a.eps or "rms_norm_eps"] = rms
    else cfg[a.eps or "layer_norm_eps"] = m("attention.layer_norm_epsilon", cfg[a.eps or "layer_norm_eps"]) end
  end
  local theta = m("rope.freq_base")
  if theta then cfg.rope_theta = theta end
  local rdim = m("rope.dimension_count")
  if rdim and cfg.head_dim and rdim < cfg.head_dim then cfg.partial_rotary_factor = rdim / cfg.head_dim end
  if experts > 0 then
    cfg.num_local_experts, cfg.num_experts = experts, experts
    cfg.num_experts_per_tok = m("expert_used_count", 2)
    cfg.moe_intermediate_size = m("expert_feed_forward_length")
    cfg.shared_expert_intermediate_size = m("expert_shared_feed_forward_length")
    local w = m("expert_weights_norm")
    if w ~= nil then cfg.norm_topk_prob = w end
  end
  local sw = m("attention.sliding_window")
  if sw and sw > 0 then
    cfg.sliding_window = sw
    cfg.use_sliding_window = true
    if arch == "llama" then cfg.architectures = { "MistralForCausalLM" } end
  end
  local st = m("rope.scaling.type")
  if st and st ~= "none" then
    cfg.rope_scaling = { rope_type = st, factor = m("rope.scaling.factor", 1.0),
                         original_max_position_embeddings = m("rope.scaling.original_context_length") }
  end
  for hk, gk in pairs(a.keys or {}) do
    local v = m(gk)
    if v ~= nil then cfg[hk] = v end
  end

  local blocks, top = over_table(llama_blocks, a.blocks), over_table(llama_top, a.top)
  local layer = a.layer or "model.layers.%d."
  local s = { cfg = cfg, m = m, need = need, tensors = tensors, values = values, names = {}, derived = {},
              skip = {}, L = cfg.num_hidden_layers, arch = arch, meta = meta }
  -- hf(gname): the HF name of a GGUF tensor under the standard mapping
  function s.hf(gname)
    local t, suffix = gname:match("^([%w_]+)%.(%a+)$")
    if t and top[t] then return top[t] .. "." .. suffix end
    local i, role, sfx = gname:match("^blk%.(%d+)%.([%w_]+)%.(%a+)$")
    if i and blocks[role] then
      return string.format(layer, tonumber(i)) .. blocks[role] .. (no_suffix[role] and "" or "." .. sfx)
    end
    i, role = gname:match("^blk%.(%d+)%.([%w_]+)$")  -- tensors without a suffix (ssm_a, ssm_d)
    if i and blocks[role] then return string.format(layer, tonumber(i)) .. blocks[role] end
    return nil
  end
  s.blocks = blocks
  -- attn_qkv stacked [q | k | v] in the file, HF's per-group [q.. k v]
  function s.grouped_qkv(heads, kv, hd)
    local g, nq, nk = heads // kv, heads * hd, kv * hd
    for i = 0, s.L - 1 do
      for _, sfx in ipairs { "weight", "bias" } do
        local gname = string.format("blk.%d.attn_qkv.%s", i, sfx)
        if tensors[gname] then
          local parts = {}
          for j = 0, kv - 1 do
            parts[#parts + 1] = { of = gname, ops = { { "rows", j * g * hd, g * hd } } }
            parts[#parts + 1] = { of = gname, ops = { { "rows", nq + j * hd, hd } } }
            parts[#parts + 1] = { of = gname, ops = { { "rows", nq + nk + j * hd, hd } } }
          end
          s.derived[s.hf(gname)] = { cat = parts }
          s.skip[gname] = true
        end
      end
    end
  end
  -- attn_qkv fused [q | k | v] in the file where HF has q, k, v apart
  function s.split_qkv()
    local nq = cfg.num_attention_heads * cfg.head_dim
    local nk = cfg.num_key_value_heads * cfg.head_dim
    for i = 0, s.L - 1 do
      for _, sfx in ipairs { "weight", "bias" } do
        local gname = string.format("blk.%d.attn_qkv.%s", i, sfx)
        if tensors[gname] then
          local p = string.format(layer, i)
          s.derived[p .. blocks.attn_q .. "." .. sfx] = { of = gname, ops = { { "rows", 0, nq } } }
          s.derived[p .. blocks.attn_k .. "." .. sfx] = { of = gname, ops = { { "rows", nq, nk } } }
          s.derived[p .. blocks.attn_v .. "." .. sfx] = { of = gname, ops = { { "rows", nq + nk, nk } } }
          s.skip[gname] = true
        end
      end
    end
  end
  if a.fix then a.fix(s) end
  rope_freq_factors(s, "rope_freqs.weight")
  for _, gname in ipairs(ordered_keys(tensors)) do
    if not s.skip[gname] and s.names[gname] == nil then
      local hf = s.hf(gname)
      if hf then
        local role = gname:match("^blk%.%d+%.([%w_]+)%.")
        if a.minus1 and a.minus1[role or gname:match("^([%w_]+)%.weight$") or ""] and gname:match("%.weight$") then
          s.derived[hf] = { of = gname, ops = { { "add", -1.0 } } }
        elseif a.pair_qk and role == "attn_q" then s.names[gname] = { name = hf, pair_heads = heads }
        elseif a.pair_qk and role == "attn_k" then s.names[gname] = { name = hf, pair_heads = cfg.num_key_value_heads }
        else s.names[gname] = hf end
      end
    end
  end
  if next(s.derived) then cfg.gguf_tensors = s.derived end
  return cfg, s.names, tokenizer_kind(meta)
end

-- ---- in the builder: derived tensors ----
local derived, built = nil, {}

local function eval(r)
  if type(r) == "string" then return raw.weight(r) end
  if r.cat then
    local ws = {}
    for i, x in ipairs(r.cat) do ws[i] = eval(x) end
    return cat(table.unpack(ws))
  end
  if r.pairs then return interleave(eval(r.pairs[1]), eval(r.pairs[2])) end
  if r.zeros then return zeros(r.zeros) end
  local w = eval(r.of)
  for _, op in ipairs(r.ops or {}) do
    local k = op[1]
    if k == "rows" then w = w:rows(op[2], op[3])
    elseif k == "reshape" then w = w:reshape(op[2])
    elseif k == "permute" then w = w:permute(op[2])
    elseif k == "add" then w = w:add(op[2])
    elseif k == "scale" then w = w:scale(op[2])
    elseif k == "t" then w = w:t()
    elseif k == "exp" then w = w:exp()
    else error("archspecs/lib/gguf.lua: unknown recipe step '" .. tostring(k) .. "'", 0) end
  end
  return w
end

local function gguf_weight(name, opts)
  local r = derived and derived[name]
  if r == nil then return raw.weight(name, opts) end
  if not built[name] then built[name] = eval(r) end
  return built[name]
end
local function gguf_has(name)
  if derived and derived[name] ~= nil then return true end
  return raw.has(name)
end
local function gguf_shape(name)
  if derived and derived[name] ~= nil then return gguf_weight(name).shape end
  return raw.shape(name)
end
-- arch{}: the spec's build sees its config without gguf_tensors, and the
-- tensors it names there are derived ones
local function gguf_arch(t)
  local build = type(t) == "table" and t.build
  if type(build) == "function" then
    t.build = function(cfg)
      derived, built = cfg.gguf_tensors, {}
      cfg.gguf_tensors = nil
      return build(cfg)
    end
  end
  return raw.arch(t)
end

local function class_list()
  local out = {}
  for name, a in pairs(archs) do
    local l = { a.class, a.moe_class }
    for _, c in ipairs(a.also or {}) do l[#l + 1] = c end
    out[name] = l
  end
  return out
end

return { gguf_config = gguf_config, gguf_archs = class_list(), weight = gguf_weight, has = gguf_has,
         shape = gguf_shape, arch = gguf_arch }
