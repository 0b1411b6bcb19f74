-- archspecs/lib/seq2seq.lua: encoder-decoder transformers (T5, BART,
-- Whisper). The encoder is built under stage("encoder"): it runs once per
-- input (ids, or Whisper's log-mel frames) and ends with the keys and values
-- every decoder layer's cross attention reads (computed once, kept for the
-- whole generation). The decoder is built under stage("decoder"): the step
-- the binary generates with, a self-attention KV cache per layer and
-- cross attention over the encoder's rows (attention{cross = true}).
--
-- seq2seq{
--   hidden, heads, head_dim, vocab, enc_layers, dec_layers, bos, eos, decoder_start,
--   max_pos,                -- decoder positions (learned tables bound them too)
--   encoder_rows,           -- the most encoder positions
--   input = "ids" | { mels = n, frames_per_row = 2, front = function() -> x },
--   norm = function(x, prefix) -> x,    -- one norm (prefix .. ".weight" ...)
--   pre_norm = true,        -- false: post-norm blocks (BART)
--   attn = { scale =, bias = {encoder = fn(i), decoder = fn(i)} -> relative bias table or nil,
--            max_distance = },
--   names = { enc_layer, dec_layer, q, k, v, o, cross_q, cross_k, cross_v, cross_o,
--             enc_attn_norm, enc_mlp_norm, dec_attn_norm, dec_cross_norm, dec_mlp_norm },
--   mlp = function(h, prefix) -> out,
--   enc_embed = function() -> x,  dec_embed = function() -> x,
--   enc_final = name | nil, dec_final = name | nil,   -- final norms
--   head = function(x) -> logits,
-- }

local function lin(x, name, opts)
  return linear(x, weight(name .. ".weight"), weight(name .. ".bias", { optional = true }), opts)
end

local function seq2seq(o)
  local n = o.names
  local pre = o.pre_norm ~= false
  local at = o.attn or {}
  model { vocab = o.vocab, max_pos = o.max_pos, max_ctx = o.max_ctx, bos = o.bos, eos = o.eos,
          encoder_rows = o.encoder_rows, mels = o.mels, frames_per_row = o.frames_per_row,
          decoder_start = o.decoder_start }
  local function attn_opts(extra)
    local t = { heads = o.heads, kv_heads = o.heads, head_dim = o.head_dim, scale = at.scale }
    for k, v in pairs(extra) do t[k] = v end
    return t
  end
  -- one residual branch: pre-norm x + f(norm(x)), or post-norm norm(x + f(x))
  local function branch(x, norm_name, f)
    if pre then return add(x, f(o.norm(x, norm_name))) end
    return o.norm(add(x, f(x)), norm_name)
  end

  stage("encoder")
  local x = o.enc_embed()
  for i = 0, o.enc_layers - 1 do
    layer(i)
    local p = string.format(n.enc_layer, i)
    x = branch(x, p .. n.enc_attn_norm, function(h)
      local a = attention(lin(h, p .. n.q), lin(h, p .. n.k), lin(h, p .. n.v), attn_opts {
        causal = false, cache = false, relative_bias = at.bias and at.bias.encoder(i), max_distance = at.max_distance })
      return lin(a, p .. n.o)
    end)
    x = branch(x, p .. n.enc_mlp_norm, function(h) return o.mlp(h, p) end)
  end
  layer(-1)
  if n.enc_final then x = o.norm(x, n.enc_final) end
  local ck, cv = {}, {}   -- the cross attention's keys and values, once per input
  for i = 0, o.dec_layers - 1 do
    layer(i)
    local p = string.format(n.dec_layer, i)
    ck[i], cv[i] = lin(x, p .. n.cross_k), lin(x, p .. n.cross_v)
  end

  stage("decoder")
  layer(-1)
  x = o.dec_embed()
  for i = 0, o.dec_layers - 1 do
    layer(i)
    local p = string.format(n.dec_layer, i)
    x = branch(x, p .. n.dec_attn_norm, function(h)
      local a = attention(lin(h, p .. n.q), lin(h, p .. n.k), lin(h, p .. n.v), attn_opts {
        causal = true, relative_bias = at.bias and at.bias.decoder(i), max_distance = at.max_distance })
      return lin(a, p .. n.o)
    end)
    x = branch(x, p .. n.dec_cross_norm, function(h)
      return lin(attention(lin(h, p .. n.cross_q), ck[i], cv[i], attn_opts { causal = false, cross = true }), p .. n.cross_o)
    end)
    x = branch(x, p .. n.dec_mlp_norm, function(h) return o.mlp(h, p) end)
  end
  layer(-1)
  x = last(x)
  if n.dec_final then x = o.norm(x, n.dec_final) end
  output(o.head(x))
