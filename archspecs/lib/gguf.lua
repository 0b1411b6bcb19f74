-- archspecs/lib/gguf.lua: reading GGUF files (as llama.cpp writes them) into
-- the same config and tensor names the Hugging Face frontend gives, so one
-- spec serves both inputs. Exports gguf_config(meta, tensors):
--   meta     the GGUF metadata (keys as in the file, e.g. "llama.block_count")
--   tensors  GGUF tensor name -> dims (outermost first)
-- returns config (a config.json table with `architectures`), names
-- (GGUF name -> HF name, or {name =, pair_heads =} for q/k rows that the
-- writer interleaved per head for its own rotary layout) and the tokenizer
-- kind (archspecs/lib/pretok.lua) from tokenizer.ggml.model and .pre.

-- per GGUF architecture: the HF class, and whether q/k rows are interleaved
local archs = {
  llama = { class = "LlamaForCausalLM", pair_qk = true, moe_class = "MixtralForCausalLM" },
  qwen2 = { class = "Qwen2ForCausalLM" },
  qwen3 = { class = "Qwen3ForCausalLM" },
  qwen2moe = { class = "Qwen2MoeForCausalLM", model_type = "qwen2_moe" },
  qwen3moe = { class = "Qwen3MoeForCausalLM", model_type = "qwen3_moe" },
}

-- GGUF block tensor -> HF (Llama naming) tensor, without the .weight/.bias suffix
local block_names = {
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
-- stacked expert tensors carry no .weight suffix on the HF side
local no_suffix = { ffn_gate_exps = true, ffn_up_exps = true, ffn_down_exps = true }
local top_names = { token_embd = "model.embed_tokens", output_norm = "model.norm", output = "lm_head" }

-- the tokenizer: archspecs/lib/pretok.lua
local function tokenizer_kind(meta) return gguf_tokenizer(meta, config_file) end

local function gguf_config(meta, tensors)
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
  local function need(key)
    local v = m(key)
    if v == nil then error(config_file .. ": missing GGUF key '" .. arch .. "." .. key .. "'", 0) end
    return v
  end
  local heads = need("attention.head_count")
  local kv = m("attention.head_count_kv", heads)
  local hidden = need("embedding_length")
  local emb = tensors["token_embd.weight"]
  if not emb then error(config_file .. ": no token_embd.weight tensor", 0) end
  local experts = m("expert_count", 0)
  local cfg = {
    architectures = { experts > 0 and a.moe_class or a.class },
    model_type = a.model_type or arch,
    hidden_size = hidden,
    num_hidden_layers = need("block_count"),
    intermediate_size = need("feed_forward_length"),
    num_attention_heads = heads,
    num_key_value_heads = kv,
    head_dim = m("attention.key_length", hidden // heads),
    rms_norm_eps = m("attention.layer_norm_rms_epsilon", 1e-5),
    max_position_embeddings = m("context_length", 2048),
    vocab_size = m("vocab_size", emb[1]),
    rope_theta = m("rope.freq_base", 10000.0),
    tie_word_embeddings = tensors["output.weight"] == nil,
    bos_token_id = meta["tokenizer.ggml.bos_token_id"],
    eos_token_id = meta["tokenizer.ggml.eos_token_id"],
  }
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
  local names = {}
  for gname in pairs(tensors) do
    local top, suffix = gname:match("^([%w_]+)%.(%a+)$")
    if top and top_names[top] then
      names[gname] = top_names[top] .. "." .. suffix
    else
      local i, role, sfx = gname:match("^blk%.(%d+)%.([%w_]+)%.(%a+)$")
      if i and block_names[role] then
        local hf = "model.layers." .. i .. "." .. block_names[role] .. (no_suffix[role] and "" or "." .. sfx)
        if a.pair_qk and role == "attn_q" then names[gname] = { name = hf, pair_heads = heads }
        elseif a.pair_qk and role == "attn_k" then names[gname] = { name = hf, pair_heads = kv }
        else names[gname] = hf end
      end
    end
  end
  return cfg, names, tokenizer_kind(meta)
end

return { gguf_config = gguf_config }
