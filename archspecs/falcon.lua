-- archspecs/falcon.lua: Falcon. One fused query_key_value in three layouts:
-- new_decoder_architecture (40B/180B): per KV group, its q heads then k then
-- v; multi_query (7B): [q | k | v] with one KV head; otherwise per head
-- [q k v]. Attention and MLP run in parallel (one or two LayerNorms) unless
-- parallel_attn is off; RoPE, or ALiBi when alibi is set.
local function bf16(x)  -- round to the nearest bfloat16 (ties to even)
  if x == 0 then return 0.0 end
  local q = 2.0 ^ (math.floor(math.log(math.abs(x), 2)) - 7)
  local r = x / q
  local f = math.floor(r)
  if r - f > 0.5 or (r - f == 0.5 and f % 2 == 1) then f = f + 1 end
  return f * q
end

return arch {
  name = "falcon",
  hf = { "FalconForCausalLM" },
  model_type = { "falcon" },
  about = "multi-query / grouped attention with fused QKV (7B and 40B layouts), parallel attention + MLP, RoPE or ALiBi",
  options = "new_decoder_architecture, multi_query, parallel_attn, num_kv_heads, num_ln_in_parallel_attn, alibi, bias, "
    .. "activation, layer_norm_epsilon, rope_parameters/rope_theta, tie_word_embeddings (default true)",
  build = function(cfg)
    local hidden, heads = need_any(cfg, "hidden_size", "n_embed"), need(cfg, "num_attention_heads")
    local hd = hidden // heads
    local new = cfg.new_decoder_architecture == true
    local parallel = cfg.parallel_attn ~= false
    local kv, layout = heads, "grouped"                     -- per head [q k v]
    if new then kv = cfg.num_kv_heads or heads              -- per group [q.. k v]
    elseif cfg.multi_query ~= false then kv, layout = 1, "stacked" end
    local nln = cfg.num_ln_in_parallel_attn
    if nln == nil and new then nln = 2 end
    local residual, names = "sequential", { attn_norm = "input_layernorm", mlp_norm = "post_attention_layernorm" }
    if new and nln == 2 then
      residual, names = "parallel2", { attn_norm = "ln_attn", mlp_norm = "ln_mlp" }
    elseif parallel then
      residual = "parallel"
    elseif new then
      error(config_file .. ": new_decoder_architecture without parallel_attn needs num_ln_in_parallel_attn = 2", 0)
    end
    names.embed, names.qkv, names.o = "word_embeddings", "self_attention.query_key_value", "self_attention.dense"
    names.up, names.down = "mlp.dense_h_to_4h", "mlp.dense_4h_to_h"
    local rope, alibi, bf
    if cfg.alibi then
      -- scores are (q.k + bf16(bf16(slope) * j)) / sqrt(head_dim): attention{alibi_bf16 = true}
      alibi = alibi_slopes(heads)
      for i, s in ipairs(alibi) do alibi[i] = bf16(s) end
      bf = true
    else
      rope = rope_from_config(cfg, hd)
    end
    gpt {
      hidden = hidden, layers = need(cfg, "num_hidden_layers"), heads = heads, kv_heads = kv, head_dim = hd,
      vocab = need(cfg, "vocab_size"), bos = cfg.bos_token_id or 11, eos = cfg.eos_token_id or 11,
      max_pos = cfg.max_position_embeddings or 2048,
      base = "transformer.", qkv = layout, residual = residual, names = names, rope = rope, alibi = alibi, alibi_bf16 = bf,
      eps = cfg.layer_norm_epsilon or 1e-5,
      act = act_name(cfg.activation or "gelu"),
      tie = cfg.tie_word_embeddings ~= false,
    }
  end,
}