end

-- t5(cfg): T5 (T5ForConditionalGeneration): RMS-style T5 LayerNorm before
-- each block, unscaled attention scores with a relative position bias (the
-- first layer's bucket table, shared by every layer of its stack;
-- bidirectional buckets in the encoder, causal ones in the decoder), a plain
-- or gated MLP (feed_forward_proj), the decoder output times d_model^-0.5
-- before the head when the config says so.
local function t5(cfg)
  with_defaults(cfg, {  -- configuration_t5.py
    d_model = 512, d_kv = 64, d_ff = 2048, num_layers = 6, num_heads = 8, relative_attention_num_buckets = 32,
    relative_attention_max_distance = 128, layer_norm_epsilon = 1e-6, feed_forward_proj = "relu",
    tie_word_embeddings = true, pad_token_id = 0, eos_token_id = 1, decoder_start_token_id = 0,
  })
  local H, V = cfg.d_model, need(cfg, "vocab_size")
  local ff = cfg.feed_forward_proj
  local gated = ff:match("^gated%-(.+)$")
  local fact = gated or ff
  if ff == "gated-gelu" then fact = "gelu_new" end   -- T5Config: gated-gelu is gelu_new
  fact = act_name(fact)
  local eps = cfg.layer_norm_epsilon
  -- transformers 5 names the rule scale_decoder_outputs; before it, tied embeddings implied it
  local scale_out = cfg.scale_decoder_outputs
  if scale_out == nil then scale_out = cfg.tie_word_embeddings end
  local E = weight("shared.weight", { shape = { V, H } })
  local buckets = { cfg.relative_attention_num_buckets, cfg.num_heads }
  local function bias(stack)  -- the first layer's table, read by every layer of the stack
    local w = weight(stack .. ".block.0.layer.0.SelfAttention.relative_attention_bias.weight", { shape = buckets })
    return function() return w end
  end
  seq2seq {
    hidden = H, heads = cfg.num_heads, head_dim = cfg.d_kv, vocab = V,
    enc_layers = cfg.num_layers, dec_layers = cfg.num_decoder_layers or cfg.num_layers,
    bos = cfg.bos_token_id, eos = cfg.eos_token_id, decoder_start = cfg.decoder_start_token_id,
    max_pos = cfg.n_positions or 512, encoder_rows = cfg.n_positions or 512,
    norm = function(x, name) return rmsnorm(x, weight(name .. ".weight", { shape = { H } }), { eps = eps }) end,
    attn = {
      scale = 1, max_distance = cfg.relative_attention_max_distance,
      bias = { encoder = bias("encoder"), decoder = bias("decoder") },
    },
    names = {
      enc_layer = "encoder.block.%d.", dec_layer = "decoder.block.%d.",
      q = "layer.0.SelfAttention.q", k = "layer.0.SelfAttention.k", v = "layer.0.SelfAttention.v", o = "layer.0.SelfAttention.o",
      cross_q = "layer.1.EncDecAttention.q", cross_k = "layer.1.EncDecAttention.k",
      cross_v = "layer.1.EncDecAttention.v", cross_o = "layer.1.EncDecAttention.o",
      enc_attn_norm = "layer.0.layer_norm", enc_mlp_norm = "layer.1.layer_norm",
      dec_attn_norm = "layer.0.layer_norm", dec_cross_norm = "layer.1.layer_norm", dec_mlp_norm = "layer.2.layer_norm",
      enc_final = "encoder.final_layer_norm", dec_final = "decoder.final_layer_norm",
    },
    mlp = function(h, p)
      local ffp = p .. (p:find("^decoder") and "layer.2" or "layer.1") .. ".DenseReluDense."
      if gated then
        return lin(mul(act(lin(h, ffp .. "wi_0"), fact), lin(h, ffp .. "wi_1")), ffp .. "wo")
      end
      return lin(lin(h, ffp .. "wi", { act = fact }), ffp .. "wo")
    end,
    enc_embed = function() return embed(E, tokens()) end,
    dec_embed = function() return embed(E, tokens()) end,
    head = function(x)
      if scale_out then x = scale(x, H ^ -0.5) end
      local head = weight("lm_head.weight", { optional = true, shape = { V, H } }) or E
      return linear(x, head, nil)
    end,
  }
