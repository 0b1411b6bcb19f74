-- model: tests/fixtures/seq2seq/public/t5
-- dump: plan
-- An encoder-decoder after planning: the encoder's nodes ([encoder], run by
-- vn_model_encode) get buffers of encoder_rows rows; the cross-attention
-- keys and values it computes (one fused matmul, two views) keep their
-- buffer to the end, so no step's activation lands on them; the encoder's
-- self attention has no cache, the decoder's has one, its cross attention
-- reads the encoder's rows.
return arch {
  name = "graph-test",
  build = function(cfg)
    model { vocab = 256, encoder_rows = 40, decoder_start = 0 }
    local E = weight("shared.weight")
    local e, d = "encoder.block.0.layer.0.SelfAttention.", "decoder.block.0.layer.0.SelfAttention."
    local c = "decoder.block.0.layer.1.EncDecAttention."
    stage("encoder")
    local x = embed(E, tokens())
    local a = attention(linear(x, weight(e .. "q.weight")), linear(x, weight(e .. "k.weight")), linear(x, weight(e .. "v.weight")),
      { heads = 4, head_dim = 16, scale = 1, causal = false, cache = false,
        relative_bias = weight(e .. "relative_attention_bias.weight"), max_distance = 32 })
    x = add(x, linear(a, weight(e .. "o.weight")))
    local ck, cv = linear(x, weight(c .. "k.weight")), linear(x, weight(c .. "v.weight"))
    stage("decoder")
    local y = embed(E, tokens())
    a = attention(linear(y, weight(d .. "q.weight")), linear(y, weight(d .. "k.weight")), linear(y, weight(d .. "v.weight")),
      { heads = 4, head_dim = 16, scale = 1 })
    y = add(y, linear(a, weight(d .. "o.weight")))
    a = attention(linear(y, weight(c .. "q.weight")), ck, cv, { heads = 4, head_dim = 16, scale = 1, causal = false, cross = true })
    y = add(y, linear(a, weight(c .. "o.weight")))
    output(linear(last(y), E))
  end,
}
-- expect:
-- # graph: 35 nodes, 0 rope tables, output %34
-- %0 = input  [T] i32  tests/graph/plan_encdec.lua:17
-- %1 = weight shared.weight  [256,64] f32  tests/graph/plan_encdec.lua:17  @weights+4096
-- %2 = embed %1, %0  [T,64] f32 scale=1 [encoder]  tests/graph/plan_encdec.lua:17  @arena+0
-- %3 = weight cat(encoder.block.0.layer.0.SelfAttention.q.weight, encoder.block.0.layer.0.SelfAttention.k.weight, encoder.block.0.layer.0.SelfAttention.v.weight)  [192,64] f32  tests/graph/plan_encdec.lua:18  @weights+69632
-- %4 = matmul %2, %3, _, _  [T,192] f32 [encoder]  tests/graph/plan_encdec.lua:18  @arena+131072
-- %5 = view %4  [T,64] f32 col0=0 [encoder]  tests/graph/plan_encdec.lua:18
-- %6 = view %4  [T,64] f32 col0=64 [encoder]  tests/graph/plan_encdec.lua:18
-- %7 = view %4  [T,64] f32 col0=128 [encoder]  tests/graph/plan_encdec.lua:18
-- %8 = weight encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight  [8,4] f32  tests/graph/plan_encdec.lua:18  @weights+118784
-- %9 = attention %5, %6, %7, _, _, _, %8  [T,64] f32 heads=4/4 hd=16 bidir scale=1 relpos=8/32 [encoder]  tests/graph/plan_encdec.lua:18  @arena+524288
-- %10 = weight encoder.block.0.layer.0.SelfAttention.o.weight  [64,64] f32  tests/graph/plan_encdec.lua:21  @weights+118912
-- %11 = matmul %9, %10, _, %2  [T,64] f32 [encoder]  tests/graph/plan_encdec.lua:21  @arena+131072
-- %12 = weight cat(decoder.block.0.layer.1.EncDecAttention.k.weight, decoder.block.0.layer.1.EncDecAttention.v.weight)  [128,64] f32  tests/graph/plan_encdec.lua:22  @weights+135296
-- %13 = matmul %11, %12, _, _  [T,128] f32 [encoder]  tests/graph/plan_encdec.lua:22  @arena+262144
-- %14 = view %13  [T,64] f32 col0=0 [encoder]  tests/graph/plan_encdec.lua:22
-- %15 = view %13  [T,64] f32 col0=64 [encoder]  tests/graph/plan_encdec.lua:22
-- %16 = input  [T] i32  tests/graph/plan_encdec.lua:24
-- %17 = embed %1, %16  [T,64] f32 scale=1  tests/graph/plan_encdec.lua:24  @arena+0
-- %18 = weight cat(decoder.block.0.layer.0.SelfAttention.q.weight, decoder.block.0.layer.0.SelfAttention.k.weight, decoder.block.0.layer.0.SelfAttention.v.weight)  [192,64] f32  tests/graph/plan_encdec.lua:25  @weights+168064
-- %19 = matmul %17, %18, _, _  [T,192] f32  tests/graph/plan_encdec.lua:25  @arena+524288
-- %20 = view %19  [T,64] f32 col0=0  tests/graph/plan_encdec.lua:25
-- %21 = view %19  [T,64] f32 col0=64  tests/graph/plan_encdec.lua:25
-- %22 = view %19  [T,64] f32 col0=128  tests/graph/plan_encdec.lua:25
-- %23 = state k_cache  [CTX,64] f32  tests/graph/plan_encdec.lua:25  @state+0*ctx
-- %24 = state v_cache  [CTX,64] f32  tests/graph/plan_encdec.lua:25  @state+256*ctx
-- %25 = attention %20, %21, %22, %23, %24, _, _  [T,64] f32 heads=4/4 hd=16 causal scale=1  tests/graph/plan_encdec.lua:25  @arena+131072
-- %26 = weight decoder.block.0.layer.0.SelfAttention.o.weight  [64,64] f32  tests/graph/plan_encdec.lua:27  @weights+217216
-- %27 = matmul %25, %26, _, %17  [T,64] f32  tests/graph/plan_encdec.lua:27  @arena+524288
-- %28 = weight decoder.block.0.layer.1.EncDecAttention.q.weight  [64,64] f32  tests/graph/plan_encdec.lua:28  @weights+233600
-- %29 = matmul %27, %28, _, _  [T,64] f32  tests/graph/plan_encdec.lua:28  @arena+0
-- %30 = attention %29, %14, %15, _, _, _, _  [T,64] f32 heads=4/4 hd=16 bidir scale=1 cross  tests/graph/plan_encdec.lua:28  @arena+131072
-- %31 = weight decoder.block.0.layer.1.EncDecAttention.o.weight  [64,64] f32  tests/graph/plan_encdec.lua:29  @weights+249984
-- %32 = matmul %30, %31, _, %27  [T,64] f32  tests/graph/plan_encdec.lua:29  @arena+0
-- %33 = last %32  [Tout,64] f32  tests/graph/plan_encdec.lua:30  @arena+131072
-- %34 = matmul %33, %1, _, _  [Tout,256] f32  tests/graph/plan_encdec.lua:30  @arena+524288
-- # plan: arena 1048576 bytes for 512 tokens, state 512 bytes per position + 0, weights 266368 bytes