end

-- bart(cfg): BART (BartForConditionalGeneration): learned positions offset
-- by 2, a LayerNorm on the embeddings, post-norm blocks, the head tied to
-- the shared embeddings plus final_logits_bias.
local function bart(cfg)
  with_defaults(cfg, {  -- configuration_bart.py
    d_model = 1024, encoder_layers = 12, decoder_layers = 12, encoder_attention_heads = 16, decoder_attention_heads = 16,
    activation_function = "gelu", max_position_embeddings = 1024, scale_embedding = false,
    pad_token_id = 1, bos_token_id = 0, eos_token_id = 2, decoder_start_token_id = 2,
  })
  local H, V, heads = cfg.d_model, need(cfg, "vocab_size"), cfg.encoder_attention_heads
  if cfg.decoder_attention_heads ~= heads then error(config_file .. ": encoder and decoder head counts differ", 0) end
  local act = act_name(cfg.activation_function)
  local E = weight("model.shared.weight", { shape = { V, H } })
  local es = cfg.scale_embedding and math.sqrt(H) or nil
  local function ln(x, name) return layernorm(x, weight(name .. ".weight", { shape = { H } }), weight(name .. ".bias"), { eps = 1e-5 }) end
  local function emb(stack)
    local x = embed(E, tokens(), { scale = es })
    x = add(x, embed(weight("model." .. stack .. ".embed_positions.weight"), positions({ offset = 2 })))
    return ln(x, "model." .. stack .. ".layernorm_embedding")
  end
  local ps = shape("model.decoder.embed_positions.weight")
  seq2seq {
    hidden = H, heads = heads, head_dim = H // heads, vocab = V,
    enc_layers = cfg.encoder_layers, dec_layers = cfg.decoder_layers,
    bos = cfg.bos_token_id, eos = cfg.eos_token_id, decoder_start = cfg.decoder_start_token_id,
    max_pos = cfg.max_position_embeddings, max_ctx = ps and ps[1] - 2, encoder_rows = cfg.max_position_embeddings,
    norm = ln, pre_norm = false,
    names = {
      enc_layer = "model.encoder.layers.%d.", dec_layer = "model.decoder.layers.%d.",
      q = "self_attn.q_proj", k = "self_attn.k_proj", v = "self_attn.v_proj", o = "self_attn.out_proj",
      cross_q = "encoder_attn.q_proj", cross_k = "encoder_attn.k_proj", cross_v = "encoder_attn.v_proj", cross_o = "encoder_attn.out_proj",
      enc_attn_norm = "self_attn_layer_norm", enc_mlp_norm = "final_layer_norm",
      dec_attn_norm = "self_attn_layer_norm", dec_cross_norm = "encoder_attn_layer_norm", dec_mlp_norm = "final_layer_norm",
    },
    mlp = function(h, p) return lin(lin(h, p .. "fc1", { act = act }), p .. "fc2") end,
    enc_embed = function() return emb("encoder") end,
    dec_embed = function() return emb("decoder") end,
    head = function(x)
      local head = weight("lm_head.weight", { optional = true, shape = { V, H } }) or E
      local b = weight("final_logits_bias", { optional = true })
      return linear(x, head, b and b:reshape { V })
    end,
  }
end

-- whisper(cfg): Whisper (WhisperForConditionalGeneration): the encoder reads
-- log-mel frames through two convolutions (k 3 + GELU; k 3, stride 2 +
-- GELU) plus its sinusoidal position table, pre-norm blocks, a final
-- LayerNorm; the decoder has learned positions and its head is the token
-- embedding table.
local function whisper(cfg)
  with_defaults(cfg, {  -- configuration_whisper.py
    num_mel_bins = 80, encoder_layers = 4, decoder_layers = 4, encoder_attention_heads = 6, decoder_attention_heads = 6,
    d_model = 384, activation_function = "gelu", max_source_positions = 1500, max_target_positions = 448,
    scale_embedding = false, pad_token_id = 50256, bos_token_id = 50256, eos_token_id = 50256,
    decoder_start_token_id = 50257,
  })
  local H, V, heads = cfg.d_model, need(cfg, "vocab_size"), cfg.encoder_attention_heads
  if cfg.decoder_attention_heads ~= heads then error(config_file .. ": encoder and decoder head counts differ", 0) end
  local act = act_name(cfg.activation_function)
  local mels, T = cfg.num_mel_bins, cfg.max_source_positions
  local E = weight("model.decoder.embed_tokens.weight", { shape = { V, H } })
  local es = cfg.scale_embedding and math.sqrt(H) or nil
  local function ln(x, name) return layernorm(x, weight(name .. ".weight", { shape = { H } }), weight(name .. ".bias"), { eps = 1e-5 }) end
  local function convw(name, cin)  -- [out, in, k] as stored -> [out, k, in]
    return weight(name .. ".weight", { shape = { H, cin, 3 } }):permute { 1, 3, 2 }
  end
  seq2seq {
    hidden = H, heads = heads, head_dim = H // heads, vocab = V,
    enc_layers = cfg.encoder_layers, dec_layers = cfg.decoder_layers,
    bos = cfg.bos_token_id, eos = cfg.eos_token_id, decoder_start = cfg.decoder_start_token_id,
    max_pos = cfg.max_target_positions, max_ctx = cfg.max_target_positions,
    encoder_rows = T, mels = mels, frames_per_row = 2,
    norm = ln,
    names = {
      enc_layer = "model.encoder.layers.%d.", dec_layer = "model.decoder.layers.%d.",
      q = "self_attn.q_proj", k = "self_attn.k_proj", v = "self_attn.v_proj", o = "self_attn.out_proj",
      cross_q = "encoder_attn.q_proj", cross_k = "encoder_attn.k_proj", cross_v = "encoder_attn.v_proj", cross_o = "encoder_attn.out_proj",
      enc_attn_norm = "self_attn_layer_norm", enc_mlp_norm = "final_layer_norm",
      dec_attn_norm = "self_attn_layer_norm", dec_cross_norm = "encoder_attn_layer_norm", dec_mlp_norm = "final_layer_norm",
      enc_final = "model.encoder.layer_norm", dec_final = "model.decoder.layer_norm",
    },
    mlp = function(h, p) return lin(lin(h, p .. "fc1", { act = act }), p .. "fc2") end,
    enc_embed = function()
      -- two frames a row: conv1 keeps the frame rate, conv2 halves it to one encoder position a row
      local x = conv(features(2 * mels), convw("model.encoder.conv1", mels), weight("model.encoder.conv1.bias"), { stride = 1, act = "gelu" })
      x = conv(x, convw("model.encoder.conv2", H), weight("model.encoder.conv2.bias"), { stride = 2, act = "gelu" })
      return add(x, embed(weight("model.encoder.embed_positions.weight", { shape = { T, H } }), positions()))
    end,
    dec_embed = function()
      local x = embed(E, tokens(), { scale = es })
      return add(x, embed(weight("model.decoder.embed_positions.weight"), positions()))
    end,
    head = function(x)
      return linear(x, weight("proj_out.weight", { optional = true, shape = { V, H } }) or E, nil)
    end,
  }
end

return { seq2seq = seq2seq, t5 = t5, bart = bart, whisper = whisper }
